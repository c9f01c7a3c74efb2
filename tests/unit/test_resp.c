/* test_resp.c — the RESP request parser (src/resp.h), without sockets.
 *
 * Every expectation here is Redis 7.0's behaviour (src/networking.c:
 * processInlineBuffer, processMultibulkBuffer; src/sds.c: sdssplitargs),
 * including the exact error texts, so a difference is a bug in holdfast.
 *
 * Categories: well-formed multibulk and inline requests; pipelines fed
 * whole, byte by byte, in every 2-way split and in random chunks; binary
 * safety; Redis's quirks (ignored *0 / *-1, empty lines, unchecked bulk
 * CRLF); hostile input (bad and huge lengths, unbalanced quotes, limits
 * before AUTH); sticky errors; a 10 MB bulk read through resp_space. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

/* ---- helpers ------------------------------------------------------------ */

/* A command copied out of the parser (its argv is only valid until the
 * next call), so whole runs can be compared. */
typedef struct {
    int argc;
    char **argv;
    size_t *len;
    bool is_inline;
} cmd_copy;

typedef struct {
    cmd_copy *cmds;
    int n, cap;
    int last_rc;          /* RESP_NEED_MORE or RESP_ERR at the end */
    char err[160];
} run_result;

static void run_init(run_result *r)
{
    memset(r, 0, sizeof *r);
    r->last_rc = RESP_NEED_MORE;
}

static void run_free(run_result *r)
{
    for (int i = 0; i < r->n; i++) {
        for (int j = 0; j < r->cmds[i].argc; j++) free(r->cmds[i].argv[j]);
        free(r->cmds[i].argv);
        free(r->cmds[i].len);
    }
    free(r->cmds);
    memset(r, 0, sizeof *r);
}

static void run_push(run_result *r, int argc, const hf_arg *argv, bool is_inline)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->cmds = realloc(r->cmds, sizeof(cmd_copy) * (size_t)r->cap);
        assert_non_null(r->cmds);
    }
    cmd_copy *c = &r->cmds[r->n++];
    c->argc = argc;
    c->is_inline = is_inline;
    c->argv = calloc((size_t)argc, sizeof(char *));
    c->len = calloc((size_t)argc, sizeof(size_t));
    for (int i = 0; i < argc; i++) {
        c->len[i] = argv[i].n;
        c->argv[i] = malloc(argv[i].n + 1);
        memcpy(c->argv[i], argv[i].p, argv[i].n);
        c->argv[i][argv[i].n] = '\0';
    }
}

/* Ask for commands until the parser needs more or fails; records them. */
static int drain(resp_parser *p, run_result *r)
{
    int argc, rc;
    hf_arg *argv;
    while ((rc = resp_next(p, &argc, &argv)) == RESP_CMD) {
        assert_true(argc > 0);
        run_push(r, argc, argv, resp_is_inline(p));
    }
    r->last_rc = rc;
    if (rc == RESP_ERR) {
        assert_non_null(resp_error(p));
        snprintf(r->err, sizeof r->err, "%s", resp_error(p));
    } else {
        assert_int_equal(rc, RESP_NEED_MORE);
        assert_null(resp_error(p));
    }
    return rc;
}

/* Feed data in pieces ending at the given cut offsets (ascending), draining
 * after every piece.  Uses resp_space/resp_commit when via_space is true. */
static void run_cuts(resp_parser *p, const char *data, size_t len,
                     const size_t *cuts, int ncuts, bool via_space, run_result *r)
{
    size_t at = 0;
    for (int i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : len;
        if (end < at) end = at;
        size_t n = end - at;
        if (via_space) {
            size_t done = 0;
            while (done < n) {
                size_t room = 0;
                char *dst = resp_space(p, &room);
                assert_non_null(dst);
                assert_true(room > 0);
                size_t k = n - done < room ? n - done : room;
                memcpy(dst, data + at + done, k);
                resp_commit(p, k);
                done += k;
            }
        } else if (n) {
            resp_feed(p, data + at, n);
        }
        at = end;
        if (drain(p, r) == RESP_ERR) return;
    }
}

static void parse_whole(const char *data, size_t len, run_result *r)
{
    resp_parser *p = resp_new();
    run_init(r);
    run_cuts(p, data, len, NULL, 0, false, r);
    resp_free(p);
}

static void assert_same_run(const run_result *a, const run_result *b)
{
    assert_int_equal(a->n, b->n);
    for (int i = 0; i < a->n; i++) {
        assert_int_equal(a->cmds[i].argc, b->cmds[i].argc);
        assert_int_equal(a->cmds[i].is_inline, b->cmds[i].is_inline);
        for (int j = 0; j < a->cmds[i].argc; j++) {
            assert_int_equal(a->cmds[i].len[j], b->cmds[i].len[j]);
            assert_memory_equal(a->cmds[i].argv[j], b->cmds[i].argv[j], a->cmds[i].len[j]);
        }
    }
    assert_int_equal(a->last_rc, b->last_rc);
    assert_string_equal(a->err, b->err);
}

/* Expected command: arguments given as (pointer, length) pairs. */
static void assert_cmd(const run_result *r, int idx, int argc, ...)
{
    assert_true(idx < r->n);
    const cmd_copy *c = &r->cmds[idx];
    assert_int_equal(c->argc, argc);
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++) {
        const char *s = va_arg(ap, const char *);
        size_t n = va_arg(ap, size_t);
        assert_int_equal(c->len[i], n);
        assert_memory_equal(c->argv[i], s, n);
    }
    va_end(ap);
}

#define A(lit) (lit), (sizeof(lit) - 1)

/* Parse one whole input that must produce exactly one error. */
static void expect_error(const char *data, size_t len, const char *msg)
{
    run_result r;
    parse_whole(data, len, &r);
    assert_int_equal(r.last_rc, RESP_ERR);
    assert_string_equal(r.err, msg);
    run_free(&r);
}

