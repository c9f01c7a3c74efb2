/* test_wal.c — the write-ahead log's format (src/wal.c), written by the
 * real writer and read back by the real reader.
 *
 * - payloads of every record type, and groups, encode and decode to the
 *   same fields; malformed payloads are refused;
 * - records logged from several threads come back once each, in LSN
 *   order, across segment rolls, after a stop and a restart that appends;
 *   also when the threads commit as workers do (wal_lead), several at once;
 * - the last segment cut at every byte offset of its last records reads as
 *   the whole records before the cut, then a torn tail (or a clean end at
 *   a frame boundary), and truncating the tail leaves a log that reads
 *   clean;
 * - a flipped bit in a record that a later batch mark calls durable is
 *   corruption, with the file and offset named; in a segment that is not
 *   the last one, too;
 * - a record whose CRC was computed in the other order (version 2's rule
 *   in a version 3 segment) is refused, and a version 2 segment written
 *   with its own rule is still read, and never appended to. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "crc32c.h"
#include "fsutil.h"
#include "util.h"
#include "wal.h"

#define SEG_HEADER 32
#define REC_HEADER 16
#define MARK_LEN 24

static char dir[256];

static void rm_rf(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hf-test-wal-%d", (int)getpid());
    rm_rf(dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rm_rf(dir);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    conf_defaults();
    return 0;
}

/* ---- payloads ------------------------------------------------------------------- */

static size_t encode(const struct wal_rec *r, uint8_t **out)
{
    size_t n = wal_encode_payload(r, NULL);
    *out = malloc(n);
    assert_int_equal(wal_encode_payload(r, *out), n);
    return n;
}

static void same_rec(const struct wal_rec *a, const struct wal_rec *b)
{
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->objtype, b->objtype);
    assert_int_equal(a->enc, b->enc);
    assert_int_equal(a->db, b->db);
    assert_int_equal(a->shard, b->shard);
    assert_int_equal(a->expire, b->expire);
    assert_int_equal(a->klen, b->klen);
    assert_int_equal(a->vlen, b->vlen);
    if (a->klen) assert_memory_equal(a->key, b->key, a->klen);
    if (a->vlen) assert_memory_equal(a->val, b->val, a->vlen);
}

static void test_payload_roundtrip(void **state)
{
    (void)state;
    struct wal_rec recs[] = {
        {.type = WREC_SET, .objtype = 0, .enc = 1, .db = 3, .shard = 17, .expire = 1700000000123LL,
         .key = "user:1", .klen = 6, .val = "hello", .vlen = 5},
        {.type = WREC_SET, .db = 0, .shard = 0, .key = "", .klen = 0, .val = "", .vlen = 0},
        {.type = WREC_DEL, .db = 15, .shard = 1023, .key = "k", .klen = 1},
        {.type = WREC_EXPIRE, .db = 1, .shard = 2, .expire = -1, .key = "e", .klen = 1},
        {.type = WREC_FLUSHDB, .db = 9, .shard = 0xffffffffu},
        {.type = WREC_FLUSHALL, .shard = 0xffffffffu},
        {.type = WREC_SWAPDB, .db = 2, .shard = 0xffffffffu, .expire = 5},
        {.type = WREC_CMD, .db = 0, .shard = 4, .key = "h", .klen = 1,
         .val = "\x01\x00\x00\x00\x04\x00\x00\x00HSET", .vlen = 12},
    };
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) {
        uint8_t *p;
        size_t n = encode(&recs[i], &p);
        struct wal_rec back;
        assert_true(wal_decode_payload(p, n, &back));
        same_rec(&recs[i], &back);
        /* shorter than it says: refused */
        assert_false(wal_decode_payload(p, n - 1, &back));
        free(p);
    }
}

