/* dict.h — the keyspace hash table: chained buckets, power-of-two sizes,
 * incremental rehash between two tables (as Redis's dict).  Entries carry
 * the key inline; the value is an hobj owned by the entry.
 *
 * Not thread safe: the owner (a shard) serialises access with its lock. */
#ifndef HF_DICT_H
#define HF_DICT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "object.h"

typedef struct kentry {
    struct kentry *next;
    hobj *val;
    int64_t expire;          /* absolute unix ms; 0 = no expiry */
    uint32_t klen;
    char key[];
} kentry;

typedef struct kdict {
    kentry **t[2];
    uint64_t size[2];        /* buckets; 0 = table absent */
    uint64_t used[2];
    int64_t rehashidx;       /* -1 = not rehashing */
    uint64_t volatile_keys;  /* entries with expire != 0 */
    int pause_rehash;        /* > 0 while an unsafe iteration runs */
} kdict;

kdict *kd_new(void);
/* Frees the table and every entry (and its value). */
void kd_free(kdict *d);
/* Removes every entry, keeps the table object. */
void kd_clear(kdict *d);
static inline uint64_t kd_size(const kdict *d) { return d->used[0] + d->used[1]; }

/* Returns the entry for key, or NULL.  Does one rehash step. */
kentry *kd_find(kdict *d, const char *key, size_t klen, uint64_t hash);
/* Inserts a new entry (key must not be present); the dict owns val. */
kentry *kd_add(kdict *d, const char *key, size_t klen, uint64_t hash, hobj *val);
/* Unlinks and frees the entry for key; returns true if it existed. */
bool kd_delete(kdict *d, const char *key, size_t klen, uint64_t hash);
/* Unlinks the entry without freeing it (caller frees with kd_free_entry). */
kentry *kd_unlink(kdict *d, const char *key, size_t klen, uint64_t hash);
void kd_free_entry(kentry *e);
void kd_set_expire(kdict *d, kentry *e, int64_t when);

/* Scan with a reverse-binary cursor (every entry present for the whole scan
 * is returned at least once, even across rehashes).  Returns next cursor. */
typedef void kd_scan_fn(void *arg, kentry *e);
uint64_t kd_scan(kdict *d, uint64_t cursor, kd_scan_fn *fn, void *arg);
/* Number of buckets visited so far is bounded by the caller via cursor. */

/* A random entry, or NULL if empty. */
kentry *kd_random(kdict *d);
/* Does up to n bucket moves of an incremental rehash; returns true if more
 * remain.  Also shrinks a sparse table. */
bool kd_rehash(kdict *d, int n);
void kd_resize_if_needed(kdict *d);

/* Calls fn for every entry (fn may not modify the dict). */
void kd_foreach(kdict *d, kd_scan_fn *fn, void *arg);
size_t kd_memory(const kdict *d);
uint64_t kd_buckets(const kdict *d);

#endif
