/* util.c — see util.h. */
#include "config.h"
#include "util.h"
#include "log.h"

#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/random.h>

#ifndef HF_SANITIZED
#include <jemalloc/jemalloc.h>
#else
#include <malloc.h>
/* from the sanitizer runtime (gcc ships no header for it) */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

static void oom(size_t n)
{
    hf_log(LOG_WARNING, "Out of memory allocating %zu bytes, aborting", n);
    abort();
}

void *hf_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *hf_calloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p) oom(n * sz);
    return p;
}

void *hf_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

void hf_free(void *p) { free(p); }

char *hf_strdup(const char *s) { return hf_memdup(s, strlen(s)); }

char *hf_memdup(const void *p, size_t n)
{
    char *q = hf_malloc(n + 1);
    memcpy(q, p, n);
    q[n] = '\0';
    return q;
}

size_t hf_malloc_size(void *p)
{
#ifndef HF_SANITIZED
    return malloc_usable_size(p);
#else
    return malloc_usable_size(p);
#endif
}

size_t hf_used_memory(void)
{
#ifndef HF_SANITIZED
    uint64_t epoch = 1;
    size_t sz = sizeof(epoch);
    mallctl("epoch", &epoch, &sz, &epoch, sz);
    size_t allocated = 0;
    sz = sizeof(allocated);
    if (mallctl("stats.allocated", &allocated, &sz, NULL, 0) == 0)
        return allocated;
    return 0;
#else
    /* ASan replaces malloc: ask it (mallinfo2 reports zeros there) */
    return __sanitizer_get_current_allocated_bytes();
#endif
}

const char *hf_allocator_name(void)
{
#ifndef HF_SANITIZED
    static char name[64];
    if (!name[0]) {
        const char *v = NULL;
        size_t sz = sizeof(v);
        if (mallctl("version", &v, &sz, NULL, 0) == 0 && v) {
            char tmp[48];
            snprintf(tmp, sizeof tmp, "%s", v);
            char *dash = strchr(tmp, '-');
            if (dash) *dash = '\0';
            snprintf(name, sizeof name, "jemalloc-%s", tmp);
        } else {
            snprintf(name, sizeof name, "jemalloc");
        }
    }
    return name;
#else
    return "libc";
#endif
}

size_t hf_rss_memory(void)
{
    int fd = open("/proc/self/statm", O_RDONLY);
    if (fd < 0) return 0;
    char buf[128];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = '\0';
    unsigned long size = 0, rss = 0;
    if (sscanf(buf, "%lu %lu", &size, &rss) != 2) return 0;
    return (size_t)rss * (size_t)sysconf(_SC_PAGESIZE);
}

int64_t hf_ustime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t hf_mstime(void) { return hf_ustime() / 1000; }

int64_t hf_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool hf_str2ll(const char *s, size_t len, long long *out)
{
    const char *p = s;
    size_t plen = 0;
    int negative = 0;
    unsigned long long v;

    if (len == 0 || len > 20) return false;
    if (len == 1 && p[0] == '0') { *out = 0; return true; }
    if (p[0] == '-') {
        negative = 1;
        p++; plen++;
        if (plen == len) return false;
    }
    if (p[0] >= '1' && p[0] <= '9') {
        v = (unsigned long long)(p[0] - '0');
        p++; plen++;
    } else {
        return false;
    }
    while (plen < len && p[0] >= '0' && p[0] <= '9') {
        if (v > ULLONG_MAX / 10) return false;
        v *= 10;
        unsigned long long d = (unsigned long long)(p[0] - '0');
        if (v > ULLONG_MAX - d) return false;
        v += d;
        p++; plen++;
    }
    if (plen < len) return false;
    if (negative) {
        if (v > (unsigned long long)(-(LLONG_MIN + 1)) + 1) return false;
        *out = (long long)(0ULL - v);
    } else {
        if (v > (unsigned long long)LLONG_MAX) return false;
        *out = (long long)v;
    }
    return true;
}

/* Copies a number's text into buf as a C string; false if it cannot be a
 * number (empty, too long, NUL inside, leading space). */
static bool number_text(const char *s, size_t len, char *buf, size_t buflen)
{
    if (len == 0 || len >= buflen || memchr(s, '\0', len) || isspace((unsigned char)s[0])) return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    return true;
}

bool hf_str2ld(const char *s, size_t len, long double *out)
{
    char buf[5120];
    if (!number_text(s, len, buf, sizeof buf)) return false;
    char *eptr;
    long double v = strtold(buf, &eptr);
    if (*eptr != '\0' || (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) || isnan(v))
        return false;
    *out = v;
    return true;
}

