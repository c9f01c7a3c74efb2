/* test_dict.c — the keyspace hash table (src/dict.h).
 *
 * Checked against a simple model (which keys are present): incremental
 * rehash keeps every key findable whichever table it is in, sizes and
 * expire counts stay exact, tables grow and shrink, SCAN's guarantee
 * (every key present for the whole scan is returned at least once) holds
 * while the table grows and shrinks between calls, and kd_random only
 * returns members. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dict.h"
#include "object.h"
#include "util.h"

static const uint8_t seed[16] = {7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 99};

static int setup(void **state)
{
    (void)state;
    hf_hash_seed(seed);
    return 0;
}

static int key_name(char *buf, long i) { return sprintf(buf, "key:%ld", i); }

static kentry *add_i(kdict *d, long i)
{
    char k[32];
    int n = key_name(k, i);
    char v[32];
    int vn = sprintf(v, "v%ld", i);
    return kd_add(d, k, (size_t)n, hf_hash(k, (size_t)n), obj_string(v, (size_t)vn));
}

static kentry *find_i(kdict *d, long i)
{
    char k[32];
    int n = key_name(k, i);
    return kd_find(d, k, (size_t)n, hf_hash(k, (size_t)n));
}

static bool del_i(kdict *d, long i)
{
    char k[32];
    int n = key_name(k, i);
    return kd_delete(d, k, (size_t)n, hf_hash(k, (size_t)n));
}

/* Parse the index back out of an entry's key. */
static long entry_index(const kentry *e)
{
    assert_true(e->klen > 4);
    assert_memory_equal(e->key, "key:", 4);
    char tmp[32];
    assert_true(e->klen < sizeof tmp);
    memcpy(tmp, e->key, e->klen);
    tmp[e->klen] = '\0';
    return strtol(tmp + 4, NULL, 10);
}

/* The entry found for i holds i's key and value. */
static void check_entry(const kentry *e, long i)
{
    assert_non_null(e);
    char k[32], v[32], scratch[32];
    int n = key_name(k, i);
    int vn = sprintf(v, "v%ld", i);
    assert_int_equal(e->klen, (uint32_t)n);
    assert_memory_equal(e->key, k, (size_t)n);
    size_t len;
    const char *s = obj_str(e->val, scratch, &len);
    assert_int_equal(len, (size_t)vn);
    assert_memory_equal(s, v, len);
}

/* Counts entries by walking both tables (independent of used[]). */
static void count_cb(void *arg, kentry *e)
{
    (void)e;
    (*(uint64_t *)arg)++;
}

static uint64_t walk_count(kdict *d)
{
    uint64_t n = 0;
    kd_foreach(d, count_cb, &n);
    return n;
}

static void test_empty_dict(void **state)
{
    (void)state;
    kdict *d = kd_new();
    assert_int_equal(kd_size(d), 0);
    assert_null(find_i(d, 1));
    assert_false(del_i(d, 1));
    assert_null(kd_random(d));
    assert_int_equal(kd_scan(d, 0, count_cb, NULL), 0);
    assert_int_equal(walk_count(d), 0);
    kd_free(d);
}

static void test_add_find_delete_basic(void **state)
{
    (void)state;
    kdict *d = kd_new();
    for (long i = 0; i < 100; i++) add_i(d, i);
    assert_int_equal(kd_size(d), 100);
    for (long i = 0; i < 100; i++) check_entry(find_i(d, i), i);
    assert_null(find_i(d, 100));
    assert_null(find_i(d, -1));

    /* binary keys with the same prefix and embedded NULs are distinct */
    const char k1[] = "a\0b", k2[] = "a\0c", k3[] = "a";
    kd_add(d, k1, 3, hf_hash(k1, 3), obj_string("1", 1));
    kd_add(d, k2, 3, hf_hash(k2, 3), obj_string("2", 1));
    kd_add(d, k3, 1, hf_hash(k3, 1), obj_string("3", 1));
    assert_non_null(kd_find(d, k1, 3, hf_hash(k1, 3)));
    assert_true(kd_find(d, k1, 3, hf_hash(k1, 3)) != kd_find(d, k2, 3, hf_hash(k2, 3)));
    assert_int_equal(kd_find(d, k3, 1, hf_hash(k3, 1))->klen, 1);
    assert_null(kd_find(d, "a\0", 2, hf_hash("a\0", 2)));

    for (long i = 0; i < 100; i += 2) assert_true(del_i(d, i));
    for (long i = 0; i < 100; i += 2) assert_false(del_i(d, i));
    assert_int_equal(kd_size(d), 53);
    for (long i = 0; i < 100; i++) {
        if (i % 2) check_entry(find_i(d, i), i);
        else assert_null(find_i(d, i));
    }
    assert_int_equal(walk_count(d), 53);

    /* unlink hands the entry over without freeing it */
    char k[32];
    int n = key_name(k, 1);
    kentry *e = kd_unlink(d, k, (size_t)n, hf_hash(k, (size_t)n));
    check_entry(e, 1);
    assert_null(find_i(d, 1));
    assert_int_equal(kd_size(d), 52);
    kd_free_entry(e);

    kd_clear(d);
    assert_int_equal(kd_size(d), 0);
    assert_null(find_i(d, 3));
    add_i(d, 3);                       /* usable after clear */
    check_entry(find_i(d, 3), 3);
    kd_free(d);
}

