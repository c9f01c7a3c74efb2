/* test_zskiplist.c — the sorted sets' skiplist (src/zskiplist.h).
 *
 * Random inserts, deletes (present and absent), score updates (in place
 * and moving) and rank-range deletions are checked against a model (a
 * sorted array of (score, member)), with zsl_check() verifying order,
 * backward links and every span after each step; ranks both ways, first
 * and last in score ranges (open, closed, infinite, empty) and in lex
 * ranges ("-", "+", "[", "(") are compared with a linear search of the
 * model; members with equal scores order by bytes, prefixes first,
 * binary bytes unsigned. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "zskiplist.h"

#define NMEM 400

/* Member bytes outlive the nodes that point at them. */
static char mem[NMEM][8];
static size_t memlen[NMEM];

typedef struct item { double score; int m; } item;
static item model[NMEM];
static int nmodel;

static int setup(void **state)
{
    (void)state;
    srand(777);
    for (int i = 0; i < NMEM; i++) {
        /* some members are prefixes of others; one holds a byte >= 0x80 */
        memlen[i] = (size_t)snprintf(mem[i], sizeof mem[i], "%c%d", "abz"[i % 3], i / 3);
        if (i == 7) { mem[i][1] = (char)0xff; }
    }
    return 0;
}

static int cmp_items(const item *a, const item *b)
{
    if (a->score < b->score) return -1;
    if (a->score > b->score) return 1;
    return zsl_cmp(mem[a->m], memlen[a->m], mem[b->m], memlen[b->m]);
}

static int model_find(int m)
{
    for (int i = 0; i < nmodel; i++)
        if (model[i].m == m) return i;
    return -1;
}

static void model_insert(double score, int m)
{
    item it = {score, m};
    int i = nmodel;
    while (i > 0 && cmp_items(&model[i - 1], &it) > 0) {
        model[i] = model[i - 1];
        i--;
    }
    model[i] = it;
    nmodel++;
}

static void model_remove_at(int i)
{
    memmove(&model[i], &model[i + 1], sizeof(item) * (size_t)(nmodel - i - 1));
    nmodel--;
}

static double rand_score(void)
{
    static const double pool[] = {0, 1, 1, 2, -1, 2.5, -0.5, 100, -100};
    if (rand() % 10 == 0) return rand() % 2 ? INFINITY : -INFINITY;
    return pool[rand() % (int)(sizeof pool / sizeof pool[0])];
}

static void check_against_model(const zskiplist *zsl)
{
    assert_true(zsl_check(zsl));
    assert_int_equal(zsl->length, (unsigned long)nmodel);
    const zsl_node *x = zsl->header->level[0].forward;
    for (int i = 0; i < nmodel; i++, x = x->level[0].forward) {
        assert_non_null(x);
        assert_true(x->score == model[i].score);
        assert_ptr_equal(x->ele, mem[model[i].m]);
        assert_int_equal(zsl_rank(zsl, x->score, x->ele, x->len), (unsigned long)i + 1);
        assert_ptr_equal(zsl_by_rank(zsl, (unsigned long)i + 1), x);
    }
    assert_null(x);
    assert_null(zsl_by_rank(zsl, 0));
    assert_null(zsl_by_rank(zsl, (unsigned long)nmodel + 1));
}

static void test_empty(void **state)
{
    (void)state;
    zskiplist zsl;
    zsl_init(&zsl);
    assert_true(zsl_check(&zsl));
    assert_null(zsl_by_rank(&zsl, 1));
    assert_int_equal(zsl_rank(&zsl, 1, "a", 1), 0);
    assert_false(zsl_delete(&zsl, 1, "a", 1));
    zscore_range r = {-INFINITY, INFINITY, false, false};
    unsigned long rk;
    assert_null(zsl_first_in_score(&zsl, &r, &rk));
    assert_null(zsl_last_in_score(&zsl, &r, &rk));
    assert_int_equal(zsl_delete_ranks(&zsl, 1, 10, NULL, NULL), 0);
    zsl_release(&zsl);
}

static void test_member_order(void **state)
{
    (void)state;
    assert_true(zsl_cmp("a", 1, "b", 1) < 0);
    assert_true(zsl_cmp("a", 1, "ab", 2) < 0);        /* prefix first */
    assert_true(zsl_cmp("", 0, "a", 1) < 0);
    assert_true(zsl_cmp("\xff", 1, "a", 1) > 0);      /* unsigned bytes */
    assert_true(zsl_cmp("a\0b", 3, "a\0a", 3) > 0);   /* binary safe */
    assert_int_equal(zsl_cmp("abc", 3, "abc", 3), 0);
}