bool hf_str2d(const char *s, size_t len, double *out)
{
    char buf[5120];
    if (!number_text(s, len, buf, sizeof buf)) return false;
    char *eptr;
    double v = strtod(buf, &eptr);
    if (*eptr != '\0' || (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO)) || isnan(v))
        return false;
    *out = v;
    return true;
}

int hf_ull2str(char *buf, unsigned long long v)
{
    char tmp[24];
    int n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    for (int i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

int hf_ll2str(char *buf, long long v)
{
    if (v < 0) {
        buf[0] = '-';
        return 1 + hf_ull2str(buf + 1, (unsigned long long)0 - (unsigned long long)v);
    }
    return hf_ull2str(buf, (unsigned long long)v);
}

int hf_ld2str(char *buf, size_t len, long double value, bool humanfriendly)
{
    int l;
    if (isinf(value)) {
        if (len < 5) return 0;
        if (value > 0) { memcpy(buf, "inf", 3); l = 3; }
        else { memcpy(buf, "-inf", 4); l = 4; }
        buf[l] = '\0';
        return l;
    }
    if (humanfriendly) {
        l = snprintf(buf, len, "%.17Lf", value);
        if (l < 0 || (size_t)l >= len) return 0;
        if (strchr(buf, '.') != NULL) {
            char *p = buf + l - 1;
            while (*p == '0') { p--; l--; }
            if (*p == '.') l--;
        }
        if (l == 2 && buf[0] == '-' && buf[1] == '0') { buf[0] = '0'; l = 1; }
    } else {
        l = snprintf(buf, len, "%.17Lg", value);
        if (l < 0 || (size_t)l >= len) return 0;
    }
    buf[l] = '\0';
    return l;
}

int hf_d2str(char *buf, size_t len, double value)
{
    if (isinf(value)) {
        return snprintf(buf, len, "%s", value > 0 ? "inf" : "-inf");
    }
    if (isnan(value)) return snprintf(buf, len, "nan");
    if (value == 0) {
        return snprintf(buf, len, "%s", signbit(value) ? "-0" : "0");
    }
    /* integers representable exactly are printed without exponent */
    if (value > -4503599627370496.0 && value < 4503599627370496.0 && value == (double)(long long)value)
        return hf_ll2str(buf, (long long)value);
    return snprintf(buf, len, "%.17g", value);
}

/* *skip is set once a '*' has tried every remaining suffix and failed: no
 * shorter suffix can match either, so every caller up the recursion gives
 * up at once (without it "a*a*a*...b" takes exponential time). */
static bool glob_impl(const char *pat, size_t plen, const char *s, size_t slen, bool nocase, int depth, bool *skip)
{
    if (depth > 1000) return false;  /* pathological pattern: treat as no match */
    while (plen && slen) {
        switch (pat[0]) {
        case '*':
            while (plen > 1 && pat[1] == '*') { pat++; plen--; }
            if (plen == 1) return true;
            while (slen) {
                if (glob_impl(pat + 1, plen - 1, s, slen, nocase, depth + 1, skip)) return true;
                if (*skip) return false;
                s++; slen--;
            }
            *skip = true;
            return false;
        case '?':
            s++; slen--;
            break;
        case '[': {
            pat++; plen--;
            bool negate = plen && pat[0] == '^';
            if (negate) { pat++; plen--; }
            bool match = false;
            while (1) {
                if (plen == 0) { break; }
                if (pat[0] == '\\' && plen >= 2) {
                    pat++; plen--;
                    if (pat[0] == s[0]) match = true;
                } else if (pat[0] == ']') {
                    break;
                } else if (plen >= 3 && pat[1] == '-') {
                    int start = (unsigned char)pat[0], end = (unsigned char)pat[2], c = (unsigned char)s[0];
                    if (start > end) { int t = start; start = end; end = t; }
                    if (nocase) { start = tolower(start); end = tolower(end); c = tolower(c); }
                    pat += 2; plen -= 2;
                    if (c >= start && c <= end) match = true;
                } else {
                    if (!nocase) { if (pat[0] == s[0]) match = true; }
                    else if (tolower((unsigned char)pat[0]) == tolower((unsigned char)s[0])) match = true;
                }
                pat++; plen--;
            }
            if (plen == 0) { pat--; plen++; } /* point at last char as Redis does */
            if (negate) match = !match;
            if (!match) return false;
            s++; slen--;
            break;
        }
        case '\\':
            if (plen >= 2) { pat++; plen--; }
            /* fall through */
        default:
            if (!nocase) { if (pat[0] != s[0]) return false; }
            else if (tolower((unsigned char)pat[0]) != tolower((unsigned char)s[0])) return false;
            s++; slen--;
            break;
        }
        pat++; plen--;
        if (slen == 0) {
            while (plen && *pat == '*') { pat++; plen--; }
            break;
        }
    }
    return plen == 0 && slen == 0;
}

bool hf_globmatch(const char *pat, size_t plen, const char *s, size_t slen, bool nocase)
{
    bool skip = false;
    return glob_impl(pat, plen, s, slen, nocase, 0, &skip);
}

/* ---- SipHash-1-2 (64-bit output), written from the SipHash paper ---- */
static uint8_t hash_key[16];

void hf_hash_seed(const uint8_t seed[16]) { memcpy(hash_key, seed, 16); }

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                    \
    do {                                                            \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);  \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                     \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                     \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);  \
    } while (0)

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;  /* little-endian hosts only (x86_64, aarch64) */
}

