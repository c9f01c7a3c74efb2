/* test_cdict.c — the collections' hash table (src/cdict.h).
 *
 * Random adds, deletes, value and score changes checked against a model
 * (an array indexed by key number: present?, value, score) through
 * incremental rehashes in both directions; cd_set_val() moving entries
 * (under ASan every growth reallocates) while the dict is mid-rehash;
 * empty and binary keys; iteration sees every entry exactly once and may
 * delete the entry it just returned; SCAN returns every element present
 * for the whole scan while other elements are added and deleted between
 * calls (growing and shrinking the table); cd_random() returns members
 * with roughly uniform frequency; cd_dup() copies keys, values, scores;
 * cd_mem() goes back to its empty size when the dict empties. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdict.h"
#include "util.h"

static const uint8_t seed[16] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3};

static int setup(void **state)
{
    (void)state;
    hf_hash_seed(seed);
    srand(4242);
    return 0;
}

static int kname(char *buf, long i) { return sprintf(buf, "k%ld", i); }

static long key_index(const cdentry *e)
{
    size_t n;
    const char *k = cd_key(e, &n);
    assert_true(n > 1 && n < 30 && k[0] == 'k');
    char tmp[32];
    memcpy(tmp, k + 1, n - 1);
    tmp[n - 1] = '\0';
    return strtol(tmp, NULL, 10);
}

static cdentry *find_i(cdict *d, long i)
{
    char k[32];
    return cd_find(d, k, (size_t)kname(k, i));
}

static cdentry *add_i(cdict *d, long i, bool *added)
{
    char k[32];
    return cd_add(d, k, (size_t)kname(k, i), added);
}

static bool del_i(cdict *d, long i)
{
    char k[32];
    return cd_delete(d, k, (size_t)kname(k, i));
}

/* ---- model ---------------------------------------------------------------- */

enum { NKEYS = 3000 };

typedef struct mentry { bool in; char *v; size_t vn; } mentry;

static size_t rand_val(char *buf)
{
    static const size_t sizes[] = {0, 1, 5, 13, 30, 100, 4096};
    size_t n = sizes[(size_t)rand() % 7];
    for (size_t i = 0; i < n; i++) buf[i] = (char)rand();
    return n;
}

static void check_val(const cdentry *e, const mentry *m)
{
    size_t n;
    const char *v = cd_val(e, &n);
    assert_int_equal(n, m->vn);
    if (n) assert_memory_equal(v, m->v, n);
}

static void check_all(cdict *d, const mentry *m, long nkeys)
{
    size_t cnt = 0;
    for (long i = 0; i < nkeys; i++) {
        cdentry *e = find_i(d, i);
        if (m[i].in) {
            assert_non_null(e);
            assert_int_equal(key_index(e), i);
            check_val(e, &m[i]);
            cnt++;
        } else {
            assert_null(e);
        }
    }
    assert_int_equal(cd_size(d), cnt);
    /* iteration sees each entry once */
    char *seen = calloc((size_t)nkeys, 1);
    cditer it;
    cd_iter_init(&it, d);
    size_t iterated = 0;
    for (cdentry *e; (e = cd_iter_next(&it));) {
        long i = key_index(e);
        assert_true(i >= 0 && i < nkeys && m[i].in && !seen[i]);
        seen[i] = 1;
        iterated++;
    }
    cd_iter_done(&it);
    assert_int_equal(iterated, cnt);
    free(seen);
}

/* ---- tests ---------------------------------------------------------------- */

static void noop_cb(void *arg, const cdentry *e) { (void)arg; (void)e; }

static void test_empty(void **state)
{
    (void)state;
    cdict *d = cd_new();
    size_t empty_mem = cd_mem(d);
    assert_int_equal(cd_size(d), 0);
    assert_null(find_i(d, 1));
    assert_false(del_i(d, 1));
    assert_null(cd_random(d));
    assert_int_equal(cd_scan(d, 0, noop_cb, NULL), 0);
    cditer it;
    cd_iter_init(&it, d);
    assert_null(cd_iter_next(&it));
    cd_iter_done(&it);
    cdict *c = cd_dup(d);
    assert_int_equal(cd_size(c), 0);
    cd_free(c);
    /* the empty key and binary keys */
    bool added;
    cdentry *e = cd_add(d, "", 0, &added);
    assert_true(added);
    size_t n;
    cd_key(e, &n);
    assert_int_equal(n, 0);
    cd_val(e, &n);
    assert_int_equal(n, 0);
    assert_true(cd_score(e) == 0.0);
    assert_ptr_equal(cd_add(d, "", 0, &added), e);
    assert_false(added);
    assert_ptr_equal(cd_find(d, "", 0), e);
    cd_add(d, "\0", 1, &added);
    assert_true(added);
    cd_add(d, "\0\0", 2, &added);
    assert_true(added);
    assert_int_equal(cd_size(d), 3);
    assert_non_null(cd_find(d, "\0\0", 2));
    assert_null(cd_find(d, "\0\0\0", 3));
    assert_true(cd_delete(d, "", 0));
    assert_false(cd_delete(d, "", 0));
    assert_true(cd_delete(d, "\0", 1));
    assert_true(cd_delete(d, "\0\0", 2));
    assert_int_equal(cd_size(d), 0);
    while (cd_rehash(d, 100)) {}
    assert_true(cd_mem(d) <= empty_mem + 4 * sizeof(void *));
    cd_free(d);
}

