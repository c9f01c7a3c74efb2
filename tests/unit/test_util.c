/* test_util.c — number parsing and formatting, glob matching and hashing
 * (src/util.h), and the keyspace's expiry (src/keyspace.h) without sockets.
 *
 * Expected values are Redis 7.0's (util.c: string2ll, ld2string, d2string,
 * stringmatchlen; db.c / expire.c for expiry), so a difference is a bug. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"
#include "object.h"
#include "keyspace.h"

/* ---- hf_str2ll ------------------------------------------------------------ */

static bool s2ll(const char *s, long long *v) { return hf_str2ll(s, strlen(s), v); }

static void test_str2ll_accepts(void **state)
{
    (void)state;
    long long v = 42;
    assert_true(s2ll("0", &v));
    assert_int_equal(v, 0);
    assert_true(s2ll("1", &v));
    assert_int_equal(v, 1);
    assert_true(s2ll("-1", &v));
    assert_int_equal(v, -1);
    assert_true(s2ll("1234567890", &v));
    assert_int_equal(v, 1234567890LL);
    assert_true(s2ll("9223372036854775807", &v));
    assert_true(v == LLONG_MAX);
    assert_true(s2ll("-9223372036854775808", &v));
    assert_true(v == LLONG_MIN);
    assert_true(s2ll("-9223372036854775807", &v));
    assert_true(v == LLONG_MIN + 1);
    /* counted, not NUL-terminated */
    assert_true(hf_str2ll("12345", 3, &v));
    assert_int_equal(v, 123);
}

static void test_str2ll_rejects(void **state)
{
    (void)state;
    long long v = 77;
    static const char *bad[] = {
        "", "+1", " 1", "1 ", "01", "00", "-0", "-01", "-", "--1", "1a", "a1",
        "0x10", "1.0", "1e3", "9223372036854775808", "-9223372036854775809",
        "18446744073709551615", "18446744073709551616", "99999999999999999999",
        "123456789012345678901", "\t1", "1\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (s2ll(bad[i], &v)) fail_msg("hf_str2ll accepted \"%s\"", bad[i]);
    }
    /* embedded NUL */
    assert_false(hf_str2ll("1\0002", 3, &v));
    assert_int_equal(v, 77);   /* untouched on failure */
}

/* ---- hf_ll2str / hf_ull2str ------------------------------------------------ */

