/* intset.c — see intset.h.
 *
 * One allocation: a small header (slot width in bytes: 2, 4 or 8; member
 * count) followed by the members in ascending order, each in a slot of
 * that width, in native byte order (the block never leaves memory: the
 * snapshot writes members one by one).
 *
 * The width only grows: adding a value that does not fit the current
 * width rewrites every slot at the wider width (walking from the end so
 * the copy can be done in place).  Such a value is smaller or larger than
 * every member, so it goes at one end without a search.  Removing never
 * narrows the width, as in Redis. */
#include "config.h"
#include "intset.h"
#include "util.h"

#include <string.h>

struct intset {
    uint32_t width;     /* bytes per slot: 2, 4 or 8 */
    uint32_t len;
    unsigned char data[];
};

static inline uint32_t width_for(int64_t v)
{
    if (v >= INT16_MIN && v <= INT16_MAX) return 2;
    if (v >= INT32_MIN && v <= INT32_MAX) return 4;
    return 8;
}

/* The slot i at width w. */
static inline int64_t slot_get(const unsigned char *data, uint32_t w, uint32_t i)
{
    if (w == 2) { int16_t x; memcpy(&x, data + (size_t)i * 2, 2); return x; }
    if (w == 4) { int32_t x; memcpy(&x, data + (size_t)i * 4, 4); return x; }
    int64_t x;
    memcpy(&x, data + (size_t)i * 8, 8);
    return x;
}

static inline void slot_set(unsigned char *data, uint32_t w, uint32_t i, int64_t v)
{
    if (w == 2) { int16_t x = (int16_t)v; memcpy(data + (size_t)i * 2, &x, 2); }
    else if (w == 4) { int32_t x = (int32_t)v; memcpy(data + (size_t)i * 4, &x, 4); }
    else memcpy(data + (size_t)i * 8, &v, 8);
}

static inline size_t bytes_for(uint32_t w, uint32_t len) { return sizeof(intset) + (size_t)w * len; }

intset *is_new(void)
{
    intset *s = hf_malloc(sizeof *s);
    s->width = 2;
    s->len = 0;
    return s;
}

void is_free(intset *s) { hf_free(s); }

intset *is_dup(const intset *s)
{
    size_t n = bytes_for(s->width, s->len);
    intset *c = hf_malloc(n);
    memcpy(c, s, n);
    return c;
}

uint32_t is_len(const intset *s) { return s->len; }
size_t is_bytes(const intset *s) { return bytes_for(s->width, s->len); }

/* Binary search: true and *at = index if v is present, else false and
 * *at = where it would be inserted. */
static bool search(const intset *s, int64_t v, uint32_t *at)
{
    uint32_t lo = 0, hi = s->len;
    if (s->len == 0) { *at = 0; return false; }
    /* the common cases of appending and out-of-range lookups */
    if (v > slot_get(s->data, s->width, s->len - 1)) { *at = s->len; return false; }
    if (v < slot_get(s->data, s->width, 0)) { *at = 0; return false; }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int64_t m = slot_get(s->data, s->width, mid);
        if (m == v) { *at = mid; return true; }
        if (m < v) lo = mid + 1;
        else hi = mid;
    }
    *at = lo;
    return false;
}

/* Rewrites the set at width w and adds v (which needs w) at one end. */
static intset *upgrade_add(intset *s, int64_t v, uint32_t w)
{
    uint32_t old = s->width, len = s->len;
    uint32_t front = v < 0 ? 1 : 0;   /* too wide and negative: smallest */
    s = hf_realloc(s, bytes_for(w, len + 1));
    for (uint32_t i = len; i-- > 0;)
        slot_set(s->data, w, i + front, slot_get(s->data, old, i));
    slot_set(s->data, w, front ? 0 : len, v);
    s->width = w;
    s->len = len + 1;
    return s;
}

void is_add(intset **sp, int64_t v, bool *added)
{
    intset *s = *sp;
    uint32_t w = width_for(v);
    if (w > s->width) {
        *sp = upgrade_add(s, v, w);
        if (added) *added = true;
        return;
    }
    uint32_t at;
    if (search(s, v, &at)) {
        if (added) *added = false;
        return;
    }
    s = hf_realloc(s, bytes_for(s->width, s->len + 1));
    memmove(s->data + (size_t)(at + 1) * s->width, s->data + (size_t)at * s->width,
            (size_t)(s->len - at) * s->width);
    slot_set(s->data, s->width, at, v);
    s->len++;
    *sp = s;
    if (added) *added = true;
}

void is_remove(intset **sp, int64_t v, bool *removed)
{
    intset *s = *sp;
    uint32_t at;
    if (width_for(v) > s->width || !search(s, v, &at)) {
        if (removed) *removed = false;
        return;
    }
    memmove(s->data + (size_t)at * s->width, s->data + (size_t)(at + 1) * s->width,
            (size_t)(s->len - at - 1) * s->width);
    s->len--;
    *sp = hf_realloc(s, bytes_for(s->width, s->len));
    if (removed) *removed = true;
}

bool is_find(const intset *s, int64_t v)
{
    uint32_t at;
    return width_for(v) <= s->width && search(s, v, &at);
}

int64_t is_get(const intset *s, uint32_t i) { return slot_get(s->data, s->width, i); }

int64_t is_random(const intset *s)
{
    /* hf_rand64() is a bare xorshift64 whose low bits are weakly mixed
     * between consecutive draws: finish it (murmur3's fmix64) before
     * reducing.  The modulo bias over a 32-bit length is < 2^-32. */
    uint64_t x = hf_rand64();
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return is_get(s, (uint32_t)(x % s->len));
}
