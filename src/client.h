/* client.h — one client connection.
 *
 * A client is owned by one worker thread for its whole life: only that
 * thread reads its socket, runs its commands and writes its replies.  Other
 * threads (CLIENT LIST/KILL) read the few fields marked "shared" with
 * atomic loads or under the registry lock (see net.c). */
#ifndef HF_CLIENT_H
#define HF_CLIENT_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "resp.h"

struct worker;
struct event;
struct command;

enum {
    CLIENT_CLOSE_AFTER_REPLY = 1 << 0,
    CLIENT_CLOSE_ASAP = 1 << 1,      /* in close_asap, not flags */
    CLIENT_UNIX = 1 << 2,
    CLIENT_NO_EVICT = 1 << 3,
    CLIENT_PROTECTED = 1 << 4,
    CLIENT_WRITE_WAIT = 1 << 5,      /* write event armed (owner only) */
    CLIENT_READ_PAUSED = 1 << 6,     /* read event removed (owner only) */
    CLIENT_MULTI = 1 << 7,           /* between MULTI and EXEC/DISCARD */
    CLIENT_IN_EXEC = 1 << 8,         /* running EXEC's queued commands */
    CLIENT_BLOCKED = 1 << 9,         /* waiting in a blocking command: no
                                      * further input is processed */
    CLIENT_MONITOR = 1 << 10,
    CLIENT_REPLAY = 1 << 11,         /* recovery's client replaying the WAL */
};

typedef struct client {
    uint64_t id;
    int fd;
    struct worker *w;
    struct event *rev, *wev;
    resp_parser *rp;
    /* output buffer: bytes [osent, olen) are waiting for the socket */
    char *obuf;
    size_t olen, ocap, osent;
    int db;                  /* shared (relaxed) */
    int resp;                /* 2 or 3 */
    bool authed;
    unsigned flags;          /* written by the owner only */
    int close_asap;          /* shared (atomic): set by CLIENT KILL, timeouts */
    char *name;              /* shared: under the registry lock */
    char *lib_name, *lib_ver;/* shared: under the registry lock */
    char addr[64], laddr[64];
    int64_t ctime_ms;
    int64_t last_ms;         /* shared (relaxed) */
    const struct command *lastcmd; /* shared (relaxed) */
    int argc;                /* current command */
    hf_arg *argv;
    uint64_t tot_cmds;
    /* durability: replies in obuf may leave only once the WAL acknowledges
     * wait_lsn; until then the client is parked on its worker */
    uint64_t wait_lsn;
    uint64_t wait_durable;   /* WAITAOF: wait for fsync whatever appendfsync */
    uint64_t last_write_lsn; /* last record this client's commands wrote */
    struct client *park_prev, *park_next;
    bool parked;
    struct client *prev, *next;     /* registry (net.c) */
    struct client *id_next;         /* the worker's id table (net.c) */
    /* state kept by other modules, NULL when unused */
    struct multi_state *mstate;     /* multi.c: MULTI queue, WATCHed keys */
    struct block_state *bstate;     /* blocking.c: keys waited on */
    struct pubsub_state *pstate;    /* pubsub.c: subscriptions */
    int nsubs;                      /* channels + patterns subscribed
                                     * (shared, relaxed: CLIENT LIST) */
    int npsubs;                     /* of which patterns (shared, relaxed) */
    int mqueued;                    /* commands queued in MULTI (shared, relaxed) */
} client;

#endif