/* Same, with a configured parser. */
static void expect_error_p(resp_parser *p, const char *data, size_t len, const char *msg)
{
    run_result r;
    run_init(&r);
    run_cuts(p, data, len, NULL, 0, false, &r);
    assert_int_equal(r.n, 0);
    assert_int_equal(r.last_rc, RESP_ERR);
    assert_string_equal(r.err, msg);
    run_free(&r);
}

/* ---- well-formed requests ------------------------------------------------- */

static void test_multibulk_basic(void **state)
{
    (void)state;
    const char in[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
    resp_parser *p = resp_new();
    resp_feed(p, in, sizeof in - 1);
    int argc = 0;
    hf_arg *argv = NULL;
    assert_int_equal(resp_next(p, &argc, &argv), RESP_CMD);
    assert_int_equal(argc, 3);
    assert_int_equal(argv[0].n, 3);
    assert_memory_equal(argv[0].p, "SET", 3);
    assert_int_equal(argv[1].n, 1);
    assert_memory_equal(argv[1].p, "k", 1);
    assert_int_equal(argv[2].n, 5);
    assert_memory_equal(argv[2].p, "hello", 5);
    assert_false(resp_is_inline(p));
    assert_int_equal(resp_pending(p), 0);
    assert_int_equal(resp_next(p, &argc, &argv), RESP_NEED_MORE);
    assert_null(resp_error(p));
    resp_free(p);
}

static void test_multibulk_many_args(void **state)
{
    (void)state;
    /* 1000 arguments: the argument arrays must grow. */
    size_t cap = 1000 * 16 + 16, len = 0;
    char *buf = malloc(cap);
    len += (size_t)sprintf(buf + len, "*1000\r\n");
    for (int i = 0; i < 1000; i++) {
        char a[16];
        int n = sprintf(a, "%d", i);
        len += (size_t)sprintf(buf + len, "$%d\r\n%s\r\n", n, a);
    }
    resp_parser *p = resp_new();
    resp_feed(p, buf, len);
    int argc;
    hf_arg *argv;
    assert_int_equal(resp_next(p, &argc, &argv), RESP_CMD);
    assert_int_equal(argc, 1000);
    for (int i = 0; i < 1000; i++) {
        char a[16];
        int n = sprintf(a, "%d", i);
        assert_int_equal(argv[i].n, (size_t)n);
        assert_memory_equal(argv[i].p, a, (size_t)n);
    }
    resp_free(p);
    free(buf);
}

static void test_inline_basic(void **state)
{
    (void)state;
    run_result r;
    const char in[] = "PING\r\n"            /* CRLF */
                      "SET k v\n"           /* bare LF */
                      "  GET \t k  \r\n"    /* leading, trailing, tab blanks */
                      "PING\rX\n";          /* a lone CR separates arguments */
    parse_whole(in, sizeof in - 1, &r);
    assert_int_equal(r.last_rc, RESP_NEED_MORE);
    assert_int_equal(r.n, 4);
    assert_cmd(&r, 0, 1, A("PING"));
    assert_true(r.cmds[0].is_inline);
    assert_cmd(&r, 1, 3, A("SET"), A("k"), A("v"));
    assert_cmd(&r, 2, 2, A("GET"), A("k"));
    assert_cmd(&r, 3, 2, A("PING"), A("X"));
    run_free(&r);

    /* An inline line without its newline is not a command yet. */
    resp_parser *p = resp_new();
    int argc;
    hf_arg *argv;
    resp_feed(p, "PING", 4);
    assert_int_equal(resp_next(p, &argc, &argv), RESP_NEED_MORE);
    assert_int_equal(resp_pending(p), 4);
    resp_feed(p, "\r", 1);
    assert_int_equal(resp_next(p, &argc, &argv), RESP_NEED_MORE);
    resp_feed(p, "\n", 1);
    assert_int_equal(resp_next(p, &argc, &argv), RESP_CMD);
    assert_int_equal(argc, 1);
    assert_int_equal(argv[0].n, 4);
    assert_memory_equal(argv[0].p, "PING", 4);
    assert_true(resp_is_inline(p));
    assert_int_equal(resp_pending(p), 0);
    resp_free(p);
}

static void test_inline_then_multibulk_is_inline_flag(void **state)
{
    (void)state;
    resp_parser *p = resp_new();
    const char in[] = "PING\r\n*1\r\n$4\r\nPING\r\n";
    resp_feed(p, in, sizeof in - 1);
    int argc;
    hf_arg *argv;
    assert_int_equal(resp_next(p, &argc, &argv), RESP_CMD);
    assert_true(resp_is_inline(p));
    assert_int_equal(resp_next(p, &argc, &argv), RESP_CMD);
    assert_false(resp_is_inline(p));
    assert_int_equal(resp_next(p, &argc, &argv), RESP_NEED_MORE);
    resp_free(p);
}

/* A bulk's payload is taken by length, so any bytes are allowed. */
static void test_binary_safe_bulks(void **state)
{
    (void)state;
    static const char in[] =
        "*3\r\n$3\r\nSET\r\n$5\r\nk\0\r\nx\r\n$8\r\n\r\n*1\r\n$\0\r\n";
    run_result r;
    parse_whole(in, sizeof in - 1, &r);
    assert_int_equal(r.last_rc, RESP_NEED_MORE);
    assert_int_equal(r.n, 1);
    assert_cmd(&r, 0, 3, A("SET"), "k\0\r\nx", (size_t)5, "\r\n*1\r\n$\0", (size_t)8);
    run_free(&r);
}

static void test_empty_bulk(void **state)
{
    (void)state;
    static const char in[] = "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n";
    run_result r;
    parse_whole(in, sizeof in - 1, &r);
    assert_int_equal(r.n, 1);
    assert_cmd(&r, 0, 3, A("SET"), A(""), A(""));
    run_free(&r);

    /* A command that is a single empty bulk is still a command (Redis
     * replies "unknown command ''"). */
    parse_whole(A("*1\r\n$0\r\n\r\n"), &r);
    assert_int_equal(r.n, 1);
    assert_cmd(&r, 0, 1, A(""));
    run_free(&r);
}

/* Redis: "if (ll <= 0) return C_OK" with argc 0 -> resetClient. */
static void test_zero_and_negative_multibulk_ignored(void **state)
{
    (void)state;
    static const char in[] = "*0\r\n*-1\r\n*-5\r\n*1\r\n$4\r\nPING\r\n*0\r\n";
    run_result r;
    parse_whole(in, sizeof in - 1, &r);
    assert_int_equal(r.last_rc, RESP_NEED_MORE);
    assert_int_equal(r.n, 1);
    assert_cmd(&r, 0, 1, A("PING"));
    run_free(&r);

    resp_parser *p = resp_new();
    resp_feed(p, "*0\r\n*-1\r\n", 9);
    int argc;
    hf_arg *argv;
    assert_int_equal(resp_next(p, &argc, &argv), RESP_NEED_MORE);
    assert_int_equal(resp_pending(p), 0);
    resp_free(p);
}

/* Empty and blank inline lines produce argc 0, which Redis skips. */
static void test_empty_inline_lines_ignored(void **state)
{
    (void)state;
    static const char in[] = "\r\n\n   \r\n\t\nPING\r\n\r\n";
    run_result r;
    parse_whole(in, sizeof in - 1, &r);
    assert_int_equal(r.last_rc, RESP_NEED_MORE);
    assert_int_equal(r.n, 1);
    assert_cmd(&r, 0, 1, A("PING"));
    run_free(&r);

    resp_parser *p = resp_new();
    resp_feed(p, "\r\n\r\n\n", 5);
    int argc;
    hf_arg *argv;
    assert_int_equal(resp_next(p, &argc, &argv), RESP_NEED_MORE);
    assert_int_equal(resp_pending(p), 0);
    resp_free(p);
}

/* Redis takes bulklen bytes and then skips two, without checking them. */
static void test_bulk_terminator_not_checked(void **state)
{
    (void)state;
    static const char in[] = "*2\r\n$4\r\nECHOxx$2\r\nhiyyPING\r\n";
    run_result r;
    parse_whole(in, sizeof in - 1, &r);
    assert_int_equal(r.last_rc, RESP_NEED_MORE);
    assert_int_equal(r.n, 2);
    assert_cmd(&r, 0, 2, A("ECHO"), A("hi"));
    assert_cmd(&r, 1, 1, A("PING"));
    run_free(&r);
}

/* ---- inline quoting (sdssplitargs) ---------------------------------------- */

static void test_inline_quoting(void **state)
{
    (void)state;
    run_result r;

    parse_whole(A("SET \"a b\" 'c d'\r\n"), &r);
    assert_int_equal(r.n, 1);
    assert_cmd(&r, 0, 3, A("SET"), A("a b"), A("c d"));
    run_free(&r);

    /* Escapes inside double quotes: \xHH, \n \r \t \b \a, anything else
     * stands for itself. */
    parse_whole(A("ECHO \"\\x41\\x4a\\x4A\\n\\r\\t\\b\\a\\\\\\\"\\z\"\r\n"), &r);
    assert_int_equal(r.n, 1);
    assert_cmd(&r, 0, 2, A("ECHO"), A("AJJ\n\r\t\b\a\\\"z"));
    run_free(&r);

    /* \x without two hex digits is an ordinary escape of 'x'. */
    parse_whole(A("ECHO \"\\xZZ\" \"\\x4\"\r\n"), &r);
    assert_int_equal(r.n, 1);
    assert_cmd(&r, 0, 3, A("ECHO"), A("xZZ"), A("x4"));
    run_free(&r);

    /* \x00 gives a NUL byte inside the argument. */
    parse_whole(A("ECHO \"a\\x00b\"\r\n"), &r);
    assert_int_equal(r.n, 1);
    assert_cmd(&r, 0, 2, A("ECHO"), "a\0b", (size_t)3);
    run_free(&r);

    /* Single quotes: only \' is an escape. */
    parse_whole(A("ECHO 'it\\'s' 'a\\nb' '\"'\r\n"), &r);
    assert_int_equal(r.n, 1);
    assert_cmd(&r, 0, 4, A("ECHO"), A("it's"), A("a\\nb"), A("\""));
    run_free(&r);

    /* Empty quoted arguments are arguments. */
    parse_whole(A("SET \"\" ''\r\n"), &r);
    assert_int_equal(r.n, 1);
    assert_cmd(&r, 0, 3, A("SET"), A(""), A(""));
    run_free(&r);

    /* A quote may open in the middle of a word (sdssplitargs). */
    parse_whole(A("ECHO a\"b c\"\r\n"), &r);
    assert_int_equal(r.n, 1);
    assert_cmd(&r, 0, 2, A("ECHO"), A("ab c"));
    run_free(&r);

    /* Closing quote followed by a blank or the end of the line is fine. */
    parse_whole(A("ECHO \"a\"\t'b'\r\n"), &r);
    assert_int_equal(r.n, 1);
    assert_cmd(&r, 0, 3, A("ECHO"), A("a"), A("b"));
    run_free(&r);
}

static void test_inline_quote_errors(void **state)
{
    (void)state;
    const char *msg = "Protocol error: unbalanced quotes in request";
    expect_error(A("SET a \"foo\r\n"), msg);
    expect_error(A("SET a 'foo\r\n"), msg);
    expect_error(A("SET a \"foo\\\"\r\n"), msg);       /* escaped quote does not close */
    expect_error(A("SET a \"foo\"bar\r\n"), msg);      /* closing quote then non-space */
    expect_error(A("SET a 'foo'bar\r\n"), msg);
    expect_error(A("SET a \"foo\"\"bar\"\r\n"), msg);
    expect_error(A("\"\r\n"), msg);

    /* Commands before the bad line are still returned first. */
    run_result r;
    parse_whole(A("PING\r\nECHO \"x\r\nPING\r\n"), &r);
    assert_int_equal(r.n, 1);
    assert_cmd(&r, 0, 1, A("PING"));
    assert_int_equal(r.last_rc, RESP_ERR);
    assert_string_equal(r.err, msg);
    run_free(&r);
}

static void test_split_inline_direct(void **state)
{
    (void)state;
    char out[128];
    hf_arg args[8];

    const char *l1 = "  SET  \"a\\x41 b\" 'c\\'d'  plain ";
    int n = resp_split_inline(l1, strlen(l1), out, args, 8);
    assert_int_equal(n, 4);
    assert_int_equal(args[0].n, 3);
    assert_memory_equal(args[0].p, "SET", 3);
    assert_int_equal(args[1].n, 4);
    assert_memory_equal(args[1].p, "aA b", 4);
    assert_int_equal(args[2].n, 3);
    assert_memory_equal(args[2].p, "c'd", 3);
    assert_int_equal(args[3].n, 5);
    assert_memory_equal(args[3].p, "plain", 5);

    /* The line is counted, not NUL-terminated: a length cuts it. */
    n = resp_split_inline("GET key extra", 7, out, args, 8);
    assert_int_equal(n, 2);
    assert_int_equal(args[1].n, 3);
    assert_memory_equal(args[1].p, "key", 3);

    /* Fewer slots than arguments: the count is still the full count. */
    n = resp_split_inline("a b c d e", 9, out, args, 2);
    assert_int_equal(n, 5);
    assert_memory_equal(args[0].p, "a", 1);
    assert_memory_equal(args[1].p, "b", 1);

    assert_int_equal(resp_split_inline("", 0, out, args, 8), 0);
    assert_int_equal(resp_split_inline(" \t\r\n ", 5, out, args, 8), 0);
    assert_int_equal(resp_split_inline("\"abc", 4, out, args, 8), -1);
    assert_int_equal(resp_split_inline("'abc", 4, out, args, 8), -1);
    assert_int_equal(resp_split_inline("\"abc\\", 5, out, args, 8), -1);
    assert_int_equal(resp_split_inline("\"a\"b", 4, out, args, 8), -1);
    assert_int_equal(resp_split_inline("'a'b", 4, out, args, 8), -1);

    n = resp_split_inline("\"\"", 2, out, args, 8);
    assert_int_equal(n, 1);
    assert_int_equal(args[0].n, 0);

    /* Unquoted words end at space, tab, CR and LF; other bytes are kept. */
    n = resp_split_inline("a\vb c", 5, out, args, 8);
    assert_int_equal(n, 2);
    assert_int_equal(args[0].n, 3);
    assert_memory_equal(args[0].p, "a\vb", 3);
}

/* ---- pipelines fed whole, byte by byte, at every split -------------------- */

static const char pipeline[] =
    "*3\r\n$3\r\nSET\r\n$3\r\nk\0y\r\n$6\r\nv\r\n\r\nz!\r\n"   /* binary */
    "PING\r\n"                                                /* inline */
    "\r\n"                                                    /* empty line */
    "*0\r\n"                                                  /* ignored */
    "*-1\r\n"                                                 /* ignored */
    "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"                          /* empty bulk */
    "SET \"q u\" 'o\\'t' \"\\x41\\n\"\n"                      /* quoting, bare LF */
    "   \r\n"                                                 /* blank line */
    "*1\r\n$4\r\nPING\r\n"
    "*4\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\nb\r\n$12\r\n0123456789ab\r\n"
    "ECHO tail\r\n";

static void check_pipeline_run(const run_result *r)
{
    assert_int_equal(r->last_rc, RESP_NEED_MORE);
    assert_int_equal(r->n, 7);
    assert_cmd(r, 0, 3, A("SET"), "k\0y", (size_t)3, "v\r\n\r\nz", (size_t)6);
    assert_cmd(r, 1, 1, A("PING"));
    assert_cmd(r, 2, 2, A("ECHO"), A(""));
    assert_cmd(r, 3, 4, A("SET"), A("q u"), A("o't"), A("A\n"));
    assert_cmd(r, 4, 1, A("PING"));
    assert_cmd(r, 5, 4, A("MSET"), A("a"), A("b"), A("0123456789ab"));
    assert_cmd(r, 6, 2, A("ECHO"), A("tail"));
    assert_false(r->cmds[0].is_inline);
    assert_true(r->cmds[1].is_inline);
    assert_true(r->cmds[3].is_inline);
    assert_false(r->cmds[5].is_inline);
}

static void test_pipeline_whole(void **state)
{
    (void)state;
    run_result r;
    parse_whole(pipeline, sizeof pipeline - 1, &r);
    check_pipeline_run(&r);
    run_free(&r);
}

static void test_pipeline_byte_by_byte(void **state)
{
    (void)state;
    size_t len = sizeof pipeline - 1;
    size_t *cuts = malloc(sizeof(size_t) * len);
    for (size_t i = 0; i < len; i++) cuts[i] = i + 1;
    for (int via_space = 0; via_space < 2; via_space++) {
        resp_parser *p = resp_new();
        run_result r;
        run_init(&r);
        run_cuts(p, pipeline, len, cuts, (int)len, via_space, &r);
        check_pipeline_run(&r);
        assert_int_equal(resp_pending(p), 0);
        run_free(&r);
        resp_free(p);
    }
    free(cuts);
}

static void test_pipeline_every_two_way_split(void **state)
{
    (void)state;
    size_t len = sizeof pipeline - 1;
    run_result whole;
    parse_whole(pipeline, len, &whole);
    for (size_t cut = 0; cut <= len; cut++) {
        for (int via_space = 0; via_space < 2; via_space++) {
            resp_parser *p = resp_new();
            run_result r;
            run_init(&r);
            run_cuts(p, pipeline, len, &cut, 1, via_space, &r);
            assert_same_run(&whole, &r);
            run_free(&r);
            resp_free(p);
        }
    }
    run_free(&whole);
}

static void test_pipeline_every_three_way_split(void **state)
{
    (void)state;
    size_t len = sizeof pipeline - 1;
    run_result whole;
    parse_whole(pipeline, len, &whole);
    for (size_t a = 0; a <= len; a++) {
        for (size_t b = a; b <= len; b++) {
            size_t cuts[2] = {a, b};
            resp_parser *p = resp_new();
            run_result r;
            run_init(&r);
            run_cuts(p, pipeline, len, cuts, 2, (a + b) & 1, &r);
            assert_same_run(&whole, &r);
            run_free(&r);
            resp_free(p);
        }
    }
    run_free(&whole);
}

/* Hostile frames behind valid commands: every split must give the same
 * commands and the same error. */
static void test_error_stream_every_split(void **state)
{
    (void)state;
    static const char *streams[] = {
        "PING\r\n*1\r\n$4\r\nPING\r\n*abc\r\nPING\r\n",
        "*1\r\n$4\r\nPING\r\n*1\r\n$-5\r\nxx\r\n",
        "PING\r\nSET a \"b\r\nPING\r\n",
        "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nGET\r\n:1\r\n",
        "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2147483648\r\n",
        "ECHO 'a'b\r\n",
    };
    for (size_t s = 0; s < sizeof streams / sizeof *streams; s++) {
        size_t len = strlen(streams[s]);
        run_result whole;
        parse_whole(streams[s], len, &whole);
        assert_int_equal(whole.last_rc, RESP_ERR);
        for (size_t cut = 0; cut <= len; cut++) {
            resp_parser *p = resp_new();
            run_result r;
            run_init(&r);
            run_cuts(p, streams[s], len, &cut, 1, cut & 1, &r);
            assert_same_run(&whole, &r);
            run_free(&r);
            resp_free(p);
        }
        run_free(&whole);
    }
}

static uint64_t rng_state = 0x243F6A8885A308D3ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Many commands with random binary arguments, fed in random chunks. */
static void test_random_pipeline_random_chunks(void **state)
{
    (void)state;
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    int ncmds = 300;
    /* expected args kept for checking */
    char ***ex = calloc((size_t)ncmds, sizeof(char **));
    size_t **exl = calloc((size_t)ncmds, sizeof(size_t *));
    int *exc = calloc((size_t)ncmds, sizeof(int));
    for (int c = 0; c < ncmds; c++) {
        int argc = 1 + (int)(rng() % 6);
        exc[c] = argc;
        ex[c] = calloc((size_t)argc, sizeof(char *));
        exl[c] = calloc((size_t)argc, sizeof(size_t));
        len += (size_t)sprintf(buf + len, "*%d\r\n", argc);
        for (int i = 0; i < argc; i++) {
            size_t n = rng() % 3 == 0 ? rng() % 5000 : rng() % 20;
            ex[c][i] = malloc(n + 1);
            exl[c][i] = n;
            for (size_t k = 0; k < n; k++) ex[c][i][k] = (char)(rng() & 0xff);
            len += (size_t)sprintf(buf + len, "$%zu\r\n", n);
            memcpy(buf + len, ex[c][i], n);
            len += n;
            memcpy(buf + len, "\r\n", 2);
            len += 2;
            assert_true(len + 64 < cap);
        }
    }
    for (int round = 0; round < 20; round++) {
        /* feed chunk by chunk, draining after each */
        resp_parser *p = resp_new();
        run_result r;
        run_init(&r);
        size_t at = 0;
        while (at < len) {
            size_t n = 1 + rng() % (round < 10 ? 16 : 20000);
            if (n > len - at) n = len - at;
            if (round & 1) {
                size_t room;
                char *dst = resp_space(p, &room);
                if (n > room) n = room;
                memcpy(dst, buf + at, n);
                resp_commit(p, n);
            } else {
                resp_feed(p, buf + at, n);
            }
            at += n;
            assert_int_equal(drain(p, &r), RESP_NEED_MORE);
        }
        assert_int_equal(r.n, ncmds);
        for (int c = 0; c < ncmds; c++) {
            assert_int_equal(r.cmds[c].argc, exc[c]);
            for (int i = 0; i < exc[c]; i++) {
                assert_int_equal(r.cmds[c].len[i], exl[c][i]);
                assert_memory_equal(r.cmds[c].argv[i], ex[c][i], exl[c][i]);
            }
        }
        assert_int_equal(resp_pending(p), 0);
        run_free(&r);
        resp_free(p);
    }
    for (int c = 0; c < ncmds; c++) {
        for (int i = 0; i < exc[c]; i++) free(ex[c][i]);
        free(ex[c]);
        free(exl[c]);
    }
    free(ex);
    free(exl);
    free(exc);
    free(buf);
}

/* ---- hostile input: Redis's error texts --------------------------------- */

static void test_invalid_multibulk_length(void **state)
{
    (void)state;
    const char *msg = "Protocol error: invalid multibulk length";
    expect_error(A("*abc\r\n"), msg);
    expect_error(A("*2147483648\r\n"), msg);            /* > INT_MAX */
    expect_error(A("*99999999999999999999\r\n"), msg);  /* overflows */
    expect_error(A("*\r\n"), msg);
    expect_error(A("*+1\r\n"), msg);                    /* string2ll is strict */
    expect_error(A("* 1\r\n"), msg);
    expect_error(A("*01\r\n"), msg);
    expect_error(A("*-0\r\n"), msg);
    expect_error(A("*1x\r\n"), msg);

    /* INT_MAX itself is accepted (then the parser waits for bulks). */
    run_result r;
    parse_whole(A("*2147483647\r\n"), &r);
    assert_int_equal(r.last_rc, RESP_NEED_MORE);
    assert_int_equal(r.n, 0);
    run_free(&r);
}

static void test_invalid_bulk_length(void **state)
{
    (void)state;
    const char *msg = "Protocol error: invalid bulk length";
    expect_error(A("*1\r\n$-5\r\n"), msg);
    expect_error(A("*1\r\n$-1\r\n"), msg);      /* no null bulks in requests */
    expect_error(A("*1\r\n$abc\r\n"), msg);
    expect_error(A("*1\r\n$\r\n"), msg);
    expect_error(A("*1\r\n$01\r\n"), msg);
    expect_error(A("*2\r\n$3\r\nGET\r\n$99999999999999999999\r\n"), msg);
    /* default proto-max-bulk-len is 512 MB */
    expect_error(A("*1\r\n$536870913\r\n"), msg);

    resp_parser *p = resp_new();
    resp_set_max_bulk(p, 100);
    expect_error_p(p, A("*1\r\n$101\r\n"), msg);
    resp_free(p);

    p = resp_new();
    resp_set_max_bulk(p, 100);
    run_result r;
    run_init(&r);
    char big[200];
    int n = sprintf(big, "*1\r\n$100\r\n");
    memset(big + n, 'x', 100);
    memcpy(big + n + 100, "\r\n", 2);
    run_cuts(p, big, (size_t)n + 102, NULL, 0, false, &r);
    assert_int_equal(r.last_rc, RESP_NEED_MORE);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.cmds[0].len[0], 100);
    run_free(&r);
    resp_free(p);
}

