/* test_intset.c — the sorted integer array (src/intset.h).
 *
 * Width upgrades (16 -> 32 -> 64 bits, negative values landing at the
 * front, positive at the back), the limits of every width, random adds and
 * removes checked against a model (a sorted array of distinct values), and
 * is_random() touching every member with roughly equal frequency. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "intset.h"
#include "util.h"

static void check_sorted(const intset *s, const int64_t *want, uint32_t n)
{
    assert_int_equal(is_len(s), n);
    for (uint32_t i = 0; i < n; i++) {
        assert_true(is_get(s, i) == want[i]);
        assert_true(is_find(s, want[i]));
    }
}

static void test_empty(void **state)
{
    (void)state;
    intset *s = is_new();
    assert_int_equal(is_len(s), 0);
    assert_false(is_find(s, 0));
    assert_false(is_find(s, INT64_MAX));
    bool r = true;
    is_remove(&s, 5, &r);
    assert_false(r);
    is_remove(&s, INT64_MIN, &r);
    assert_false(r);
    intset *c = is_dup(s);
    assert_int_equal(is_len(c), 0);
    is_free(c);
    is_free(s);
}

static void test_upgrades(void **state)
{
    (void)state;
    intset *s = is_new();
    bool added;
    is_add(&s, 5, &added);
    assert_true(added);
    is_add(&s, 5, &added);
    assert_false(added);
    is_add(&s, INT16_MAX, &added);
    is_add(&s, INT16_MIN, &added);
    size_t b16 = is_bytes(s);
    int64_t w1[] = {INT16_MIN, 5, INT16_MAX};
    check_sorted(s, w1, 3);
    is_add(&s, (int64_t)INT16_MAX + 1, &added);     /* upgrade at the back */
    assert_true(added);
    assert_true(is_bytes(s) > b16);
    int64_t w2[] = {INT16_MIN, 5, INT16_MAX, (int64_t)INT16_MAX + 1};
    check_sorted(s, w2, 4);
    is_add(&s, INT64_MIN, &added);                  /* upgrade at the front */
    assert_true(added);
    int64_t w3[] = {INT64_MIN, INT16_MIN, 5, INT16_MAX, (int64_t)INT16_MAX + 1};
    check_sorted(s, w3, 5);
    is_add(&s, INT64_MAX, &added);
    is_add(&s, INT32_MIN, &added);
    is_add(&s, (int64_t)INT32_MIN - 1, &added);
    int64_t w4[] = {INT64_MIN, (int64_t)INT32_MIN - 1, INT32_MIN, INT16_MIN, 5, INT16_MAX,
                    (int64_t)INT16_MAX + 1, INT64_MAX};
    check_sorted(s, w4, 8);
    assert_false(is_find(s, 6));
    assert_false(is_find(s, INT64_MAX - 1));
    bool removed;
    is_remove(&s, INT64_MIN, &removed);
    assert_true(removed);
    is_remove(&s, INT64_MIN, &removed);
    assert_false(removed);
    assert_false(is_find(s, INT64_MIN));
    assert_int_equal(is_len(s), 7);
    intset *c = is_dup(s);
    check_sorted(c, w4 + 1, 7);
    is_free(c);
    is_free(s);

    /* a 16-bit set: a 32-bit negative goes first */
    s = is_new();
    for (int i = 0; i < 10; i++) is_add(&s, i, NULL);
    is_add(&s, -100000, NULL);
    assert_true(is_get(s, 0) == -100000);
    assert_true(is_get(s, 10) == 9);
    /* removing a value wider than the set is a miss, not a corruption */
    is_remove(&s, INT64_MAX, &removed);
    assert_false(removed);
    is_free(s);
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* bsearch, but an empty (NULL) model is allowed */
static int64_t *find64(int64_t v, int64_t *m, uint32_t n)
{
    return n ? bsearch(&v, m, n, sizeof *m, cmp64) : NULL;
}

static int64_t rand_val(void)
{
    int64_t v = (int64_t)hf_rand64();
    switch (hf_rand64() % 4) {
    case 0: return v % 50;             /* many collisions */
    case 1: return (int16_t)v;
    case 2: return (int32_t)v;
    default: return v >> (hf_rand64() % 64);
    }
}

static void test_random_model(void **state)
{
    (void)state;
    for (int round = 0; round < 30; round++) {
        intset *s = is_new();
        int64_t *m = NULL;
        uint32_t n = 0;
        for (int step = 0; step < 500; step++) {
            int64_t v = rand_val();
            bool in = find64(v, m, n) != NULL;
            assert_int_equal(is_find(s, v), in);
            if (hf_rand64() % 3) {
                bool added;
                is_add(&s, v, &added);
                assert_int_equal(added, !in);
                if (!in) {
                    m = realloc(m, (n + 1) * sizeof *m);
                    m[n++] = v;
                    qsort(m, n, sizeof *m, cmp64);
                }
            } else {
                if (n && hf_rand64() % 2) v = m[hf_rand64() % n];
                in = find64(v, m, n) != NULL;
                bool removed;
                is_remove(&s, v, &removed);
                assert_int_equal(removed, in);
                if (in) {
                    int64_t *p = find64(v, m, n);
                    memmove(p, p + 1, (size_t)(m + n - p - 1) * sizeof *m);
                    n--;
                }
            }
            if (step % 25 == 0) check_sorted(s, m, n);
        }
        check_sorted(s, m, n);
        free(m);
        is_free(s);
    }
}

static void test_random_member(void **state)
{
    (void)state;
    intset *s = is_new();
    enum { N = 20, DRAWS = 40000 };
    for (int i = 0; i < N; i++) is_add(&s, i * 1000003LL - 7, NULL);
    int hits[N] = {0};
    for (int d = 0; d < DRAWS; d++) {
        int64_t v = is_random(s);
        int64_t i = (v + 7) / 1000003LL;
        assert_true(i >= 0 && i < N && i * 1000003LL - 7 == v);
        hits[i]++;
    }
    for (int i = 0; i < N; i++) {
        /* expected 2000 each; 5 sigma is about 220 */
        assert_true(hits[i] > 1700 && hits[i] < 2300);
    }
    is_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_upgrades),
        cmocka_unit_test(test_random_model),
        cmocka_unit_test(test_random_member),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
