/* keyspace.h — the sharded keyspace.
 *
 * S shards (a power of two); a key lives in shard hash(key) & (S-1), where
 * hash is SipHash-1-2 keyed at start-up.  Each shard has its own lock and,
 * per database, its own table (kdict) holding entries with their expiry.
 *
 * Locking: ks_lock()/ks_unlock() take one shard; ks_lock_refs() takes the
 * shards of several keys in ascending shard order (no deadlock), as does
 * ks_lock_all().  Functions named do_ks_*() expect the key's shard locked. */
#ifndef HF_KEYSPACE_H
#define HF_KEYSPACE_H

#include <pthread.h>
#include <stdint.h>
#include <stdbool.h>
#include "dict.h"
#include "resp.h"

typedef struct shard {
    pthread_mutex_t lock;
    kdict **db;                 /* ndbs tables, created lazily */
    uint32_t id;
    uint64_t *expire_cursor;    /* active expiry: one scan cursor per database */
    uint64_t *db_keys;          /* mirror of table sizes for lock-free reads */
    uint64_t last_lsn;          /* LSN of the last WAL record applied here */
    /* keys WATCHed (multi.c) and waited on by blocked clients (blocking.c),
     * under the shard lock; the counts let writers skip the lookups */
    void *watch;
    uint32_t nwatch;
    void *blocked;
    uint32_t nblocked;
} __attribute__((aligned(64))) shard;

/* A key resolved to its hash and shard. */
typedef struct kref {
    const char *p;
    size_t n;
    uint64_t hash;
    shard *s;
} kref;

void ks_init(uint32_t nshards, int ndbs);
void ks_shutdown(void);
uint32_t ks_nshards(void);
int ks_ndbs(void);
shard *ks_shard(uint32_t idx);

void ks_ref(kref *k, const char *p, size_t n);
static inline void ks_ref_arg(kref *k, const hf_arg *a) { ks_ref(k, a->p, a->n); }

void ks_lock(shard *s);
void ks_unlock(shard *s);
/* Locks the distinct shards of refs[0..n) in ascending order. */
void ks_lock_refs(kref *refs, int n);
void ks_unlock_refs(kref *refs, int n);
void ks_lock_all(void);
void ks_unlock_all(void);

/* Transactions (EXEC): holds the shards of refs (ascending order), or all
 * of them, until ks_hold_end().  Meanwhile the calling thread's ks_lock*
 * and ks_unlock* calls do nothing (the queued commands' handlers still make
 * them; a shard outside the held set is a bug and aborts), and every
 * effect goes into one WAL record that ks_hold_end() commits before it
 * releases the locks. */
void ks_hold_refs(kref *refs, int n);
void ks_hold_all(void);
void ks_hold_end(void);
extern __thread bool ks_holding;
/* True while recovery replays the WAL on this thread: lookups do not
 * expire keys and nothing is logged. */
extern __thread bool ks_replaying;

/* The time used for expiry decisions by the running command (ms). */
extern __thread int64_t ks_now;
/* Highest LSN the running command wrote or read (its reply may leave only
 * once the WAL acknowledges it); the dispatcher resets and collects it. */
extern __thread uint64_t ks_wait_lsn;
/* LSN of the last record the running command wrote (0 = none). */
extern __thread uint64_t ks_write_lsn;

/* Lookups delete a key whose time has passed (lazy expiry) and refresh
 * the value's access clock.  do_ks_lookup counts a keyspace hit or miss;
 * _write does not. */
kentry *do_ks_lookup(kref *k, int db);
kentry *do_ks_lookup_write(kref *k, int db);
/* As Redis's LOOKUP_NOTOUCH (TYPE, TTL, OBJECT): counts the hit or miss,
 * leaves the access clock; a miss raises "keymiss" if notify_miss. */
