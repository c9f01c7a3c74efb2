/* test_listpack.c — the packed sequence (src/listpack.h).
 *
 * Random sequences of appends, prepends, inserts, replaces and deletes are
 * checked after every step against a model (an array of byte strings):
 * count, forward and backward walks, seeks, finds with and without skip.
 * Edge cases: empty strings, binary bytes, the int64 limits as strings,
 * non-canonical integers ("-0", "01", "+1"), every integer width, 4 KB and
 * 70 KB strings.  The size target (a 10-entry collection of short strings
 * costs <= 2 bytes per entry plus an 8-byte header) is asserted, and
 * lp_validate() is fed truncations and random corruptions of valid blocks:
 * it must never crash (ASan checks) and must accept only what walks
 * cleanly. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listpack.h"
#include "util.h"

/* ---- a model: an array of byte strings ------------------------------------ */

typedef struct mstr { char *p; size_t n; } mstr;
typedef struct model { mstr *v; size_t n, cap; } model;

static void m_insert(model *m, size_t i, const char *p, size_t n)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->v = realloc(m->v, m->cap * sizeof *m->v);
    }
    memmove(m->v + i + 1, m->v + i, (m->n - i) * sizeof *m->v);
    m->v[i].p = malloc(n + 1);
    memcpy(m->v[i].p, p, n);
    m->v[i].n = n;
    m->n++;
}

static void m_delete(model *m, size_t i, size_t cnt)
{
    if (i + cnt > m->n) cnt = m->n - i;
    for (size_t j = i; j < i + cnt; j++) free(m->v[j].p);
    memmove(m->v + i, m->v + i + cnt, (m->n - i - cnt) * sizeof *m->v);
    m->n -= cnt;
}

static void m_replace(model *m, size_t i, const char *p, size_t n)
{
    free(m->v[i].p);
    m->v[i].p = malloc(n + 1);
    memcpy(m->v[i].p, p, n);
    m->v[i].n = n;
}

static void m_free(model *m)
{
    m_delete(m, 0, m->n);
    free(m->v);
}

/* The entry at pos equals (p, n) by every reader. */
static void check_entry(const lp *l, uint32_t pos, const char *p, size_t n)
{
    char scratch[32];
    size_t got;
    const char *s = lp_get_str(l, pos, scratch, &got);
    assert_int_equal(got, n);
    if (n) assert_memory_equal(s, p, n);
    assert_true(lp_eq(l, pos, p, n));
    lpval v;
    lp_get(l, pos, &v);
    long long iv;
    bool canon = hf_str2ll(p, n, &iv);
    assert_int_equal(v.is_int, canon);
    if (canon) assert_true(v.v == iv);
    else assert_int_equal(v.n, n);
}

/* The listpack holds exactly the model, walked both ways. */
static void check_model(const lp *l, const model *m)
{
    assert_true(lp_validate(l, lp_bytes(l)));
    assert_int_equal(lp_count(l), m->n);
    uint32_t pos = lp_first(l);
    for (size_t i = 0; i < m->n; i++) {
        assert_int_not_equal(pos, LP_NONE);
        check_entry(l, pos, m->v[i].p, m->v[i].n);
        pos = lp_next(l, pos);
    }
    assert_int_equal(pos, LP_NONE);
    pos = lp_last(l);
    for (size_t i = m->n; i-- > 0;) {
        assert_int_not_equal(pos, LP_NONE);
        check_entry(l, pos, m->v[i].p, m->v[i].n);
        pos = lp_prev(l, pos);
    }
    assert_int_equal(pos, LP_NONE);
    assert_int_equal(lp_seek(l, (long)m->n), LP_NONE);
    assert_int_equal(lp_seek(l, -(long)m->n - 1), LP_NONE);
    if (m->n) {
        size_t i = (size_t)rand() % m->n;
        uint32_t a = lp_seek(l, (long)i), b = lp_seek(l, (long)i - (long)m->n);
        assert_int_equal(a, b);
        check_entry(l, a, m->v[i].p, m->v[i].n);
    }
    /* size bookkeeping: the block is the header plus every entry */
    size_t sum = 8;
    for (size_t i = 0; i < m->n; i++) sum += lp_entry_size(m->v[i].p, m->v[i].n);
    assert_int_equal(lp_bytes(l), sum);
}