static void test_values_and_scores(void **state)
{
    (void)state;
    cdict *h = cd_new();
    cdict *z = cd_new();
    char big[5000];
    memset(big, 'v', sizeof big);
    int moved = 0;
    for (long i = 0; i < 200; i++) {
        cdentry *e = add_i(h, i, NULL), *before = e;
        cd_set_val(h, &e, big, (size_t)i * 20);
        moved += e != before;
        assert_ptr_equal(find_i(h, i), e);
        cdentry *s = add_i(z, i, NULL);
        cd_set_score(s, (double)i / 3 - 20);
    }
    for (long i = 0; i < 200; i++) {
        cdentry *e = find_i(h, i);
        size_t n;
        const char *v = cd_val(e, &n);
        assert_int_equal(n, (size_t)i * 20);
        if (n) assert_memory_equal(v, big, n);
        assert_true(cd_score(find_i(z, i)) == (double)i / 3 - 20);
        size_t kn;
        cd_key(find_i(z, i), &kn);
        cd_val(find_i(z, i), &n);
        assert_int_equal(n, 0);
    }
    assert_true(moved > 100);       /* the relinking path ran */
    /* shrink values: entries may move again; the dict still finds them */
    for (long i = 0; i < 200; i++) {
        cdentry *e = find_i(h, i);
        cd_set_val(h, &e, "x", 1);
        assert_ptr_equal(find_i(h, i), e);
    }
    cdict *hc = cd_dup(h), *zc = cd_dup(z);
    for (long i = 0; i < 200; i++) {
        size_t n;
        const char *v = cd_val(find_i(hc, i), &n);
        assert_int_equal(n, 1);
        assert_memory_equal(v, "x", 1);
        assert_true(cd_score(find_i(zc, i)) == (double)i / 3 - 20);
    }
    assert_int_equal(cd_size(hc), 200);
    cd_free(hc);
    cd_free(zc);
    cd_free(h);
    cd_free(z);
}

static void test_random_model(void **state)
{
    (void)state;
    static char vbuf[5000];
    for (int round = 0; round < 4; round++) {
        cdict *d = cd_new();
        mentry *m = calloc(NKEYS, sizeof *m);
        /* phases: grow mostly, then shrink mostly, then mixed */
        for (int phase = 0; phase < 3; phase++) {
            for (int step = 0; step < 6000; step++) {
                long i = rand() % NKEYS;
                int r = rand() % 10;
                bool add = phase == 0 ? r < 7 : phase == 1 ? r < 2 : r < 5;
                if (add) {
                    bool added;
                    cdentry *e = add_i(d, i, &added);
                    assert_int_equal(added, !m[i].in);
                    m[i].in = true;
                    if (added) { free(m[i].v); m[i].v = NULL; m[i].vn = 0; }
                    check_val(e, &m[i]);
                    if (rand() % 2) {
                        size_t n = rand_val(vbuf);
                        cd_set_val(d, &e, vbuf, n);
                        free(m[i].v);
                        m[i].v = malloc(n + 1);
                        memcpy(m[i].v, vbuf, n);
                        m[i].vn = n;
                        assert_ptr_equal(find_i(d, i), e);
                    }
                } else {
                    assert_int_equal(del_i(d, i), m[i].in);
                    m[i].in = false;
                }
                if (step % 1000 == 0) check_all(d, m, NKEYS);
            }
            check_all(d, m, NKEYS);
        }
        cdict *c = cd_dup(d);
        check_all(c, m, NKEYS);
        cd_free(c);
        for (long i = 0; i < NKEYS; i++) {
            if (m[i].in) assert_true(del_i(d, i));
            free(m[i].v);
        }
        assert_int_equal(cd_size(d), 0);
        while (cd_rehash(d, 100)) {}     /* the last shrink completes */
        assert_true(cd_buckets(d) <= 8);
        free(m);
        cd_free(d);
    }
}

static void test_grow_shrink_mem(void **state)
{
    (void)state;
    cdict *d = cd_new();
    size_t m0 = cd_mem(d);
    for (long i = 0; i < 10000; i++) add_i(d, i, NULL);
    while (cd_rehash(d, 1000)) {}
    assert_true(cd_buckets(d) >= 10000 && cd_buckets(d) <= 16384);
    size_t mfull = cd_mem(d);
    /* each entry: 20 header bytes + key, rounded up by the allocator */
    assert_true(mfull > m0 + 10000 * 24);
    for (long i = 0; i < 10000; i++) assert_true(del_i(d, i));
    while (cd_rehash(d, 1000)) {}
    assert_true(cd_buckets(d) <= 8);
    assert_true(cd_mem(d) <= m0 + 8 * sizeof(void *));
    cd_free(d);
}

