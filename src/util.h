/* util.h — allocation, time, number formatting, glob matching, hashing.
 *
 * Out-of-memory policy (one place, decided once): every allocation goes
 * through hf_malloc()/hf_realloc()/hf_calloc(); on failure they log and
 * abort the process.  Callers never check for NULL.  A crash on OOM loses
 * nothing acknowledged once the WAL exists, and is what Redis does too. */
#ifndef HF_UTIL_H
#define HF_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

void *hf_malloc(size_t n);
void *hf_calloc(size_t n, size_t sz);
void *hf_realloc(void *p, size_t n);
void hf_free(void *p);
char *hf_strdup(const char *s);
char *hf_memdup(const void *p, size_t n);       /* NUL-terminated copy */
size_t hf_malloc_size(void *p);                 /* usable size of a block */
size_t hf_used_memory(void);                    /* bytes allocated (allocator stats) */
size_t hf_rss_memory(void);                     /* resident set size in bytes */
const char *hf_allocator_name(void);

int64_t hf_mstime(void);                        /* wall clock, ms since epoch */
int64_t hf_ustime(void);                        /* wall clock, us since epoch */
int64_t hf_monotonic_us(void);

/* Strict decimal integer parsing as Redis does it: no spaces, no leading
 * '+', no leading zeros.  Returns true on success. */
bool hf_str2ll(const char *s, size_t len, long long *out);
/* Parse a double as Redis's string2ld/strtold does for INCRBYFLOAT etc.
 * Rejects spaces, empty strings and NaN. */
bool hf_str2ld(const char *s, size_t len, long double *out);
bool hf_str2d(const char *s, size_t len, double *out);
/* Writes the decimal form of v into buf (>= 21 bytes); returns length. */
int hf_ll2str(char *buf, long long v);
int hf_ull2str(char *buf, unsigned long long v);
/* Formats a long double the way INCRBYFLOAT replies ("%.17Lf" trimmed). */
int hf_ld2str(char *buf, size_t len, long double v, bool humanfriendly);
/* Formats a double the way Redis's RESP3 double / ZSCORE reply does. */
int hf_d2str(char *buf, size_t len, double v);

/* Glob-style match (Redis KEYS / SCAN MATCH semantics). */
bool hf_globmatch(const char *pat, size_t plen, const char *s, size_t slen, bool nocase);

/* SipHash-1-2 keyed hash (keyed at start-up) */
void hf_hash_seed(const uint8_t seed[16]);
uint64_t hf_hash(const void *data, size_t len);
uint64_t hf_hash_nocase(const void *data, size_t len);

/* Case-insensitive compare of a counted string with a C string */
bool hf_streq(const char *s, size_t len, const char *lit);

/* A growable byte buffer (serialisation, scratch space). */
typedef struct hf_buf { char *p; size_t len, cap; } hf_buf;
void hf_buf_reserve(hf_buf *b, size_t more);     /* room for more bytes */
void hf_buf_put(hf_buf *b, const void *p, size_t n);
void hf_buf_put32(hf_buf *b, uint32_t v);        /* little-endian */
void hf_buf_put64(hf_buf *b, uint64_t v);
void hf_buf_putd(hf_buf *b, double d);           /* IEEE 754, little-endian */
void hf_buf_free(hf_buf *b);
/* Reading back what hf_buf_put* wrote: each returns false (and reads
 * nothing) when fewer than the needed bytes remain in [*p, end). */
bool hf_get32(const char **p, const char *end, uint32_t *v);
bool hf_get64(const char **p, const char *end, uint64_t *v);
bool hf_getd(const char **p, const char *end, double *d);
/* A u32 length then that many bytes: sets s/n, advances *p. */
bool hf_getstr(const char **p, const char *end, const char **s, uint32_t *n);

void hf_random_bytes(void *buf, size_t n);
uint64_t hf_rand64(void);      /* thread-local xorshift, seeded from the OS */

#endif
