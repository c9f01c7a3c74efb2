/* commands.h — the command table: one entry per command (and subcommand)
 * drives dispatch, arity checks, COMMAND's replies and shard locking.
 *
 * A handler runs on the client's worker thread with no lock held; it takes
 * the shard locks it needs through keyspace.h (single key: ks_lock; several
 * keys: ks_lock_refs, which orders them) and releases them before it
 * returns.  It writes exactly one reply with reply.h.  c->argv[0] is the
 * command name as typed; c->argv[1..] the arguments. */
#ifndef HF_COMMANDS_H
#define HF_COMMANDS_H

#include <stdint.h>
#include <stdbool.h>
#include "client.h"
#include "cmdmeta.h"

typedef void cmd_fn(client *c);

enum {
    CMD_WRITE = 1 << 0,
    CMD_READONLY = 1 << 1,
    CMD_DENYOOM = 1 << 2,
    CMD_ADMIN = 1 << 3,
    CMD_NOSCRIPT = 1 << 4,
    CMD_LOADING = 1 << 5,
    CMD_STALE = 1 << 6,
    CMD_FAST = 1 << 7,
    CMD_NO_AUTH = 1 << 8,
    CMD_BLOCKING = 1 << 9,
    CMD_PUBSUB = 1 << 10,
};

struct command {
    const char *name;           /* lower case, "client|id" for subcommands */
    cmd_fn *fn;                 /* NULL for containers */
    const struct cmdmeta *meta;
    int arity;
    uint32_t flags;
    struct command **subs;      /* NULL-terminated, containers only */
    int nsubs;
    struct command *parent;
    int idx;                    /* position in the table (statistics) */
};

/* Per-command statistics, kept per worker thread and summed on demand. */
struct cmdstat { uint64_t calls, usec, rejected, failed; };
void command_stats(const struct command *cmd, struct cmdstat *out);

void commands_init(void);
/* Looks up a command by name (any case); NULL if unknown. */
struct command *command_lookup(const char *name, size_t len);
struct command *command_lookup_sub(struct command *parent, const char *name, size_t len);
/* Runs the command in c->argc/argv: lookup, arity, auth checks, call. */
void command_dispatch(client *c);
/* Runs cmd for c without the dispatcher's checks (EXEC's queue: they ran
 * when the command was queued); keeps the statistics. */
void command_call(client *c, struct command *cmd);
/* Recovery: runs a WREC_CMD record's command (u32 argc | argc x (u32 len |
 * bytes)) on database db with a client of its own, logging nothing and
 * expiring nothing.  False if the record is malformed, names no command,
 * or the command fails (the log and the state disagree). */
bool command_replay(int db, const char *p, size_t n);
/* Frees what command_replay kept for the calling thread (end of recovery). */
void command_replay_end(void);
/* Iterate the table (for INFO commandstats, COMMAND) */
int commands_count(void);
struct command *command_at(int i);
void commands_reset_stats(void);

/* A command name bound to its handler.  The core families are listed in
 * commands.c; each data-type family exports its own table, ending with
 * {NULL, NULL}, from its file. */
struct binding { const char *name; cmd_fn *fn; };
extern const struct binding hash_bindings[], list_bindings[], set_bindings[],
    zset_bindings[], bitmap_bindings[], sort_bindings[], multi_bindings[],
    pubsub_bindings[], blocking_bindings[];

