/* blocking.h — clients waiting in BLPOP & co. (blocking.c).
 *
 * A blocking command whose keys are all empty registers the client on each
 * key (per shard: shard.blocked, under the shard lock) and stops its
 * input (CLIENT_BLOCKED).  A write that gives a waited-on key elements
 * calls block_key_ready() (the keyspace does it for values it adds; push
 * commands call ks_signal_ready()); when the writer releases its locks,
 * the keyspace calls block_serve_ready() with them still held, which serves
 * the waiters in arrival order and stages their effects into the same WAL
 * record, then block_after_commit(lsn) hands each served client its reply
 * on its own worker (net.h: client_post), released once lsn is durable. */
#ifndef HF_BLOCKING_H
#define HF_BLOCKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "client.h"

struct shard;

/* Keyspace hooks (with the key's shard locked; only when s->nblocked > 0). */
void block_key_ready(struct shard *s, int db, const char *key, size_t n);
/* Whether the calling thread has ready keys to serve. */
extern __thread int block_nready;
/* Called by ks_unlock* (locks still held) when block_nready > 0. */
void block_serve_ready(void);
/* Called by ks_unlock* after the commit with its LSN (0 = none). */
void block_after_commit(uint64_t lsn);

/* SWAPDB (every shard locked): keys waited on in databases a and b that
 * now hold a list or sorted set become ready, as Redis's
 * scanDatabaseForReadyKeys() after swapping. */
void block_swapdb(int a, int b);

/* Connection closing (net.c) or RESET: stop waiting. */
void block_client_free(client *c);

/* CLIENT UNBLOCK id [TIMEOUT|ERROR] (any thread; w, id: the target and its
 * worker, found under clients_lock()): the owner ends the wait as a timeout
 * would, or with "-UNBLOCKED client unblocked via CLIENT UNBLOCK", unless a
 * writer served it first.  The caller replies :1 if the target was
 * CLIENT_BLOCKED, as Redis does. */
struct worker;
void block_unblock_async(struct worker *w, uint64_t id, bool error);

/* Clients blocked right now (INFO blocked_clients); relaxed. */
long block_blocked_clients(void);

#endif
