/* zset.c — the sorted set value: see zset.h.
 *
 * Listpack: one entry per element (the layout is described with the code
 * below); every lookup is a linear scan, which is what the size limit is
 * for.  Skiplist: the cdict owns the member bytes and maps them to their
 * scores; the zskiplist's nodes point at those bytes (cdict entries do
 * not move), so a member is stored once, and deleting a member takes it
 * out of the skiplist first, then out of the dict.
 *
 * Where Redis's behaviour differs between its encodings (lex ranges over
 * members of different scores, which Redis leaves undefined), each
 * encoding here does what Redis's does for it.  Conversions happen in
 * zs_add (to the skiplist), zs_from_sorted and zset_deserialize (sized by
 * the thresholds), as in Redis 7.0. */
#include "config.h"
#include "cdict.h"
#include "conf.h"
#include "listpack.h"
#include "types.h"
#include "zset.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest listpack a zset may grow to (Redis's LISTPACK_MAX_SAFETY_SIZE). */
#define LP_SAFETY_SIZE (1UL << 30)
/* Room for any score text: "%.17g" needs at most 24 bytes. */
#define SCORE_STR_MAX 32

/* The skiplist encoding's structure. */
typedef struct zset {
    cdict *d;           /* member -> score; owns the member bytes */
    zskiplist zsl;      /* (score, member) order; points into d's keys */
} zset;

/* ------------------------------------------------------------------------
 * Score text
 * ---------------------------------------------------------------------- */

/* The text Redis 7.0's listpack holds for a score (its d2string): integral
 * values within +-LLONG_MAX/2 in decimal (the listpack then stores them
 * as integers, and -0 becomes 0), infinities "inf"/"-inf", the rest
 * "%.17g" (which strtod turns back into the same double).  ZSCAN of a
 * listpack returns this text.  buf >= SCORE_STR_MAX. */
static int score_lp_str(char *buf, double d)
{
    if (isinf(d)) {
        memcpy(buf, d > 0 ? "inf" : "-inf", d > 0 ? 4 : 5);
        return d > 0 ? 3 : 4;
    }
    if (d >= -(double)(LLONG_MAX / 2) && d <= (double)(LLONG_MAX / 2)) {
        long long v = (long long)d;
        if ((double)v == d) return hf_ll2str(buf, v);
    }
    return snprintf(buf, SCORE_STR_MAX, "%.17g", d);
}

/* ------------------------------------------------------------------------
 * The listpack encoding
 *
 * One listpack entry per element (Redis uses two, member then score): the
 * member's bytes, then the score, then a tag byte saying how the score is
 * stored:
 *   0x00..0x7f   the score is the tag itself (integers 0..127, the common
 *                case: nothing else is stored)
 *   0x80 + k     (k = 1..8) an integer in the k bytes before the tag,
 *                little-endian two's complement
 *   0xff         an IEEE 754 double in the 8 bytes before the tag
 * Integral scores within +-LLONG_MAX/2 are stored as integers (-0 as 0),
 * exactly the values Redis's listpack keeps as integers, so a score read
 * back is the double Redis would read back.  An element with a 5-byte
 * member and a small score costs 8 bytes instead of Redis's 9, which keeps
 * a 10-element set within a 96-byte allocation.  The entry is a byte
 * string to the listpack (which may store it as an integer when it happens
 * to spell one: lp_get_str gives the same bytes back either way).
 * ---------------------------------------------------------------------- */

#define ZL_TAG_DOUBLE 0xff
#define ZL_SCORE_MAX 9          /* score bytes + tag */

static inline lp *zl_of(const hobj *o) { return o->u.ptr; }
static inline zset *zs_of(const hobj *o) { return o->u.ptr; }