static uint64_t siphash12(const uint8_t *in, size_t inlen, bool nocase)
{
    uint64_t k0 = load64(hash_key), k1 = load64(hash_key + 8);
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
    uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
    uint64_t v3 = 0x7465646279746573ULL ^ k1;
    uint64_t b = ((uint64_t)inlen) << 56;
    const uint8_t *end = in + inlen - (inlen % 8);
    uint8_t tmp[8];
    for (; in != end; in += 8) {
        uint64_t m;
        if (nocase) {
            for (int i = 0; i < 8; i++) tmp[i] = (uint8_t)tolower(in[i]);
            m = load64(tmp);
        } else {
            m = load64(in);
        }
        v3 ^= m;
        SIPROUND;
        v0 ^= m;
    }
    int left = (int)(inlen & 7);
    uint64_t t = 0;
    for (int i = left - 1; i >= 0; i--) {
        uint8_t c = nocase ? (uint8_t)tolower(in[i]) : in[i];
        t = (t << 8) | c;
    }
    b |= t;
    v3 ^= b;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t hf_hash(const void *data, size_t len) { return siphash12(data, len, false); }
uint64_t hf_hash_nocase(const void *data, size_t len) { return siphash12(data, len, true); }

bool hf_streq(const char *s, size_t len, const char *lit)
{
    size_t l = strlen(lit);
    return l == len && strncasecmp(s, lit, len) == 0;
}

void hf_random_bytes(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            /* no entropy source: fall back to time and pid (logged) */
            hf_log(LOG_WARNING, "getrandom failed: %s; using a weak seed", strerror(errno));
            uint64_t x = (uint64_t)hf_ustime() ^ ((uint64_t)getpid() << 32);
            for (size_t i = 0; i < n; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; p[i] = (uint8_t)x; }
            return;
        }
        p += r;
        n -= (size_t)r;
    }
}

uint64_t hf_rand64(void)
{
    static __thread uint64_t s;
    if (s == 0) {
        hf_random_bytes(&s, sizeof s);
        if (s == 0) s = 0x9E3779B97F4A7C15ULL;
    }
    /* xorshift64*: the multiply spreads the state so that the low bits
     * (what "% n" uses) are not linear in the previous output */
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1DULL;
}

/* ---- hf_buf ---------------------------------------------------------------- */

void hf_buf_reserve(hf_buf *b, size_t more)
{
    if (b->cap - b->len >= more) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len < more) cap *= 2;
    b->p = hf_realloc(b->p, cap);
    b->cap = cap;
}

void hf_buf_put(hf_buf *b, const void *p, size_t n)
{
    hf_buf_reserve(b, n);
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* The formats are little-endian by definition; every machine we build for
 * is too, which the static assertion below keeps honest. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "on-disk formats assume little-endian");

void hf_buf_put32(hf_buf *b, uint32_t v) { hf_buf_put(b, &v, 4); }
void hf_buf_put64(hf_buf *b, uint64_t v) { hf_buf_put(b, &v, 8); }
void hf_buf_putd(hf_buf *b, double d) { hf_buf_put(b, &d, 8); }

void hf_buf_free(hf_buf *b)
{
    hf_free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

bool hf_get32(const char **p, const char *end, uint32_t *v)
{
    if (end - *p < 4) return false;
    memcpy(v, *p, 4);
    *p += 4;
    return true;
}

bool hf_get64(const char **p, const char *end, uint64_t *v)
{
    if (end - *p < 8) return false;
    memcpy(v, *p, 8);
    *p += 8;
    return true;
}

bool hf_getd(const char **p, const char *end, double *d)
{
    if (end - *p < 8) return false;
    memcpy(d, *p, 8);
    *p += 8;
    return true;
}

bool hf_getstr(const char **p, const char *end, const char **s, uint32_t *n)
{
    const char *q = *p;
    uint32_t len;
    if (!hf_get32(&q, end, &len) || (size_t)(end - q) < len) return false;
    *s = q;
    *n = len;
    *p = q + len;
    return true;
}
