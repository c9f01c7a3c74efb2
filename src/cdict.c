/* cdict.c — see cdict.h.
 *
 * Entry: one allocation, 20 bytes of header then the key bytes then (for
 * hashes) the value bytes:
 *
 *   next  (8)  chain link
 *   u     (8)  union: the value length (hashes) or the score (sorted sets)
 *   klen  (4)  key length; the top bit says "u holds a score"
 *   key, value
 *
 * An entry carries a value or a score, never both (a dict backs one type),
 * so they share the union; the flag bit lets cd_dup() and cd_val() know
 * how big an entry is without knowing which type the dict backs.  A fresh
 * entry has u = 0, which reads as an empty value and as score 0.0.
 *
 * Tables: chained buckets, power-of-two sizes.  A table grows (to the next
 * power of two above the element count) when the count reaches the number
 * of buckets, and shrinks to fit when fewer than 1/8 of the buckets would
 * be used, checked after each delete as Redis does for collections.  The
 * move to the new table is incremental: each find, add, delete and random
 * pick moves one bucket (visiting at most 10 empty ones), so no command
 * pays for the whole table.  While an iterator or scan is live, rehash
 * steps and shrinking are paused (pause > 0).
 *
 * cd_mem() is kept exact: the tables plus the allocator's usable size of
 * every entry, tracked as entries come and go. */
#include "config.h"
#include "cdict.h"
#include "util.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define INITIAL_SIZE 4
#define SCORE_FLAG 0x80000000u
#define KLEN_MASK 0x7FFFFFFFu

struct cdentry {
    cdentry *next;
    union { double score; uint32_t vlen; } u;
    uint32_t klen;      /* | SCORE_FLAG once a score was set */
    char data[];
};

#define ENTRY_HDR offsetof(cdentry, data)

struct cdict {
    cdentry **t[2];
    size_t size[2];     /* buckets; 0 = table absent */
    size_t used[2];
    long rehashidx;     /* -1 = not rehashing */
    int pause;          /* > 0 while an iterator or scan is live */
    size_t entry_mem;   /* usable bytes of all entries */
};

static inline bool rehashing(const cdict *d) { return d->rehashidx != -1; }
static inline uint32_t klen_of(const cdentry *e) { return e->klen & KLEN_MASK; }
static inline bool has_score(const cdentry *e) { return (e->klen & SCORE_FLAG) != 0; }
static inline uint32_t vlen_of(const cdentry *e) { return has_score(e) ? 0 : e->u.vlen; }
static inline size_t entry_size(const cdentry *e) { return ENTRY_HDR + klen_of(e) + vlen_of(e); }
static inline uint64_t hash_of(const cdentry *e) { return hf_hash(e->data, klen_of(e)); }

cdict *cd_new(void)
{
    cdict *d = hf_calloc(1, sizeof *d);
    d->rehashidx = -1;
    return d;
}

static void free_entry(cdict *d, cdentry *e)
{
    d->entry_mem -= hf_malloc_size(e);
    hf_free(e);
}

void cd_free(cdict *d)
{
    if (!d) return;
    for (int t = 0; t < 2; t++) {
        for (size_t i = 0; i < d->size[t]; i++) {
            cdentry *e = d->t[t][i];
            while (e) {
                cdentry *next = e->next;
                hf_free(e);
                e = next;
            }
        }
        hf_free(d->t[t]);
    }
    hf_free(d);
}

size_t cd_size(const cdict *d) { return d->used[0] + d->used[1]; }

size_t cd_mem(const cdict *d)
{
    return sizeof *d + (d->size[0] + d->size[1]) * sizeof(cdentry *) + d->entry_mem;
}

size_t cd_buckets(const cdict *d) { return d->size[0] + d->size[1]; }

/* ---- resizing ------------------------------------------------------------- */

static size_t pow2_at_least(size_t want)
{
    size_t s = INITIAL_SIZE;
    while (s < want) s <<= 1;
    return s;
}