/* Writes the score bytes and tag into out; returns how many. */
static int zl_score_enc(unsigned char *out, double d)
{
    if (d >= -(double)(LLONG_MAX / 2) && d <= (double)(LLONG_MAX / 2)) {
        long long v = (long long)d;
        if ((double)v == d) {
            if (v >= 0 && v <= 0x7f) {
                out[0] = (unsigned char)v;
                return 1;
            }
            int k = 1;
            while (k < 8 && (v < -(1LL << (8 * k - 1)) || v >= (1LL << (8 * k - 1)))) k++;
            for (int i = 0; i < k; i++) out[i] = (unsigned char)((unsigned long long)v >> (8 * i));
            out[k] = (unsigned char)(0x80 + k);
            return k + 1;
        }
    }
    uint64_t bits;
    memcpy(&bits, &d, 8);
    for (int i = 0; i < 8; i++) out[i] = (unsigned char)(bits >> (8 * i));
    out[8] = ZL_TAG_DOUBLE;
    return 9;
}

static void zl_get(const lp *l, uint32_t pos, zlelem *el)
{
    size_t n;
    const unsigned char *p = (const unsigned char *)lp_get_str(l, pos, el->scratch, &n);
    el->m = (const char *)p;
    el->score = 0;
    el->n = n;
    if (n == 0) return;             /* cannot happen: every entry has a tag */
    unsigned tag = p[n - 1];
    if (tag <= 0x7f) {
        el->score = tag;
        el->n = n - 1;
        return;
    }
    size_t k = tag == ZL_TAG_DOUBLE ? 8 : tag - 0x80;
    if (k < 1 || k > 8 || k + 1 > n) return;
    const unsigned char *q = p + n - 1 - k;
    uint64_t bits = 0;
    for (size_t i = k; i-- > 0;) bits = bits << 8 | q[i];
    if (tag == ZL_TAG_DOUBLE) {
        memcpy(&el->score, &bits, 8);
    } else {
        if (k < 8 && (bits >> (8 * k - 1)) & 1) bits |= ~0ULL << (8 * k);    /* sign-extend */
        el->score = (double)(long long)bits;
    }
    el->n = n - 1 - k;
}

/* The entry for (member, score), in buf when it fits, else allocated
 * (*heap, to free).  Returns the bytes and sets *len. */
static const char *zl_entry(const char *m, size_t n, double score, char *buf, size_t cap, char **heap,
                            size_t *len)
{
    char *e = n + ZL_SCORE_MAX <= cap ? buf : (*heap = hf_malloc(n + ZL_SCORE_MAX));
    if (n) memcpy(e, m, n);
    *len = n + (size_t)zl_score_enc((unsigned char *)e + n, score);
    return e;
}

/* Position of the member's entry (LP_NONE if absent); *score if found. */
static uint32_t zl_find(const lp *l, const char *m, size_t n, double *score)
{
    for (uint32_t pos = lp_first(l); pos != LP_NONE; pos = lp_next(l, pos)) {
        zlelem el;
        zl_get(l, pos, &el);
        if (el.n == n && (n == 0 || memcmp(el.m, m, n) == 0)) {
            if (score) *score = el.score;
            return pos;
        }
    }
    return LP_NONE;
}

/* Inserts a member known to be absent at its place in (score, member)
 * order. */
static void zl_insert(lp **l, const char *m, size_t n, double score)
{
    char buf[256], *heap = NULL;
    size_t len;
    const char *e = zl_entry(m, n, score, buf, sizeof buf, &heap, &len);
    uint32_t pos = lp_first(*l);
    for (; pos != LP_NONE; pos = lp_next(*l, pos)) {
        zlelem el;
        zl_get(*l, pos, &el);
        if (el.score > score || (el.score == score && zsl_cmp(el.m, el.n, m, n) > 0)) break;
    }
    if (pos == LP_NONE) lp_append(l, e, len);
    else lp_insert(l, pos, LP_BEFORE, e, len);
    hf_free(heap);
}

/* Appends an element (callers add in order). */
static void zl_append(lp **l, const char *m, size_t n, double score)
{
    char buf[256], *heap = NULL;
    size_t len;
    const char *e = zl_entry(m, n, score, buf, sizeof buf, &heap, &len);
    lp_append(l, e, len);
    hf_free(heap);
}

/* ------------------------------------------------------------------------
 * The skiplist encoding
 * ---------------------------------------------------------------------- */

static zset *zset_alloc(void)
{
    zset *zs = hf_malloc(sizeof *zs);
    zs->d = cd_new();
    zsl_init(&zs->zsl);
    return zs;
}