static void test_payload_group(void **state)
{
    (void)state;
    struct wal_rec m[3] = {
        {.type = WREC_SET, .db = 0, .shard = 1, .key = "a", .klen = 1, .val = "1", .vlen = 1},
        {.type = WREC_EXPIRE, .db = 0, .shard = 1, .expire = 99, .key = "a", .klen = 1},
        {.type = WREC_DEL, .db = 0, .shard = 7, .key = "bb", .klen = 2},
    };
    hf_buf members = {0};
    for (int i = 0; i < 3; i++) {
        uint8_t *p;
        size_t n = encode(&m[i], &p);
        hf_buf_put32(&members, (uint32_t)n);
        hf_buf_put(&members, (const char *)p, n);
        free(p);
    }
    struct wal_rec g = {.type = WREC_GROUP, .shard = 0xffffffffu, .expire = 3,
                        .val = members.p, .vlen = (uint32_t)members.len};
    uint8_t *p;
    size_t n = encode(&g, &p);
    struct wal_rec back;
    assert_true(wal_decode_payload(p, n, &back));
    size_t off = 0;
    struct wal_rec mm;
    for (int i = 0; i < 3; i++) {
        assert_true(wal_group_next(&back, &off, &mm));
        same_rec(&m[i], &mm);
    }
    assert_false(wal_group_next(&back, &off, &mm));
    /* a member whose length runs past the group: refused */
    uint32_t bad = 1000;
    memcpy(p + 28, &bad, 4);
    assert_false(wal_decode_payload(p, n, &back));
    free(p);
    hf_buf_free(&members);
}

/* ---- the log on disk ------------------------------------------------------------- */

/* Record i: a SET of "k<i>" to a value of i % 50 bytes, or every seventh a
 * group of a SET and an EXPIRE. */
static uint64_t log_one(long i)
{
    char key[32], val[64];
    int kl = snprintf(key, sizeof key, "k%ld", i);
    int vl = (int)(i % 50);
    memset(val, 'a' + (int)(i % 26), (size_t)vl);
    struct wal_rec r = {.type = WREC_SET, .db = (uint32_t)(i % 16), .shard = (uint32_t)i % 1024,
                        .key = key, .klen = (uint32_t)kl, .val = val, .vlen = (uint32_t)vl};
    uint8_t buf[256];
    size_t n = wal_encode_payload(&r, buf);
    if (i % 7 != 3) return wal_log_payload(buf, n);
    uint8_t members[512];
    uint32_t n32 = (uint32_t)n;
    memcpy(members, &n32, 4);
    memcpy(members + 4, buf, n);
    struct wal_rec e = {.type = WREC_EXPIRE, .db = r.db, .shard = r.shard, .expire = i,
                        .key = key, .klen = (uint32_t)kl};
    size_t n2 = wal_encode_payload(&e, members + 8 + n);
    n32 = (uint32_t)n2;
    memcpy(members + 4 + n, &n32, 4);
    return wal_log_group(members, 8 + n + n2, 2);
}

/* Checks that r is record i as log_one wrote it. */
static void check_one(long i, const struct wal_rec *r)
{
    char key[32];
    int kl = snprintf(key, sizeof key, "k%ld", i);
    struct wal_rec s = *r;
    if (i % 7 == 3) {
        assert_int_equal(r->type, WREC_GROUP);
        assert_int_equal(r->expire, 2);
        size_t off = 0;
        assert_true(wal_group_next(r, &off, &s));
        struct wal_rec e;
        assert_true(wal_group_next(r, &off, &e));
        assert_int_equal(e.type, WREC_EXPIRE);
        assert_int_equal(e.expire, i);
        assert_false(wal_group_next(r, &off, &e));
    }
    assert_int_equal(s.type, WREC_SET);
    assert_int_equal(s.klen, (uint32_t)kl);
    assert_memory_equal(s.key, key, (size_t)kl);
    assert_int_equal(s.vlen, (uint32_t)(i % 50));
    for (uint32_t j = 0; j < s.vlen; j++) assert_int_equal(s.val[j], 'a' + (int)(i % 26));
}

struct writer { long from, to; uint64_t *lsn_of; };

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    for (long i = w->from; i < w->to; i++) {
        w->lsn_of[i] = log_one(i);
        if (i % 250 == 0) assert_int_equal(wal_sync(w->lsn_of[i]), 0);   /* a batch now and then */
    }
    return NULL;
}

/* Logs records [from, to) from nthreads threads; lsn_of[i] gets record i's LSN. */
static void log_range(long from, long to, int nthreads, uint64_t *lsn_of)
{
    pthread_t t[8];
    struct writer w[8];
    long per = (to - from + nthreads - 1) / nthreads;
    for (int k = 0; k < nthreads; k++) {
        w[k].from = from + per * k;
        w[k].to = w[k].from + per < to ? w[k].from + per : to;
        w[k].lsn_of = lsn_of;
        pthread_create(&t[k], NULL, writer_main, &w[k]);
    }
    for (int k = 0; k < nthreads; k++) pthread_join(t[k], NULL);
}