static void test_expected_dollar(void **state)
{
    (void)state;
    expect_error(A("*1\r\nx\r\n"), "Protocol error: expected '$', got 'x'");
    expect_error(A("*2\r\n$3\r\nGET\r\n:1\r\n"), "Protocol error: expected '$', got ':'");
    expect_error(A("*1\r\n*1\r\n"), "Protocol error: expected '$', got '*'");
}

/* Redis reads the whole "$<len>\r\n" line before looking at its first byte
 * (processMultibulkBuffer: strchr for '\r', then the '$' check), so a bad
 * first byte is only reported once the line is complete, and a long line
 * without '\r' is "too big bulk count string" whatever it starts with. */
static void test_expected_dollar_waits_for_line(void **state)
{
    (void)state;
    resp_parser *p = resp_new();
    int argc;
    hf_arg *argv;
    resp_feed(p, "*1\r\nfoo", 7);
    assert_int_equal(resp_next(p, &argc, &argv), RESP_NEED_MORE);
    assert_null(resp_error(p));
    resp_feed(p, "\r\n", 2);
    assert_int_equal(resp_next(p, &argc, &argv), RESP_ERR);
    assert_string_equal(resp_error(p), "Protocol error: expected '$', got 'f'");
    resp_free(p);
}

static void test_bulk_count_line_limit_before_dollar_check(void **state)
{
    (void)state;
    size_t n = 4 + 70000;
    char *buf = malloc(n);
    memcpy(buf, "*1\r\n", 4);
    memset(buf + 4, 'x', 70000);
    expect_error(buf, n, "Protocol error: too big bulk count string");
    free(buf);
}