static void zset_release(zset *zs)
{
    zsl_release(&zs->zsl);
    cd_free(zs->d);
    hf_free(zs);
}

/* Adds a member known to be absent. */
static void zs_insert_new(zset *zs, const char *m, size_t n, double score)
{
    cdentry *de = cd_add(zs->d, m, n, NULL);
    cd_set_score(de, score);
    size_t kn;
    const char *k = cd_key(de, &kn);
    zsl_insert(&zs->zsl, score, k, kn);
}

/* zsl_delete_ranks callback: the node is unlinked, drop its member from
 * the dict (which frees the bytes the node points at). */
static void drop_from_dict(void *arg, zsl_node *n)
{
    cd_delete(arg, n->ele, n->len);
}

/* ------------------------------------------------------------------------
 * Encoding-independent operations
 * ---------------------------------------------------------------------- */

size_t zs_len(const hobj *o)
{
    return o->enc == ENC_LISTPACK ? lp_count(zl_of(o)) : zs_of(o)->zsl.length;
}

void zs_to_skiplist(hobj *o)
{
    if (o->enc == ENC_SKIPLIST) return;
    lp *l = zl_of(o);
    zset *zs = zset_alloc();
    cd_expand(zs->d, lp_count(l));
    for (uint32_t p = lp_first(l); p != LP_NONE; p = lp_next(l, p)) {
        zlelem el;
        zl_get(l, p, &el);
        zs_insert_new(zs, el.m, el.n, el.score);
    }
    lp_free(l);
    o->u.ptr = zs;
    o->enc = ENC_SKIPLIST;
}

/* A new empty set with the encoding Redis 7.0's ZADD picks for a key it
 * creates: listpack unless the thresholds rule out the first member. */
hobj *zs_create(size_t first_len)
{
    if (CONF_GET(zset_max_listpack_entries) == 0 ||
        (long long)first_len > CONF_GET(zset_max_listpack_value))
        return obj_collection(OBJ_ZSET, ENC_SKIPLIST, zset_alloc());
    return obj_collection(OBJ_ZSET, ENC_LISTPACK, lp_new());
}

hobj *zs_new_enc(int enc)
{
    if (enc == ENC_SKIPLIST) return obj_collection(OBJ_ZSET, ENC_SKIPLIST, zset_alloc());
    return obj_collection(OBJ_ZSET, ENC_LISTPACK, lp_new());
}

/* The member's score; false if absent. */
bool zs_score(hobj *o, const char *m, size_t n, double *score)
{
    if (o->enc == ENC_LISTPACK) return zl_find(zl_of(o), m, n, score) != LP_NONE;
    cdentry *de = cd_find(zs_of(o)->d, m, n);
    if (!de) return false;
    *score = cd_score(de);
    return true;
}

/* Adds or updates a member as Redis's zsetAdd: in = ZIN_* options, *out =
 * ZOUT_* outcome, *newscore = the member's score afterwards (unless NOP).
 * Returns false (with ZOUT_NAN) when an increment gives NaN. */
bool zs_add(hobj *o, double score, const char *m, size_t n, int in, int *out, double *newscore)
{
    bool incr = in & ZIN_INCR, nx = in & ZIN_NX, xx = in & ZIN_XX;
    bool gt = in & ZIN_GT, lt = in & ZIN_LT;
    *out = 0;
    if (isnan(score)) {
        *out = ZOUT_NAN;
        return false;
    }
    double cur;
    uint32_t pos = LP_NONE;
    cdentry *de = NULL;
    bool found;
    if (o->enc == ENC_LISTPACK) {
        pos = zl_find(zl_of(o), m, n, &cur);
        found = pos != LP_NONE;
    } else {
        de = cd_find(zs_of(o)->d, m, n);
        found = de != NULL;
        if (found) cur = cd_score(de);
    }
    if (found) {
        if (nx) { *out = ZOUT_NOP; return true; }
        if (incr) {
            score += cur;
            if (isnan(score)) { *out = ZOUT_NAN; return false; }
        }
        if ((lt && score >= cur) || (gt && score <= cur)) { *out = ZOUT_NOP; return true; }
        if (newscore) *newscore = score;
        if (score == cur) return true;
        if (o->enc == ENC_LISTPACK) {
            lp *l = zl_of(o);
            lp_delete(&l, pos, 1);
            zl_insert(&l, m, n, score);
            o->u.ptr = l;
        } else {
            size_t kn;
            const char *k = cd_key(de, &kn);
            zsl_update_score(&zs_of(o)->zsl, cur, k, kn, score);
            cd_set_score(de, score);
        }
        *out = ZOUT_UPDATED;
        return true;
    }
    if (xx) { *out = ZOUT_NOP; return true; }
    if (o->enc == ENC_LISTPACK) {
        lp *l = zl_of(o);
        if ((long long)lp_count(l) + 1 > CONF_GET(zset_max_listpack_entries) ||
            (long long)n > CONF_GET(zset_max_listpack_value) || lp_bytes(l) + n > LP_SAFETY_SIZE) {
            zs_to_skiplist(o);
        } else {
            zl_insert(&l, m, n, score);
            o->u.ptr = l;
        }
    }
    if (o->enc == ENC_SKIPLIST) zs_insert_new(zs_of(o), m, n, score);
    if (newscore) *newscore = score;
    *out = ZOUT_ADDED;
    return true;
}

