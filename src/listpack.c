/* listpack.c — see listpack.h.
 *
 * The block (in memory only; the snapshot writes elements, not this block,
 * but lp_validate() still treats it as hostile input):
 *
 *   offset 0   u32  total bytes of the block, header included (little endian)
 *   offset 4   u32  number of entries (exact, never saturates)
 *   offset 8   entries, back to back, up to the total; no end marker
 *
 * An entry is  [head][payload][back]:
 *
 *   head byte         meaning                                  head+payload
 *   0xxxxxxx          integer 0..127 in the low 7 bits                    1
 *   10LLLLLL          string of 0..63 bytes follows                  1 + len
 *   110xxxxx x8       13-bit signed integer (two's complement),          2
 *                     high 5 bits in the head, low 8 in the next byte
 *   1110LLLL L8       string of 0..4095 bytes (12-bit length, high        2 + len
 *                     4 bits in the head, low 8 in the next byte)
 *   0xF0 u32          string, length as u32 little endian            5 + len
 *   0xF1 i16          16-bit signed integer, little endian                3
 *   0xF2 i24          24-bit signed integer, little endian                4
 *   0xF3 i32          32-bit signed integer, little endian                5
 *   0xF4 i64          64-bit signed integer, little endian                9
 *   0xF5..0xFF        invalid
 *
 * [back] holds L = len(head) + len(payload) in 1..5 bytes so an entry can be
 * found from its end: the last byte holds bits 0-6 of L, the byte before
 * it bits 7-13 and so on; bit 7 of a byte is set when a further (earlier)
 * byte follows.  The number of back bytes is a function of L alone (1 for
 * L < 128, 2 for L < 2^14, ...), so walking forward needs only the head.
 *
 * Strings that hf_str2ll() accepts are always stored as integers (the
 * smallest encoding that holds them), so a string entry never holds a
 * canonical integer.  Comparisons rely on it only for speed: a string entry
 * is compared by bytes, an integer entry by value against the needle parsed
 * once, which is exactly "compare the decimal forms" either way.
 *
 * A short string (<= 63 bytes) thus costs 2 bytes of overhead (head and
 * back) and small integers 1-9 bytes plus 1 back byte.  Unlike Redis's
 * ziplist no entry records its predecessor's size, so changes never cascade. */
#include "config.h"
#include "listpack.h"
#include "log.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define HDR 8
#define MAX_BLOCK UINT32_MAX

/* ---- little-endian helpers ------------------------------------------------ */

static inline uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void wr32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static inline uint64_t rdle(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static inline void wrle(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) { p[i] = (unsigned char)v; v >>= 8; }
}

/* Sign-extends the low `bits` bits of u. */
static inline long long sext(uint64_t u, int bits)
{
    uint64_t m = 1ULL << (bits - 1);
    u &= (bits == 64) ? ~0ULL : ((1ULL << bits) - 1);
    return (long long)((u ^ m) - m);
}

static inline uint32_t total_of(const lp *l) { return rd32(l); }
static inline void set_total(lp *l, uint32_t v) { wr32(l, v); }
static inline void set_count(lp *l, uint32_t v) { wr32(l + 4, v); }

size_t lp_bytes(const lp *l) { return total_of(l); }
uint32_t lp_count(const lp *l) { return rd32(l + 4); }

/* ---- back length ---------------------------------------------------------- */

static inline int back_size(size_t L)
{
    if (L < (1u << 7)) return 1;
    if (L < (1u << 14)) return 2;
    if (L < (1u << 21)) return 3;
    if (L < (1u << 28)) return 4;
    return 5;
}

static void write_back(unsigned char *dst, size_t L)
{
    int k = back_size(L);
    for (int j = 0; j < k; j++)
        dst[k - 1 - j] = (unsigned char)(((L >> (7 * j)) & 127) | (j < k - 1 ? 128 : 0));
}

/* Reads the back length ending just before `end` (which is > start + 0);
 * at most `avail` bytes may be read.  Returns false if malformed. */
static inline bool read_back(const unsigned char *end, size_t avail, size_t *L, int *k)
{
    size_t v = 0;
    for (int j = 0; j < 5 && (size_t)j < avail; j++) {
        unsigned c = end[-1 - j];
        v |= (size_t)(c & 127) << (7 * j);
        if (!(c & 128)) { *L = v; *k = j + 1; return true; }
    }
    return false;
}