static void test_too_big_inline(void **state)
{
    (void)state;
    /* More than 64 KB without a newline. */
    size_t n = 64 * 1024 + 1;
    char *buf = malloc(n + 2);
    memset(buf, 'a', n);
    expect_error(buf, n, "Protocol error: too big inline request");

    /* Exactly 64 KB is still waiting, not an error (Redis: "> 64K"). */
    run_result r;
    parse_whole(buf, 64 * 1024, &r);
    assert_int_equal(r.last_rc, RESP_NEED_MORE);
    assert_int_equal(r.n, 0);
    run_free(&r);

    /* Arriving in 16 KB reads, as Redis reads a socket: error once over. */
    resp_parser *p = resp_new();
    size_t total = 100 * 1024;
    char *line = malloc(total + 2);
    memset(line, 'b', total);
    memcpy(line + total, "\r\n", 2);
    size_t at = 0;
    int rc = RESP_NEED_MORE, argc;
    hf_arg *argv;
    while (at < total + 2 && rc == RESP_NEED_MORE) {
        size_t k = total + 2 - at < 16384 ? total + 2 - at : 16384;
        resp_feed(p, line + at, k);
        at += k;
        rc = resp_next(p, &argc, &argv);
    }
    assert_int_equal(rc, RESP_ERR);
    assert_string_equal(resp_error(p), "Protocol error: too big inline request");
    resp_free(p);
    free(line);
    free(buf);
}

