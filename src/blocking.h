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

/* Connection closing (net.c) or RESET: stop waiting. */
void block_client_free(client *c);

#endif