/* ---- decoding one entry --------------------------------------------------- */

/* A decoded entry head: a string (s, n) or an integer v; L is head+payload. */
typedef struct dec {
    const unsigned char *s;
    size_t n;
    long long v;
    size_t L;
    bool is_int;
} dec;

/* Decodes the entry at e (trusted: the block is valid). */
static inline void decode(const unsigned char *e, dec *d)
{
    unsigned c = e[0];
    if (c < 0x80) { d->is_int = true; d->v = c; d->L = 1; return; }
    if ((c & 0xC0) == 0x80) { d->is_int = false; d->n = c & 0x3F; d->s = e + 1; d->L = 1 + d->n; return; }
    if ((c & 0xE0) == 0xC0) {
        d->is_int = true; d->v = sext((uint64_t)(c & 0x1F) << 8 | e[1], 13); d->L = 2; return;
    }
    if ((c & 0xF0) == 0xE0) {
        d->is_int = false; d->n = (size_t)(c & 0x0F) << 8 | e[1]; d->s = e + 2; d->L = 2 + d->n; return;
    }
    switch (c) {
    case 0xF0: d->is_int = false; d->n = rd32(e + 1); d->s = e + 5; d->L = 5 + d->n; return;
    case 0xF1: d->is_int = true; d->v = sext(rdle(e + 1, 2), 16); d->L = 3; return;
    case 0xF2: d->is_int = true; d->v = sext(rdle(e + 1, 3), 24); d->L = 4; return;
    case 0xF3: d->is_int = true; d->v = sext(rdle(e + 1, 4), 32); d->L = 5; return;
    default:   d->is_int = true; d->v = (long long)rdle(e + 1, 8); d->L = 9; return;
    }
}

/* Total size of the entry at e, back length included (trusted block). */
static inline size_t entry_len(const unsigned char *e)
{
    unsigned c = e[0];
    size_t L;
    if (c < 0x80) return 2;
    if ((c & 0xC0) == 0x80) L = 1 + (c & 0x3F);
    else if ((c & 0xE0) == 0xC0) return 3;
    else if ((c & 0xF0) == 0xE0) L = 2 + ((size_t)(c & 0x0F) << 8 | e[1]);
    else if (c == 0xF0) L = 5 + (size_t)rd32(e + 1);
    else L = (size_t)(c == 0xF4 ? 9 : c - 0xF1 + 3);
    return L + (size_t)back_size(L);
}

/* ---- encoding one entry --------------------------------------------------- */

/* An entry ready to be written: head bytes (with the integer payload for
 * integers), string payload (s, n), and its total size. */
typedef struct enc {
    unsigned char head[9];
    int hlen;
    const char *s;
    size_t n;
    size_t L;
    size_t total;
} enc;

static void enc_int(enc *e, long long v)
{
    e->s = NULL;
    e->n = 0;
    if (v >= 0 && v <= 127) {
        e->head[0] = (unsigned char)v; e->hlen = 1;
    } else if (v >= -4096 && v <= 4095) {
        uint64_t u = (uint64_t)v & 0x1FFF;
        e->head[0] = (unsigned char)(0xC0 | (u >> 8)); e->head[1] = (unsigned char)u; e->hlen = 2;
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
        e->head[0] = 0xF1; wrle(e->head + 1, (uint64_t)v, 2); e->hlen = 3;
    } else if (v >= -(1LL << 23) && v < (1LL << 23)) {
        e->head[0] = 0xF2; wrle(e->head + 1, (uint64_t)v, 3); e->hlen = 4;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        e->head[0] = 0xF3; wrle(e->head + 1, (uint64_t)v, 4); e->hlen = 5;
    } else {
        e->head[0] = 0xF4; wrle(e->head + 1, (uint64_t)v, 8); e->hlen = 9;
    }
    e->L = (size_t)e->hlen;
    e->total = e->L + (size_t)back_size(e->L);
}

