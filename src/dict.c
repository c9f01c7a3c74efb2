/* dict.c — see dict.h.
 *
 * Growth: expand to the next power of two >= 2*used when used reaches the
 * table size (load factor 1); shrink when fewer than 1/8 of the buckets are
 * used.  Rehash moves buckets from t[0] to t[1] a few at a time on each
 * lookup or insert and from the shard's cron, so no single operation pays
 * for the whole table. */
#include "config.h"
#include "dict.h"
#include "util.h"

#include <string.h>

#define INITIAL_SIZE 4

kdict *kd_new(void)
{
    kdict *d = hf_calloc(1, sizeof *d);
    d->rehashidx = -1;
    return d;
}

void kd_free_entry(kentry *e)
{
    obj_free(e->val);
    hf_free(e);
}

static void clear_table(kdict *d, int t)
{
    for (uint64_t i = 0; i < d->size[t]; i++) {
        kentry *e = d->t[t][i];
        while (e) {
            kentry *next = e->next;
            kd_free_entry(e);
            e = next;
        }
    }
    hf_free(d->t[t]);
    d->t[t] = NULL;
    d->size[t] = d->used[t] = 0;
}

void kd_clear(kdict *d)
{
    clear_table(d, 0);
    clear_table(d, 1);
    d->rehashidx = -1;
    d->volatile_keys = 0;
}

void kd_free(kdict *d)
{
    if (!d) return;
    kd_clear(d);
    hf_free(d);
}

static inline bool is_rehashing(const kdict *d) { return d->rehashidx != -1; }

static void start_resize(kdict *d, uint64_t want)
{
    uint64_t size = INITIAL_SIZE;
    while (size < want) size <<= 1;
    if (size == d->size[0]) return;
    if (d->size[0] == 0) {
        d->t[0] = hf_calloc(size, sizeof(kentry *));
        d->size[0] = size;
        return;
    }
    d->t[1] = hf_calloc(size, sizeof(kentry *));
    d->size[1] = size;
    d->used[1] = 0;
    d->rehashidx = 0;
}

bool kd_rehash(kdict *d, int n)
{
    if (!is_rehashing(d) || d->pause_rehash) return is_rehashing(d);
    int empty_visits = n * 10;
    uint64_t mask1 = d->size[1] - 1;
    while (n-- && d->used[0] != 0) {
        while (d->t[0][d->rehashidx] == NULL) {
            d->rehashidx++;
            if (--empty_visits == 0) return true;
        }
        kentry *e = d->t[0][d->rehashidx];
        while (e) {
            kentry *next = e->next;
            uint64_t h = hf_hash(e->key, e->klen) & mask1;
            e->next = d->t[1][h];
            d->t[1][h] = e;
            d->used[0]--;
            d->used[1]++;
            e = next;
        }
        d->t[0][d->rehashidx] = NULL;
        d->rehashidx++;
    }
    if (d->used[0] == 0) {
        hf_free(d->t[0]);
        d->t[0] = d->t[1];
        d->size[0] = d->size[1];
        d->used[0] = d->used[1];
        d->t[1] = NULL;
        d->size[1] = d->used[1] = 0;
        d->rehashidx = -1;
        return false;
    }
    return true;
}

void kd_resize_if_needed(kdict *d)
{
    if (is_rehashing(d)) return;
    uint64_t used = d->used[0];
    if (d->size[0] == 0) {
        start_resize(d, INITIAL_SIZE);
    } else if (used >= d->size[0]) {
        start_resize(d, used * 2);
    } else if (d->size[0] > INITIAL_SIZE && used * 8 < d->size[0] && !d->pause_rehash) {
        start_resize(d, used ? used : INITIAL_SIZE);
    }
}

static inline bool key_eq(const kentry *e, const char *key, size_t klen)
{
    return e->klen == klen && memcmp(e->key, key, klen) == 0;
}

kentry *kd_find(kdict *d, const char *key, size_t klen, uint64_t hash)
{
    if (kd_size(d) == 0) return NULL;
    if (is_rehashing(d)) kd_rehash(d, 1);
    for (int t = 0; t < 2; t++) {
        if (d->size[t] == 0) break;
        kentry *e = d->t[t][hash & (d->size[t] - 1)];
        while (e) {
            if (key_eq(e, key, klen)) return e;
            e = e->next;
        }
        if (!is_rehashing(d)) break;
    }
    return NULL;
}

kentry *kd_add(kdict *d, const char *key, size_t klen, uint64_t hash, hobj *val)
{
    if (is_rehashing(d)) kd_rehash(d, 1);
    kd_resize_if_needed(d);
    kentry *e = hf_malloc(sizeof(kentry) + klen);
    e->val = val;
    e->expire = 0;
    e->klen = (uint32_t)klen;
    memcpy(e->key, key, klen);
    int t = is_rehashing(d) ? 1 : 0;
    uint64_t idx = hash & (d->size[t] - 1);
    e->next = d->t[t][idx];
    d->t[t][idx] = e;
    d->used[t]++;
    return e;
}