/* Removes a member; false if absent. */
bool zs_del(hobj *o, const char *m, size_t n)
{
    if (o->enc == ENC_LISTPACK) {
        lp *l = zl_of(o);
        uint32_t pos = zl_find(l, m, n, NULL);
        if (pos == LP_NONE) return false;
        lp_delete(&l, pos, 1);
        o->u.ptr = l;
        return true;
    }
    zset *zs = zs_of(o);
    cdentry *de = cd_find(zs->d, m, n);
    if (!de) return false;
    zsl_delete(&zs->zsl, cd_score(de), m, n);
    cd_delete(zs->d, m, n);
    return true;
}

/* 0-based rank of a member (from the top when rev); -1 if absent. */
long zs_rank(hobj *o, const char *m, size_t n, bool rev)
{
    size_t len = zs_len(o);
    long r = -1;
    if (o->enc == ENC_LISTPACK) {
        const lp *l = zl_of(o);
        long i = 0;
        for (uint32_t p = lp_first(l); p != LP_NONE; p = lp_next(l, p), i++) {
            zlelem el;
            zl_get(l, p, &el);
            if (el.n == n && (n == 0 || memcmp(el.m, m, n) == 0)) { r = i; break; }
        }
    } else {
        zset *zs = zs_of(o);
        cdentry *de = cd_find(zs->d, m, n);
        if (de) r = (long)zsl_rank(&zs->zsl, cd_score(de), m, n) - 1;
    }
    if (r < 0) return -1;
    return rev ? (long)len - 1 - r : r;
}

/* Deletes the elements with 0-based ranks [start, start + count). */
void zs_delete_ranks(hobj *o, size_t start, size_t count)
{
    if (count == 0) return;
    if (o->enc == ENC_LISTPACK) {
        lp *l = zl_of(o);
        lp_delete_range(&l, (long)start, (uint32_t)count);
        o->u.ptr = l;
        return;
    }
    zset *zs = zs_of(o);
    zsl_delete_ranks(&zs->zsl, start + 1, start + count, drop_from_dict, zs->d);
}

/* ------------------------------------------------------------------------
 * Cursors: a position in either encoding, walked in score order
 * ---------------------------------------------------------------------- */

bool zc_valid(const zcur *c)
{
    return c->o->enc == ENC_LISTPACK ? c->pos != LP_NONE : c->node != NULL;
}

/* Places c at 0-based rank r (invalid if out of range). */
void zc_at(zcur *c, const hobj *o, long r)
{
    c->o = o;
    c->pos = LP_NONE;
    c->node = NULL;
    if (r < 0 || (size_t)r >= zs_len(o)) return;
    if (o->enc == ENC_LISTPACK) {
        c->pos = lp_seek(zl_of(o), r);
        return;
    }
    const zskiplist *zsl = &zs_of(o)->zsl;
    if (r == 0) c->node = zsl->header->level[0].forward;          /* the ends, */
    else if ((unsigned long)r + 1 == zsl->length) c->node = zsl->tail;  /* as pops want */
    else c->node = zsl_by_rank(zsl, (unsigned long)r + 1);
}