/* 200k keys; inserts and deletes interleaved with rehash steps.  Whenever
 * a rehash is in progress, it is frozen and every key is looked up, so keys
 * in both tables are checked. */
static void test_many_keys_incremental_rehash(void **state)
{
    (void)state;
    const long N = 200000;
    kdict *d = kd_new();
    bool *present = calloc((size_t)N, sizeof(bool));
    long count = 0;
    int rehash_seen = 0, frozen_checks = 0;
    uint64_t max_buckets = 0;

    for (long i = 0; i < N; i++) {
        add_i(d, i);
        present[i] = true;
        count++;
        if (i % 5 == 4) {              /* delete an older key */
            long j = (i * 7919) % (i + 1);
            if (present[j]) {
                assert_true(del_i(d, j));
                present[j] = false;
                count--;
            } else {
                assert_false(del_i(d, j));
            }
        }
        if (i % 3 == 0) kd_rehash(d, 1);
        assert_int_equal(kd_size(d), (uint64_t)count);
        if (kd_buckets(d) > max_buckets) max_buckets = kd_buckets(d);

        if (d->rehashidx != -1) {
            rehash_seen++;
            /* Freeze mid-rehash (as an unsafe iteration does) and check
             * every key is found, a few times across the growth. */
            if (d->rehashidx > 0 && (frozen_checks < 6 && (rehash_seen % 3000) == 1)) {
                frozen_checks++;
                d->pause_rehash++;
                int64_t idx = d->rehashidx;
                assert_true(d->used[0] > 0 && d->used[1] > 0);
                for (long j = 0; j <= i; j++) {
                    kentry *e = find_i(d, j);
                    if (present[j]) check_entry(e, j);
                    else assert_null(e);
                }
                assert_int_equal(d->rehashidx, idx);   /* really frozen */
                assert_int_equal(walk_count(d), (uint64_t)count);
                d->pause_rehash--;
            }
        }
    }
    assert_true(rehash_seen > 0);
    assert_true(frozen_checks > 0);
    assert_true(max_buckets >= (uint64_t)count);   /* it grew */

    for (long i = 0; i < N; i++) {
        kentry *e = find_i(d, i);
        if (present[i]) check_entry(e, i);
        else assert_null(e);
    }
    assert_int_equal(walk_count(d), (uint64_t)count);

    /* Finish the rehash: one table, load factor <= 1. */
    while (kd_rehash(d, 100)) {}
    assert_int_equal(d->rehashidx, -1);
    assert_int_equal(d->used[1], 0);
    assert_int_equal(d->size[1], 0);
    assert_int_equal(d->used[0], (uint64_t)count);
    assert_true(d->size[0] >= (uint64_t)count / 2);
    assert_true((d->size[0] & (d->size[0] - 1)) == 0);   /* power of two */

    free(present);
    kd_free(d);
}

/* After deleting almost everything the table shrinks, and what is left
 * stays findable throughout. */