static void test_too_big_count_strings(void **state)
{
    (void)state;
    size_t n = 70000;
    char *buf = malloc(n + 16);
    buf[0] = '*';
    memset(buf + 1, '1', n - 1);
    expect_error(buf, n, "Protocol error: too big mbulk count string");

    memcpy(buf, "*1\r\n$", 5);
    memset(buf + 5, '1', n - 5);
    expect_error(buf, n, "Protocol error: too big bulk count string");

    /* A long but not too long count line still waits. */
    run_result r;
    parse_whole(buf, 1000, &r);
    assert_int_equal(r.last_rc, RESP_NEED_MORE);
    run_free(&r);
    free(buf);
}

static void test_unauthenticated_limits(void **state)
{
    (void)state;
    resp_parser *p = resp_new();
    resp_set_authenticated(p, false);
    expect_error_p(p, A("*11\r\n"), "Protocol error: unauthenticated multibulk length");
    resp_free(p);

    p = resp_new();
    resp_set_authenticated(p, false);
    expect_error_p(p, A("*1\r\n$16385\r\n"), "Protocol error: unauthenticated bulk length");
    resp_free(p);

    /* Absolute limits are checked first (Redis's order). */
    p = resp_new();
    resp_set_authenticated(p, false);
    expect_error_p(p, A("*2147483648\r\n"), "Protocol error: invalid multibulk length");
    resp_free(p);
    p = resp_new();
    resp_set_authenticated(p, false);
    expect_error_p(p, A("*1\r\n$600000000\r\n"), "Protocol error: invalid bulk length");
    resp_free(p);

    /* At the limits: 10 arguments, a 16384-byte bulk. */
    p = resp_new();
    resp_set_authenticated(p, false);
    size_t cap = 20000 + 200, len = 0;
    char *buf = malloc(cap);
    len += (size_t)sprintf(buf, "*10\r\n");
    for (int i = 0; i < 9; i++) len += (size_t)sprintf(buf + len, "$1\r\n%d\r\n", i);
    len += (size_t)sprintf(buf + len, "$16384\r\n");
    memset(buf + len, 'v', 16384);
    len += 16384;
    memcpy(buf + len, "\r\n", 2);
    len += 2;
    run_result r;
    run_init(&r);
    run_cuts(p, buf, len, NULL, 0, false, &r);
    assert_int_equal(r.last_rc, RESP_NEED_MORE);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.cmds[0].argc, 10);
    assert_int_equal(r.cmds[0].len[9], 16384);
    run_free(&r);

    /* After AUTH the limits are lifted between commands. */
    resp_set_authenticated(p, true);
    len = (size_t)sprintf(buf, "*11\r\n");
    for (int i = 0; i < 10; i++) len += (size_t)sprintf(buf + len, "$1\r\n%d\r\n", i);
    len += (size_t)sprintf(buf + len, "$16385\r\n");
    memset(buf + len, 'w', 16385);
    len += 16385;
    memcpy(buf + len, "\r\n", 2);
    len += 2;
    run_init(&r);
    run_cuts(p, buf, len, NULL, 0, false, &r);
    assert_int_equal(r.last_rc, RESP_NEED_MORE);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.cmds[0].argc, 11);
    assert_int_equal(r.cmds[0].len[10], 16385);
    run_free(&r);
    resp_free(p);
    free(buf);

    /* Inline requests are not limited by argument count before AUTH. */
    p = resp_new();
    resp_set_authenticated(p, false);
    run_init(&r);
    run_cuts(p, A("a b c d e f g h i j k l\r\n"), NULL, 0, false, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.cmds[0].argc, 12);
    run_free(&r);
    resp_free(p);
}

