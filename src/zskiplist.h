/* zskiplist.h — the ordered half of a large sorted set.
 *
 * A skiplist (Pugh, "Skip Lists: A Probabilistic Alternative to Balanced
 * Trees") ordered by (score, member), as Redis keeps its sorted sets past
 * the listpack thresholds: duplicate scores are allowed and ties are broken
 * by comparing the member bytes; every forward link records its span (how
 * many elements it skips) so that rank lookups and rank ranges cost
 * O(log n); level 0 is doubly linked (backward) for reverse walks.
 *
 * A node does not own its member bytes: it points at them (zset.c points
 * into the hash table entry that maps the member to its score, whose
 * address is stable), so a member is stored once.  The caller must delete
 * a member from the skiplist before freeing those bytes.
 *
 * Ranks are 1-based here (rank 1 = lowest element), as the span arithmetic
 * makes natural; zset.c converts to Redis's 0-based ranks.
 *
 * The range helpers (score ranges "(1 5", lex ranges "[a +") are shared
 * with the listpack code of zset.c, which must agree with them exactly. */
#ifndef HF_ZSKIPLIST_H
#define HF_ZSKIPLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ZSL_MAXLEVEL 32     /* enough for 2^64 elements with p = 1/4 */

typedef struct zsl_node {
    const char *ele;        /* member bytes, owned by the caller */
    double score;
    struct zsl_node *backward;
    uint32_t len;
    struct zsl_level {
        struct zsl_node *forward;
        unsigned long span;
    } level[];
} zsl_node;

typedef struct zskiplist {
    zsl_node *header;       /* sentinel with ZSL_MAXLEVEL levels, no element */
    zsl_node *tail;
    unsigned long length;
    int level;              /* levels in use (>= 1) */
    size_t mem;             /* bytes allocated for nodes and header */
} zskiplist;

/* ---- ordering and ranges (shared with the listpack encoding) ---- */

/* Member order: bytes compared as unsigned, a prefix sorts first (sdscmp). */
static inline int zsl_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t m = an < bn ? an : bn;
    int c = m ? memcmp(a, b, m) : 0;
    if (c) return c;
    return an < bn ? -1 : an > bn;
}

/* A score interval; minex/maxex make an end exclusive ("(1.5"). */
typedef struct zscore_range {
    double min, max;
    bool minex, maxex;
} zscore_range;

static inline bool zscore_gte_min(double v, const zscore_range *r)
{
    return r->minex ? v > r->min : v >= r->min;
}

static inline bool zscore_lte_max(double v, const zscore_range *r)
{
    return r->maxex ? v < r->max : v <= r->max;
}

/* True for ranges that can hold nothing whatever the set holds. */
static inline bool zscore_range_empty(const zscore_range *r)
{
    return r->min > r->max || (r->min == r->max && (r->minex || r->maxex));
}

/* A lex bound: a byte string ("[a", "(a": ex), or "-" (inf < 0, below
 * every string) or "+" (inf > 0, above every string); "-" and "+" count as
 * exclusive, as in Redis. */
typedef struct zlex_bound {
    const char *p;
    size_t n;
    int inf;
    bool ex;
} zlex_bound;

typedef struct zlex_range {
    zlex_bound min, max;
} zlex_range;

/* A member compared with a bound (Redis's sdscmplex with the shared
 * minstring/maxstring sentinels). */
static inline int zlex_cmp(const char *p, size_t n, const zlex_bound *b)
{
    if (b->inf) return b->inf < 0 ? 1 : -1;
    return zsl_cmp(p, n, b->p, b->n);
}

static inline bool zlex_gte_min(const char *p, size_t n, const zlex_range *r)
{
    int c = zlex_cmp(p, n, &r->min);
    return r->min.ex ? c > 0 : c >= 0;
}

static inline bool zlex_lte_max(const char *p, size_t n, const zlex_range *r)
{
    int c = zlex_cmp(p, n, &r->max);
    return r->max.ex ? c < 0 : c <= 0;
}

/* True when min > max, or min == max with an exclusive end: nothing can be
 * in the range. */
static inline bool zlex_range_empty(const zlex_range *r)
{
    const zlex_bound *a = &r->min, *b = &r->max;
    int c;
    if (a->inf && a->inf == b->inf) c = 0;
    else if (a->inf < 0 || b->inf > 0) c = -1;
    else if (a->inf > 0 || b->inf < 0) c = 1;
    else c = zsl_cmp(a->p, a->n, b->p, b->n);
    return c > 0 || (c == 0 && (a->ex || b->ex));
}

/* ---- the skiplist ---- */

void zsl_init(zskiplist *zsl);
/* Frees every node and the header (not the member bytes). */
void zsl_release(zskiplist *zsl);

/* Inserts (score, member), which must not be present; returns the node. */
zsl_node *zsl_insert(zskiplist *zsl, double score, const char *ele, size_t len);
/* Removes (score, member); false if it is not there. */
bool zsl_delete(zskiplist *zsl, double score, const char *ele, size_t len);
/* Moves the element (cur, member), which must be present, to newscore;
 * stays in place when the order allows.  Returns its node (possibly new). */
zsl_node *zsl_update_score(zskiplist *zsl, double cur, const char *ele, size_t len, double newscore);

/* 1-based rank of (score, member); 0 if absent. */
unsigned long zsl_rank(const zskiplist *zsl, double score, const char *ele, size_t len);
/* The node at 1-based rank, NULL if out of range. */
zsl_node *zsl_by_rank(const zskiplist *zsl, unsigned long rank);

/* First / last node in a score or lex range (NULL if none); *rank gets
 * its 1-based rank. */
zsl_node *zsl_first_in_score(const zskiplist *zsl, const zscore_range *r, unsigned long *rank);
zsl_node *zsl_last_in_score(const zskiplist *zsl, const zscore_range *r, unsigned long *rank);
zsl_node *zsl_first_in_lex(const zskiplist *zsl, const zlex_range *r, unsigned long *rank);
zsl_node *zsl_last_in_lex(const zskiplist *zsl, const zlex_range *r, unsigned long *rank);

/* Deletes the nodes with 1-based ranks start..end (inclusive, clamped to
 * the length), calling fn (if set) on each node after unlinking it and
 * before freeing it (to drop the member from the hash table).  Returns the
 * number deleted. */
typedef void zsl_node_fn(void *arg, zsl_node *n);
unsigned long zsl_delete_ranks(zskiplist *zsl, unsigned long start, unsigned long end,
                               zsl_node_fn *fn, void *arg);

/* Checks the invariants (order, spans, backward links, length); for tests.
 * Returns false at the first violation. */
bool zsl_check(const zskiplist *zsl);

#endif