static void test_iter_delete_current(void **state)
{
    (void)state;
    cdict *d = cd_new();
    for (long i = 0; i < 1000; i++) add_i(d, i, NULL);
    for (long i = 1000; i < 1100; i++) add_i(d, i, NULL);   /* likely mid-rehash */
    cditer it;
    cd_iter_init(&it, d);
    size_t n = 0;
    for (cdentry *e; (e = cd_iter_next(&it));) {
        long i = key_index(e);
        n++;
        if (i % 2) {
            size_t kn;
            char k[32];
            const char *kp = cd_key(e, &kn);
            memcpy(k, kp, kn);
            assert_true(cd_delete(d, k, kn));
        } else {
            cd_set_val(d, &e, "a value longer than before", 26);
        }
    }
    cd_iter_done(&it);
    assert_int_equal(n, 1100);
    assert_int_equal(cd_size(d), 550);
    for (long i = 0; i < 1100; i++) {
        cdentry *e = find_i(d, i);
        if (i % 2) { assert_null(e); continue; }
        size_t vn;
        const char *v = cd_val(e, &vn);
        assert_int_equal(vn, 26);
        assert_memory_equal(v, "a value longer than before", 26);
    }
    cd_free(d);
}

/* ---- scan ----------------------------------------------------------------- */

typedef struct scanstate { int *seen; long nkeys; } scanstate;

static void scan_cb(void *arg, const cdentry *e)
{
    scanstate *s = arg;
    long i = key_index(e);
    assert_true(i >= 0 && i < s->nkeys);
    s->seen[i]++;
}

/* Keys [0, stable) stay for the whole scan; keys above come and go. */
static void scan_with_churn(long stable, long churn, int mode)
{
    cdict *d = cd_new();
    long nkeys = stable + churn;
    for (long i = 0; i < stable; i++) add_i(d, i, NULL);
    if (mode == 2) for (long i = stable; i < nkeys; i++) add_i(d, i, NULL);
    scanstate s = {calloc((size_t)nkeys, sizeof(int)), nkeys};
    uint64_t cur = 0;
    long next_churn = stable;
    int calls = 0;
    do {
        cur = cd_scan(d, cur, scan_cb, &s);
        calls++;
        /* between calls: grow (mode 1), shrink (mode 2), or both (mode 0) */
        for (int k = 0; k < 7; k++) {
            long j = stable + rand() % churn;
            if (mode == 1) {
                if (next_churn < nkeys) add_i(d, next_churn++, NULL);
            } else if (mode == 2) {
                del_i(d, j);
            } else {
                if ((calls / 40) % 2 == 0) add_i(d, j, NULL);
                else del_i(d, j);
            }
        }
        assert_true(calls < 1000000);
    } while (cur != 0);
    for (long i = 0; i < stable; i++) assert_true(s.seen[i] >= 1);
    free(s.seen);
    cd_free(d);
}

static void test_scan(void **state)
{
    (void)state;
    /* a stable table: every element exactly once */
    cdict *d = cd_new();
    for (long i = 0; i < 777; i++) add_i(d, i, NULL);
    while (cd_rehash(d, 1000)) {}
    scanstate s = {calloc(777, sizeof(int)), 777};
    uint64_t cur = 0;
    do cur = cd_scan(d, cur, scan_cb, &s); while (cur);
    for (long i = 0; i < 777; i++) assert_int_equal(s.seen[i], 1);
    free(s.seen);
    cd_free(d);

    for (int rep = 0; rep < 3; rep++) {
        scan_with_churn(200, 3000, 1);
        scan_with_churn(200, 3000, 2);
        scan_with_churn(300, 2000, 0);
        scan_with_churn(5, 500, 0);
    }
}

/* ---- random --------------------------------------------------------------- */

static void test_random_fair(void **state)
{
    (void)state;
    enum { N = 100, DRAWS = 100000 };
    cdict *d = cd_new();
    for (long i = 0; i < N; i++) add_i(d, i, NULL);
    while (cd_rehash(d, 1000)) {}
    int hits[N] = {0};
    for (int k = 0; k < DRAWS; k++) {
        cdentry *e = cd_random(d);
        assert_non_null(e);
        hits[key_index(e)]++;
    }
    for (long i = 0; i < N; i++) {
        /* expected 1000 each (sd ~31); an element in a chain longer than
         * 4 is picked 4/len as often, so allow a little more */
        assert_true(hits[i] > 700 && hits[i] < 1300);
    }
    /* members only, during rehashes and with few elements */
    for (long i = N; i < 5000; i++) {
        add_i(d, i, NULL);
        cdentry *e = cd_random(d);
        long j = key_index(e);
        assert_true(j >= 0 && j <= i);
    }
    for (long i = 0; i < 4999; i++) {
        del_i(d, i);
        cdentry *e = cd_random(d);
        long j = key_index(e);
        assert_true(j > i && j < 5000);
    }
    assert_int_equal(key_index(cd_random(d)), 4999);
    cd_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_values_and_scores),
        cmocka_unit_test(test_random_model),
        cmocka_unit_test(test_grow_shrink_mem),
        cmocka_unit_test(test_iter_delete_current),
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_random_fair),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