static void test_errors_are_sticky(void **state)
{
    (void)state;
    resp_parser *p = resp_new();
    int argc;
    hf_arg *argv;
    resp_feed(p, "PING\r\n*abc\r\nPING\r\n", 18);
    assert_int_equal(resp_next(p, &argc, &argv), RESP_CMD);
    assert_int_equal(resp_next(p, &argc, &argv), RESP_ERR);
    const char *e1 = resp_error(p);
    assert_non_null(e1);
    assert_string_equal(e1, "Protocol error: invalid multibulk length");
    for (int i = 0; i < 5; i++) {
        assert_int_equal(resp_next(p, &argc, &argv), RESP_ERR);
        assert_string_equal(resp_error(p), "Protocol error: invalid multibulk length");
    }
    /* More valid bytes do not clear it. */
    resp_feed(p, "*1\r\n$4\r\nPING\r\n", 14);
    assert_int_equal(resp_next(p, &argc, &argv), RESP_ERR);
    size_t room;
    char *dst = resp_space(p, &room);
    assert_non_null(dst);
    memcpy(dst, "PING\r\n", 6);
    resp_commit(p, 6);
    assert_int_equal(resp_next(p, &argc, &argv), RESP_ERR);
    assert_string_equal(resp_error(p), "Protocol error: invalid multibulk length");
    resp_free(p);
}