static void enc_str(enc *e, const char *p, size_t n)
{
    long long v;
    if (hf_str2ll(p, n, &v)) { enc_int(e, v); return; }
    if (n > MAX_BLOCK - 16) {
        hf_log(LOG_WARNING, "listpack: entry of %zu bytes is too large", n);
        abort();
    }
    e->s = p;
    e->n = n;
    if (n < 64) {
        e->head[0] = (unsigned char)(0x80 | n); e->hlen = 1;
    } else if (n < 4096) {
        e->head[0] = (unsigned char)(0xE0 | (n >> 8)); e->head[1] = (unsigned char)n; e->hlen = 2;
    } else {
        e->head[0] = 0xF0; wr32(e->head + 1, (uint32_t)n); e->hlen = 5;
    }
    e->L = (size_t)e->hlen + n;
    e->total = e->L + (size_t)back_size(e->L);
}

static void write_entry(unsigned char *dst, const enc *e)
{
    memcpy(dst, e->head, (size_t)e->hlen);
    if (e->n) memcpy(dst + e->hlen, e->s, e->n);
    write_back(dst + e->L, e->L);
}

size_t lp_entry_size(const char *p, size_t n)
{
    enc e;
    enc_str(&e, p, n);
    return e.total;
}

/* ---- whole block ---------------------------------------------------------- */

lp *lp_new(void)
{
    lp *l = hf_malloc(HDR);
    set_total(l, HDR);
    set_count(l, 0);
    return l;
}

void lp_free(lp *l) { hf_free(l); }

lp *lp_dup(const lp *l)
{
    size_t n = total_of(l);
    lp *c = hf_malloc(n);
    memcpy(c, l, n);
    return c;
}

/* ---- walking -------------------------------------------------------------- */

uint32_t lp_first(const lp *l) { return total_of(l) > HDR ? HDR : LP_NONE; }

uint32_t lp_next(const lp *l, uint32_t pos)
{
    size_t nx = (size_t)pos + entry_len(l + pos);
    return nx < total_of(l) ? (uint32_t)nx : LP_NONE;
}

/* The entry that ends at offset end (> HDR). */
static inline uint32_t entry_before(const lp *l, uint32_t end)
{
    size_t L = 0;
    int k = 1;
    read_back(l + end, end - HDR, &L, &k);
    return (uint32_t)(end - (size_t)k - L);
}

uint32_t lp_prev(const lp *l, uint32_t pos)
{
    return pos <= HDR ? LP_NONE : entry_before(l, pos);
}

uint32_t lp_last(const lp *l)
{
    uint32_t t = total_of(l);
    return t > HDR ? entry_before(l, t) : LP_NONE;
}

uint32_t lp_seek(const lp *l, long i)
{
    long cnt = (long)lp_count(l);
    if (i < 0) i += cnt;
    if (i < 0 || i >= cnt) return LP_NONE;
    uint32_t pos;
    if (i <= cnt / 2) {
        pos = HDR;
        while (i--) pos += (uint32_t)entry_len(l + pos);
    } else {
        pos = lp_last(l);
        for (long j = cnt - 1; j > i; j--) pos = entry_before(l, pos);
    }
    return pos;
}

/* ---- reading -------------------------------------------------------------- */

void lp_get(const lp *l, uint32_t pos, lpval *out)
{
    dec d;
    decode(l + pos, &d);
    out->is_int = d.is_int;
    if (d.is_int) {
        out->v = d.v;
        out->p = NULL;
        out->n = 0;
    } else {
        out->v = 0;
        out->p = (const char *)d.s;
        out->n = d.n;
    }
}

const char *lp_get_str(const lp *l, uint32_t pos, char *scratch, size_t *n)
{
    dec d;
    decode(l + pos, &d);
    if (d.is_int) {
        *n = (size_t)hf_ll2str(scratch, d.v);
        return scratch;
    }
    *n = d.n;
    return (const char *)d.s;
}

/* Parses a needle once: only a canonical integer can equal an integer entry. */
static inline bool needle_int(const char *p, size_t n, long long *v)
{
    if (n == 0 || n > 20) return false;
    if (!((p[0] >= '0' && p[0] <= '9') || p[0] == '-')) return false;
    return hf_str2ll(p, n, v);
}

bool lp_eq(const lp *l, uint32_t pos, const char *p, size_t n)
{
    dec d;
    decode(l + pos, &d);
    if (!d.is_int) return d.n == n && (n == 0 || memcmp(d.s, p, n) == 0);
    long long v;
    return needle_int(p, n, &v) && v == d.v;
}

bool lp_get_double(const lp *l, uint32_t pos, double *out)
{
    dec d;
    decode(l + pos, &d);
    if (d.is_int) { *out = (double)d.v; return true; }
    return hf_str2d((const char *)d.s, d.n, out);
}