/* Starts moving to a table of `size` buckets (or creates the first). */
static void start_resize(cdict *d, size_t size)
{
    if (size == d->size[0]) return;
    cdentry **t = hf_calloc(size, sizeof *t);
    if (d->size[0] == 0) {
        d->t[0] = t;
        d->size[0] = size;
        return;
    }
    d->t[1] = t;
    d->size[1] = size;
    d->used[1] = 0;
    d->rehashidx = 0;
}

static void shrink_if_needed(cdict *d);

/* Moves up to n buckets to the new table.  Returns true if more remain. */
static bool rehash_step(cdict *d, int n)
{
    if (!rehashing(d) || d->pause) return rehashing(d);
    int empty_visits = n * 10;
    size_t mask1 = d->size[1] - 1;
    while (n-- && d->used[0] != 0) {
        while (d->t[0][d->rehashidx] == NULL) {
            d->rehashidx++;
            if (--empty_visits == 0) return true;
        }
        cdentry *e = d->t[0][d->rehashidx];
        while (e) {
            cdentry *next = e->next;
            size_t h = (size_t)hash_of(e) & mask1;
            e->next = d->t[1][h];
            d->t[1][h] = e;
            d->used[0]--;
            d->used[1]++;
            e = next;
        }
        d->t[0][d->rehashidx] = NULL;
        d->rehashidx++;
    }
    if (d->used[0] != 0) return true;
    hf_free(d->t[0]);
    d->t[0] = d->t[1];
    d->size[0] = d->size[1];
    d->used[0] = d->used[1];
    d->t[1] = NULL;
    d->size[1] = d->used[1] = 0;
    d->rehashidx = -1;
    /* deletes during the move may have left the new table sparse too */
    shrink_if_needed(d);
    return rehashing(d);
}

static void grow_if_needed(cdict *d)
{
    if (rehashing(d)) return;
    if (d->size[0] == 0) start_resize(d, INITIAL_SIZE);
    else if (d->used[0] >= d->size[0]) start_resize(d, pow2_at_least(d->used[0] + 1));
}

static void shrink_if_needed(cdict *d)
{
    if (rehashing(d) || d->pause) return;
    if (d->size[0] > INITIAL_SIZE && d->used[0] * 8 < d->size[0])
        start_resize(d, pow2_at_least(d->used[0]));
}

void cd_expand(cdict *d, size_t n)
{
    if (rehashing(d) || n <= d->size[0]) return;
    start_resize(d, pow2_at_least(n));
}

bool cd_rehash(cdict *d, int n) { return rehash_step(d, n); }

/* ---- lookup --------------------------------------------------------------- */

static inline bool key_eq(const cdentry *e, const char *k, size_t n)
{
    return klen_of(e) == n && (n == 0 || memcmp(e->data, k, n) == 0);
}

/* The link that points at k's entry (a bucket slot or a next field), or
 * NULL; *table tells which table holds it. */
static cdentry **find_link(cdict *d, const char *k, size_t n, uint64_t h, int *table)
{
    for (int t = 0; t < 2; t++) {
        if (d->size[t] == 0) break;
        cdentry **pp = &d->t[t][h & (d->size[t] - 1)];
        while (*pp) {
            if (key_eq(*pp, k, n)) {
                if (table) *table = t;
                return pp;
            }
            pp = &(*pp)->next;
        }
        if (!rehashing(d)) break;
    }
    return NULL;
}

cdentry *cd_find(cdict *d, const char *k, size_t n)
{
    if (cd_size(d) == 0) return NULL;
    if (rehashing(d)) rehash_step(d, 1);
    cdentry **pp = find_link(d, k, n, hf_hash(k, n), NULL);
    return pp ? *pp : NULL;
}

cdentry *cd_add(cdict *d, const char *k, size_t n, bool *added)
{
    if (n > KLEN_MASK) {
        hf_log(LOG_WARNING, "cdict: key of %zu bytes is too large", n);
        abort();
    }
    if (rehashing(d)) rehash_step(d, 1);
    uint64_t h = hf_hash(k, n);
    if (cd_size(d)) {
        cdentry **pp = find_link(d, k, n, h, NULL);
        if (pp) {
            if (added) *added = false;
            return *pp;
        }
    }
    grow_if_needed(d);
    cdentry *e = hf_malloc(ENTRY_HDR + n);
    e->u.score = 0;
    e->u.vlen = 0;
    e->klen = (uint32_t)n;
    if (n) memcpy(e->data, k, n);
    d->entry_mem += hf_malloc_size(e);
    int t = rehashing(d) ? 1 : 0;
    size_t idx = (size_t)h & (d->size[t] - 1);
    e->next = d->t[t][idx];
    d->t[t][idx] = e;
    d->used[t]++;
    if (added) *added = true;
    return e;
}

