/* multi.h — MULTI/EXEC/DISCARD/WATCH/UNWATCH (multi.c).
 *
 * Transactions run their queued commands with every shard they touch
 * locked (keyspace.h: ks_hold_*) and commit their effects as one WAL
 * record, so that no client sees half an EXEC and recovery applies it
 * whole or not at all.  WATCH registers keys per shard (shard.watch);
 * the keyspace calls multi_touch_* for every change it logs. */
#ifndef HF_MULTI_H
#define HF_MULTI_H

#include <stdbool.h>
#include <stddef.h>
#include "client.h"

struct command;
struct shard;

/* Dispatcher hooks: while c is in MULTI, queues cmd (replying +QUEUED) and
 * returns true, unless cmd is one that runs at once (EXEC, DISCARD, MULTI,
 * WATCH, QUIT, RESET).  multi_flag_error marks the transaction failed
 * (EXECABORT) after a command was rejected while queuing. */
bool multi_intercept(client *c, struct command *cmd);
void multi_flag_error(client *c);
/* Connection closing (net.c) or RESET: forget the queue and the WATCHes. */
void multi_client_free(client *c);

/* Keyspace hooks, with the shard lock held: a watched key changed (or
 * expired); every key of a database (FLUSHDB, SWAPDB) or of every database
 * (FLUSHALL) changed.  Call only when s->nwatch > 0 (the _db/_all forms
 * check themselves). */
void multi_touch_key(struct shard *s, int db, const char *key, size_t n);
void multi_touch_db(int db);
void multi_touch_all(void);

#endif
