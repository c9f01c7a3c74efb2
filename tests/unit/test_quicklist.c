/* test_quicklist.c — the node list of large lists (src/quicklist.h) and the
 * list primitives built on it (types.h: list_new/push/pop/len, serialise,
 * deserialise, dup).
 *
 * Random operations — pushes at both ends, index reads, forward and
 * backward walks from random positions, replaces, inserts before and
 * after, deletes while walking either way, range deletes, copies — are
 * checked after every step against a model (an array of byte strings):
 * the element order, the counts, the links (ql_check), and the limit: a
 * node holding two or more entries must fit list-max-listpack-size.  Each
 * run uses one limit; runs cover byte limits (-1, -2, -5), entry limits
 * (1, 2, 4, 100) and 0.  Values mix small and huge integers, non-canonical
 * integer strings, empty strings and strings from 1 byte to 20 KB, so
 * single elements above the node limit occur.  The list primitives are
 * exercised the same way, across the listpack/quicklist conversions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "quicklist.h"
#include "types.h"
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
    if (i >= m->n) return;
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
    memset(m, 0, sizeof *m);
}

/* ---- random values -------------------------------------------------------- */

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t rnd_below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

static char valbuf[20001];

/* A random element in valbuf; returns its length. */
static size_t rnd_value(void)
{
    switch (rnd_below(10)) {
    case 0: return (size_t)snprintf(valbuf, sizeof valbuf, "%d", (int)rnd_below(300) - 150);
    case 1: return (size_t)snprintf(valbuf, sizeof valbuf, "%lld", (long long)rnd());
    case 2: {
        static const char *odd[] = {"", "007", "-0", "+1", "1.5", "9223372036854775808", " 1"};
        const char *s = odd[rnd_below(7)];
        size_t n = strlen(s);
        memcpy(valbuf, s, n);
        return n;
    }
    case 3: {
        size_t n = 1000 + rnd_below(19000);
        memset(valbuf, 'L', n);
        return n;
    }
    default: {
        size_t n = 1 + rnd_below(rnd_below(4) == 0 ? 600 : 12);
        for (size_t i = 0; i < n; i++) valbuf[i] = (char)('a' + rnd_below(4));
        return n;
    }
    }
}

/* ---- checking -------------------------------------------------------------- */

static bool entry_is(const lp *l, uint32_t off, const mstr *m)
{
    char scratch[24];
    size_t n;
    const char *p = lp_get_str(l, off, scratch, &n);
    return n == m->n && memcmp(p, m->p, n) == 0;
}

static void check_ql(const quicklist *ql, const model *m, const ql_limit *lim)
{
    assert_true(ql_check(ql));
    assert_int_equal(ql->count, m->n);
    size_t i = 0;
    for (const qlnode *n = ql->head; n; n = n->next) {
        if (n->count > 1) assert_false(ql_exceeds(lim, lp_bytes(n->lp), n->count));
        for (uint32_t off = lp_first(n->lp); off != LP_NONE; off = lp_next(n->lp, off))
            assert_true(entry_is(n->lp, off, &m->v[i++]));
    }
    assert_int_equal(i, m->n);
    /* the whole list backwards through ql_prev */
    if (m->n) {
        qlpos pos;
        assert_true(ql_index(ql, -1, &pos));
        size_t j = m->n;
        do {
            assert_true(entry_is(pos.node->lp, pos.off, &m->v[--j]));
        } while (ql_prev(&pos));
        assert_int_equal(j, 0);
    }
}

/* ---- quicklist against the model -------------------------------------------- */

