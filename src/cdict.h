/* cdict.h — the hash table inside large collections.
 *
 * Hashes (field -> value), sets (member) and sorted sets (member -> score)
 * past their compact-encoding thresholds keep their elements here: chained
 * buckets, a power-of-two table, keys hashed with hf_hash() (SipHash keyed
 * at start-up), incremental rehashing in small steps on every operation
 * (as the keyspace's dict.c does) so that no single command pays for a
 * whole rehash.  OBJECT ENCODING calls this "hashtable".
 *
 * An entry holds its key bytes inline, and either a byte-string value
 * (hashes; stored inline with the key) or a double (sorted sets).  Entry
 * addresses are stable except across cd_set_val(), which may move it. */
#ifndef HF_CDICT_H
#define HF_CDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cdict cdict;
typedef struct cdentry cdentry;

cdict *cd_new(void);
void cd_free(cdict *d);
cdict *cd_dup(const cdict *d);          /* keys, values and scores */
size_t cd_size(const cdict *d);
size_t cd_mem(const cdict *d);          /* bytes allocated (MEMORY USAGE) */

cdentry *cd_find(cdict *d, const char *k, size_t n);
/* Adds k if it is missing (value empty, score 0); *added tells which.
 * Returns the entry either way. */
cdentry *cd_add(cdict *d, const char *k, size_t n, bool *added);
/* Removes k; false if it was not there. */
bool cd_delete(cdict *d, const char *k, size_t n);

const char *cd_key(const cdentry *e, size_t *n);
const char *cd_val(const cdentry *e, size_t *n);
/* Sets a hash value; may move the entry: *e is updated (other entries and
 * the dict's layout do not change, and no rehash step runs). */
void cd_set_val(cdict *d, cdentry **e, const char *v, size_t n);
/* An entry holds a value or a score, never both (they share storage):
 * a dict backs hashes, or sorted sets, not both.  cd_set_score() makes
 * cd_val() empty; cd_set_val() makes the score meaningless. */
double cd_score(const cdentry *e);
void cd_set_score(cdentry *e, double s);

/* Pre-sizes the table for n elements (e.g. when converting from a
 * listpack); no-op while rehashing or if already large enough. */
void cd_expand(cdict *d, size_t n);
/* Does up to n bucket moves of a pending rehash (none while an iterator or
 * scan is live); returns true if more remain.  For tests and crons. */
bool cd_rehash(cdict *d, int n);
size_t cd_buckets(const cdict *d);      /* buckets in both tables */

/* Iteration in table order; the dict must not change meanwhile (no
 * rehash step runs while an iterator is live), except that the entry just
 * returned may be given a new value (cd_set_val) or score, or deleted.
 * cd_iter_done() must be called exactly once per cd_iter_init(). */
typedef struct cditer { cdict *d; int table; size_t bucket; cdentry *next; } cditer;
void cd_iter_init(cditer *it, cdict *d);
cdentry *cd_iter_next(cditer *it);
void cd_iter_done(cditer *it);

/* SCAN semantics (reverse-binary cursor: every element present for the
 * whole scan is returned at least once, even across a resize).  Calls fn
 * for the entries of one bucket or a few (fn must not change the dict);
 * returns the next cursor, 0 when done. */
typedef void cd_scan_fn(void *arg, const cdentry *e);
uint64_t cd_scan(cdict *d, uint64_t cursor, cd_scan_fn *fn, void *arg);

/* A random entry (NULL if empty); close to uniform, as Redis's
 * dictGetFairRandomKey. */
cdentry *cd_random(cdict *d);

#endif