/* Handlers, one family per file */
#define CMD(name) void name(client *c)
/* cmd_string.c */
CMD(cmd_get); CMD(cmd_set); CMD(cmd_setnx); CMD(cmd_setex); CMD(cmd_psetex);
CMD(cmd_getset); CMD(cmd_getdel); CMD(cmd_getex); CMD(cmd_mget); CMD(cmd_mset);
CMD(cmd_msetnx); CMD(cmd_append); CMD(cmd_strlen); CMD(cmd_getrange);
CMD(cmd_setrange); CMD(cmd_substr); CMD(cmd_incr); CMD(cmd_decr); CMD(cmd_incrby);
CMD(cmd_decrby); CMD(cmd_incrbyfloat);
/* cmd_keyspace.c */
CMD(cmd_del); CMD(cmd_unlink); CMD(cmd_exists); CMD(cmd_type); CMD(cmd_keys);
CMD(cmd_scan); CMD(cmd_randomkey); CMD(cmd_rename); CMD(cmd_renamenx); CMD(cmd_copy);
CMD(cmd_move); CMD(cmd_expire); CMD(cmd_pexpire); CMD(cmd_expireat); CMD(cmd_pexpireat);
CMD(cmd_ttl); CMD(cmd_pttl); CMD(cmd_expiretime); CMD(cmd_pexpiretime); CMD(cmd_persist);
CMD(cmd_touch); CMD(cmd_dbsize); CMD(cmd_flushdb); CMD(cmd_flushall); CMD(cmd_swapdb);
CMD(cmd_object_encoding); CMD(cmd_object_idletime); CMD(cmd_object_freq);
CMD(cmd_object_refcount); CMD(cmd_object_help);
/* cmd_conn.c */
CMD(cmd_ping); CMD(cmd_echo); CMD(cmd_quit); CMD(cmd_hello); CMD(cmd_auth);
CMD(cmd_select); CMD(cmd_reset);
CMD(cmd_client_id); CMD(cmd_client_setname); CMD(cmd_client_getname);
CMD(cmd_client_list); CMD(cmd_client_info); CMD(cmd_client_kill);
CMD(cmd_client_setinfo); CMD(cmd_client_no_evict); CMD(cmd_client_help); CMD(cmd_client_unblock);
/* cmd_server.c */
CMD(cmd_command); CMD(cmd_command_count); CMD(cmd_command_info); CMD(cmd_command_docs);
CMD(cmd_command_list); CMD(cmd_command_getkeys); CMD(cmd_command_getkeysandflags);
CMD(cmd_command_help);
CMD(cmd_info); CMD(cmd_time); CMD(cmd_shutdown); CMD(cmd_lastsave);
CMD(cmd_memory_usage); CMD(cmd_memory_help);
CMD(cmd_slowlog_get); CMD(cmd_slowlog_len); CMD(cmd_slowlog_reset); CMD(cmd_slowlog_help);
/* cmd_persist.c */
CMD(cmd_save); CMD(cmd_bgsave); CMD(cmd_bgrewriteaof); CMD(cmd_waitaof);
/* config.c */
CMD(cmd_config_get); CMD(cmd_config_set); CMD(cmd_config_resetstat);
CMD(cmd_config_rewrite); CMD(cmd_config_help);
#undef CMD

/* cmd_server.c: records a command slower than slowlog-log-slower-than */
void slowlog_record(client *c, int64_t duration_us);

/* Shared argument helpers (commands.c) */
/* Parses an integer argument; on failure replies the Redis error text
 * (msg or "value is not an integer or out of range") and returns false. */
bool arg_ll(client *c, const hf_arg *a, long long *out, const char *msg);
/* Parses a database index and checks the range; replies on failure. */
bool arg_db(client *c, const hf_arg *a, int *db);
/* Case-insensitive option match */
bool arg_is(const hf_arg *a, const char *lit);
/* The same, as Redis compares its NUL-terminated argv: the argument counts
 * up to its first NUL byte ("xx\0junk" is the option XX). */
bool arg_opt(const hf_arg *a, const char *lit);
/* A SCAN-family cursor as Redis 7.0's parseScanCursorOrReply (strtoul): up
 * to the first NUL, no leading space, optional sign (negative wraps modulo
 * 2^64), digits only, no overflow; "" is 0.  False if invalid (no reply). */
bool arg_cursor(const hf_arg *a, uint64_t *out);
/* Replies WRONGTYPE and returns true if e exists and is not of type. */
struct kentry;
bool reply_wrongtype_if(client *c, int type, const struct kentry *e);
/* Replies with a HELP text: lines after the "<CMD> <subcommand> ..." line */
void reply_help(client *c, const char *cmdname, const char *const *lines);
/* Replies "ERR unknown subcommand '%s'. Try CMD HELP." */
void reply_unknown_sub(client *c);
/* Replies "ERR unknown subcommand or wrong number of arguments for '%s'. Try CMD HELP." */
void reply_unknown_sub_or_arity(client *c);

#endif