kentry *kd_unlink(kdict *d, const char *key, size_t klen, uint64_t hash)
{
    if (kd_size(d) == 0) return NULL;
    if (is_rehashing(d)) kd_rehash(d, 1);
    for (int t = 0; t < 2; t++) {
        if (d->size[t] == 0) break;
        kentry **pp = &d->t[t][hash & (d->size[t] - 1)];
        while (*pp) {
            kentry *e = *pp;
            if (key_eq(e, key, klen)) {
                *pp = e->next;
                d->used[t]--;
                if (e->expire) d->volatile_keys--;
                return e;
            }
            pp = &e->next;
        }
        if (!is_rehashing(d)) break;
    }
    return NULL;
}

bool kd_delete(kdict *d, const char *key, size_t klen, uint64_t hash)
{
    kentry *e = kd_unlink(d, key, klen, hash);
    if (!e) return false;
    kd_free_entry(e);
    kd_resize_if_needed(d);
    return true;
}

void kd_set_expire(kdict *d, kentry *e, int64_t when)
{
    if (e->expire == 0 && when != 0) d->volatile_keys++;
    else if (e->expire != 0 && when == 0) d->volatile_keys--;
    e->expire = when;
}

static uint64_t rev(uint64_t v)
{
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    v = ((v >> 8) & 0x00FF00FF00FF00FFULL) | ((v & 0x00FF00FF00FF00FFULL) << 8);
    v = ((v >> 16) & 0x0000FFFF0000FFFFULL) | ((v & 0x0000FFFF0000FFFFULL) << 16);
    return (v >> 32) | (v << 32);
}

static void emit_bucket(kentry *e, kd_scan_fn *fn, void *arg)
{
    while (e) {
        kentry *next = e->next;
        fn(arg, e);
        e = next;
    }
}

uint64_t kd_scan(kdict *d, uint64_t v, kd_scan_fn *fn, void *arg)
{
    if (kd_size(d) == 0) return 0;
    d->pause_rehash++;
    if (!is_rehashing(d)) {
        uint64_t m0 = d->size[0] - 1;
        emit_bucket(d->t[0][v & m0], fn, arg);
        v |= ~m0;
        v = rev(v); v++; v = rev(v);
    } else {
        int small = d->size[0] <= d->size[1] ? 0 : 1, large = 1 - small;
        uint64_t m0 = d->size[small] - 1, m1 = d->size[large] - 1;
        emit_bucket(d->t[small][v & m0], fn, arg);
        do {
            emit_bucket(d->t[large][v & m1], fn, arg);
            v |= ~m1;
            v = rev(v); v++; v = rev(v);
        } while (v & (m0 ^ m1));
    }
    d->pause_rehash--;
    return v;
}

kentry *kd_random(kdict *d)
{
    if (kd_size(d) == 0) return NULL;
    kentry *e = NULL;
    if (is_rehashing(d)) kd_rehash(d, 1);
    /* pick a non-empty bucket, then a random element of its chain */
    while (!e) {
        if (is_rehashing(d)) {
            uint64_t span = d->size[0] + d->size[1] - (uint64_t)d->rehashidx;
            uint64_t h = (uint64_t)d->rehashidx + hf_rand64() % span;
            e = h >= d->size[0] ? d->t[1][h - d->size[0]] : d->t[0][h];
        } else {
            e = d->t[0][hf_rand64() & (d->size[0] - 1)];
        }
    }
    int len = 0;
    for (kentry *p = e; p; p = p->next) len++;
    int k = (int)(hf_rand64() % (uint64_t)len);
    while (k--) e = e->next;
    return e;
}

/* Prefetch distances, in buckets: entries are fetched FAR buckets ahead,
 * their values NEAR buckets ahead (by then the entry is in cache), so a
 * walk over a large table (a snapshot, under the shard lock) waits for
 * few of its cache misses one at a time. */
#define PREFETCH_FAR 16
#define PREFETCH_NEAR 8

void kd_foreach(kdict *d, kd_scan_fn *fn, void *arg)
{
    d->pause_rehash++;
    for (int t = 0; t < 2; t++) {
        kentry **b = d->t[t];
        uint64_t n = d->size[t];
        for (uint64_t i = 0; i < n; i++) {
            if (i + PREFETCH_FAR < n && b[i + PREFETCH_FAR]) __builtin_prefetch(b[i + PREFETCH_FAR]);
            if (i + PREFETCH_NEAR < n && b[i + PREFETCH_NEAR]) __builtin_prefetch(b[i + PREFETCH_NEAR]->val);
            emit_bucket(b[i], fn, arg);
        }
    }
    d->pause_rehash--;
}

uint64_t kd_buckets(const kdict *d) { return d->size[0] + d->size[1]; }

size_t kd_memory(const kdict *d)
{
    return sizeof *d + (d->size[0] + d->size[1]) * sizeof(kentry *);
}