/* Reads the whole log; *index_of[lsn] = the record i that has it, checked.
 * Returns the final status; *count the records read. */
static int read_all(const long *i_of_lsn, uint64_t *count)
{
    wal_reader *rd = wal_reader_open(dir);
    assert_non_null(rd);
    uint64_t lsn, n = 0, expect = 1;
    struct wal_rec r;
    int s;
    while ((s = wal_reader_next(rd, &lsn, &r)) == WAL_READ_OK) {
        assert_int_equal(lsn, expect);
        expect++;
        if (i_of_lsn) check_one(i_of_lsn[lsn], &r);
        n++;
    }
    *count = n;
    wal_reader_close(rd);
    return s;
}

static int count_segments(void)
{
    char wd[300];
    snprintf(wd, sizeof wd, "%s/wal", dir);
    struct wal_segment *segs;
    int n = wal_list_segments(wd, &segs);
    hf_free(segs);
    return n;
}

static void test_log_threads_rolls_restart(void **state)
{
    (void)state;
    enum { N1 = 6000, N2 = 3000 };
    static uint64_t lsn_of[N1 + N2];
    static long i_of_lsn[N1 + N2 + 1];
    long long seg_bytes = cfg.wal_segment_bytes;
    cfg.wal_segment_bytes = 64 * 1024;   /* below the directive's minimum: rolls */
    assert_int_equal(wal_start(dir, 1, false), 0);
    log_range(0, N1, 4, lsn_of);
    assert_int_equal(wal_sync(wal_last_lsn()), 0);
    wal_stop();
    assert_true(count_segments() > 3);
    /* a restart appends to the last segment */
    int nseg = count_segments();
    assert_int_equal(wal_start(dir, N1 + 1, true), 0);
    log_range(N1, N1 + N2, 3, lsn_of);
    assert_int_equal(wal_sync(wal_last_lsn()), 0);
    wal_stop();
    cfg.wal_segment_bytes = seg_bytes;
    assert_true(count_segments() >= nseg);
    for (long i = 0; i < N1 + N2; i++) {
        assert_true(lsn_of[i] >= 1 && lsn_of[i] <= N1 + N2);
        i_of_lsn[lsn_of[i]] = i;
    }
    uint64_t n;
    assert_int_equal(read_all(i_of_lsn, &n), WAL_READ_END);
    assert_int_equal(n, N1 + N2);
}

/* Workers that lead: each appends a round of records, then commits as a
 * worker does before it sleeps (wal_lead) until its last record is
 * acknowledged.  Several leading at once take each other's records into
 * their batches and leave carries; no record may be lost, written twice
 * or left waiting for someone else (the test gives each round 10 s). */
struct leader { int id; long from, to; uint64_t *lsn_of; int stuck; };

static void *leader_main(void *arg)
{
    struct leader *l = arg;
    wal_thread_can_lead(l->id);
    long i = l->from;
    for (int round = 0; i < l->to; round++) {
        uint64_t last = 0;
        for (int k = 0; k <= round % 16 && i < l->to; k++, i++) last = l->lsn_of[i] = log_one(i);
        int64_t t0 = hf_monotonic_us();
        while (wal_ack_lsn() < last) {
            wal_lead(true);
            if (hf_monotonic_us() - t0 > 10 * 1000000) { l->stuck = 1; return NULL; }
            sched_yield();
        }
    }
    return NULL;
}

static void test_workers_lead(void **state)
{
    (void)state;
    enum { N = 12000, T = 3 };
    static uint64_t lsn_of[N];
    static long i_of_lsn[N + 1];
    assert_int_equal(wal_start(dir, 1, false), 0);
    pthread_t t[T];
    struct leader l[T];
    for (int k = 0; k < T; k++) {
        l[k] = (struct leader){.id = k, .from = (long)N / T * k, .to = (long)N / T * (k + 1), .lsn_of = lsn_of};
        pthread_create(&t[k], NULL, leader_main, &l[k]);
    }
    for (int k = 0; k < T; k++) pthread_join(t[k], NULL);
    for (int k = 0; k < T; k++) assert_int_equal(l[k].stuck, 0);
    assert_int_equal(wal_last_lsn(), N);
    wal_stop();
    for (long i = 0; i < N; i++) i_of_lsn[lsn_of[i]] = i;
    uint64_t n;
    assert_int_equal(read_all(i_of_lsn, &n), WAL_READ_END);
    assert_int_equal(n, N);
}