static void random_run(int fill, int steps)
{
    ql_limit lim;
    ql_limit_of(fill, &lim);
    quicklist *ql = ql_new();
    model m = {0};
    uint64_t most_nodes = 0;
    for (int step = 0; step < steps; step++) {
        size_t n = rnd_value();
        int op = (int)rnd_below(m.n > 1500 ? 14 : 11);
        if (op <= 2) {                              /* push */
            bool head = rnd_below(2);
            ql_push(ql, head ? 0 : 1, valbuf, n, &lim);
            m_insert(&m, head ? 0 : m.n, valbuf, n);
        } else if (op == 3) {                       /* index read */
            long long i = (long long)rnd_below(m.n * 2 + 2) - (long long)m.n - 1;
            qlpos pos;
            bool in = i >= -(long long)m.n && i < (long long)m.n;
            assert_int_equal(ql_index(ql, i, &pos), in);
            if (in) {
                size_t at = (size_t)(i < 0 ? i + (long long)m.n : i);
                assert_true(entry_is(pos.node->lp, pos.off, &m.v[at]));
                /* walk a few steps either way */
                size_t j = at;
                qlpos p2 = pos;
                for (int k = 0; k < 30 && ql_next(&p2); k++) assert_true(entry_is(p2.node->lp, p2.off, &m.v[++j]));
                j = at;
                for (int k = 0; k < 30 && ql_prev(&pos); k++) assert_true(entry_is(pos.node->lp, pos.off, &m.v[--j]));
            }
        } else if (op == 4 && m.n) {                /* replace */
            size_t i = rnd_below(m.n);
            qlpos pos;
            assert_true(ql_index(ql, (long long)i, &pos));
            ql_replace(ql, &pos, valbuf, n, &lim);
            m_replace(&m, i, valbuf, n);
        } else if ((op == 5 || op == 6) && m.n) {   /* insert */
            size_t i = rnd_below(m.n);
            qlpos pos;
            assert_true(ql_index(ql, (long long)i, &pos));
            int where = op == 5 ? LP_BEFORE : LP_AFTER;
            ql_insert(ql, &pos, where, valbuf, n, &lim);
            m_insert(&m, where == LP_BEFORE ? i : i + 1, valbuf, n);
        } else if (op == 7 && m.n) {                /* delete while walking */
            size_t i = rnd_below(m.n);
            bool fwd = rnd_below(2);
            qlpos pos;
            assert_true(ql_index(ql, (long long)i, &pos));
            int k = 1 + (int)rnd_below(20);
            while (k--) {
                bool more = ql_delete_at(ql, &pos, fwd);
                m_delete(&m, i, 1);
                /* forward: the follower took index i; backward: i - 1 */
                bool want = fwd ? i < m.n : i > 0;
                assert_int_equal(more, want);
                if (!more) break;
                if (!fwd) i--;
                assert_true(entry_is(pos.node->lp, pos.off, &m.v[i]));
            }
        } else if (op == 8 && m.n) {                /* range delete */
            size_t start = rnd_below(m.n + 2);
            size_t cnt = rnd_below(rnd_below(10) ? 10 : m.n + 5);
            ql_del_range(ql, start, cnt);
            m_delete(&m, start, cnt);
        } else if (op == 9 && rnd_below(20) == 0) { /* copy */
            quicklist *c = ql_dup(ql);
            check_ql(c, &m, &lim);
            ql_free(ql);
            ql = c;
        } else if (op == 10) {                      /* a batch of pushes */
            for (int k = 0; k < 40; k++) {
                n = rnd_value();
                bool head = rnd_below(2);
                ql_push(ql, head ? 0 : 1, valbuf, n, &lim);
                m_insert(&m, head ? 0 : m.n, valbuf, n);
            }
        } else if (op >= 11) {                      /* pop heavy: shrink */
            size_t cnt = 1 + rnd_below(50);
            bool head = rnd_below(2);
            size_t start = head || cnt >= m.n ? 0 : m.n - cnt;
            ql_del_range(ql, start, cnt);
            m_delete(&m, start, cnt);
        }
        check_ql(ql, &m, &lim);
        if (ql->len > most_nodes) most_nodes = ql->len;
    }
    /* the run did exercise many nodes */
    assert_true(most_nodes >= 8);
    ql_free(ql);
    m_free(&m);
}

static void test_random_fills(void **state)
{
    (void)state;
    static const int fills[] = {-2, -1, -5, 1, 2, 4, 100, 0};
    for (size_t i = 0; i < sizeof fills / sizeof fills[0]; i++) random_run(fills[i], 2000);
}

static void test_limits(void **state)
{
    (void)state;
    ql_limit lim;
    ql_limit_of(-1, &lim);
    assert_int_equal(lim.bytes, 4096);
    ql_limit_of(-2, &lim);
    assert_int_equal(lim.bytes, 8192);
    ql_limit_of(-5, &lim);
    assert_int_equal(lim.bytes, 65536);
    ql_limit_of(-100, &lim);
    assert_int_equal(lim.bytes, 65536);
    ql_limit_of(5, &lim);
    assert_int_equal(lim.count, 5);
    assert_true(ql_exceeds(&lim, 100, 6));
    assert_true(ql_exceeds(&lim, 9000, 2));
    assert_false(ql_exceeds(&lim, 100, 5));
    ql_limit_of(0, &lim);
    assert_int_equal(lim.count, 1);
}