/* ---- memory: big bulks, moving buffers, argv lifetime ------------------- */

/* A 10 MB value read the way a connection reads: resp_space, read into it,
 * resp_commit; a read returns at most 64 KB. */
static void test_big_bulk_in_chunks(void **state)
{
    (void)state;
    const size_t big = 10u * 1024 * 1024;
    char hdr[64];
    int hl = sprintf(hdr, "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%zu\r\n", big);
    size_t total = (size_t)hl + big + 2 + 6;   /* then "PING\r\n" */
    char *src = malloc(total);
    memcpy(src, hdr, (size_t)hl);
    for (size_t i = 0; i < big; i++) src[(size_t)hl + i] = (char)('a' + (i * 7) % 26);
    memcpy(src + hl + big, "\r\nPING\r\n", 8);

    resp_parser *p = resp_new();
    size_t at = 0;
    int got = 0, argc, rc;
    hf_arg *argv;
    while (at < total) {
        size_t room;
        char *dst = resp_space(p, &room);
        assert_non_null(dst);
        assert_true(room > 0);
        size_t k = total - at;
        if (k > 65536) k = 65536;
        if (k > room) k = room;
        memcpy(dst, src + at, k);
        resp_commit(p, k);
        at += k;
        while ((rc = resp_next(p, &argc, &argv)) == RESP_CMD) {
            if (got == 0) {
                assert_int_equal(argc, 3);
                assert_int_equal(argv[2].n, big);
                assert_memory_equal(argv[2].p, src + hl, big);
                assert_memory_equal(argv[1].p, "big", 3);
            } else {
                assert_int_equal(argc, 1);
                assert_memory_equal(argv[0].p, "PING", 4);
            }
            got++;
        }
        assert_int_equal(rc, RESP_NEED_MORE);
        /* The buffer stays proportional to what is pending. */
        assert_true(resp_capacity(p) <= 2 * (big + 64 * 1024));
    }
    assert_int_equal(got, 2);
    assert_int_equal(resp_pending(p), 0);
    resp_free(p);
    free(src);
}