/* The last segment's path and bytes. */
static char *last_segment(char *path, size_t plen, size_t *len)
{
    char wd[300];
    snprintf(wd, sizeof wd, "%s/wal", dir);
    struct wal_segment *segs;
    int n = wal_list_segments(wd, &segs);
    assert_true(n > 0);
    snprintf(path, plen, "%s/%020llu.log", wd, (unsigned long long)segs[n - 1].first);
    hf_free(segs);
    char *d = fs_read_file(path, len);
    assert_non_null(d);
    return d;
}

static void write_file(const char *path, const void *d, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(fs_write_all(fd, d, len), 0);
    close(fd);
}

/* Frame offsets of a segment: records and marks, in order. */
static int frames(const uint8_t *d, size_t len, size_t *off, bool *is_mark, int max)
{
    int n = 0;
    size_t o = SEG_HEADER;
    while (o + 4 <= len && n < max) {
        uint32_t plen;
        memcpy(&plen, d + o, 4);
        off[n] = o;
        is_mark[n] = plen == 0xffffffffu;
        o += is_mark[n] ? MARK_LEN : REC_HEADER + plen;
        if (o > len) break;
        n++;
    }
    return n;
}

/* A fresh log of n records, each in a batch of its own (so each batch's
 * write carries a mark), stopped cleanly: its last segment's path, bytes
 * (hf_free) and frames. */
struct seglog {
    char path[400];
    size_t len;
    char *d;
    size_t off[256];
    bool mark[256];
    int nf;
};

static void seglog_make(struct seglog *g, long n)
{
    assert_int_equal(wal_start(dir, 1, false), 0);
    for (long i = 0; i < n; i++) assert_int_equal(wal_sync(log_one(i)), 0);
    wal_stop();
    g->d = last_segment(g->path, sizeof g->path, &g->len);
    g->nf = frames((uint8_t *)g->d, g->len, g->off, g->mark, 256);
}

/* The frame index of the n-th record (n > 0: from the start, n < 0: from
 * the end), or -1. */
static int nth_record(const struct seglog *g, int n)
{
    int seen = 0;
    for (int k = 0; k < g->nf; k++) {
        int f = n > 0 ? k : g->nf - 1 - k;
        if (!g->mark[f] && ++seen == (n > 0 ? n : -n)) return f;
    }
    return -1;
}

static void test_torn_tail_every_offset(void **state)
{
    (void)state;
    enum { N = 40 };
    static struct seglog g;
    seglog_make(&g, N);
    char *path = g.path, *orig = g.d;
    size_t len = g.len, *off = g.off;
    bool *mark = g.mark;
    int nf = g.nf;
    assert_true(nf > 2 * N);
    /* cut anywhere from the start of the third-to-last record to the end */
    int first = nth_record(&g, -3);
    assert_true(first > 0);
    for (size_t cut = off[first]; cut < len; cut++) {
        write_file(path, orig, cut);
        /* records wholly before the cut */
        uint64_t whole = 0;
        bool at_boundary = false;
        for (int f = 0; f < nf; f++) {
            size_t end = f + 1 < nf ? off[f + 1] : len;
            if (end <= cut && !mark[f]) whole++;
            if (off[f] == cut) at_boundary = true;
        }
        uint64_t n;
        int s = read_all(NULL, &n);
        assert_int_equal(n, whole);
        assert_int_equal(s, at_boundary ? WAL_READ_END : WAL_READ_TORN);
        if (s == WAL_READ_TORN) {
            wal_reader *rd = wal_reader_open(dir);
            uint64_t lsn;
            struct wal_rec r;
            while (wal_reader_next(rd, &lsn, &r) == WAL_READ_OK) {}
            assert_true(wal_reader_truncate_tail(rd) > 0);
            wal_reader_close(rd);
            assert_int_equal(read_all(NULL, &n), WAL_READ_END);
            assert_int_equal(n, whole);
        }
    }
    /* zeros after the last frame (a preallocated segment after a crash):
     * a torn tail, every record kept */
    char *z = calloc(1, len + 4096);
    memcpy(z, orig, len);
    write_file(path, z, len + 4096);
    uint64_t n;
    assert_int_equal(read_all(NULL, &n), WAL_READ_TORN);
    assert_int_equal(n, N);
    free(z);
    write_file(path, orig, len);
    hf_free(orig);
}