void zc_next(zcur *c)
{
    if (c->o->enc == ENC_LISTPACK) {
        c->pos = lp_next(zl_of(c->o), c->pos);
    } else {
        c->node = c->node->level[0].forward;
    }
}

void zc_prev(zcur *c)
{
    if (c->o->enc == ENC_LISTPACK) {
        c->pos = lp_prev(zl_of(c->o), c->pos);
    } else {
        c->node = c->node->backward;
    }
}

/* The element under the cursor (el->m valid while the set is unchanged
 * and el lives). */
void zc_get(const zcur *c, zlelem *el)
{
    if (c->o->enc == ENC_LISTPACK) {
        zl_get(zl_of(c->o), c->pos, el);
        return;
    }
    el->m = c->node->ele;
    el->n = c->node->len;
    el->score = c->node->score;
}

void zc_random(zcur *cur, const hobj *o)
{
    /* a uniform rank: the skiplist's spans make it O(log n) */
    zc_at(cur, o, (long)(hf_rand64() % zs_len(o)));
}

/* ------------------------------------------------------------------------
 * Ranges: by score or by member (lex)
 * ---------------------------------------------------------------------- */

bool zspec_gte_min(const zspec *sp, const zcur *c)
{
    zlelem el;
    zc_get(c, &el);
    return sp->lex ? zlex_gte_min(el.m, el.n, &sp->x) : zscore_gte_min(el.score, &sp->s);
}

bool zspec_lte_max(const zspec *sp, const zcur *c)
{
    zlelem el;
    zc_get(c, &el);
    return sp->lex ? zlex_lte_max(el.m, el.n, &sp->x) : zscore_lte_max(el.score, &sp->s);
}

static bool spec_empty(const zspec *sp)
{
    return sp->lex ? zlex_range_empty(&sp->x) : zscore_range_empty(&sp->s);
}

/* Finds the first (or, with last, the last) element in the range: sets the
 * cursor and its 0-based rank; false if the range holds nothing.  Like
 * Redis, a listpack is first checked for overlap at its two ends, then
 * scanned. */
bool zs_range_edge(const hobj *o, const zspec *sp, bool last, zcur *c, unsigned long *rank)
{
    c->o = o;
    c->pos = LP_NONE;
    c->node = NULL;
    if (o->enc == ENC_SKIPLIST) {
        const zskiplist *zsl = &zs_of(o)->zsl;
        unsigned long rk = 0;
        if (sp->lex) c->node = last ? zsl_last_in_lex(zsl, &sp->x, &rk) : zsl_first_in_lex(zsl, &sp->x, &rk);
        else c->node = last ? zsl_last_in_score(zsl, &sp->s, &rk) : zsl_first_in_score(zsl, &sp->s, &rk);
        *rank = rk - 1;
        return c->node != NULL;
    }
    size_t len = zs_len(o);
    if (len == 0 || spec_empty(sp)) return false;
    zcur a, b;
    zc_at(&a, o, 0);
    zc_at(&b, o, (long)len - 1);
    if (!zspec_gte_min(sp, &b) || !zspec_lte_max(sp, &a)) return false;
    if (!last) {
        for (unsigned long i = 0; zc_valid(&a); zc_next(&a), i++) {
            if (!zspec_gte_min(sp, &a)) continue;
            if (!zspec_lte_max(sp, &a)) return false;
            *c = a;
            *rank = i;
            return true;
        }
    } else {
        for (unsigned long i = len - 1; zc_valid(&b); zc_prev(&b), i--) {
            if (!zspec_lte_max(sp, &b)) continue;
            if (!zspec_gte_min(sp, &b)) return false;
            *c = b;
            *rank = i;
            return true;
        }
    }
    return false;
}

/* Elements from the cursor on while they stay at or below the range's max
 * (how Redis counts and deletes ranges in a listpack). */
size_t zs_count_run(zcur c, const zspec *sp)
{
    size_t n = 0;
    for (; zc_valid(&c) && zspec_lte_max(sp, &c); zc_next(&c)) n++;
    return n;
}

/* ------------------------------------------------------------------------
 * Collected elements (store commands, set operations)
 * ---------------------------------------------------------------------- */