uint32_t lp_find(const lp *l, uint32_t pos, const char *p, size_t n, unsigned skip)
{
    if (pos == LP_NONE) return LP_NONE;
    long long iv = 0;
    bool isint = needle_int(p, n, &iv);
    size_t total = total_of(l);
    size_t off = pos;
    unsigned left = 0;      /* entries still to skip before the next compare */
    while (off < total) {
        const unsigned char *e = l + off;
        if (left) {
            left--;
            off += entry_len(e);
            continue;
        }
        unsigned c = e[0];
        if ((c & 0xC0) == 0x80) {
            /* the common case: a short string */
            size_t len = c & 0x3F;
            if (len == n && (n == 0 || memcmp(e + 1, p, n) == 0)) return (uint32_t)off;
            off += 1 + len + 1;   /* 1 + len < 128: one back byte */
        } else {
            dec d;
            decode(e, &d);
            if (d.is_int) {
                if (isint && d.v == iv) return (uint32_t)off;
            } else if (d.n == n && (n == 0 || memcmp(d.s, p, n) == 0)) {
                return (uint32_t)off;
            }
            off += d.L + (size_t)back_size(d.L);
        }
        left = skip;
    }
    return LP_NONE;
}

/* memcmp(a, b, n) == 0, without a library call for the few bytes a
 * field usually has (most compares end at the first byte or two). */
