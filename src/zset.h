/* zset.h — the sorted set value (zset.c): its two encodings and the
 * operations the commands of t_zset.c are written with.
 *
 * Encodings, as Redis 7.0 keeps them (OBJECT ENCODING names them):
 *  - listpack: the elements in (score, member) order in one block, while
 *    the set has at most zset-max-listpack-entries members and every
 *    member is at most zset-max-listpack-value bytes;
 *  - skiplist: a cdict (member -> score) plus a zskiplist ordered by
 *    (score, member).
 * A set converts to the skiplist when an insertion would break a listpack
 * threshold, and never back, except where Redis converts back (stored
 * results, values loaded from a snapshot).
 *
 * Ranks are 0-based here.  Functions taking an hobj expect a zset; none
 * takes a lock (callers hold the key's shard lock). */
#ifndef HF_ZSET_H
#define HF_ZSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "object.h"
#include "util.h"
#include "zskiplist.h"

/* ---- single elements ---- */

/* ZADD flags in (options) and out (what happened), as Redis's zsetAdd. */
enum { ZIN_INCR = 1, ZIN_NX = 2, ZIN_XX = 4, ZIN_GT = 8, ZIN_LT = 16 };
enum { ZOUT_NOP = 1, ZOUT_NAN = 2, ZOUT_ADDED = 4, ZOUT_UPDATED = 8 };

size_t zs_len(const hobj *o);
/* A new empty set with the encoding Redis 7.0's ZADD gives a key it
 * creates, whose first member is first_len bytes long. */
hobj *zs_create(size_t first_len);
/* A new empty set with the given encoding (ENC_LISTPACK, ENC_SKIPLIST). */
hobj *zs_new_enc(int enc);
/* Converts a listpack set to a skiplist in place (the header stays); a
 * skiplist is left alone. */
void zs_to_skiplist(hobj *o);
/* The member's score; false if absent. */
bool zs_score(hobj *o, const char *m, size_t n, double *score);
/* Adds or updates a member as Redis's zsetAdd: in = ZIN_* options, *out =
 * ZOUT_* outcome, *newscore (if set) = the member's score afterwards
 * (unless NOP).  Returns false (with ZOUT_NAN) when the score or an
 * increment's result is NaN.  Converts to the skiplist when needed. */
bool zs_add(hobj *o, double score, const char *m, size_t n, int in, int *out, double *newscore);
/* Removes a member; false if absent. */
bool zs_del(hobj *o, const char *m, size_t n);
/* Rank of a member (from the top when rev); -1 if absent. */
long zs_rank(hobj *o, const char *m, size_t n, bool rev);
/* Deletes the elements with ranks [start, start + count). */
void zs_delete_ranks(hobj *o, size_t start, size_t count);

/* ---- cursors: a position in either encoding, walked in score order ---- */

typedef struct zcur {
    const hobj *o;
    uint32_t pos;           /* listpack: the element's entry */
    zsl_node *node;         /* skiplist */
} zcur;

/* An element read through a cursor: m is valid while the set is unchanged
 * and the zlelem lives (it may point into scratch). */
typedef struct zlelem {
    const char *m;
    size_t n;
    double score;
    char scratch[24];
} zlelem;

/* Places c at rank r (invalid if out of range). */
void zc_at(zcur *c, const hobj *o, long r);
/* Places c on a uniformly chosen element of a non-empty set. */
void zc_random(zcur *c, const hobj *o);
bool zc_valid(const zcur *c);
void zc_next(zcur *c);
void zc_prev(zcur *c);
static inline void zc_step(zcur *c, bool rev)
{
    if (rev) zc_prev(c);
    else zc_next(c);
}
void zc_get(const zcur *c, zlelem *el);

/* ---- ranges: by score or by member (lex) ---- */

typedef struct zspec {
    bool lex;
    zscore_range s;
    zlex_range x;
} zspec;

bool zspec_gte_min(const zspec *sp, const zcur *c);
bool zspec_lte_max(const zspec *sp, const zcur *c);
/* Finds the first (or, with last, the last) element in the range: sets the
 * cursor and its rank; false if the range holds nothing. */
bool zs_range_edge(const hobj *o, const zspec *sp, bool last, zcur *c, unsigned long *rank);
/* Elements from the cursor on while they stay at or below the range's
 * max (how Redis counts and deletes ranges in a listpack). */
size_t zs_count_run(zcur c, const zspec *sp);

/* ---- ZSCAN ---- */

/* Called for each element a scan step visits, with the score as ZSCAN
 * shows it (Redis's listpack text, or "%.17g" for a skiplist). */
typedef void zs_scan_fn(void *arg, const char *m, size_t n, const char *score, size_t sn);
/* One ZSCAN step from cursor: a listpack is visited whole (returns 0); a
 * skiplist's table until about count elements were visited (at most
 * count * 10 bucket steps).  Returns the next cursor. */
uint64_t zs_scan(const hobj *o, uint64_t cursor, long long count, zs_scan_fn *fn, void *arg);

/* ---- collected elements (store commands, set operations) ---- */

/* Member bytes copied into an arena, referenced by offset while it grows. */
typedef struct zitem {
    size_t off;
    size_t n;
    double score;
} zitem;

typedef struct zcoll {
    hf_buf arena;
    zitem *v;
    size_t n, cap;
    size_t maxlen, totlen;      /* longest member, all member bytes */
} zcoll;

void zcoll_add(zcoll *c, const char *m, size_t n, double score);
void zcoll_free(zcoll *c);
static inline const char *zcoll_member(const zcoll *c, size_t i)
{
    return c->arena.p ? c->arena.p + c->v[i].off : "";
}
/* Sorts into (score, member) order. */
void zcoll_sort(zcoll *c);
/* A new set from distinct elements in (score, member) order, with the
 * encoding Redis's zsetConvertToListpackIfNeeded gives a stored result. */
hobj *zs_from_sorted(const zcoll *c);

#endif