kentry *do_ks_lookup_notouch(kref *k, int db, bool notify_miss);
/* Adds a key that is known not to exist; the keyspace owns val. */
kentry *do_ks_add(kref *k, int db, hobj *val);
/* The same, logging nothing: for a collection a command creates and then
 * fills, whose changes it logs with ks_log_cmd (replayed, that command
 * creates the key itself). */
kentry *do_ks_add_quiet(kref *k, int db, hobj *val);
/* Logs a change made in place to the value of k (a collection): argv is a
 * command that, run by this server on the key's state before the change,
 * gives the state after it.  Usually the client's own command; commands
 * that are not deterministic or read other keys log what they did instead
 * (SPOP logs SREM of the members it popped, SMOVE an SREM and an SADD). */
void ks_log_cmd(kref *k, int db, int argc, const hf_arg *argv);
/* Tells blocked clients that k may have become non-empty (LPUSH, ZADD...);
 * do_ks_add/do_ks_set call it for lists and sorted sets themselves. */
void ks_signal_ready(kref *k, int db);
/* Sets key to val (replacing any value); keeps or clears the expiry. */
kentry *do_ks_set(kref *k, int db, hobj *val, bool keepttl);
/* The entry's value becomes val (the old one is freed unless it is val: a
 * value edited in place, e.g. by APPEND, is passed back as itself after
 * e->val was updated to the possibly moved pointer). */
void do_ks_replace_value(kref *k, int db, kentry *e, hobj *val);
bool do_ks_delete(kref *k, int db);
void do_ks_set_expire(kref *k, int db, kentry *e, int64_t when_ms);
kdict *do_ks_dict(shard *s, int db);     /* may be NULL if never used */

/* Recovery: applies one WAL record without logging it (taking the shard
 * lock, or every lock for a whole-keyspace record).  A whole-keyspace record (FLUSHALL...)
 * touches only shards whose snapshot LSN, snap_lsn[shard] (NULL = none), is
 * below lsn; the caller filters key records itself.  Returns false for a
 * record that cannot be applied (unknown type, database out of range). */
struct wal_rec;
bool ks_apply_record(const struct wal_rec *r, uint64_t lsn, const uint64_t *snap_lsn);
/* Recovery: replays one record read from the WAL at lsn over a snapshot
 * whose shard LSNs are snap_lsn (NULL = none): a key record only if lsn is
 * above its shard's snapshot LSN, a group member by member.  Returns 1 if
 * something was applied, 0 if the snapshot already had it, -1 if the
 * record cannot be applied. */
int ks_replay_record(const struct wal_rec *r, uint64_t lsn, const uint64_t *snap_lsn);
/* Recovery: sets every shard's last LSN (the LSN recovery reached). */
void ks_set_all_lsn(uint64_t lsn);
/* The shard a key belongs to with S shards (snapshot files, recovery). */
uint32_t ks_shard_for(const char *p, size_t n, uint32_t nshards);

/* Frees the calling thread's effect-staging buffer (at thread exit). */
void ks_thread_exit(void);

/* Whole-keyspace operations (take every shard lock themselves). */
uint64_t ks_dbsize(int db);              /* lock-free, exact when quiet */
uint64_t ks_db_expires(int db);
void ks_flushdb(int db);
void ks_flushall(void);
void ks_swapdb(int a, int b);

/* One SCAN step: cursor encodes (table cursor, shard).  Calls fn for each
 * entry visited; stops once *count entries were emitted or the scan ends.
 * Returns the next cursor (0 = done). */
typedef void ks_scan_fn(void *arg, shard *s, kentry *e);
uint64_t ks_scan(int db, uint64_t cursor, long count, ks_scan_fn *fn, void *arg);

/* Active expiry: examine the shards [first, first + n) (mod S) with a time
 * budget; returns keys expired. */
uint64_t ks_active_expire(uint32_t first, uint32_t n, int64_t budget_us);
/* Rehash step for idle tables in the same range. */
void ks_cron_rehash(uint32_t first, uint32_t n);

/* Statistics counted by keyspace operations, per thread (see stats.h). */

#endif