static void test_shrink_after_mass_delete(void **state)
{
    (void)state;
    const long N = 200000;
    kdict *d = kd_new();
    for (long i = 0; i < N; i++) add_i(d, i);
    while (kd_rehash(d, 1000)) {}
    uint64_t big = kd_buckets(d);
    assert_true(big >= (uint64_t)N / 2);

    int shrink_seen = 0;
    for (long i = 0; i < N; i++) {
        if (i % 2000 == 0) continue;         /* keep 100 keys */
        assert_true(del_i(d, i));
        if (d->rehashidx != -1 && d->size[1] < d->size[0]) shrink_seen++;
        if (i % 10007 == 0) {
            for (long j = 0; j < N; j += 2000) check_entry(find_i(d, j), j);
        }
    }
    assert_int_equal(kd_size(d), 100);
    for (int k = 0; k < 100 && kd_rehash(d, 1000); k++) {}
    /* the cron keeps resizing an idle table until it fits */
    for (int k = 0; k < 100; k++) {
        kd_resize_if_needed(d);
        while (kd_rehash(d, 1000)) {}
    }
    assert_true(shrink_seen > 0);
    assert_int_equal(d->rehashidx, -1);
    assert_true(kd_buckets(d) <= 1024);
    assert_true(kd_buckets(d) >= 100 / 8);
    assert_true(kd_memory(d) < big * sizeof(kentry *));
    for (long j = 0; j < N; j += 2000) check_entry(find_i(d, j), j);
    assert_null(find_i(d, 1));
    assert_int_equal(walk_count(d), 100);

    /* delete the rest: empty, still usable */
    for (long j = 0; j < N; j += 2000) assert_true(del_i(d, j));
    assert_int_equal(kd_size(d), 0);
    add_i(d, 5);
    check_entry(find_i(d, 5), 5);
    kd_free(d);
}

/* ---- SCAN ------------------------------------------------------------------ */

typedef struct {
    uint32_t *seen;     /* times each index was returned */
    long n;
} scan_state;

static void scan_cb(void *arg, kentry *e)
{
    scan_state *s = arg;
    long i = entry_index(e);
    assert_true(i >= 0 && i < s->n);
    s->seen[i]++;
}

static void test_scan_stable_table(void **state)
{
    (void)state;
    const long N = 5000;
    kdict *d = kd_new();
    for (long i = 0; i < N; i++) add_i(d, i);
    while (kd_rehash(d, 1000)) {}
    scan_state s = {calloc((size_t)N, sizeof(uint32_t)), N};
    uint64_t cur = 0;
    long calls = 0;
    do {
        cur = kd_scan(d, cur, scan_cb, &s);
        calls++;
        assert_true(calls <= (long)kd_buckets(d) + 1);
    } while (cur != 0);
    /* Without resizing, every key exactly once. */
    for (long i = 0; i < N; i++) assert_int_equal(s.seen[i], 1);
    free(s.seen);
    kd_free(d);
}

/* Keys present for the whole scan must be seen, while between scan calls
 * the table grows (inserts, rehash steps) and later shrinks (deletes). */
static void run_scan_with_resizes(long initial, long grow_to, bool shrink)
{
    const long TOTAL = grow_to;
    kdict *d = kd_new();
    bool *present = calloc((size_t)TOTAL, sizeof(bool));
    bool *always = calloc((size_t)TOTAL, sizeof(bool));   /* present for the whole scan */
    for (long i = 0; i < initial; i++) {
        add_i(d, i);
        present[i] = true;
        always[i] = true;
    }
    while (kd_rehash(d, 1000)) {}

    scan_state s = {calloc((size_t)TOTAL, sizeof(uint32_t)), TOTAL};
    uint64_t cur = 0;
    long next = initial, calls = 0;
    int rehashing_calls = 0, sizes_seen = 0;
    bool shrank = false;
    uint64_t last_buckets = kd_buckets(d), max_buckets = last_buckets;
    do {
        cur = kd_scan(d, cur, scan_cb, &s);
        calls++;
        if (d->rehashidx != -1) rehashing_calls++;
        if (kd_buckets(d) != last_buckets) { sizes_seen++; last_buckets = kd_buckets(d); }
        if (kd_buckets(d) > max_buckets) max_buckets = kd_buckets(d);
        if (d->rehashidx != -1 && d->size[1] < d->size[0]) shrank = true;
        /* grow: add a batch of new keys, partly rehash */
        if (next < TOTAL && calls % 2 == 0) {
            for (int k = 0; k < 40 && next < TOTAL; k++, next++) {
                add_i(d, next);
                present[next] = true;
            }
            kd_rehash(d, 2);
        }
        /* shrink: once grown, delete keys that were not there initially
         * and half of the initial ones (those lose their guarantee) */
        if (shrink && next >= TOTAL && calls % 2 == 1) {
            int dels = 0;
            for (long i = TOTAL - 1; i >= 0 && dels < 200; i--) {
                if (!present[i]) continue;
                if (i < initial && i % 2 == 0) continue;   /* keep evens */
                assert_true(del_i(d, i));
                present[i] = false;
                always[i] = false;
                dels++;
            }
            kd_rehash(d, 1);
        }
        assert_true(calls < 10000000);
    } while (cur != 0);

    long checked = 0;
    for (long i = 0; i < TOTAL; i++) {
        if (always[i]) {
            if (s.seen[i] == 0) fail_msg("key %ld present during the whole scan was not returned", i);
            checked++;
        }
    }
    assert_true(checked >= initial / 2);
    assert_true(sizes_seen > 0);          /* the table really changed size */
    assert_true(rehashing_calls > 0);     /* some calls ran mid-rehash */
    if (shrink) assert_true(shrank);
    free(s.seen);
    free(present);
    free(always);
    kd_free(d);
}

