/* fuzz_resp.c — libFuzzer target for the RESP parser (src/resp.h).
 *
 * Uses only resp.h and util.h (it is linked with resp.c, util.c, log.c).
 *
 * Input layout: byte 0 chooses the parser's limits (authenticated or not,
 * a small or the default max bulk length), byte 1 seeds the split points;
 * the rest is the stream.  The stream is parsed twice — fed whole, and fed
 * in pieces through resp_feed and resp_space/resp_commit, draining after
 * every piece — and both runs must give the same commands and the same
 * final answer (need more, or the same error).  Also checked:
 *   - a command has argc > 0, each argument no longer than the stream, and
 *     every argument byte is readable (ASan catches dangling argv);
 *   - multibulk arguments are substrings of the stream;
 *   - after RESP_ERR every later call returns RESP_ERR with the same text,
 *     even after more bytes arrive; "need more" never carries an error;
 *   - resp_pending() never exceeds the bytes fed;
 *   - resp_split_inline() on the whole stream: count independent of the
 *     number of slots, arguments inside the output buffer, total length
 *     no more than the input. */
#define _GNU_SOURCE 1   /* memmem */
#include "config.h"
#include "resp.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_resp: check failed at %s:%d: %s\n",          \
                    __FILE__, __LINE__, #cond);                                \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* Serialised record of one run, for comparing the two runs. */
typedef struct {
    unsigned char *buf;
    size_t len, cap;
    int final_rc;
    char err[160];
} transcript;

static void tr_put(transcript *t, const void *p, size_t n)
{
    if (t->len + n > t->cap) {
        size_t c = t->cap ? t->cap : 1024;
        while (c < t->len + n) c *= 2;
        t->buf = realloc(t->buf, c);
        CHECK(t->buf != NULL);
        t->cap = c;
    }
    memcpy(t->buf + t->len, p, n);
    t->len += n;
}

static const uint8_t *g_data;   /* the stream, for substring checks */
static size_t g_size;

static volatile unsigned char sink;

static void record_cmd(transcript *t, resp_parser *p, int argc, const hf_arg *argv)
{
    CHECK(argc > 0);
    bool inl = resp_is_inline(p);
    tr_put(t, &argc, sizeof argc);
    unsigned char flag = inl;
    tr_put(t, &flag, 1);
    for (int i = 0; i < argc; i++) {
        CHECK(argv[i].n <= g_size);
        CHECK(argv[i].n == 0 || argv[i].p != NULL);
        /* touch every byte: ASan reports a dangling or short argv */
        unsigned char acc = 0;
        for (size_t k = 0; k < argv[i].n; k++) acc ^= (unsigned char)argv[i].p[k];
        sink = acc;
        if (!inl && argv[i].n > 0)
            CHECK(memmem(g_data, g_size, argv[i].p, argv[i].n) != NULL);
        uint64_t n = argv[i].n;
        tr_put(t, &n, sizeof n);
        tr_put(t, argv[i].p, argv[i].n);
    }
}

/* Drain commands; returns the final code (NEED_MORE or ERR). */
static int drain(resp_parser *p, transcript *t, size_t fed)
{
    int argc, rc;
    hf_arg *argv;
    while ((rc = resp_next(p, &argc, &argv)) == RESP_CMD) record_cmd(t, p, argc, argv);
    CHECK(resp_pending(p) <= fed);
    if (rc == RESP_ERR) {
        const char *e = resp_error(p);
        CHECK(e != NULL);
        CHECK(strncmp(e, "Protocol error: ", 16) == 0);
        snprintf(t->err, sizeof t->err, "%s", e);
        /* sticky */
        for (int k = 0; k < 3; k++) {
            CHECK(resp_next(p, &argc, &argv) == RESP_ERR);
            CHECK(resp_error(p) != NULL && strcmp(resp_error(p), t->err) == 0);
        }
        resp_feed(p, "PING\r\n*1\r\n$4\r\nPING\r\n", 20);
        CHECK(resp_next(p, &argc, &argv) == RESP_ERR);
        CHECK(strcmp(resp_error(p), t->err) == 0);
    } else {
        CHECK(rc == RESP_NEED_MORE);
        CHECK(resp_error(p) == NULL);
    }
    t->final_rc = rc;
    return rc;
}

static resp_parser *make_parser(uint8_t cfg)
{
    resp_parser *p = resp_new();
    if (cfg & 1) resp_set_authenticated(p, false);
    if (cfg & 2) resp_set_max_bulk(p, (cfg >> 2) * 4);   /* 0 .. 252 */
    return p;
}

static void feed_piece(resp_parser *p, const uint8_t *d, size_t n, bool via_space)
{
    if (!via_space) {
        if (n) resp_feed(p, d, n);
        return;
    }
    while (n) {
        size_t room = 0;
        char *dst = resp_space(p, &room);
        CHECK(dst != NULL && room > 0);
        size_t k = n < room ? n : room;
        memcpy(dst, d, k);
        resp_commit(p, k);
        d += k;
        n -= k;
    }
}

static void check_split_inline(const uint8_t *d, size_t n)
{
    char *out = malloc(n + 1);
    hf_arg args[64];
    hf_arg one[1];
    CHECK(out != NULL);
    int c = resp_split_inline((const char *)d, n, out, args, 64);
    int c1 = resp_split_inline((const char *)d, n, out, one, 1);
    int c0 = resp_split_inline((const char *)d, n, out, one, 0);
    CHECK(c == c1 && c == c0);
    CHECK(c >= -1);
    if (c > 0) {
        size_t total = 0;
        int m = c < 64 ? c : 64;
        for (int i = 0; i < m; i++) {
            CHECK(args[i].p >= out && args[i].p + args[i].n <= out + n);
            total += args[i].n;
        }
        CHECK(total <= n);
        CHECK(one[0].n == args[0].n && (one[0].n == 0 || memcmp(one[0].p, args[0].p, one[0].n) == 0));
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    uint8_t cfg = data[0];
    uint32_t seed = (uint32_t)data[1] * 2654435761u + 1;
    const uint8_t *s = data + 2;
    size_t n = size - 2;
    g_data = s;
    g_size = n;

    /* Run 1: the whole stream at once. */
    transcript whole = {0};
    resp_parser *p = make_parser(cfg);
    feed_piece(p, s, n, false);
    drain(p, &whole, n);
    resp_free(p);

    /* Run 2: pieces of pseudo-random sizes (1..16 bytes, or larger when
     * the seed's top bit is set), alternating the two feeding APIs. */
    transcript split = {0};
    p = make_parser(cfg);
    size_t at = 0;
    uint32_t x = seed;
    bool big = (data[1] & 0x80) != 0;
    while (at < n) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        size_t k = 1 + (big ? x % 512 : x % 16);
        if (k > n - at) k = n - at;
        feed_piece(p, s + at, k, (x >> 8) & 1);
        at += k;
        if (drain(p, &split, at) == RESP_ERR) break;
    }
    if (n == 0) drain(p, &split, 0);
    resp_free(p);

    /* Same commands, same ending.  (The 64 KB line limits could make the
     * timing of an error depend on chunking; inputs are far below them.) */
    if (n < 60000) {
        CHECK(whole.len == split.len);
        CHECK(whole.len == 0 || memcmp(whole.buf, split.buf, whole.len) == 0);
        CHECK(whole.final_rc == split.final_rc);
        CHECK(strcmp(whole.err, split.err) == 0);
    }
    free(whole.buf);
    free(split.buf);

    check_split_inline(s, n);
    return 0;
}