static inline bool bytes_eq(const unsigned char *a, const unsigned char *b, size_t n)
{
    if (n > 16) return memcmp(a, b, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return false;
    return true;
}

/* True if the n bytes at s begin with head (first byte under mask0) and
 * then body. */
static inline bool has_prefix(const unsigned char *s, size_t n, const unsigned char *head,
                              size_t hn, unsigned char mask0, const char *body, size_t bn)
{
    if (n < hn + bn || ((s[0] ^ head[0]) & mask0)) return false;
    return bytes_eq(s + 1, head + 1, hn - 1) &&
           bytes_eq(s + hn, (const unsigned char *)body, bn);
}

uint32_t lp_find_prefix(const lp *l, uint32_t pos, const unsigned char *head, size_t hn,
                        unsigned char mask0, const char *body, size_t bn)
{
    if (pos == LP_NONE || hn == 0) return pos;
    size_t total = total_of(l);
    size_t off = pos;
    while (off < total) {
        const unsigned char *e = l + off;
        unsigned c = e[0];
        if ((c & 0xC0) == 0x80) {
            /* the common case: a short string */
            size_t len = c & 0x3F;
            if (has_prefix(e + 1, len, head, hn, mask0, body, bn)) return (uint32_t)off;
            off += 1 + len + 1;   /* 1 + len < 128: one back byte */
            continue;
        }
        dec d;
        decode(e, &d);
        if (d.is_int) {
            char buf[24];
            size_t n = (size_t)hf_ll2str(buf, d.v);
            if (has_prefix((const unsigned char *)buf, n, head, hn, mask0, body, bn))
                return (uint32_t)off;
        } else if (has_prefix(d.s, d.n, head, hn, mask0, body, bn)) {
            return (uint32_t)off;
        }
        off += d.L + (size_t)back_size(d.L);
    }
    return LP_NONE;
}

/* ---- changing ------------------------------------------------------------- */

static void check_size(size_t total)
{
    if (total > MAX_BLOCK) {
        hf_log(LOG_WARNING, "listpack: block would exceed 4 GB (%zu bytes)", total);
        abort();
    }
}

/* Makes room for `grow` bytes at offset off and writes the entry there. */
static uint32_t insert_enc(lp **lpp, uint32_t off, const enc *e)
{
    size_t total = total_of(*lpp);
    check_size(total + e->total);
    lp *l = hf_realloc(*lpp, total + e->total);
    memmove(l + off + e->total, l + off, total - off);
    write_entry(l + off, e);
    set_total(l, (uint32_t)(total + e->total));
    set_count(l, lp_count(l) + 1);
    *lpp = l;
    return off;
}

uint32_t lp_append(lp **l, const char *p, size_t n)
{
    enc e;
    enc_str(&e, p, n);
    return insert_enc(l, total_of(*l), &e);
}

uint32_t lp_append_int(lp **l, long long v)
{
    enc e;
    enc_int(&e, v);
    return insert_enc(l, total_of(*l), &e);
}

uint32_t lp_prepend(lp **l, const char *p, size_t n)
{
    enc e;
    enc_str(&e, p, n);
    return insert_enc(l, HDR, &e);
}

uint32_t lp_insert(lp **l, uint32_t pos, int where, const char *p, size_t n)
{
    enc e;
    enc_str(&e, p, n);
    uint32_t off = pos;
    if (where == LP_AFTER) off = (uint32_t)(pos + entry_len(*l + pos));
    return insert_enc(l, off, &e);
}

static uint32_t replace_enc(lp **lpp, uint32_t pos, const enc *e)
{
    lp *l = *lpp;
    size_t total = total_of(l);
    size_t old = entry_len(l + pos);
    size_t tail = pos + old;
    size_t ntotal = total - old + e->total;
    if (e->total > old) {
        check_size(ntotal);
        l = hf_realloc(l, ntotal);
        memmove(l + pos + e->total, l + tail, total - tail);
    } else if (e->total < old) {
        memmove(l + pos + e->total, l + tail, total - tail);
        l = hf_realloc(l, ntotal);
    }
    write_entry(l + pos, e);
    set_total(l, (uint32_t)ntotal);
    *lpp = l;
    return pos;
}

uint32_t lp_replace(lp **l, uint32_t pos, const char *p, size_t n)
{
    enc e;
    enc_str(&e, p, n);
    return replace_enc(l, pos, &e);
}

uint32_t lp_replace_int(lp **l, uint32_t pos, long long v)
{
    enc e;
    enc_int(&e, v);
    return replace_enc(l, pos, &e);
}

uint32_t lp_delete(lp **lpp, uint32_t pos, uint32_t count)
{
    lp *l = *lpp;
    if (pos == LP_NONE || count == 0) return pos;
    size_t total = total_of(l);
    size_t end = pos;
    uint32_t gone = 0;
    while (gone < count && end < total) {
        end += entry_len(l + end);
        gone++;
    }
    memmove(l + pos, l + end, total - end);
    size_t ntotal = total - (end - pos);
    l = hf_realloc(l, ntotal);
    set_total(l, (uint32_t)ntotal);
    set_count(l, lp_count(l) - gone);
    *lpp = l;
    return pos < ntotal ? pos : LP_NONE;
}

void lp_delete_range(lp **l, long start, uint32_t count)
{
    long cnt = (long)lp_count(*l);
    if (start < 0) start += cnt;
    if (start < 0) start = 0;
    if (start >= cnt || count == 0) return;
    lp_delete(l, lp_seek(*l, start), count);
}

/* ---- validation ----------------------------------------------------------- */

/* Checks one entry at off (< total); sets *next to the offset after it. */
static bool valid_entry(const lp *l, size_t off, size_t total, size_t *next)
{
    const unsigned char *e = l + off;
    size_t avail = total - off;
    unsigned c = e[0];
    size_t L;
    if (c < 0x80) L = 1;
    else if ((c & 0xC0) == 0x80) L = 1 + (c & 0x3F);
    else if ((c & 0xE0) == 0xC0) L = 2;
    else if ((c & 0xF0) == 0xE0) {
        if (avail < 2) return false;
        L = 2 + ((size_t)(c & 0x0F) << 8 | e[1]);
    } else if (c == 0xF0) {
        if (avail < 5) return false;
        L = 5 + (size_t)rd32(e + 1);
    } else if (c >= 0xF1 && c <= 0xF4) {
        L = (size_t)(c == 0xF4 ? 9 : c - 0xF1 + 3);
    } else {
        return false;
    }
    int k = back_size(L);
    if (L > avail || (size_t)k > avail - L) return false;
    unsigned char want[5];
    write_back(want, L);
    if (memcmp(e + L, want, (size_t)k) != 0) return false;
    *next = off + L + (size_t)k;
    return true;
}

bool lp_validate(const lp *l, size_t len)
{
    if (!l || len < HDR || len > MAX_BLOCK) return false;
    if (total_of(l) != len) return false;
    uint32_t want = lp_count(l);
    uint32_t seen = 0;
    size_t off = HDR;
    while (off < len) {
        if (!valid_entry(l, off, len, &off)) return false;
        if (++seen > want) return false;
    }
    return seen == want;
}