void zcoll_add(zcoll *c, const char *m, size_t n, double score)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->v = hf_realloc(c->v, c->cap * sizeof *c->v);
    }
    c->v[c->n++] = (zitem){c->arena.len, n, score};
    hf_buf_put(&c->arena, m, n);
    if (n > c->maxlen) c->maxlen = n;
    c->totlen += n;
}

void zcoll_free(zcoll *c)
{
    hf_buf_free(&c->arena);
    hf_free(c->v);
}

/* (score, member) order, as the skiplist's; qsort's comparator has no
 * context argument, so the arena travels in a thread-local. */
static __thread const char *sort_base;
static int cmp_item(const void *a, const void *b)
{
    const zitem *x = a, *y = b;
    if (x->score < y->score) return -1;
    if (x->score > y->score) return 1;
    return zsl_cmp(sort_base + x->off, x->n, sort_base + y->off, y->n);
}

void zcoll_sort(zcoll *c)
{
    if (c->n < 2) return;
    sort_base = c->arena.p;
    qsort(c->v, c->n, sizeof *c->v, cmp_item);
}

/* A new set from elements in (score, member) order, distinct, with the
 * encoding Redis's zsetConvertToListpackIfNeeded gives a stored result. */
hobj *zs_from_sorted(const zcoll *c)
{
    if ((long long)c->n <= CONF_GET(zset_max_listpack_entries) &&
        (long long)c->maxlen <= CONF_GET(zset_max_listpack_value) && c->totlen <= LP_SAFETY_SIZE) {
        lp *l = lp_new();
        for (size_t i = 0; i < c->n; i++) zl_append(&l, zcoll_member(c, i), c->v[i].n, c->v[i].score);
        return obj_collection(OBJ_ZSET, ENC_LISTPACK, l);
    }
    zset *zs = zset_alloc();
    cd_expand(zs->d, c->n);
    for (size_t i = 0; i < c->n; i++) zs_insert_new(zs, zcoll_member(c, i), c->v[i].n, c->v[i].score);
    return obj_collection(OBJ_ZSET, ENC_SKIPLIST, zs);
}

/* ------------------------------------------------------------------------
 * ZSCAN
 * ---------------------------------------------------------------------- */

struct scan_ctx {
    zs_scan_fn *fn;
    void *arg;
    long long visited;
};

static void scan_entry_cb(void *arg, const cdentry *de)
{
    struct scan_ctx *x = arg;
    size_t n;
    const char *m = cd_key(de, &n);
    char sb[SCORE_STR_MAX];
    int sn = hf_d2str(sb, sizeof sb, cd_score(de));    /* "%.17g" */
    x->visited++;
    x->fn(x->arg, m, n, sb, (size_t)sn);
}

uint64_t zs_scan(const hobj *o, uint64_t cursor, long long count, zs_scan_fn *fn, void *arg)
{
    if (o->enc == ENC_LISTPACK) {
        /* small: everything at once, scores as Redis's listpack holds them */
        const lp *l = zl_of(o);
        for (uint32_t p = lp_first(l); p != LP_NONE; p = lp_next(l, p)) {
            zlelem el;
            zl_get(l, p, &el);
            char sb[SCORE_STR_MAX];
            int sn = score_lp_str(sb, el.score);
            fn(arg, el.m, el.n, sb, (size_t)sn);
        }
        return 0;
    }
    /* COUNT bounds the elements visited (the caller filters MATCH after) */
    struct scan_ctx x = {fn, arg, 0};
    long long maxiter = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
    do {
        cursor = cd_scan(zs_of(o)->d, cursor, scan_entry_cb, &x);
    } while (cursor && maxiter-- && x.visited < count);
    return cursor;
}

/* ------------------------------------------------------------------------
 * The type functions (types.h)
 * ---------------------------------------------------------------------- */

void zset_free(hobj *o)
{
    if (o->enc == ENC_LISTPACK) lp_free(zl_of(o));
    else zset_release(zs_of(o));
    hf_free(o);
}

size_t zset_len(const hobj *o) { return zs_len(o); }

hobj *zset_new(void)
{
    return obj_collection(OBJ_ZSET, ENC_LISTPACK, lp_new());
}