static void test_damage_is_corruption(void **state)
{
    (void)state;
    enum { N = 10 };
    static struct seglog g;
    seglog_make(&g, N);
    char *path = g.path, *orig = g.d;
    size_t len = g.len, *off = g.off;
    /* the fourth record: later batches' marks record it as durable */
    int f = nth_record(&g, 4);
    assert_true(f > 0);
    size_t at = off[f] + REC_HEADER + 5;
    orig[at] ^= 0x10;
    write_file(path, orig, len);
    wal_reader *rd = wal_reader_open(dir);
    uint64_t lsn, n = 0;
    struct wal_rec r;
    int s;
    while ((s = wal_reader_next(rd, &lsn, &r)) == WAL_READ_OK) n++;
    assert_int_equal(s, WAL_READ_CORRUPT);
    assert_int_equal(n, 3);
    char want[64];
    snprintf(want, sizeof want, "CRC mismatch at offset %zu", off[f]);
    assert_non_null(strstr(wal_reader_error(rd), want));
    assert_non_null(strstr(wal_reader_error(rd), path));
    assert_non_null(strstr(wal_reader_note(rd), "had been made durable"));
    wal_reader_close(rd);
    hf_free(orig);
}

/* A record's CRC under the version 1 and 2 rule: LSN bytes, then payload. */
static void v2_crc(uint8_t *rec)
{
    uint32_t plen;
    memcpy(&plen, rec, 4);
    uint32_t c = crc32c(0, rec + 8, 8 + (size_t)plen);
    memcpy(rec + 4, &c, 4);
}

static void test_versions(void **state)
{
    (void)state;
    enum { N = 5 };
    static struct seglog g;
    seglog_make(&g, N);
    char *path = g.path;
    uint8_t *d = (uint8_t *)g.d;
    size_t len = g.len, *off = g.off;
    bool *mark = g.mark;
    int nf = g.nf;
    uint32_t version;
    memcpy(&version, d + 8, 4);
    assert_int_equal(version, 3);
    /* the last record's CRC by the old rule, in a version 3 segment:
     * refused (corruption: the shutdown mark after it says it was durable) */
    int last = nth_record(&g, -1);
    uint8_t *copy = malloc(len);
    memcpy(copy, d, len);
    v2_crc(copy + off[last]);
    write_file(path, copy, len);
    uint64_t n;
    assert_int_equal(read_all(NULL, &n), WAL_READ_CORRUPT);
    assert_int_equal(n, N - 1);
    /* the whole segment as version 2 wrote it: every CRC by the old rule,
     * the header saying 2: read whole */
    memcpy(copy, d, len);
    uint32_t v2 = 2;
    memcpy(copy + 8, &v2, 4);
    uint32_t hc = crc32c(0, copy, 24);
    memcpy(copy + 24, &hc, 4);
    for (int k = 0; k < nf; k++)
        if (!mark[k]) v2_crc(copy + off[k]);
    write_file(path, copy, len);
    assert_int_equal(read_all(NULL, &n), WAL_READ_END);
    assert_int_equal(n, N);
    /* a restart does not append to it: a new version 3 segment follows */
    assert_int_equal(count_segments(), 1);
    assert_int_equal(wal_start(dir, N + 1, true), 0);
    assert_int_equal(wal_sync(log_one(N)), 0);
    wal_stop();
    assert_int_equal(count_segments(), 2);
    size_t len2;
    char path2[400];
    uint8_t *d2 = (uint8_t *)last_segment(path2, sizeof path2, &len2);
    assert_string_not_equal(path, path2);
    memcpy(&version, d2 + 8, 4);
    assert_int_equal(version, 3);
    assert_int_equal(read_all(NULL, &n), WAL_READ_END);
    assert_int_equal(n, N + 1);
    hf_free(d2);
    free(copy);
    hf_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payload_roundtrip),
        cmocka_unit_test(test_payload_group),
        cmocka_unit_test_setup_teardown(test_log_threads_rolls_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_workers_lead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_every_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damage_is_corruption, setup, teardown),
        cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