static void test_scan_while_growing(void **state)
{
    (void)state;
    run_scan_with_resizes(1000, 20000, false);
}

static void test_scan_while_growing_and_shrinking(void **state)
{
    (void)state;
    run_scan_with_resizes(3000, 30000, true);
}

/* Many small scans with a rehash frozen in the middle of the scan. */
static void test_scan_during_rehash(void **state)
{
    (void)state;
    const long N = 4096;
    kdict *d = kd_new();
    long i = 0;
    /* fill until a rehash starts */
    for (; i < N; i++) {
        add_i(d, i);
        if (d->rehashidx != -1 && i > 1000) { i++; break; }
    }
    assert_true(d->rehashidx != -1);
    long n = i;
    scan_state s = {calloc((size_t)n, sizeof(uint32_t)), n};
    uint64_t cur = 0;
    int steps = 0;
    do {
        cur = kd_scan(d, cur, scan_cb, &s);
        if (++steps % 4 == 0) kd_rehash(d, 1);    /* move on between calls */
    } while (cur != 0);
    for (long j = 0; j < n; j++)
        if (s.seen[j] == 0) fail_msg("key %ld not returned by a scan across a rehash", j);
    free(s.seen);
    kd_free(d);
}

/* ---- random ---------------------------------------------------------------- */

static void test_random_returns_members(void **state)
{
    (void)state;
    const long N = 3000;
    kdict *d = kd_new();
    bool *present = calloc((size_t)N, sizeof(bool));
    uint32_t *hits = calloc((size_t)N, sizeof(uint32_t));
    for (long i = 0; i < N; i++) {
        add_i(d, i);
        present[i] = true;
    }
    for (long i = 0; i < N; i += 3) {
        del_i(d, i);
        present[i] = false;
    }
    for (int k = 0; k < 60000; k++) {
        kentry *e = kd_random(d);
        assert_non_null(e);
        long i = entry_index(e);
        assert_true(i >= 0 && i < N);
        assert_true(present[i]);
        assert_ptr_equal(find_i(d, i), e);
        hits[i]++;
        /* keep the table changing so random also runs mid-rehash */
        if (k % 50 == 0) {
            long j = (k / 50) % N;
            if (present[j]) { del_i(d, j); present[j] = false; }
            else { add_i(d, j); present[j] = true; }
        }
    }
    long distinct = 0, members = 0;
    for (long i = 0; i < N; i++) {
        if (hits[i]) distinct++;
        if (present[i]) members++;
    }
    /* 60000 draws over ~2000 keys: nearly all keys must come up */
    assert_true(distinct > members * 9 / 10);

    /* Mid-rehash, frozen: draws come from both tables, all members. */
    long next = N;
    while (d->rehashidx == -1) {
        add_i(d, next);
        next++;
    }
    kd_rehash(d, 3);
    d->pause_rehash++;
    assert_true(d->used[0] > 0 && d->used[1] > 0);
    uint64_t m0 = d->size[0] - 1, m1 = d->size[1] - 1;
    int from_old = 0, from_new = 0;
    for (int k = 0; k < 20000; k++) {
        kentry *e = kd_random(d);
        assert_non_null(e);
        long i = entry_index(e);
        assert_true(i < next);
        assert_true(i >= N || present[i]);
        uint64_t h = hf_hash(e->key, e->klen);
        /* which table holds it: walk the chain in t[0] */
        bool in_old = false;
        for (kentry *x = d->t[0][h & m0]; x; x = x->next) if (x == e) in_old = true;
        if (in_old) from_old++;
        else {
            bool in_new = false;
            for (kentry *x = d->t[1][h & m1]; x; x = x->next) if (x == e) in_new = true;
            assert_true(in_new);
            from_new++;
        }
    }
    assert_true(from_old > 0);
    assert_true(from_new > 0);
    d->pause_rehash--;

    /* single key */
    kdict *one = kd_new();
    kentry *only = add_i(one, 42);
    for (int k = 0; k < 100; k++) assert_ptr_equal(kd_random(one), only);
    del_i(one, 42);
    assert_null(kd_random(one));
    kd_free(one);

    free(present);
    free(hits);
    kd_free(d);
}

