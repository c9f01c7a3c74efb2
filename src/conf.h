/* conf.h — server configuration: redis.conf syntax, CONFIG GET/SET/REWRITE.
 *
 * Every directive lives in one table in config.c (name, type, default,
 * limits, whether it may change at run time).  Values are read on the hot
 * path without a lock: integers and booleans are read with relaxed atomic
 * loads (CONF_GET), strings only under conf_lock()/conf_unlock(). */
#ifndef HF_CONF_H
#define HF_CONF_H

#include <stdbool.h>

#define CONF_MAX_BIND 16

struct hf_config {
    int port;
    char *bind[CONF_MAX_BIND];
    int nbind;
    char *unixsocket;
    int unixsocketperm;
    char *dir;
    int io_threads;
    int shards;
    int databases;
    char *requirepass;
    int protected_mode;
    int maxclients;
    int timeout;
    int tcp_keepalive;
    int tcp_backlog;
    int loglevel;
    char *logfile;
    int daemonize;
    char *pidfile;
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    int hz;
    long long slowlog_log_slower_than;
    long long slowlog_max_len;
    long long maxmemory;
    int maxmemory_policy;
    int active_expire_effort;
    int latency_tracking;
    /* durability */
    int appendonly;
    int appendfsync;            /* FSYNC_ALWAYS, FSYNC_EVERYSEC, FSYNC_NO (wal.h) */
    long long wal_segment_bytes;
    int snapshot_interval;      /* seconds, 0 = off */
    long long snapshot_wal_bytes;   /* 0 = off */
    int snapshot_keep;
    int snapshot_threads;       /* 0 = online CPUs */
    /* data types: compact-encoding thresholds, as Redis names them */
    long long hash_max_listpack_entries, hash_max_listpack_value;
    int list_max_listpack_size;     /* > 0 entries per node, < 0 node bytes: -1 = 4 KB ... -5 = 64 KB */
    int list_compress_depth;        /* accepted; nodes are never compressed */
    long long set_max_intset_entries;
    long long zset_max_listpack_entries, zset_max_listpack_value;
    int notify_keyspace_events;     /* NOTIFY_* flags (pubsub.h) */
};

extern struct hf_config cfg;

#define CONF_GET(field) __atomic_load_n(&cfg.field, __ATOMIC_RELAXED)

void conf_defaults(void);
/* Loads the file (if path is non-NULL) then the "--name value" arguments.
 * On error prints a Redis-style fatal message naming the line and exits 1. */
void conf_load(const char *path, int argc, char **argv);
const char *conf_file(void);        /* absolute path, or NULL */
void conf_lock(void);
void conf_unlock(void);

#endif