bool cd_delete(cdict *d, const char *k, size_t n)
{
    if (cd_size(d) == 0) return false;
    if (rehashing(d)) rehash_step(d, 1);
    int t = 0;
    cdentry **pp = find_link(d, k, n, hf_hash(k, n), &t);
    if (!pp) return false;
    cdentry *e = *pp;
    *pp = e->next;
    d->used[t]--;
    free_entry(d, e);
    shrink_if_needed(d);
    return true;
}

/* ---- entry fields --------------------------------------------------------- */

const char *cd_key(const cdentry *e, size_t *n)
{
    *n = klen_of(e);
    return e->data;
}

const char *cd_val(const cdentry *e, size_t *n)
{
    *n = vlen_of(e);
    return e->data + klen_of(e);
}

double cd_score(const cdentry *e) { return e->u.score; }

void cd_set_score(cdentry *e, double s)
{
    e->u.score = s;
    e->klen |= SCORE_FLAG;
}

void cd_set_val(cdict *d, cdentry **ep, const char *v, size_t n)
{
    cdentry *e = *ep;
    size_t kl = klen_of(e);
    size_t need = ENTRY_HDR + kl + n;
    if (n > UINT32_MAX) {
        hf_log(LOG_WARNING, "cdict: value of %zu bytes is too large", n);
        abort();
    }
    size_t have = hf_malloc_size(e);
    /* Reallocate when it does not fit or would waste more than half;
     * otherwise write in place and the entry does not move. */
    if (need > have || need < have / 2) {
        int t = 0;
        cdentry **pp = find_link(d, e->data, kl, hash_of(e), &t);
        /* pp is a bucket slot or the predecessor's next field: not inside e */
        cdentry *ne = hf_realloc(e, need);
        d->entry_mem = d->entry_mem - have + hf_malloc_size(ne);
        if (pp) *pp = ne;
        e = ne;
    }
    e->klen = (uint32_t)kl;          /* clears the score flag */
    e->u.vlen = (uint32_t)n;
    if (n) memcpy(e->data + kl, v, n);
    *ep = e;
}

/* ---- copying -------------------------------------------------------------- */

cdict *cd_dup(const cdict *d)
{
    cdict *c = cd_new();
    size_t n = cd_size(d);
    if (n == 0) return c;
    c->size[0] = pow2_at_least(n);
    c->t[0] = hf_calloc(c->size[0], sizeof(cdentry *));
    size_t mask = c->size[0] - 1;
    for (int t = 0; t < 2; t++) {
        for (size_t i = 0; i < d->size[t]; i++) {
            for (const cdentry *e = d->t[t][i]; e; e = e->next) {
                size_t sz = entry_size(e);
                cdentry *ne = hf_malloc(sz);
                memcpy(ne, e, sz);
                c->entry_mem += hf_malloc_size(ne);
                size_t idx = (size_t)hash_of(ne) & mask;
                ne->next = c->t[0][idx];
                c->t[0][idx] = ne;
            }
        }
    }
    c->used[0] = n;
    return c;
}

/* ---- iteration ------------------------------------------------------------ */

void cd_iter_init(cditer *it, cdict *d)
{
    it->d = d;
    it->table = 0;
    it->bucket = 0;
    it->next = NULL;
    d->pause++;
}

cdentry *cd_iter_next(cditer *it)
{
    cdict *d = it->d;
    while (!it->next) {
        if (it->table > 1) return NULL;
        if (it->bucket >= d->size[it->table]) {
            it->table++;
            it->bucket = 0;
            continue;
        }
        it->next = d->t[it->table][it->bucket++];
    }
    cdentry *e = it->next;
    it->next = e->next;
    return e;
}

void cd_iter_done(cditer *it)
{
    if (!it->d) return;
    it->d->pause--;
    it->d = NULL;
}