static void test_random_model(void **state)
{
    (void)state;
    zskiplist zsl;
    zsl_init(&zsl);
    nmodel = 0;
    for (int step = 0; step < 6000; step++) {
        int m = rand() % NMEM;
        int at = model_find(m);
        int op = rand() % 10;
        if (op < 5) {
            if (at < 0) {
                double s = rand_score();
                zsl_node *n = zsl_insert(&zsl, s, mem[m], memlen[m]);
                assert_ptr_equal(n->ele, mem[m]);
                model_insert(s, m);
            }
        } else if (op < 7) {
            double s = at >= 0 ? model[at].score : rand_score();
            assert_int_equal(zsl_delete(&zsl, s, mem[m], memlen[m]), at >= 0);
            if (at >= 0) model_remove_at(at);
        } else if (op < 9) {
            if (at >= 0) {
                double old = model[at].score, s = rand_score();
                zsl_node *n = zsl_update_score(&zsl, old, mem[m], memlen[m], s);
                assert_non_null(n);
                assert_true(n->score == s);
                model_remove_at(at);
                model_insert(s, m);
            }
        } else if (nmodel > 0 && rand() % 8 == 0) {
            unsigned long a = (unsigned long)(rand() % (nmodel + 2));
            unsigned long b = a + (unsigned long)(rand() % 5);
            unsigned long removed = zsl_delete_ranks(&zsl, a, b, NULL, NULL);
            unsigned long lo = a ? a : 1, hi = b > (unsigned long)nmodel ? (unsigned long)nmodel : b;
            unsigned long want = lo <= hi ? hi - lo + 1 : 0;
            assert_int_equal(removed, want);
            for (unsigned long i = 0; i < want; i++) model_remove_at((int)lo - 1);
        }
        if (step % 97 == 0) check_against_model(&zsl);
    }
    check_against_model(&zsl);
    zsl_release(&zsl);
}

/* Linear search of the model for the first/last item in a score range. */
static int model_first_score(const zscore_range *r, bool last)
{
    if (zscore_range_empty(r)) return -1;
    int found = -1;
    for (int i = 0; i < nmodel; i++) {
        if (zscore_gte_min(model[i].score, r) && zscore_lte_max(model[i].score, r)) {
            found = i;
            if (!last) break;
        }
    }
    return found;
}

static void test_score_ranges(void **state)
{
    (void)state;
    zskiplist zsl;
    zsl_init(&zsl);
    nmodel = 0;
    for (int m = 0; m < 300; m++) {
        double s = (double)(rand() % 41 - 20) / 2;
        zsl_insert(&zsl, s, mem[m], memlen[m]);
        model_insert(s, m);
    }
    check_against_model(&zsl);
    static const double ends[] = {-INFINITY, -30, -10, -9.5, -1, 0, 0.25, 3, 10, 10.5, INFINITY};
    int ne = (int)(sizeof ends / sizeof ends[0]);
    for (int a = 0; a < ne; a++)
        for (int b = 0; b < ne; b++)
            for (int ex = 0; ex < 4; ex++) {
                zscore_range r = {ends[a], ends[b], ex & 1, (ex & 2) != 0};
                for (int last = 0; last < 2; last++) {
                    unsigned long rk = 0;
                    zsl_node *n = last ? zsl_last_in_score(&zsl, &r, &rk) : zsl_first_in_score(&zsl, &r, &rk);
                    int want = model_first_score(&r, last);
                    if (want < 0) {
                        assert_null(n);
                    } else {
                        assert_non_null(n);
                        assert_int_equal(rk, (unsigned long)want + 1);
                        assert_ptr_equal(n->ele, mem[model[want].m]);
                    }
                }
            }
    /* deleting a score range through ranks keeps the structure sound */
    zscore_range r = {-2, 3, false, true};
    unsigned long r1, r2;
    assert_non_null(zsl_first_in_score(&zsl, &r, &r1));
    assert_non_null(zsl_last_in_score(&zsl, &r, &r2));
    assert_int_equal(zsl_delete_ranks(&zsl, r1, r2, NULL, NULL), r2 - r1 + 1);
    for (unsigned long i = r1; i <= r2; i++) model_remove_at((int)r1 - 1);
    check_against_model(&zsl);
    assert_null(zsl_first_in_score(&zsl, &r, &r1));
    zsl_release(&zsl);
}