/* Pushing 100k short elements walks nodes, not elements, for an index. */
static void test_big_list(void **state)
{
    (void)state;
    ql_limit lim;
    ql_limit_of(-2, &lim);
    quicklist *ql = ql_new();
    char b[24];
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(b, sizeof b, "e%d", i);
        ql_push(ql, 1, b, (size_t)n, &lim);
    }
    assert_true(ql_check(ql));
    assert_true(ql->len > 50);
    for (int i = 0; i < 100000; i += 777) {
        qlpos pos;
        assert_true(ql_index(ql, i, &pos));
        int n = snprintf(b, sizeof b, "e%d", i);
        assert_true(lp_eq(pos.node->lp, pos.off, b, (size_t)n));
    }
    ql_del_range(ql, 10, 99980);
    assert_true(ql_check(ql));
    assert_int_equal(ql->count, 20);
    ql_free(ql);
}

/* ---- the list primitives (types.h) ------------------------------------------ */

static void check_list(const hobj *o, const model *m)
{
    assert_int_equal(list_len(o), m->n);
    hf_buf b = {0};
    list_serialize(o, &b);
    hobj *d = list_deserialize(b.p, b.len);
    if (m->n == 0) {
        assert_null(d);
    } else {
        assert_non_null(d);
        assert_int_equal(list_len(d), m->n);
        hf_buf b2 = {0};
        list_serialize(d, &b2);
        assert_int_equal(b.len, b2.len);
        assert_memory_equal(b.p, b2.p, b.len);
        hf_buf_free(&b2);
        obj_free(d);
    }
    /* the canonical form, element by element */
    const char *p = b.p, *end = b.p + b.len;
    uint32_t cnt;
    assert_true(hf_get32(&p, end, &cnt));
    assert_int_equal(cnt, m->n);
    for (size_t i = 0; i < m->n; i++) {
        const char *s;
        uint32_t n;
        assert_true(hf_getstr(&p, end, &s, &n));
        assert_int_equal(n, m->v[i].n);
        assert_memory_equal(s, m->v[i].p, n);
    }
    hf_buf_free(&b);
}

static void test_list_primitives(void **state)
{
    (void)state;
    static const int fills[] = {-2, 3, -1};
    for (size_t f = 0; f < sizeof fills / sizeof fills[0]; f++) {
        cfg.list_max_listpack_size = fills[f];
        hobj *o = list_new();
        model m = {0};
        hf_buf out = {0};
        bool was_ql = false, back_to_lp = false;
        for (int step = 0; step < 4000; step++) {
            int op = (int)rnd_below(10);
            /* phases: grow, then drain, so both conversions happen */
            bool grow = (step / 1000) % 2 == 0;
            if (op < (grow ? 7 : 2)) {
                size_t n = rnd_value();
                if (n > 300) n = 300;
                bool head = rnd_below(2);
                list_push(o, head ? LIST_HEAD : LIST_TAIL, valbuf, n);
                m_insert(&m, head ? 0 : m.n, valbuf, n);
            } else {
                bool head = rnd_below(2);
                bool ok = list_pop(o, head ? LIST_HEAD : LIST_TAIL, &out);
                assert_int_equal(ok, m.n > 0);
                if (ok) {
                    const mstr *want = &m.v[head ? 0 : m.n - 1];
                    assert_int_equal(out.len, want->n);
                    assert_memory_equal(out.p ? out.p : "", want->p, want->n);
                    m_delete(&m, head ? 0 : m.n - 1, 1);
                }
            }
            if (o->enc == ENC_QUICKLIST) was_ql = true;
            else if (was_ql) back_to_lp = true;
            if (step % 97 == 0) {
                check_list(o, &m);
                hobj *d = list_dup(o);
                check_list(d, &m);
                assert_true(list_mem(d) > 0);
                obj_free(d);
            }
        }
        assert_true(was_ql);
        assert_true(back_to_lp);
        hf_buf_free(&out);
        obj_free(o);
        m_free(&m);
    }
}

/* Damaged canonical forms are refused, never crash. */
static void test_deserialize_damage(void **state)
{
    (void)state;
    cfg.list_max_listpack_size = -2;
    hobj *o = list_new();
    for (int i = 0; i < 50; i++) list_push(o, LIST_TAIL, "abcdef", (size_t)(i % 7));
    hf_buf b = {0};
    list_serialize(o, &b);
    for (size_t cut = 0; cut < b.len; cut++) assert_null(list_deserialize(b.p, cut));
    for (int t = 0; t < 2000; t++) {
        char *c = malloc(b.len);
        memcpy(c, b.p, b.len);
        c[rnd_below(b.len)] = (char)rnd();
        hobj *d = list_deserialize(c, b.len);
        if (d) obj_free(d);
        free(c);
    }
    assert_null(list_deserialize("\xff\xff\xff\xff", 4));
    hf_buf_free(&b);
    obj_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_random_fills),
        cmocka_unit_test(test_big_list),
        cmocka_unit_test(test_list_primitives),
        cmocka_unit_test(test_deserialize_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