/* ---- expire bookkeeping ------------------------------------------------------ */

static void test_volatile_keys_count(void **state)
{
    (void)state;
    kdict *d = kd_new();
    const long N = 1000;
    for (long i = 0; i < N; i++) add_i(d, i);
    assert_int_equal(d->volatile_keys, 0);

    for (long i = 0; i < N; i += 2) kd_set_expire(d, find_i(d, i), 1000000 + i);
    assert_int_equal(d->volatile_keys, N / 2);
    check_entry(find_i(d, 0), 0);
    assert_int_equal(find_i(d, 0)->expire, 1000000);
    assert_int_equal(find_i(d, 1)->expire, 0);

    /* changing an existing TTL does not count twice */
    for (long i = 0; i < N; i += 2) kd_set_expire(d, find_i(d, i), 2000000);
    assert_int_equal(d->volatile_keys, N / 2);

    /* PERSIST */
    kd_set_expire(d, find_i(d, 0), 0);
    kd_set_expire(d, find_i(d, 0), 0);
    assert_int_equal(d->volatile_keys, N / 2 - 1);
    assert_int_equal(find_i(d, 0)->expire, 0);

    /* deleting volatile keys decrements, persistent ones do not */
    assert_true(del_i(d, 2));
    assert_int_equal(d->volatile_keys, N / 2 - 2);
    assert_true(del_i(d, 3));
    assert_int_equal(d->volatile_keys, N / 2 - 2);

    /* unlink counts too */
    char k[32];
    int n = key_name(k, 4);
    kentry *e = kd_unlink(d, k, (size_t)n, hf_hash(k, (size_t)n));
    assert_non_null(e);
    assert_int_equal(d->volatile_keys, N / 2 - 3);
    kd_free_entry(e);

    /* stays exact across a rehash */
    for (long i = N; i < 20 * N; i++) {
        kentry *x = add_i(d, i);
        if (i % 3 == 0) kd_set_expire(d, x, 5);
    }
    uint64_t want = (uint64_t)(N / 2 - 3);
    for (long i = N; i < 20 * N; i++) if (i % 3 == 0) want++;
    assert_int_equal(d->volatile_keys, want);
    uint64_t counted = 0;
    while (kd_rehash(d, 1000)) {}
    for (long i = 0; i < 20 * N; i++) {
        kentry *x = find_i(d, i);
        if (x && x->expire) counted++;
    }
    assert_int_equal(counted, want);
    assert_int_equal(d->volatile_keys, want);

    kd_clear(d);
    assert_int_equal(d->volatile_keys, 0);
    kd_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_dict),
        cmocka_unit_test(test_add_find_delete_basic),
        cmocka_unit_test(test_many_keys_incremental_rehash),
        cmocka_unit_test(test_shrink_after_mass_delete),
        cmocka_unit_test(test_scan_stable_table),
        cmocka_unit_test(test_scan_while_growing),
        cmocka_unit_test(test_scan_while_growing_and_shrinking),
        cmocka_unit_test(test_scan_during_rehash),
        cmocka_unit_test(test_random_returns_members),
        cmocka_unit_test(test_volatile_keys_count),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