/* Arguments recorded before the buffer grows must still point at the right
 * bytes when the command completes. */
static void test_argv_valid_after_buffer_moves(void **state)
{
    (void)state;
    resp_parser *p = resp_new();
    int argc;
    hf_arg *argv;
    const char *h = "*3\r\n$3\r\nSET\r\n$5\r\nkey:1\r\n$200000\r\n";
    resp_feed(p, h, strlen(h));
    assert_int_equal(resp_next(p, &argc, &argv), RESP_NEED_MORE);
    char chunk[1000];
    for (int i = 0; i < 200; i++) {
        memset(chunk, 'A' + i % 26, sizeof chunk);
        resp_feed(p, chunk, sizeof chunk);
        assert_int_equal(resp_next(p, &argc, &argv), RESP_NEED_MORE);
    }
    resp_feed(p, "\r\nGET key:1\r\n", 13);
    assert_int_equal(resp_next(p, &argc, &argv), RESP_CMD);
    assert_int_equal(argc, 3);
    assert_memory_equal(argv[0].p, "SET", 3);
    assert_memory_equal(argv[1].p, "key:1", 5);
    assert_int_equal(argv[2].n, 200000);
    for (int i = 0; i < 200; i++) {
        assert_int_equal(argv[2].p[i * 1000], 'A' + i % 26);
        assert_int_equal(argv[2].p[i * 1000 + 999], 'A' + i % 26);
    }
    /* Still valid after the call returned and before the next one. */
    hf_arg saved[3];
    memcpy(saved, argv, sizeof saved);
    assert_memory_equal(saved[1].p, "key:1", 5);
    assert_int_equal(resp_next(p, &argc, &argv), RESP_CMD);
    assert_int_equal(argc, 2);
    assert_memory_equal(argv[0].p, "GET", 3);
    assert_memory_equal(argv[1].p, "key:1", 5);
    resp_free(p);
}

/* Two commands in one buffer: the first's argv must not be disturbed by
 * merely looking at it, and the second must parse after it. */
static void test_argv_of_consecutive_commands(void **state)
{
    (void)state;
    resp_parser *p = resp_new();
    const char in[] = "*2\r\n$4\r\nECHO\r\n$3\r\none\r\nECHO two\r\n*2\r\n$4\r\nECHO\r\n$5\r\nthree\r\n";
    resp_feed(p, in, sizeof in - 1);
    const char *want[] = {"one", "two", "three"};
    int argc;
    hf_arg *argv;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(resp_next(p, &argc, &argv), RESP_CMD);
        assert_int_equal(argc, 2);
        assert_int_equal(argv[1].n, strlen(want[i]));
        assert_memory_equal(argv[1].p, want[i], strlen(want[i]));
    }
    assert_int_equal(resp_next(p, &argc, &argv), RESP_NEED_MORE);
    resp_free(p);
}

static void test_pending_counts_partial_command(void **state)
{
    (void)state;
    resp_parser *p = resp_new();
    int argc;
    hf_arg *argv;
    resp_feed(p, "*2\r\n$3\r\nGET\r\n$1\r\n", 17);
    assert_int_equal(resp_next(p, &argc, &argv), RESP_NEED_MORE);
    assert_int_equal(resp_pending(p), 17);
    resp_feed(p, "k\r\n*1", 5);
    assert_int_equal(resp_next(p, &argc, &argv), RESP_CMD);
    assert_int_equal(resp_next(p, &argc, &argv), RESP_NEED_MORE);
    assert_int_equal(resp_pending(p), 2);
    resp_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multibulk_basic),
        cmocka_unit_test(test_multibulk_many_args),
        cmocka_unit_test(test_inline_basic),
        cmocka_unit_test(test_inline_then_multibulk_is_inline_flag),
        cmocka_unit_test(test_binary_safe_bulks),
        cmocka_unit_test(test_empty_bulk),
        cmocka_unit_test(test_zero_and_negative_multibulk_ignored),
        cmocka_unit_test(test_empty_inline_lines_ignored),
        cmocka_unit_test(test_bulk_terminator_not_checked),
        cmocka_unit_test(test_inline_quoting),
        cmocka_unit_test(test_inline_quote_errors),
        cmocka_unit_test(test_split_inline_direct),
        cmocka_unit_test(test_pipeline_whole),
        cmocka_unit_test(test_pipeline_byte_by_byte),
        cmocka_unit_test(test_pipeline_every_two_way_split),
        cmocka_unit_test(test_pipeline_every_three_way_split),
        cmocka_unit_test(test_error_stream_every_split),
        cmocka_unit_test(test_random_pipeline_random_chunks),
        cmocka_unit_test(test_invalid_multibulk_length),
        cmocka_unit_test(test_invalid_bulk_length),
        cmocka_unit_test(test_expected_dollar),
        cmocka_unit_test(test_expected_dollar_waits_for_line),
        cmocka_unit_test(test_bulk_count_line_limit_before_dollar_check),
        cmocka_unit_test(test_too_big_inline),
        cmocka_unit_test(test_too_big_count_strings),
        cmocka_unit_test(test_unauthenticated_limits),
        cmocka_unit_test(test_errors_are_sticky),
        cmocka_unit_test(test_big_bulk_in_chunks),
        cmocka_unit_test(test_argv_valid_after_buffer_moves),
        cmocka_unit_test(test_argv_of_consecutive_commands),
        cmocka_unit_test(test_pending_counts_partial_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