/* ---- values used by the random tests -------------------------------------- */

static char bigbuf[70000];

/* A random value: integers of every width, near-integers, binary, long. */
static size_t rand_value(char *buf)
{
    static const char *fixed[] = {
        "", "0", "-0", "01", "+1", " 1", "1 ", "-", "00", "-01",
        "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "-9223372036854775809",
        "18446744073709551615", "127", "128", "-1", "-4096", "-4097", "4095", "4096",
        "32767", "32768", "-32768", "-32769", "8388607", "8388608", "-8388608", "-8388609",
        "2147483647", "2147483648", "-2147483648", "-2147483649", "1e3", "1.5", "abc",
        "field", "value", "x",
    };
    int kind = rand() % 10;
    if (kind < 3) {
        const char *s = fixed[(size_t)rand() % (sizeof fixed / sizeof *fixed)];
        size_t n = strlen(s);
        memcpy(buf, s, n);
        return n;
    }
    if (kind < 6) {
        /* a random integer of random magnitude */
        long long v = (long long)hf_rand64();
        int shift = rand() % 64;
        v >>= shift;
        return (size_t)sprintf(buf, "%lld", v);
    }
    if (kind < 9) {
        size_t n = (size_t)rand() % 12;
        for (size_t i = 0; i < n; i++) buf[i] = (char)(rand() % 256);
        return n;
    }
    size_t sizes[] = {63, 64, 100, 4095, 4096, 5000, 66000};
    size_t n = sizes[(size_t)rand() % 7];
    for (size_t i = 0; i < n; i++) buf[i] = (char)('a' + rand() % 26);
    return n;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_empty(void **state)
{
    (void)state;
    lp *l = lp_new();
    assert_int_equal(lp_count(l), 0);
    assert_int_equal(lp_bytes(l), 8);
    assert_int_equal(lp_first(l), LP_NONE);
    assert_int_equal(lp_last(l), LP_NONE);
    assert_int_equal(lp_seek(l, 0), LP_NONE);
    assert_int_equal(lp_seek(l, -1), LP_NONE);
    assert_int_equal(lp_find(l, lp_first(l), "a", 1, 0), LP_NONE);
    assert_true(lp_validate(l, lp_bytes(l)));
    lp_delete_range(&l, 0, 5);
    assert_int_equal(lp_count(l), 0);
    lp *c = lp_dup(l);
    assert_int_equal(lp_bytes(c), 8);
    lp_free(c);
    lp_free(l);
}

static void test_size_target(void **state)
{
    (void)state;
    lp *l = lp_new();
    const char *words[10] = {"a", "bb", "name", "abcdefghij", "hello", "", "x1", "field:7", "v", "zzzzzzzzzz"};
    size_t payload = 0;
    for (int i = 0; i < 10; i++) {
        lp_append(&l, words[i], strlen(words[i]));
        payload += strlen(words[i]);
    }
    assert_true(lp_bytes(l) <= 8 + payload + 2 * 10);
    lp_free(l);
}

static void test_integer_encodings(void **state)
{
    (void)state;
    long long vals[] = {0, 1, 127, 128, -1, -4096, 4095, -4097, 4096, 32767, -32768, 32768,
                        -32769, 8388607, -8388608, 8388608, -8388609, INT32_MAX, INT32_MIN,
                        (long long)INT32_MAX + 1, (long long)INT32_MIN - 1, LLONG_MAX, LLONG_MIN};
    size_t want[] = {2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 10, 10, 10, 10};
    size_t nv = sizeof vals / sizeof *vals;
    lp *l = lp_new();
    for (size_t i = 0; i < nv; i++) {
        char buf[32];
        int n = sprintf(buf, "%lld", vals[i]);
        assert_int_equal(lp_entry_size(buf, (size_t)n), want[i]);
        size_t before = lp_bytes(l);
        uint32_t pos = (i % 2) ? lp_append_int(&l, vals[i]) : lp_append(&l, buf, (size_t)n);
        assert_int_equal(lp_bytes(l) - before, want[i]);
        lpval v;
        lp_get(l, pos, &v);
        assert_true(v.is_int);
        assert_true(v.v == vals[i]);
        assert_true(lp_eq(l, pos, buf, (size_t)n));
        double d;
        assert_true(lp_get_double(l, pos, &d));
        assert_true(d == (double)vals[i]);
    }
    for (size_t i = 0; i < nv; i++) {
        char buf[32];
        int n = sprintf(buf, "%lld", vals[i]);
        uint32_t pos = lp_find(l, lp_first(l), buf, (size_t)n, 0);
        assert_int_equal(pos, lp_seek(l, (long)i));
    }
    /* non-canonical forms are strings and do not match integer entries */
    lp *s = lp_new();
    const char *nc[] = {"-0", "01", "+1", " 1", "1 ", "9223372036854775808", "-9223372036854775809", "0x10", "1.0"};
    for (size_t i = 0; i < sizeof nc / sizeof *nc; i++) {
        uint32_t pos = lp_append(&s, nc[i], strlen(nc[i]));
        lpval v;
        lp_get(s, pos, &v);
        assert_false(v.is_int);
        assert_int_equal(v.n, strlen(nc[i]));
        assert_memory_equal(v.p, nc[i], v.n);
    }
    lp_append(&s, "1", 1);
    lp_append(&s, "0", 1);
    assert_int_equal(lp_find(s, lp_first(s), "1", 1, 0), lp_seek(s, -2));
    assert_int_equal(lp_find(s, lp_first(s), "0", 1, 0), lp_seek(s, -1));
    assert_int_equal(lp_find(s, lp_first(s), "-0", 2, 0), lp_seek(s, 0));
    assert_int_equal(lp_find(s, lp_first(s), "10", 2, 0), LP_NONE);
    double d;
    assert_true(lp_get_double(s, lp_seek(s, -3), &d));   /* "1.0" */
    assert_true(d == 1.0);
    assert_false(lp_get_double(s, lp_seek(s, 3), &d));  /* " 1" */
    lp_free(s);
    lp_free(l);
}

static void test_find_skip(void **state)
{
    (void)state;
    lp *l = lp_new();
    /* field/value pairs where values collide with field names */
    const char *fv[] = {"a", "b", "b", "a", "1", "2", "2", "1", "", "x", "x", ""};
    for (int i = 0; i < 12; i++) lp_append(&l, fv[i], strlen(fv[i]));
    uint32_t first = lp_first(l);
    assert_int_equal(lp_find(l, first, "a", 1, 1), lp_seek(l, 0));
    assert_int_equal(lp_find(l, first, "b", 1, 1), lp_seek(l, 2));
    assert_int_equal(lp_find(l, first, "1", 1, 1), lp_seek(l, 4));
    assert_int_equal(lp_find(l, first, "2", 1, 1), lp_seek(l, 6));
    assert_int_equal(lp_find(l, first, "", 0, 1), lp_seek(l, 8));
    assert_int_equal(lp_find(l, first, "x", 1, 1), lp_seek(l, 10));
    assert_int_equal(lp_find(l, first, "c", 1, 1), LP_NONE);
    /* searching values: start at entry 1 */
    uint32_t second = lp_next(l, first);
    assert_int_equal(lp_find(l, second, "a", 1, 1), lp_seek(l, 3));
    assert_int_equal(lp_find(l, second, "", 0, 1), lp_seek(l, 11));
    assert_int_equal(lp_find(l, LP_NONE, "a", 1, 1), LP_NONE);
    /* skip = 2: a (member, x, y) triple layout */
    assert_int_equal(lp_find(l, first, "a", 1, 2), lp_seek(l, 0));
    assert_int_equal(lp_find(l, first, "1", 1, 2), LP_NONE);   /* index 4 not a multiple of 3 */
    assert_int_equal(lp_find(l, first, "2", 1, 2), lp_seek(l, 6));
    lp_free(l);
}

static void test_long_and_binary(void **state)
{
    (void)state;
    lp *l = lp_new();
    char bin[256];
    for (int i = 0; i < 256; i++) bin[i] = (char)i;
    char *big = malloc(70000);
    memset(big, 'q', 70000);
    lp_append(&l, bin, 256);
    lp_append(&l, big, 4096);
    lp_append(&l, big, 70000);
    lp_append(&l, "", 0);
    lp_prepend(&l, bin, 1);   /* a single NUL byte */
    assert_int_equal(lp_count(l), 5);
    check_entry(l, lp_seek(l, 0), bin, 1);
    check_entry(l, lp_seek(l, 1), bin, 256);
    check_entry(l, lp_seek(l, 2), big, 4096);
    check_entry(l, lp_seek(l, 3), big, 70000);
    check_entry(l, lp_seek(l, 4), "", 0);
    assert_int_equal(lp_find(l, lp_first(l), big, 70000, 0), lp_seek(l, 3));
    assert_int_equal(lp_find(l, lp_first(l), "", 0, 0), lp_seek(l, 4));
    assert_int_equal(lp_prev(l, lp_last(l)), lp_seek(l, 3));
    assert_int_equal(lp_prev(l, lp_seek(l, 3)), lp_seek(l, 2));
    assert_true(lp_validate(l, lp_bytes(l)));
    /* replace big by small and back */
    uint32_t p = lp_replace(&l, lp_seek(l, 3), "12", 2);
    check_entry(l, p, "12", 2);
    p = lp_replace(&l, p, big, 5000);
    check_entry(l, p, big, 5000);
    p = lp_replace_int(&l, p, -77);
    check_entry(l, p, "-77", 3);
    check_entry(l, lp_next(l, p), "", 0);
    assert_true(lp_validate(l, lp_bytes(l)));
    free(big);
    lp_free(l);
}

static void test_delete(void **state)
{
    (void)state;
    lp *l = lp_new();
    for (int i = 0; i < 10; i++) lp_append_int(&l, i);
    uint32_t p = lp_delete(&l, lp_seek(l, 2), 3);    /* 0 1 5 6 7 8 9 */
    check_entry(l, p, "5", 1);
    assert_int_equal(lp_count(l), 7);
    p = lp_delete(&l, lp_seek(l, -2), 10);            /* 0 1 5 6 7 */
    assert_int_equal(p, LP_NONE);
    assert_int_equal(lp_count(l), 5);
    lp_delete_range(&l, -2, 1);                       /* 0 1 5 7 */
    check_entry(l, lp_seek(l, 3), "7", 1);
    lp_delete_range(&l, 10, 1);
    assert_int_equal(lp_count(l), 4);
    lp_delete_range(&l, -100, 2);                     /* 5 7 */
    check_entry(l, lp_first(l), "5", 1);
    lp_delete_range(&l, 0, 100);
    assert_int_equal(lp_count(l), 0);
    assert_int_equal(lp_bytes(l), 8);
    assert_true(lp_validate(l, lp_bytes(l)));
    lp_free(l);
}

static void test_random_ops(void **state)
{
    (void)state;
    srand(12345);
    for (int round = 0; round < 20; round++) {
        lp *l = lp_new();
        model m = {0};
        for (int step = 0; step < 300; step++) {
            size_t n = rand_value(bigbuf);
            int op = rand() % 10;
            if (op < 3 || m.n == 0) {
                uint32_t pos = lp_append(&l, bigbuf, n);
                m_insert(&m, m.n, bigbuf, n);
                assert_int_equal(pos, lp_last(l));
            } else if (op == 3) {
                uint32_t pos = lp_prepend(&l, bigbuf, n);
                m_insert(&m, 0, bigbuf, n);
                assert_int_equal(pos, lp_first(l));
            } else if (op == 4) {
                size_t i = (size_t)rand() % m.n;
                int where = rand() % 2 ? LP_AFTER : LP_BEFORE;
                uint32_t pos = lp_insert(&l, lp_seek(l, (long)i), where, bigbuf, n);
                size_t at = i + (where == LP_AFTER);
                m_insert(&m, at, bigbuf, n);
                assert_int_equal(pos, lp_seek(l, (long)at));
            } else if (op == 5) {
                size_t i = (size_t)rand() % m.n;
                uint32_t pos = lp_seek(l, (long)i);
                assert_int_equal(lp_replace(&l, pos, bigbuf, n), pos);
                m_replace(&m, i, bigbuf, n);
            } else if (op == 6) {
                size_t i = (size_t)rand() % m.n;
                uint32_t cnt = (uint32_t)(rand() % 4);
                uint32_t next = lp_delete(&l, lp_seek(l, (long)i), cnt);
                m_delete(&m, i, cnt);
                if (i < m.n) assert_int_equal(next, lp_seek(l, (long)i));
                else assert_int_equal(next, LP_NONE);
            } else if (op == 7) {
                long start = rand() % (long)(m.n + 2) - (long)(m.n / 2);
                uint32_t cnt = (uint32_t)(rand() % 3);
                lp_delete_range(&l, start, cnt);
                long s = start < 0 ? start + (long)m.n : start;
                if (s < 0) s = 0;
                if ((size_t)s < m.n) m_delete(&m, (size_t)s, cnt);
            } else {
                /* find: an existing element or the random value */
                const char *p = bigbuf;
                if (rand() % 2 && m.n) {
                    size_t i = (size_t)rand() % m.n;
                    p = m.v[i].p;
                    n = m.v[i].n;
                }
                unsigned skip = (unsigned)(rand() % 2);
                uint32_t got = lp_find(l, lp_first(l), p, n, skip);
                size_t want = SIZE_MAX;
                for (size_t i = 0; i < m.n; i += skip + 1)
                    if (m.v[i].n == n && memcmp(m.v[i].p, p, n) == 0) { want = i; break; }
                if (want == SIZE_MAX) assert_int_equal(got, LP_NONE);
                else assert_int_equal(got, lp_seek(l, (long)want));
            }
            check_model(l, &m);
        }
        lp *c = lp_dup(l);
        check_model(c, &m);
        lp_free(c);
        lp_free(l);
        m_free(&m);
    }
}

/* Validation of mutated blocks: never crashes; if it says valid, the block
 * can be walked both ways with the count it claims. */
static void walk_valid(const lp *l)
{
    uint32_t n = 0;
    char scratch[32];
    size_t len;
    for (uint32_t p = lp_first(l); p != LP_NONE; p = lp_next(l, p)) {
        lp_get_str(l, p, scratch, &len);
        n++;
    }
    assert_int_equal(n, lp_count(l));
    n = 0;
    for (uint32_t p = lp_last(l); p != LP_NONE; p = lp_prev(l, p)) n++;
    assert_int_equal(n, lp_count(l));
}

static void test_validate_corrupt(void **state)
{
    (void)state;
    srand(777);
    assert_false(lp_validate(NULL, 0));
    unsigned char tiny[8] = {8, 0, 0, 0, 0, 0, 0, 0};
    assert_true(lp_validate(tiny, 8));
    assert_false(lp_validate(tiny, 7));
    tiny[4] = 1;
    assert_false(lp_validate(tiny, 8));
    for (int round = 0; round < 300; round++) {
        lp *l = lp_new();
        int cnt = rand() % 12;
        for (int i = 0; i < cnt; i++) {
            size_t n = rand_value(bigbuf);
            if (n > 300) n = 300;
            lp_append(&l, bigbuf, n);
        }
        size_t len = lp_bytes(l);
        assert_true(lp_validate(l, len));
        /* every truncation is rejected (the total no longer matches) */
        for (size_t t = 0; t < len; t++) {
            unsigned char *cut = malloc(t ? t : 1);
            memcpy(cut, l, t);
            assert_false(lp_validate(cut, t));
            free(cut);
        }
        /* truncation with a fixed-up total is rejected unless at a boundary */
        for (int k = 0; k < 20; k++) {
            unsigned char *b = malloc(len);
            memcpy(b, l, len);
            int flips = 1 + rand() % 3;
            for (int f = 0; f < flips; f++) {
                size_t at = (size_t)rand() % len;
                if (rand() % 2) b[at] ^= (unsigned char)(1u << (rand() % 8));
                else b[at] = (unsigned char)rand();
            }
            if (lp_validate(b, len)) walk_valid(b);
            /* a copy with a bogus total and count */
            size_t nl = (size_t)rand() % (len + 1);
            if (nl >= 8) {
                unsigned char *s = malloc(nl);
                memcpy(s, b, nl);
                s[0] = (unsigned char)nl; s[1] = (unsigned char)(nl >> 8);
                s[2] = (unsigned char)(nl >> 16); s[3] = (unsigned char)(nl >> 24);
                if (lp_validate(s, nl)) walk_valid(s);
                free(s);
            }
            free(b);
        }
        lp_free(l);
    }
    /* pure garbage */
    for (int round = 0; round < 2000; round++) {
        size_t len = 8 + (size_t)rand() % 40;
        unsigned char *b = malloc(len);
        for (size_t i = 0; i < len; i++) b[i] = (unsigned char)rand();
        b[0] = (unsigned char)len; b[1] = b[2] = b[3] = 0;
        b[4] = (unsigned char)(rand() % 6); b[5] = b[6] = b[7] = 0;
        if (lp_validate(b, len)) walk_valid(b);
        free(b);
    }
    /* huge lengths in the header must not be believed */
    unsigned char huge[16] = {16, 0, 0, 0, 1, 0, 0, 0, 0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0};
    assert_false(lp_validate(huge, 16));
    unsigned char back[11] = {11, 0, 0, 0, 1, 0, 0, 0, 0x81, 'a', 3};
    assert_false(lp_validate(back, 11));      /* back length says 3, entry is 2 */
    back[10] = 2;
    assert_true(lp_validate(back, 11));
}

/* lp_find_prefix: head then body at the start of an entry, the first byte
 * compared under a mask, an empty body, integer entries by their decimal
 * form, and the search starting at pos. */
static void test_find_prefix(void **state)
{
    (void)state;
    lp *l = lp_new();
    lp_append(&l, "\003abcvalue", 9);     /* flag bit 0 clear */
    lp_append(&l, "\005fieldxyz", 9);      /* flag bit 0 set */
    lp_append(&l, "12345", 5);              /* stored as an integer */
    uint32_t first = lp_first(l), second = lp_next(l, first), third = lp_next(l, second);
    const unsigned char h1[] = {0x03}, h2[] = {0x04};
    assert_int_equal(lp_find_prefix(l, first, h1, 1, 0xff, "abc", 3), first);
    assert_int_equal(lp_find_prefix(l, first, h1, 1, 0xff, "abcv", 4), first);
    assert_int_equal(lp_find_prefix(l, first, h1, 1, 0xff, "abd", 3), LP_NONE);
    /* 0x05 matches 0x04 once bit 0 is masked off, not without the mask */
    assert_int_equal(lp_find_prefix(l, first, h2, 1, 0xfe, "field", 5), second);
    assert_int_equal(lp_find_prefix(l, first, h2, 1, 0xff, "field", 5), LP_NONE);
    /* an empty body, and a search that starts past the match */
    assert_int_equal(lp_find_prefix(l, first, h1, 1, 0xff, "", 0), first);
    assert_int_equal(lp_find_prefix(l, second, h1, 1, 0xff, "", 0), LP_NONE);
    /* an integer entry compares by its decimal form */
    const unsigned char h3[] = {'1'};
    assert_int_equal(lp_find_prefix(l, first, h3, 1, 0xff, "234", 3), third);
    assert_int_equal(lp_find_prefix(l, first, h3, 1, 0xff, "2345", 4), third);
    assert_int_equal(lp_find_prefix(l, first, h3, 1, 0xff, "23456", 5), LP_NONE);
    lp_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_size_target),
        cmocka_unit_test(test_integer_encodings),
        cmocka_unit_test(test_find_skip),
        cmocka_unit_test(test_find_prefix),
        cmocka_unit_test(test_long_and_binary),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_random_ops),
        cmocka_unit_test(test_validate_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
