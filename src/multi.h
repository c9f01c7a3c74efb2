/* multi.h — MULTI/EXEC/DISCARD/WATCH/UNWATCH (multi.c).
 *
 * Transactions run their queued commands with every shard they touch
 * locked (keyspace.h: ks_hold_*) and commit their effects as one WAL
 * record, so that no client sees half an EXEC and recovery applies it
 * whole or not at all.  WATCH registers keys per shard (shard.watch);
 * the keyspace calls multi_touch_* for every change it makes. */
#ifndef HF_MULTI_H
#define HF_MULTI_H

#include <stdbool.h>
#include <stddef.h>
#include "client.h"

struct command;
struct shard;

/* Dispatcher hooks: while c is in MULTI, queues cmd (replying +QUEUED) and
 * returns true, unless cmd is one that runs at once (EXEC, DISCARD, MULTI,
 * WATCH, QUIT, RESET); a command Redis refuses in a transaction (no_multi:
 * SAVE, SHUTDOWN) or any command while used memory is over maxmemory is
 * rejected here (error reply, transaction flagged) and true returned.
 * multi_flag_error marks the transaction failed (EXECABORT) after a
 * command was rejected while queuing. */
bool multi_intercept(client *c, struct command *cmd);
void multi_flag_error(client *c);
/* The dispatcher rejected EXEC itself (arity, NOAUTH, LOADING, RESP2
 * subscribed context...): as Redis's execCommandAbort, any transaction is
 * discarded and the reply is "-EXECABORT Transaction discarded because
 * of: <err>", in or out of MULTI (err is the rejection's text; a leading
 * "ERR " is dropped as Redis does). */
void multi_exec_abort(client *c, const char *err);
/* Connection closing (net.c) or RESET: forget the queue and the WATCHes,
 * leave MULTI.  Does nothing if c has no multi state. */
void multi_client_free(client *c);

/* Keyspace hooks, with the shard lock held: a watched key changed, or is
 * being deleted because it expired (then it may still be in the table).
 * Call only when s->nwatch > 0. */
void multi_touch_key(struct shard *s, int db, const char *key, size_t n);
/* With every shard locked, BEFORE the tables change: FLUSHDB of db (or
 * FLUSHALL: db = -1) and SWAPDB a b.  They touch only the watched keys
 * that exist in a flushed or swapped table, as Redis 7.0's
 * touchAllWatchedKeysInDb. */
void multi_touch_flush(int db);
void multi_touch_swap(int a, int b);

#endif