/* ---- scan ----------------------------------------------------------------- */

static uint64_t rev64(uint64_t v)
{
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    v = ((v >> 8) & 0x00FF00FF00FF00FFULL) | ((v & 0x00FF00FF00FF00FFULL) << 8);
    v = ((v >> 16) & 0x0000FFFF0000FFFFULL) | ((v & 0x0000FFFF0000FFFFULL) << 16);
    return (v >> 32) | (v << 32);
}

/* Increments the high bits first: the next cursor in reverse-binary order
 * for a table with mask m. */
static inline uint64_t next_cursor(uint64_t v, uint64_t m)
{
    v |= ~m;
    v = rev64(v);
    v++;
    return rev64(v);
}

static void emit(const cdentry *e, cd_scan_fn *fn, void *arg)
{
    while (e) {
        const cdentry *next = e->next;
        fn(arg, e);
        e = next;
    }
}

/* The cursor visits the buckets of the smaller table, and for each all the
 * buckets of the larger table that expand from it, so an element is seen
 * whichever table holds it and whatever the size was when the scan began
 * (the argument of Redis's dictScan). */
uint64_t cd_scan(cdict *d, uint64_t v, cd_scan_fn *fn, void *arg)
{
    if (cd_size(d) == 0) return 0;
    d->pause++;
    if (!rehashing(d)) {
        uint64_t m0 = d->size[0] - 1;
        emit(d->t[0][v & m0], fn, arg);
        v = next_cursor(v, m0);
    } else {
        int small = d->size[0] <= d->size[1] ? 0 : 1, large = 1 - small;
        uint64_t m0 = d->size[small] - 1, m1 = d->size[large] - 1;
        emit(d->t[small][v & m0], fn, arg);
        do {
            emit(d->t[large][v & m1], fn, arg);
            v = next_cursor(v, m1);
        } while (v & (m0 ^ m1));
    }
    d->pause--;
    return v;
}

/* ---- random ----------------------------------------------------------- */

/* rnd() is a bare xorshift64: the low bits of consecutive outputs
 * are linearly related (bits 0-1 of one are bits 0-1 ^ 7-8 of the one
 * before), so a bucket index and an accept test taken from two draws would
 * be correlated.  A bijective finaliser (murmur3's fmix64) breaks that. */
static inline uint64_t rnd(void)
{
    uint64_t x = hf_rand64();
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* A random non-empty bucket's chain, uniform over the buckets that can
 * hold entries (both tables while rehashing; t[0] below rehashidx is
 * empty). */
static cdentry *random_chain(cdict *d)
{
    cdentry *e = NULL;
    while (!e) {
        if (rehashing(d)) {
            size_t span = d->size[0] + d->size[1] - (size_t)d->rehashidx;
            size_t h = (size_t)d->rehashidx + (size_t)(rnd() % span);
            e = h >= d->size[0] ? d->t[1][h - d->size[0]] : d->t[0][h];
        } else {
            e = d->t[0][rnd() & (d->size[0] - 1)];
        }
    }
    return e;
}

#define FAIR_CHAIN 4

/* Picking a random bucket then a random element of its chain (Redis's
 * dictGetRandomKey) favours elements in short chains.  Accepting a chain
 * of length c < FAIR_CHAIN only with probability c / FAIR_CHAIN makes every
 * element equally likely, except that elements of (rare, with the load
 * factor <= 1) chains longer than FAIR_CHAIN are picked FAIR_CHAIN/c as
 * often.  Fairer than sampling consecutive buckets (dictGetFairRandomKey),
 * whose bias follows the local density; costs ~3 bucket picks. */
cdentry *cd_random(cdict *d)
{
    if (cd_size(d) == 0) return NULL;
    if (rehashing(d)) rehash_step(d, 1);
    for (;;) {
        cdentry *e = random_chain(d);
        size_t len = 0;
        for (cdentry *p = e; p; p = p->next) len++;
        if (len < FAIR_CHAIN && rnd() % FAIR_CHAIN >= len) continue;
        size_t k = (size_t)(rnd() % len);
        while (k--) e = e->next;
        return e;
    }
}