static zlex_bound bound(const char *s)
{
    zlex_bound b = {NULL, 0, 0, false};
    if (!strcmp(s, "-")) { b.inf = -1; b.ex = true; return b; }
    if (!strcmp(s, "+")) { b.inf = 1; b.ex = true; return b; }
    b.ex = s[0] == '(';
    b.p = s + 1;
    b.n = strlen(s) - 1;
    return b;
}

static void test_lex_ranges(void **state)
{
    (void)state;
    zskiplist zsl;
    zsl_init(&zsl);
    nmodel = 0;
    for (int m = 0; m < 200; m++) {     /* all score 0: lex ranges are defined */
        zsl_insert(&zsl, 0, mem[m], memlen[m]);
        model_insert(0, m);
    }
    check_against_model(&zsl);
    static const char *ends[] = {"-", "+", "[a", "(a", "[a1", "(a1", "[b", "(b3", "[z", "(z9", "[", "(", "[zz"};
    int ne = (int)(sizeof ends / sizeof ends[0]);
    for (int a = 0; a < ne; a++)
        for (int b = 0; b < ne; b++) {
            zlex_range r = {bound(ends[a]), bound(ends[b])};
            for (int last = 0; last < 2; last++) {
                unsigned long rk = 0;
                zsl_node *n = last ? zsl_last_in_lex(&zsl, &r, &rk) : zsl_first_in_lex(&zsl, &r, &rk);
                int want = -1;
                if (!zlex_range_empty(&r))
                    for (int i = 0; i < nmodel; i++) {
                        const char *p = mem[model[i].m];
                        size_t n2 = memlen[model[i].m];
                        if (zlex_gte_min(p, n2, &r) && zlex_lte_max(p, n2, &r)) {
                            want = i;
                            if (!last) break;
                        }
                    }
                if (want < 0) {
                    assert_null(n);
                } else {
                    assert_non_null(n);
                    assert_int_equal(rk, (unsigned long)want + 1);
                }
            }
        }
    /* "- -", "+ +", "+ -" hold nothing; "- +" everything */
    zlex_range all = {bound("-"), bound("+")};
    zlex_range none1 = {bound("-"), bound("-")}, none2 = {bound("+"), bound("+")}, none3 = {bound("+"), bound("-")};
    assert_false(zlex_range_empty(&all));
    assert_true(zlex_range_empty(&none1));
    assert_true(zlex_range_empty(&none2));
    assert_true(zlex_range_empty(&none3));
    zlex_range same_ex = {bound("(b"), bound("[b")}, same = {bound("[b"), bound("[b")};
    assert_true(zlex_range_empty(&same_ex));
    assert_false(zlex_range_empty(&same));
    zsl_release(&zsl);
}

/* zsl_delete_ranks hands every removed node to the callback, in order. */
static int seen;
static void count_cb(void *arg, zsl_node *n)
{
    int *expect = arg;
    assert_ptr_equal(n->ele, mem[expect[seen]]);
    seen++;
}

static void test_delete_ranks_callback(void **state)
{
    (void)state;
    zskiplist zsl;
    zsl_init(&zsl);
    for (int m = 0; m < 50; m++) zsl_insert(&zsl, m, mem[m], memlen[m]);
    int expect[10];
    for (int i = 0; i < 10; i++) expect[i] = 10 + i;
    seen = 0;
    assert_int_equal(zsl_delete_ranks(&zsl, 11, 20, count_cb, expect), 10);
    assert_int_equal(seen, 10);
    assert_int_equal(zsl.length, 40);
    assert_true(zsl_check(&zsl));
    /* the tail goes: the tail pointer follows */
    assert_int_equal(zsl_delete_ranks(&zsl, 30, 100, NULL, NULL), 11);
    assert_true(zsl_check(&zsl));
    assert_true(zsl.tail->score == 38);
    assert_int_equal(zsl_delete_ranks(&zsl, 1, zsl.length, NULL, NULL), 29);
    assert_null(zsl.tail);
    assert_true(zsl_check(&zsl));
    assert_int_equal(zsl.level, 1);
    zsl_release(&zsl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_member_order),
        cmocka_unit_test(test_random_model),
        cmocka_unit_test(test_score_ranges),
        cmocka_unit_test(test_lex_ranges),
        cmocka_unit_test(test_delete_ranks_callback),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