hobj *zset_dup(const hobj *o)
{
    if (o->enc == ENC_LISTPACK) return obj_collection(OBJ_ZSET, ENC_LISTPACK, lp_dup(zl_of(o)));
    const zset *src = zs_of(o);
    zset *zs = zset_alloc();
    cd_expand(zs->d, src->zsl.length);
    for (const zsl_node *x = src->zsl.header->level[0].forward; x; x = x->level[0].forward)
        zs_insert_new(zs, x->ele, x->len, x->score);
    return obj_collection(OBJ_ZSET, ENC_SKIPLIST, zs);
}

void zset_foreach(const hobj *o, scored_fn *fn, void *arg)
{
    zcur cur;
    for (zc_at(&cur, o, 0); zc_valid(&cur); zc_next(&cur)) {
        zlelem el;
        zc_get(&cur, &el);
        fn(arg, el.m, el.n, el.score);
    }
}

static void serialize_cb(void *arg, const char *m, size_t n, double score)
{
    hf_buf *out = arg;
    hf_buf_put32(out, (uint32_t)n);
    hf_buf_put(out, m, n);
    hf_buf_putd(out, score);
}

void zset_serialize(const hobj *o, hf_buf *out)
{
    hf_buf_put32(out, (uint32_t)zs_len(o));
    zset_foreach(o, serialize_cb, out);
}

/* Validates everything (the bytes may come from a damaged disk): counts,
 * lengths, no NaN, no duplicate member.  The encoding is the one the
 * thresholds call for now, as when Redis loads an RDB file. */
hobj *zset_deserialize(const char *p, size_t n)
{
    const char *end = p + n, *q = p;
    uint32_t count;
    if (!hf_get32(&q, end, &count)) return NULL;
    /* each element takes at least 12 bytes: reject absurd counts early */
    if ((size_t)count > (size_t)(end - q) / 12) return NULL;
    const char *elems = q;
    size_t maxlen = 0;
    for (uint32_t i = 0; i < count; i++) {
        const char *m;
        uint32_t mn;
        double s;
        if (!hf_getstr(&q, end, &m, &mn) || !hf_getd(&q, end, &s) || isnan(s)) return NULL;
        if (mn > maxlen) maxlen = mn;
    }
    if (q != end) return NULL;
    bool small = (long long)count <= CONF_GET(zset_max_listpack_entries) &&
                 (long long)maxlen <= CONF_GET(zset_max_listpack_value);
    hobj *o = small ? obj_collection(OBJ_ZSET, ENC_LISTPACK, lp_new())
                    : obj_collection(OBJ_ZSET, ENC_SKIPLIST, zset_alloc());
    if (!small) cd_expand(zs_of(o)->d, count);
    q = elems;
    for (uint32_t i = 0; i < count; i++) {
        const char *m;
        uint32_t mn;
        double s;
        hf_getstr(&q, end, &m, &mn);
        hf_getd(&q, end, &s);
        int out;
        zs_add(o, s, m, mn, ZIN_NX, &out, NULL);
        if (out & ZOUT_NOP) {       /* a member twice: damaged */
            zset_free(o);
            return NULL;
        }
    }
    return o;
}

size_t zset_mem(const hobj *o)
{
    size_t n = hf_malloc_size((void *)o);
    if (o->enc == ENC_LISTPACK) return n + hf_malloc_size(zl_of(o));
    const zset *zs = zs_of(o);
    return n + hf_malloc_size((void *)zs) + cd_mem(zs->d) + zs->zsl.mem;
}

bool zset_pop(hobj *o, bool min, hf_buf *out, double *score)
{
    size_t len = zs_len(o);
    if (len == 0) return false;
    zcur cur;
    zc_at(&cur, o, min ? 0 : (long)len - 1);
    zlelem el;
    zc_get(&cur, &el);
    out->len = 0;
    hf_buf_put(out, el.m, el.n);
    *score = el.score;
    zs_delete_ranks(o, min ? 0 : len - 1, 1);
    return true;
}

void zset_add(hobj *o, const char *m, size_t n, double score)
{
    int out;
    zs_add(o, score, m, n, 0, &out, NULL);
}