static void test_ll2str(void **state)
{
    (void)state;
    char buf[32];
    struct { long long v; const char *s; } cases[] = {
        {0, "0"}, {1, "1"}, {-1, "-1"}, {9, "9"}, {10, "10"}, {-10, "-10"},
        {1234567890LL, "1234567890"}, {LLONG_MAX, "9223372036854775807"},
        {LLONG_MIN, "-9223372036854775808"}, {LLONG_MIN + 1, "-9223372036854775807"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memset(buf, 'X', sizeof buf);
        int n = hf_ll2str(buf, cases[i].v);
        assert_int_equal(n, (int)strlen(cases[i].s));
        assert_string_equal(buf, cases[i].s);
    }
    assert_int_equal(hf_ull2str(buf, ULLONG_MAX), 20);
    assert_string_equal(buf, "18446744073709551615");

    /* round trip */
    long long v;
    for (long long x = -100000; x <= 100000; x += 7) {
        int n = hf_ll2str(buf, x);
        assert_true(hf_str2ll(buf, (size_t)n, &v));
        assert_true(v == x);
    }
}

/* ---- hf_ld2str: INCRBYFLOAT's reply -------------------------------------- */

static void expect_ld(long double v, bool human, const char *want)
{
    char buf[5120];
    int n = hf_ld2str(buf, sizeof buf, v, human);
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(buf, want);
}

static long double ld(const char *s)
{
    long double v = 0;
    if (!hf_str2ld(s, strlen(s), &v)) fail_msg("hf_str2ld rejected \"%s\"", s);
    return v;
}

static void test_ld2str_humanfriendly(void **state)
{
    (void)state;
    expect_ld(10.5L, true, "10.5");
    expect_ld(ld("3.0e3"), true, "3000");
    expect_ld(ld("10.5") + ld("0.1"), true, "10.6");          /* Redis docs' example */
    expect_ld(ld("5.0e3") + ld("2.0e2"), true, "5200");       /* Redis docs' example */
    expect_ld(ld("1") + ld("-1.1"), true, "-0.1");
    expect_ld(ld("1.1") + ld("2.2"), true, "3.3");
    expect_ld(ld("0.1") + ld("0.2"), true, "0.3");
    expect_ld(ld("17179869184") + ld("1.5"), true, "17179869185.5");
    expect_ld(ld("1.5") + ld("1.5"), true, "3");
    expect_ld(0.0L, true, "0");
    expect_ld(-0.0L, true, "0");                               /* never "-0" */
    expect_ld(ld("-1e-30"), true, "0");                        /* rounds to -0 */
    expect_ld(ld("1e-17"), true, "0.00000000000000001");
    expect_ld(-2.25L, true, "-2.25");
    expect_ld(100.0L, true, "100");
    expect_ld(ld("1e20"), true, "100000000000000000000");
    expect_ld(INFINITY, true, "inf");
    expect_ld(-INFINITY, true, "-inf");

    /* Non-human mode is "%.17Lg". */
    expect_ld(3.0L, false, "3");
    expect_ld(ld("0.1"), false, "0.1");
    expect_ld(ld("1e20"), false, "1e+20");

    /* No room: 0, not a truncated number. */
    char small[4];
    assert_int_equal(hf_ld2str(small, sizeof small, 12345.5L, true), 0);
}

static void test_str2ld_rules(void **state)
{
    (void)state;
    long double v;
    assert_true(hf_str2ld("1.5", 3, &v));
    assert_true(v == 1.5L);
    assert_true(hf_str2ld("-3e2", 4, &v));
    assert_true(v == -300.0L);
    assert_false(hf_str2ld("", 0, &v));
    assert_false(hf_str2ld(" 1.5", 4, &v));
    assert_false(hf_str2ld("1.5 ", 4, &v));
    assert_false(hf_str2ld("1.5x", 4, &v));
    assert_false(hf_str2ld("nan", 3, &v));
    assert_false(hf_str2ld("1e999999", 8, &v));       /* overflow */
    double d;
    assert_true(hf_str2d("0.25", 4, &d));
    assert_true(d == 0.25);
    assert_false(hf_str2d("abc", 3, &d));
    assert_false(hf_str2d("-nan", 4, &d));
}

/* ---- hf_d2str: ZSCORE / RESP3 double ------------------------------------ */

static void expect_d(double v, const char *want)
{
    char buf[128];
    int n = hf_d2str(buf, sizeof buf, v);
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(buf, want);
}

static void test_d2str(void **state)
{
    (void)state;
    expect_d(1.5, "1.5");
    expect_d(3.0, "3");
    expect_d(-3.0, "-3");
    expect_d(0.0, "0");
    expect_d(-0.0, "-0");
    expect_d(0.1, "0.10000000000000001");
    expect_d(1e20, "1e+20");
    expect_d(123456789012345678.0, "1.2345678901234568e+17");
    expect_d(4503599627370495.0, "4503599627370495");
    expect_d(-4503599627370495.0, "-4503599627370495");
    expect_d(4503599627370496.0, "4503599627370496");
    expect_d(1e-5, "1.0000000000000001e-05");
    expect_d(INFINITY, "inf");
    expect_d(-INFINITY, "-inf");
    expect_d(NAN, "nan");
}

/* ---- hf_globmatch: stringmatchlen --------------------------------------- */

static bool gm(const char *pat, const char *s) { return hf_globmatch(pat, strlen(pat), s, strlen(s), false); }
static bool gmi(const char *pat, const char *s) { return hf_globmatch(pat, strlen(pat), s, strlen(s), true); }

static void test_globmatch(void **state)
{
    (void)state;
    /* the KEYS documentation's examples */
    assert_true(gm("h?llo", "hello"));
    assert_true(gm("h?llo", "hallo"));
    assert_true(gm("h?llo", "hxllo"));
    assert_false(gm("h?llo", "hllo"));
    assert_true(gm("h*llo", "hllo"));
    assert_true(gm("h*llo", "heeeello"));
    assert_true(gm("h[ae]llo", "hello"));
    assert_true(gm("h[ae]llo", "hallo"));
    assert_false(gm("h[ae]llo", "hillo"));
    assert_true(gm("h[^e]llo", "hallo"));
    assert_true(gm("h[^e]llo", "hbllo"));
    assert_false(gm("h[^e]llo", "hello"));
    assert_true(gm("h[a-b]llo", "hallo"));
    assert_true(gm("h[a-b]llo", "hbllo"));
    assert_false(gm("h[a-b]llo", "hcllo"));

    /* star */
    assert_true(gm("*", "anything"));
    assert_true(gm("**", "x"));
    assert_true(gm("a*", "a"));
    assert_true(gm("a*", "abc"));
    assert_true(gm("*c", "abc"));
    assert_true(gm("a*c", "ac"));
    assert_true(gm("a*b*c", "aXXbYYc"));
    assert_false(gm("a*b*c", "aXXbYY"));
    assert_true(gm("*a*", "bab"));
    assert_false(gm("a*", ""));
    assert_true(gm("", ""));
    assert_false(gm("", "a"));
    /* stringmatchlen("*", "") is 0: KEYS/SCAN special-case a lone "*". */
    assert_false(gm("*", ""));

    /* ranges, reversed ranges, classes */
    assert_true(gm("[a-z]", "m"));
    assert_false(gm("[a-z]", "M"));
    assert_true(gm("[z-a]", "m"));
    assert_true(gm("[0-9][0-9]", "42"));
    assert_false(gm("[0-9]", "x"));
    assert_true(gm("[^a]", "b"));
    assert_false(gm("[^a]", "a"));
    /* "c-]" is a range c..']' in stringmatchlen, so the class stays open:
     * a '-' before ']' is not a literal. */
    assert_false(gm("[abc-]", "-"));
    assert_true(gm("[-abc]", "-"));
    assert_false(gm("[abc]", ""));

    /* escapes */
    assert_true(gm("h\\*llo", "h*llo"));
    assert_false(gm("h\\*llo", "hello"));
    assert_true(gm("\\?", "?"));
    assert_false(gm("\\?", "x"));
    assert_true(gm("[\\]]", "]"));
    assert_true(gm("[\\-]", "-"));
    assert_false(gm("[\\-]", "a"));
    assert_true(gm("a\\", "a\\"));        /* lone trailing backslash is literal */
    assert_true(gm("\\\\", "\\"));

    /* an unterminated class behaves as if closed at the end */
    assert_true(gm("[abc", "a"));
    assert_false(gm("[abc", "d"));

    /* case */
    assert_false(gm("HELLO", "hello"));
    assert_true(gmi("HELLO", "hello"));
    assert_true(gmi("h[A-C]llo", "hbllo"));
    assert_true(gmi("h[^B]llo", "hcllo"));
    assert_false(gmi("h[^B]llo", "hbllo"));
    assert_true(gmi("[x]", "X"));

    /* counted strings: NUL bytes are ordinary bytes */
    assert_true(hf_globmatch("a?c", 3, "a\0c", 3, false));
    assert_true(hf_globmatch("a*", 2, "a\0\0", 3, false));
    assert_false(hf_globmatch("abc", 2, "abc", 3, false));
}

/* Pattern matching must not take exponential time (CVE-2022-36021; Redis
 * 7.0.9 "skipLongerMatches").  This is Redis's regression test from
 * tests/unit/keyspace.tcl, run in a child with a deadline. */
static void test_globmatch_no_exponential_backtracking(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(5);
        const char *s = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        const char *p = "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*"
                        "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        bool r = hf_globmatch(p, strlen(p), s, strlen(s), false);
        bool r2 = hf_globmatch("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", 42, s, strlen(s), false);
        _exit(r || r2 ? 2 : 0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("hf_globmatch(\"a*a*...*b\", \"aaa...\") did not finish in 5 s (signal %d)",
                 WTERMSIG(status));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- SipHash ---------------------------------------------------------------- */

static const uint8_t seed_a[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t seed_b[16] = {15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0};

/* SipHash-1-2 from the reference algorithm (c = 1, d = 2), written here
 * independently to check hf_hash against. */
static uint64_t ref_rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }
static void ref_round(uint64_t v[4])
{
    v[0] += v[1]; v[1] = ref_rotl(v[1], 13); v[1] ^= v[0]; v[0] = ref_rotl(v[0], 32);
    v[2] += v[3]; v[3] = ref_rotl(v[3], 16); v[3] ^= v[2];
    v[0] += v[3]; v[3] = ref_rotl(v[3], 21); v[3] ^= v[0];
    v[2] += v[1]; v[1] = ref_rotl(v[1], 17); v[1] ^= v[2]; v[2] = ref_rotl(v[2], 32);
}
static uint64_t ref_le64(const uint8_t *p)
{
    uint64_t r = 0;
    for (int i = 7; i >= 0; i--) r = (r << 8) | p[i];
    return r;
}
static uint64_t ref_siphash12(const uint8_t *in, size_t len, const uint8_t key[16])
{
    uint64_t k0 = ref_le64(key), k1 = ref_le64(key + 8);
    uint64_t v[4] = {0x736f6d6570736575ULL ^ k0, 0x646f72616e646f6dULL ^ k1,
                     0x6c7967656e657261ULL ^ k0, 0x7465646279746573ULL ^ k1};
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t m = ref_le64(in + i);
        v[3] ^= m;
        ref_round(v);
        v[0] ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t j = 0; i + j < len; j++) b |= (uint64_t)in[i + j] << (8 * j);
    v[3] ^= b;
    ref_round(v);
    v[0] ^= b;
    v[2] ^= 0xff;
    ref_round(v);
    ref_round(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static void test_siphash(void **state)
{
    (void)state;
    uint8_t buf[70];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 37 + 11);

    hf_hash_seed(seed_a);
    uint64_t ha[71];
    for (size_t n = 0; n <= sizeof buf; n++) {
        ha[n] = hf_hash(buf, n);
        assert_true(ha[n] == ref_siphash12(buf, n, seed_a));
        assert_true(hf_hash(buf, n) == ha[n]);            /* deterministic */
        for (size_t m = 0; m < n; m++) assert_true(ha[m] != ha[n]);
    }
    /* trailing zero bytes change the hash (length is mixed in) */
    assert_true(hf_hash("a", 1) != hf_hash("a\0", 2));

    hf_hash_seed(seed_b);
    for (size_t n = 0; n <= sizeof buf; n++) {
        uint64_t hb = hf_hash(buf, n);
        assert_true(hb == ref_siphash12(buf, n, seed_b));
        assert_true(hb != ha[n]);                        /* seed matters */
    }
    hf_hash_seed(seed_a);
    for (size_t n = 0; n <= sizeof buf; n++) assert_true(hf_hash(buf, n) == ha[n]);

    /* case-insensitive variant: hash of the lowercase form */
    const char *mixed = "Hello-World_0123456789-ABCxyz";
    char lower[64];
    size_t ml = strlen(mixed);
    for (size_t i = 0; i < ml; i++) lower[i] = (char)((mixed[i] >= 'A' && mixed[i] <= 'Z') ? mixed[i] + 32 : mixed[i]);
    assert_true(hf_hash_nocase(mixed, ml) == hf_hash(lower, ml));
    assert_true(hf_hash_nocase(mixed, ml) == hf_hash_nocase(lower, ml));
    assert_true(hf_hash(mixed, ml) != hf_hash(lower, ml));
}

static void test_streq(void **state)
{
    (void)state;
    assert_true(hf_streq("GeT", 3, "get"));
    assert_false(hf_streq("GETX", 4, "get"));
    assert_false(hf_streq("GE", 2, "get"));
    assert_true(hf_streq("", 0, ""));
}

/* ---- keyspace expiry (no sockets) ------------------------------------------- */

static int ks_setup(void **state)
{
    (void)state;
    hf_hash_seed(seed_a);
    ks_init(16, 2);
    return 0;
}

static int ks_teardown(void **state)
{
    (void)state;
    ks_shutdown();
    return 0;
}

static kentry *add_key(const char *name, int db, int64_t expire_at)
{
    kref k;
    ks_ref(&k, name, strlen(name));
    ks_lock(k.s);
    kentry *e = do_ks_add(&k, db, obj_string("value", 5));
    if (expire_at) do_ks_set_expire(&k, db, e, expire_at);
    ks_unlock(k.s);
    return e;
}

static kentry *lookup_key(const char *name, int db)
{
    kref k;
    ks_ref(&k, name, strlen(name));
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, db);
    ks_unlock(k.s);
    return e;
}

static void test_lazy_expiry(void **state)
{
    (void)state;
    ks_now = 1000000;
    add_key("k:volatile", 0, 1000500);
    add_key("k:persistent", 0, 0);
    add_key("k:volatile", 1, 1000500);     /* same name, other db */
    assert_int_equal(ks_dbsize(0), 2);
    assert_int_equal(ks_dbsize(1), 1);
    assert_int_equal(ks_db_expires(0), 1);

    /* Alive up to and including its expire time (Redis: now > when). */
    ks_now = 1000500;
    kentry *e = lookup_key("k:volatile", 0);
    assert_non_null(e);
    assert_int_equal(e->expire, 1000500);

    ks_now = 1000501;
    assert_null(lookup_key("k:volatile", 0));
    assert_int_equal(ks_dbsize(0), 1);              /* deleted, not just hidden */
    assert_int_equal(ks_db_expires(0), 0);
    assert_non_null(lookup_key("k:persistent", 0));
    assert_null(lookup_key("k:volatile", 0));
    /* db 1 untouched until looked up there */
    assert_int_equal(ks_dbsize(1), 1);
    assert_null(lookup_key("k:volatile", 1));
    assert_int_equal(ks_dbsize(1), 0);

    /* The write lookup expires too. */
    add_key("k:w", 0, 1000600);
    ks_now = 1000601;
    kref k;
    ks_ref(&k, "k:w", 3);
    ks_lock(k.s);
    assert_null(do_ks_lookup_write(&k, 0));
    ks_unlock(k.s);
    assert_int_equal(ks_dbsize(0), 1);
}

static void test_expiry_set_and_delete(void **state)
{
    (void)state;
    ks_now = 5000;
    add_key("a", 0, 6000);
    kref k;
    ks_ref(&k, "a", 1);

    /* SET without KEEPTTL clears the TTL; with KEEPTTL keeps it. */
    ks_lock(k.s);
    kentry *e = do_ks_set(&k, 0, obj_string("1", 1), true);
    assert_int_equal(e->expire, 6000);
    e = do_ks_set(&k, 0, obj_string("2", 1), false);
    assert_int_equal(e->expire, 0);
    ks_unlock(k.s);
    assert_int_equal(ks_db_expires(0), 0);
    assert_int_equal(ks_dbsize(0), 1);

    /* Deleting a key whose time has passed does not count as a delete
     * (DEL on a logically expired key replies 0), but removes it. */
    ks_lock(k.s);
    e = do_ks_lookup_write(&k, 0);
    do_ks_set_expire(&k, 0, e, 5500);
    ks_unlock(k.s);
    ks_now = 5600;
    ks_lock(k.s);
    assert_false(do_ks_delete(&k, 0));
    ks_unlock(k.s);
    assert_int_equal(ks_dbsize(0), 0);
    assert_int_equal(ks_db_expires(0), 0);

    add_key("b", 0, 9000);
    ks_ref(&k, "b", 1);
    ks_lock(k.s);
    assert_true(do_ks_delete(&k, 0));
    assert_false(do_ks_delete(&k, 0));
    ks_unlock(k.s);
    assert_int_equal(ks_db_expires(0), 0);
}

/* Keys that are never looked up are removed by the active cycle; keys
 * with a future expiry and persistent keys stay. */
static void run_active_expire(int dbs_with_ttls)
{
    int64_t now = hf_mstime();
    ks_now = now;
    const int n_expired = 3000, n_future = 3000, n_plain = 500;
    char name[64];
    for (int db = 0; db < dbs_with_ttls; db++) {
        for (int i = 0; i < n_expired; i++) {
            snprintf(name, sizeof name, "gone:%d", i);
            add_key(name, db, now - 10000 - i);
        }
        for (int i = 0; i < n_future; i++) {
            snprintf(name, sizeof name, "future:%d", i);
            add_key(name, db, now + 3600 * 1000);
        }
        for (int i = 0; i < n_plain; i++) {
            snprintf(name, sizeof name, "plain:%d", i);
            add_key(name, db, 0);
        }
        assert_int_equal(ks_dbsize(db), n_expired + n_future + n_plain);
        assert_int_equal(ks_db_expires(db), n_expired + n_future);
    }

    uint64_t removed = 0;
    int idle = 0;
    for (int round = 0; round < 20000 && idle < 200; round++) {
        uint64_t r = ks_active_expire((uint32_t)round % 16, 16, 1000000);
        removed += r;
        idle = r ? 0 : idle + 1;
        bool done = true;
        for (int db = 0; db < dbs_with_ttls; db++)
            if (ks_dbsize(db) != (uint64_t)(n_future + n_plain)) done = false;
        if (done) break;
    }
    for (int db = 0; db < dbs_with_ttls; db++) {
        if (ks_dbsize(db) != (uint64_t)(n_future + n_plain))
            fail_msg("db %d: %llu keys left, want %d (expired keys never reclaimed)", db,
                     (unsigned long long)ks_dbsize(db), n_future + n_plain);
        assert_int_equal(ks_db_expires(db), n_future);
    }
    assert_int_equal(removed, (uint64_t)n_expired * (uint64_t)dbs_with_ttls);

    /* The survivors are the right ones. */
    ks_now = hf_mstime();
    for (int db = 0; db < dbs_with_ttls; db++) {
        for (int i = 0; i < n_future; i += 97) {
            snprintf(name, sizeof name, "future:%d", i);
            assert_non_null(lookup_key(name, db));
        }
        for (int i = 0; i < n_plain; i += 31) {
            snprintf(name, sizeof name, "plain:%d", i);
            assert_non_null(lookup_key(name, db));
        }
    }
}

static void test_active_expire_one_db(void **state)
{
    (void)state;
    run_active_expire(1);
}

static void test_active_expire_two_dbs(void **state)
{
    (void)state;
    run_active_expire(2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_str2ll_accepts),
        cmocka_unit_test(test_str2ll_rejects),
        cmocka_unit_test(test_ll2str),
        cmocka_unit_test(test_ld2str_humanfriendly),
        cmocka_unit_test(test_str2ld_rules),
        cmocka_unit_test(test_d2str),
        cmocka_unit_test(test_globmatch),
        cmocka_unit_test(test_globmatch_no_exponential_backtracking),
        cmocka_unit_test(test_siphash),
        cmocka_unit_test(test_streq),
        cmocka_unit_test_setup_teardown(test_lazy_expiry, ks_setup, ks_teardown),
        cmocka_unit_test_setup_teardown(test_expiry_set_and_delete, ks_setup, ks_teardown),
        cmocka_unit_test_setup_teardown(test_active_expire_one_db, ks_setup, ks_teardown),
        cmocka_unit_test_setup_teardown(test_active_expire_two_dbs, ks_setup, ks_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
