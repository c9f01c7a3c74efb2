/* itest.c -- integration tests for holdfast, driven through hiredis.
 *
 * Two modes (STYLE.md item 13):
 *
 *   - default: start the real server on a free port with a scratch --dir
 *     (binary: $HOLDFAST_SERVER, else $abs_top_builddir/src/holdfast-server,
 *     else ../../src/holdfast-server next to this program), run every test
 *     against it, stop it at the end (the last test is SHUTDOWN itself).
 *     HOLDFAST_SERVER may name a redis-server: it is then started with
 *     `--save '' --appendonly no`, so the whole suite, including the
 *     lifecycle tests, can be checked against Redis.
 *   - HOLDFAST_PORT (and optionally HOLDFAST_HOST) set: target that running
 *     server instead; tests that need to own the process are skipped.  The
 *     tests FLUSHALL between themselves: never point this at data you keep.
 *
 * Output is TAP-like: "ok N - name", "not ok N - name: reason", and a closing
 * "itest: P passed, F failed, S skipped".  Exit status: 0 all passed,
 * 1 something failed, 77 the server binary is missing (automake's skip).
 * Arguments, if any, are substrings: only tests whose names contain one run.
 *
 * hiredis is used with its synchronous API.  Debian 12 ships hiredis 0.14,
 * which predates RESP3, so RESP3 and the hostile-protocol tests speak over
 * a raw socket with the small RESP3 reader below (raw_*).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- global state ------------------------------------------------------- */

static char g_host[256] = "127.0.0.1";
static int g_port;
static int g_own_server;            /* 1: we started it (and may stop it)    */
static int g_is_redis_bin;          /* the binary we start is a redis-server */
static int g_is_holdfast;           /* INFO says so                          */
static char g_bin[PATH_MAX];
static char g_tmp[512];             /* scratch dir, removed at exit          */

typedef struct server {
    pid_t pid;
    int port;
    char dir[PATH_MAX];
    char log[PATH_MAX];
    char conf[PATH_MAX];            /* "" when started without a file        */
} server;

static server g_srv;                /* the main server, when g_own_server    */
static server g_srv2;               /* the one the SIGTERM test starts       */

/* Per-test failure state (main thread only). */
static int g_failed, g_skipped;
static char g_reason[1024];
static char g_lastcmd[512];         /* readable form of the last cmd()       */

/* Replies handed out by cmd() during one test; freed when it ends. */
static redisReply **g_track;
static size_t g_ntrack, g_captrack;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* ---- failure reporting -------------------------------------------------- */

static void t_fail(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void t_fail(int line, const char *fmt, ...)
{
    if (g_failed) return;           /* keep the first reason */
    g_failed = 1;
    int n = snprintf(g_reason, sizeof g_reason, "line %d: ", line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_reason + n, sizeof g_reason - (size_t)n, fmt, ap);
    va_end(ap);
}

static void t_skip(const char *why)
{
    g_skipped = 1;
    snprintf(g_reason, sizeof g_reason, "%s", why);
}

/* A test function returns at the first failed check. */
#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            t_fail(__LINE__, __VA_ARGS__);                                   \
            return;                                                          \
        }                                                                    \
    } while (0)

/* ---- describing replies and commands ------------------------------------ */

static void put_escaped(char *out, size_t cap, size_t *pos, const char *s, size_t len, size_t max)
{
    for (size_t i = 0; i < len && *pos + 5 < cap; i++) {
        if (i == max) {
            *pos += (size_t)snprintf(out + *pos, cap - *pos, "...");
            break;
        }
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\r') *pos += (size_t)snprintf(out + *pos, cap - *pos, "\\r");
        else if (ch == '\n') *pos += (size_t)snprintf(out + *pos, cap - *pos, "\\n");
        else if (ch < 32 || ch >= 127) *pos += (size_t)snprintf(out + *pos, cap - *pos, "\\x%02x", ch);
        else out[(*pos)++] = (char)ch;
    }
    out[*pos < cap ? *pos : cap - 1] = '\0';
}

static void desc_into(const redisReply *r, char *out, size_t cap, size_t *pos, int depth)
{
    if (*pos + 8 >= cap) return;
    if (!r) {
        *pos += (size_t)snprintf(out + *pos, cap - *pos, "(no reply: connection error)");
        return;
    }
    switch (r->type) {
    case REDIS_REPLY_STATUS:
        *pos += (size_t)snprintf(out + *pos, cap - *pos, "+");
        put_escaped(out, cap, pos, r->str, r->len, 120);
        break;
    case REDIS_REPLY_ERROR:
        *pos += (size_t)snprintf(out + *pos, cap - *pos, "-");
        put_escaped(out, cap, pos, r->str, r->len, 200);
        break;
    case REDIS_REPLY_INTEGER:
        *pos += (size_t)snprintf(out + *pos, cap - *pos, ":%lld", r->integer);
        break;
    case REDIS_REPLY_NIL:
        *pos += (size_t)snprintf(out + *pos, cap - *pos, "(nil)");
        break;
    case REDIS_REPLY_STRING:
        *pos += (size_t)snprintf(out + *pos, cap - *pos, "\"");
        put_escaped(out, cap, pos, r->str, r->len, 80);
        if (*pos + 2 < cap) *pos += (size_t)snprintf(out + *pos, cap - *pos, "\"");
        break;
    case REDIS_REPLY_ARRAY:
        *pos += (size_t)snprintf(out + *pos, cap - *pos, "[%zu:", r->elements);
        for (size_t i = 0; i < r->elements && i < 8 && depth < 3; i++) {
            if (*pos + 2 < cap) out[(*pos)++] = ' ';
            desc_into(r->element[i], out, cap, pos, depth + 1);
        }
        if (r->elements > 8 && *pos + 5 < cap) *pos += (size_t)snprintf(out + *pos, cap - *pos, " ...");
        if (*pos + 2 < cap) *pos += (size_t)snprintf(out + *pos, cap - *pos, "]");
        break;
    default:
        *pos += (size_t)snprintf(out + *pos, cap - *pos, "(type %d)", r->type);
    }
    if (*pos >= cap) *pos = cap - 1;
}

/* Describe a reply in one line; four rotating buffers so a message can show
 * more than one. */
static const char *rdesc(const redisReply *r)
{
    static char bufs[4][600];
    static int next;
    char *b = bufs[next++ & 3];
    size_t pos = 0;
    b[0] = '\0';
    desc_into(r, b, sizeof bufs[0], &pos, 0);
    return b;
}

/* Turn a RESP-formatted command back into "SET k v" for messages. */
static void describe_resp_cmd(const char *buf, size_t len, char *out, size_t cap)
{
    size_t pos = 0;
    const char *p = buf, *end = buf + len;
    out[0] = '\0';
    if (p >= end || *p != '*') return;
    long n = strtol(p + 1, NULL, 10);
    p = memchr(p, '\n', (size_t)(end - p));
    for (long i = 0; p && i < n && p + 1 < end; i++) {
        p++;                                    /* at '$' */
        long l = strtol(p + 1, NULL, 10);
        p = memchr(p, '\n', (size_t)(end - p));
        if (!p || p + 1 + l > end) break;
        if (i && pos + 2 < cap) out[pos++] = ' ';
        put_escaped(out, cap, &pos, p + 1, (size_t)l, 40);
        p += 1 + l + 1;                         /* past data and '\r', at '\n' */
    }
    out[pos < cap ? pos : cap - 1] = '\0';
}

/* ---- hiredis helpers ---------------------------------------------------- */

static redisContext *conn_to(const char *host, int port)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (!c) return NULL;
    if (c->err) {
        redisFree(c);
        return NULL;
    }
    struct timeval io = {20, 0};
    redisSetTimeout(c, io);
    return c;
}

/* A new connection to the server under test, or NULL. */
static redisContext *conn_new(void)
{
    return conn_to(g_host, g_port);
}

static void track(redisReply *r)
{
    if (!r) return;
    if (g_ntrack == g_captrack) {
        g_captrack = g_captrack ? g_captrack * 2 : 256;
        g_track = realloc(g_track, g_captrack * sizeof *g_track);
        if (!g_track) abort();
    }
    g_track[g_ntrack++] = r;
}

static void untrack_all(void)
{
    for (size_t i = 0; i < g_ntrack; i++) freeReplyObject(g_track[i]);
    g_ntrack = 0;
}

/* Send one command (hiredis printf-like format) and read its reply.  The
 * reply is owned by the test framework and freed when the test ends; NULL
 * means the connection failed.  Main thread only. */
static redisReply *cmd(redisContext *c, const char *fmt, ...)
{
    char *buf;
    va_list ap;
    va_start(ap, fmt);
    int len = redisvFormatCommand(&buf, fmt, ap);
    va_end(ap);
    if (len < 0) {
        snprintf(g_lastcmd, sizeof g_lastcmd, "(bad format %s)", fmt);
        return NULL;
    }
    describe_resp_cmd(buf, (size_t)len, g_lastcmd, sizeof g_lastcmd);
    void *r = NULL;
    if (!c || c->err || redisAppendFormattedCommand(c, buf, (size_t)len) != REDIS_OK ||
        redisGetReply(c, &r) != REDIS_OK)
        r = NULL;
    redisFreeCommand(buf);
    track(r);
    return r;
}

/* The same from an argv (binary-safe), for built-up commands. */
static redisReply *cmdv(redisContext *c, int argc, const char **argv, const size_t *lens)
{
    char *buf;
    int len = redisFormatCommandArgv(&buf, argc, argv, lens);
    if (len < 0) return NULL;
    describe_resp_cmd(buf, (size_t)len, g_lastcmd, sizeof g_lastcmd);
    void *r = NULL;
    if (!c || c->err || redisAppendFormattedCommand(c, buf, (size_t)len) != REDIS_OK ||
        redisGetReply(c, &r) != REDIS_OK)
        r = NULL;
    redisFreeCommand(buf);
    track(r);
    return r;
}

static int is_status(const redisReply *r, const char *s)
{
    return r && r->type == REDIS_REPLY_STATUS && r->len == strlen(s) && !memcmp(r->str, s, r->len);
}

static int is_int(const redisReply *r, long long n)
{
    return r && r->type == REDIS_REPLY_INTEGER && r->integer == n;
}

static int is_strn(const redisReply *r, const char *s, size_t n)
{
    return r && r->type == REDIS_REPLY_STRING && r->len == n && !memcmp(r->str, s, n);
}

static int is_str(const redisReply *r, const char *s)
{
    return is_strn(r, s, strlen(s));
}

static int is_nil(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_NIL;
}

static int is_err(const redisReply *r, const char *s)
{
    return r && r->type == REDIS_REPLY_ERROR && r->len == strlen(s) && !memcmp(r->str, s, r->len);
}

static int is_errp(const redisReply *r, const char *prefix)
{
    return r && r->type == REDIS_REPLY_ERROR && !strncmp(r->str, prefix, strlen(prefix));
}

static int is_arr(const redisReply *r, long n)
{
    return r && r->type == REDIS_REPLY_ARRAY && (n < 0 || r->elements == (size_t)n);
}

/* Does an array reply hold the bulk/status string s? */
static int arr_has(const redisReply *r, const char *s)
{
    if (!r || r->type != REDIS_REPLY_ARRAY) return 0;
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if ((e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS) && e->len == strlen(s) &&
            !memcmp(e->str, s, e->len))
            return 1;
    }
    return 0;
}

/* In a RESP2 flattened map (k1 v1 k2 v2 ...), the value of key k or NULL. */
static const redisReply *map_get(const redisReply *r, const char *k)
{
    if (!r || r->type != REDIS_REPLY_ARRAY) return NULL;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *e = r->element[i];
        if ((e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS) && e->len == strlen(k) &&
            !memcmp(e->str, k, e->len))
            return r->element[i + 1];
    }
    return NULL;
}

/* Parse an integer held in a bulk string. */
static int str_ll(const redisReply *r, long long *out)
{
    if (!r || r->type != REDIS_REPLY_STRING || r->len == 0 || r->len > 30) return 0;
    char tmp[32], *end;
    memcpy(tmp, r->str, r->len);
    tmp[r->len] = '\0';
    errno = 0;
    *out = strtoll(tmp, &end, 10);
    return !errno && *end == '\0';
}

/* "field:value" in INFO text: copy value into out; 1 if found. */
static int info_field(const char *info, const char *field, char *out, size_t cap)
{
    size_t fl = strlen(field);
    const char *p = info;
    while (p && *p) {
        if (!strncmp(p, field, fl) && p[fl] == ':') {
            const char *v = p + fl + 1;
            size_t n = strcspn(v, "\r\n");
            if (n >= cap) n = cap - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 1;
        }
        p = strchr(p, '\n');
        if (p) p++;
    }
    return 0;
}

static int info_ll(const char *info, const char *field, long long *out)
{
    char v[128], *end;
    if (!info_field(info, field, v, sizeof v)) return 0;
    errno = 0;
    *out = strtoll(v, &end, 10);
    return !errno && end != v && *end == '\0';
}

/* "key=value" inside a CLIENT LIST line: copy value. */
static int kv_field(const char *line, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    const char *p = line;
    while (*p && *p != '\n') {
        if ((p == line || p[-1] == ' ') && !strncmp(p, key, kl) && p[kl] == '=') {
            const char *v = p + kl + 1;
            size_t n = strcspn(v, " \r\n");
            if (n >= cap) n = cap - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 1;
        }
        p++;
    }
    return 0;
}

/* Assertions that send a command and check the reply.  On failure the
 * message names the command and both the wanted and the actual reply. */
#define T_STATUS(c, want, ...)                                                              \
    do {                                                                                    \
        redisReply *r_ = cmd((c), __VA_ARGS__);                                             \
        CHECK(is_status(r_, want), "%s -> want +%s, got %s", g_lastcmd, want, rdesc(r_));   \
    } while (0)
#define T_OK(c, ...) T_STATUS(c, "OK", __VA_ARGS__)
#define T_INT(c, want, ...)                                                                 \
    do {                                                                                    \
        redisReply *r_ = cmd((c), __VA_ARGS__);                                             \
        CHECK(is_int(r_, want), "%s -> want :%lld, got %s", g_lastcmd, (long long)(want),   \
              rdesc(r_));                                                                   \
    } while (0)
#define T_STR(c, want, ...)                                                                 \
    do {                                                                                    \
        redisReply *r_ = cmd((c), __VA_ARGS__);                                             \
        CHECK(is_str(r_, want), "%s -> want \"%s\", got %s", g_lastcmd, want, rdesc(r_));   \
    } while (0)
#define T_NIL(c, ...)                                                                       \
    do {                                                                                    \
        redisReply *r_ = cmd((c), __VA_ARGS__);                                             \
        CHECK(is_nil(r_), "%s -> want (nil), got %s", g_lastcmd, rdesc(r_));                \
    } while (0)
#define T_ERR(c, want, ...)                                                                 \
    do {                                                                                    \
        redisReply *r_ = cmd((c), __VA_ARGS__);                                             \
        CHECK(is_err(r_, want), "%s -> want -%s, got %s", g_lastcmd, want, rdesc(r_));      \
    } while (0)
#define T_ERRP(c, prefix, ...)                                                              \
    do {                                                                                    \
        redisReply *r_ = cmd((c), __VA_ARGS__);                                             \
        CHECK(is_errp(r_, prefix), "%s -> want -%s..., got %s", g_lastcmd, prefix,          \
              rdesc(r_));                                                                   \
    } while (0)
/* Check an already-received reply r. */
#define R_CHECK(r, cond, what)                                                              \
    CHECK(cond, "%s -> want %s, got %s", g_lastcmd, what, rdesc(r))

/* Redis's arity error for a command name (rotating buffers). */
static const char *wrongargs(const char *name)
{
    static char bufs[4][128];
    static int next;
    char *b = bufs[next++ & 3];
    snprintf(b, sizeof bufs[0], "ERR wrong number of arguments for '%s' command", name);
    return b;
}

/* ---- raw socket client and a small RESP3 reader ------------------------- */

typedef struct raw {
    int fd;
    char buf[65536];
    size_t start, end;
} raw;

/* A RESP3 value.  type is the RESP3 type byte: + - : $ * % ~ _ , # ( = > !
 * A RESP2 null bulk/array ($-1, *-1) has type '$'/'*' and isnull set. */
typedef struct r3 {
    char type;
    int isnull;
    long long integer;
    double dval;
    char *str;
    size_t len;
    size_t n;                /* elements; for '%' the number of pairs      */
    struct r3 **el;          /* for '%': 2n entries, key then value        */
} r3;

static void r3_free(r3 *v)
{
    if (!v) return;
    size_t cnt = v->type == '%' ? v->n * 2 : v->n;
    for (size_t i = 0; v->el && i < cnt; i++) r3_free(v->el[i]);
    free(v->el);
    free(v->str);
    free(v);
}

static raw *raw_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return NULL;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)g_port);
    if (inet_pton(AF_INET, g_host, &sa.sin_addr) != 1) inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return NULL;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    raw *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->fd = fd;
    return r;
}

static void raw_close(raw *r)
{
    if (!r) return;
    close(r->fd);
    free(r);
}

static int raw_send(raw *r, const char *s, size_t len)
{
    while (len) {
        ssize_t n = send(r->fd, s, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        s += n;
        len -= (size_t)n;
    }
    return 0;
}

static int raw_sends(raw *r, const char *s)
{
    return raw_send(r, s, strlen(s));
}

/* Send a command as a RESP array (hiredis formats it). */
static int raw_cmd(raw *r, const char *fmt, ...)
{
    char *buf;
    va_list ap;
    va_start(ap, fmt);
    int len = redisvFormatCommand(&buf, fmt, ap);
    va_end(ap);
    if (len < 0) return -1;
    describe_resp_cmd(buf, (size_t)len, g_lastcmd, sizeof g_lastcmd);
    int rc = raw_send(r, buf, (size_t)len);
    redisFreeCommand(buf);
    return rc;
}

/* Fill the buffer: 1 read something, 0 EOF, -1 error/timeout. */
static int raw_fill(raw *r)
{
    if (r->start == r->end) r->start = r->end = 0;
    if (r->end == sizeof r->buf) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
        if (r->end == sizeof r->buf) return -1;
    }
    for (;;) {
        ssize_t n = recv(r->fd, r->buf + r->end, sizeof r->buf - r->end, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) return 0;
        r->end += (size_t)n;
        return 1;
    }
}

/* Read a line without its CRLF into a malloc'd string; NULL on EOF/error. */
static char *raw_line(raw *r, size_t *lenp)
{
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        if (nl && nl > r->buf + r->start && nl[-1] == '\r') {
            size_t len = (size_t)(nl - 1 - (r->buf + r->start));
            char *s = malloc(len + 1);
            if (!s) abort();
            memcpy(s, r->buf + r->start, len);
            s[len] = '\0';
            r->start = (size_t)(nl + 1 - r->buf);
            if (lenp) *lenp = len;
            return s;
        }
        if (raw_fill(r) <= 0) return NULL;
    }
}

static char *raw_bytes(raw *r, size_t len)
{
    char *s = malloc(len + 1);
    if (!s) abort();
    size_t got = 0;
    while (got < len) {
        if (r->start == r->end && raw_fill(r) <= 0) {
            free(s);
            return NULL;
        }
        size_t n = r->end - r->start;
        if (n > len - got) n = len - got;
        memcpy(s + got, r->buf + r->start, n);
        r->start += n;
        got += n;
    }
    s[len] = '\0';
    return s;
}

/* Read one RESP2/RESP3 value; NULL on EOF, error or malformed input.
 * Attributes (|) are read and dropped. */
static r3 *raw_read(raw *r)
{
    size_t ll;
    char *line = raw_line(r, &ll);
    if (!line || ll == 0) {
        free(line);
        return NULL;
    }
    r3 *v = calloc(1, sizeof *v);
    if (!v) abort();
    v->type = line[0];
    const char *rest = line + 1;
    switch (v->type) {
    case '+':
    case '-':
        v->str = strdup(rest);
        v->len = strlen(rest);
        break;
    case ':':
        v->integer = strtoll(rest, NULL, 10);
        break;
    case ',':
        v->dval = strtod(rest, NULL);
        v->str = strdup(rest);
        v->len = strlen(rest);
        break;
    case '#':
        v->integer = rest[0] == 't';
        break;
    case '_':
        break;
    case '(':
        v->str = strdup(rest);
        v->len = strlen(rest);
        break;
    case '$':
    case '=':
    case '!': {
        long long n = strtoll(rest, NULL, 10);
        if (n < 0) {
            v->isnull = 1;
            break;
        }
        v->str = raw_bytes(r, (size_t)n);
        char *crlf = raw_bytes(r, 2);
        int okcrlf = crlf && !memcmp(crlf, "\r\n", 2);
        free(crlf);
        if (!v->str || !okcrlf) goto bad;
        v->len = (size_t)n;
        break;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
        long long n = strtoll(rest, NULL, 10);
        if (n < 0) {
            v->isnull = 1;
            break;
        }
        size_t cnt = (size_t)n * ((v->type == '%' || v->type == '|') ? 2 : 1);
        v->n = (size_t)n;
        v->el = calloc(cnt ? cnt : 1, sizeof *v->el);
        if (!v->el) abort();
        for (size_t i = 0; i < cnt; i++) {
            v->el[i] = raw_read(r);
            if (!v->el[i]) goto bad;
        }
        if (v->type == '|') {           /* attribute: the real reply follows */
            v->type = '%';
            r3_free(v);
            free(line);
            return raw_read(r);
        }
        break;
    }
    default:
        goto bad;
    }
    free(line);
    return v;
bad:
    free(line);
    r3_free(v);
    return NULL;
}

/* In a RESP3 map, the value of key k (bulk or simple string key). */
static r3 *r3_map_get(const r3 *m, const char *k)
{
    if (!m || m->type != '%') return NULL;
    for (size_t i = 0; i < m->n; i++) {
        r3 *key = m->el[2 * i];
        if (key->str && key->len == strlen(k) && !memcmp(key->str, k, key->len)) return m->el[2 * i + 1];
    }
    return NULL;
}

static const char *r3desc(const r3 *v)
{
    static char b[4][300];
    static int next;
    char *o = b[next++ & 3];
    if (!v) return "(no reply: EOF or malformed)";
    if (v->str) {
        size_t pos = (size_t)snprintf(o, sizeof b[0], "%c", v->type);
        put_escaped(o, sizeof b[0], &pos, v->str, v->len, 100);
    } else if (v->type == ':') {
        snprintf(o, sizeof b[0], ":%lld", v->integer);
    } else {
        snprintf(o, sizeof b[0], "%c%s(n=%zu)", v->type, v->isnull ? "null" : "", v->n);
    }
    return o;
}

/* Read everything until EOF or timeout; returns length, *eof set if closed. */
static size_t raw_drain(raw *r, char *out, size_t cap, int *eof, int timeout_ms)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    size_t len = 0;
    *eof = 0;
    /* bytes already buffered first */
    size_t have = r->end - r->start;
    if (have > cap - 1) have = cap - 1;
    memcpy(out, r->buf + r->start, have);
    r->start += have;
    len = have;
    while (len < cap - 1) {
        ssize_t n = recv(r->fd, out + len, cap - 1 - len, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) {
            *eof = 1;
            break;
        }
        if (n < 0) {
            if (errno == ECONNRESET) *eof = 1;
            break;
        }
        len += (size_t)n;
    }
    out[len] = '\0';
    return len;
}

static void expect_raw_close(raw *w, const char *send, const char *want, int line);
static int raw_expect(raw *w, const char *want, int line);

/* ---- starting and stopping servers -------------------------------------- */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    socklen_t sl = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return ntohs(sa.sin_port);
}

static void print_log_tail(const server *s, int lines)
{
    FILE *f = fopen(s->log, "r");
    if (!f) return;
    char *all = NULL;
    size_t cap = 0, len = 0;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            all = realloc(all, cap);
            if (!all) abort();
        }
        memcpy(all + len, buf, n);
        len += n;
    }
    fclose(f);
    if (!all) return;
    all[len] = '\0';
    const char *p = all + len;
    int seen = 0;
    while (p > all && seen <= lines) {
        p--;
        if (*p == '\n') seen++;
    }
    fprintf(stderr, "# --- last lines of %s ---\n", s->log);
    for (const char *q = p; *q;) {
        const char *e = strchr(q, '\n');
        size_t l = e ? (size_t)(e - q) : strlen(q);
        fprintf(stderr, "#   %.*s\n", (int)l, q);
        q += l + (e ? 1 : 0);
    }
    free(all);
}

/* Wait up to ms for pid to exit; returns wait status or -1 if still running. */
static int wait_exit(pid_t pid, int ms)
{
    double end = now_ms() + ms;
    for (;;) {
        int st;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) return st;
        if (w < 0) return -2;
        if (now_ms() > end) return -1;
        sleep_ms(10);
    }
}

/* Start a server: binary g_bin, data in tmp/<name>, optionally with a config
 * file.  Waits until PING answers PONG.  0 on success. */
static int server_start_once(server *s, const char *name, int with_conf)
{
    memset(s, 0, sizeof *s);
    s->port = free_port();
    if (s->port <= 0) return -1;
    char base[1024];
    snprintf(base, sizeof base, "%s/%s", g_tmp, name);
    if (mkdir(base, 0700) < 0 && errno != EEXIST) return -1;
    snprintf(s->dir, sizeof s->dir, "%s/data", base);
    if (mkdir(s->dir, 0700) < 0 && errno != EEXIST) return -1;
    snprintf(s->log, sizeof s->log, "%s/server.log", base);
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", s->port);
    if (with_conf) {
        snprintf(s->conf, sizeof s->conf, "%s/server.conf", base);
        FILE *f = fopen(s->conf, "w");
        if (!f) return -1;
        fprintf(f, "# written by itest\nport %d\ndir %s\n", s->port, s->dir);
        fclose(f);
    }
    const char *argv[32];
    int ac = 0;
    argv[ac++] = g_bin;
    if (with_conf) argv[ac++] = s->conf;
    argv[ac++] = "--port";
    argv[ac++] = portstr;
    argv[ac++] = "--dir";
    argv[ac++] = s->dir;
    if (!g_is_redis_bin) {          /* Redis's I/O threads busy-wait: not on 2 cores */
        argv[ac++] = "--io-threads";
        argv[ac++] = "4";
    }
    argv[ac++] = "--bind";
    argv[ac++] = "127.0.0.1";
    if (g_is_redis_bin) {
        argv[ac++] = "--save";
        argv[ac++] = "";
        argv[ac++] = "--appendonly";
        argv[ac++] = "no";
    }
    argv[ac] = NULL;

    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) {
            dup2(nul, 0);
            close(nul);
        }
        signal(SIGPIPE, SIG_DFL);
        execv(g_bin, (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", g_bin, strerror(errno));
        _exit(127);
    }
    s->pid = pid;

    double end = now_ms() + 15000;
    while (now_ms() < end) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            fprintf(stderr, "# server %s exited during start-up (status %d)\n", name, st);
            print_log_tail(s, 30);
            s->pid = 0;
            return -1;
        }
        redisContext *c = conn_to("127.0.0.1", s->port);
        if (c) {
            redisReply *r = redisCommand(c, "PING");
            int up = r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG");
            if (r) freeReplyObject(r);
            redisFree(c);
            if (up) return 0;
        }
        sleep_ms(50);
    }
    fprintf(stderr, "# server %s did not answer PING within 15 s\n", name);
    print_log_tail(s, 30);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    s->pid = 0;
    return -1;
}

/* The free port may be taken by someone else before the server binds it
 * (tests run in parallel): try a few ports. */
static int server_start(server *s, const char *name, int with_conf)
{
    for (int attempt = 0; attempt < 3; attempt++)
        if (server_start_once(s, name, with_conf) == 0) return 0;
    return -1;
}

static void server_kill(server *s)
{
    if (s->pid <= 0) return;
    kill(s->pid, SIGTERM);
    if (wait_exit(s->pid, 5000) == -1) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
    }
    s->pid = 0;
}

static void rm_rf(const char *path)
{
    if (!path[0]) return;
    pid_t pid = fork();
    if (pid == 0) {
        execlp("rm", "rm", "-rf", path, (char *)NULL);
        _exit(127);
    }
    if (pid > 0) waitpid(pid, NULL, 0);
}

static void cleanup(void)
{
    server_kill(&g_srv2);
    server_kill(&g_srv);
    if (g_tmp[0] && !getenv("ITEST_KEEP")) rm_rf(g_tmp);
}

static void on_alarm(int sig)
{
    static const char msg[] = "Bail out! itest: watchdog timeout, killing the server\n";
    (void)sig;
    if (write(1, msg, sizeof msg - 1) < 0) {
    }
    if (g_srv.pid > 0) kill(g_srv.pid, SIGKILL);
    if (g_srv2.pid > 0) kill(g_srv2.pid, SIGKILL);
    _exit(1);
}

/* ---- tests: connection commands ----------------------------------------- */

static void t_ping_echo(redisContext *c)
{
    T_STATUS(c, "PONG", "PING");
    T_STR(c, "hello", "PING hello");
    T_ERR(c, wrongargs("ping"), "PING a b");
    T_STR(c, "x y", "ECHO %s", "x y");
    redisReply *r = cmd(c, "ECHO %b", "a\0b\r\nc", (size_t)6);
    R_CHECK(r, is_strn(r, "a\0b\r\nc", 6), "the same 6 binary bytes");
    T_STR(c, "", "ECHO %s", "");
    T_ERR(c, wrongargs("echo"), "ECHO");
    T_ERR(c, wrongargs("echo"), "ECHO a b");
    T_STATUS(c, "PONG", "pInG");        /* command names are case-insensitive */
}

static void t_quit(redisContext *c)
{
    redisContext *q = conn_new();
    CHECK(q, "connect failed");
    T_OK(q, "QUIT");
    redisReply *r = cmd(q, "PING");
    int closed = r == NULL;
    redisFree(q);
    CHECK(closed, "after QUIT, PING still answered %s", rdesc(r));
    T_STATUS(c, "PONG", "PING");
}

static void t_hello2(redisContext *c)
{
    redisReply *id = cmd(c, "CLIENT ID");
    R_CHECK(id, id && id->type == REDIS_REPLY_INTEGER && id->integer > 0, "a positive integer");
    redisReply *r = cmd(c, "HELLO");
    R_CHECK(r, is_arr(r, 14), "a 14-element array (7 pairs)");
    const redisReply *v = map_get(r, "server");
    CHECK(v && v->type == REDIS_REPLY_STRING, "HELLO: no server field: %s", rdesc(r));
    v = map_get(r, "version");
    CHECK(v && v->type == REDIS_REPLY_STRING && v->len > 0, "HELLO: no version: %s", rdesc(r));
    v = map_get(r, "proto");
    CHECK(is_int(v, 2), "HELLO: proto is %s, want :2", rdesc(v));
    v = map_get(r, "id");
    CHECK(is_int(v, id->integer), "HELLO: id %s, CLIENT ID said %lld", rdesc(v), id->integer);
    v = map_get(r, "mode");
    CHECK(is_str(v, "standalone"), "HELLO: mode %s", rdesc(v));
    v = map_get(r, "role");
    CHECK(is_str(v, "master"), "HELLO: role %s", rdesc(v));
    v = map_get(r, "modules");
    CHECK(is_arr(v, -1), "HELLO: modules %s, want an array", rdesc(v));

    r = cmd(c, "HELLO 2 SETNAME hello-name");
    CHECK(is_int(map_get(r, "proto"), 2), "HELLO 2 SETNAME -> %s", rdesc(r));
    T_STR(c, "hello-name", "CLIENT GETNAME");
    T_ERR(c, "ERR Client names cannot contain spaces, newlines or special characters.",
          "HELLO 2 SETNAME %s", "bad name");
    T_STR(c, "hello-name", "CLIENT GETNAME");
    T_ERR(c, "NOPROTO unsupported protocol version", "HELLO 4");
    T_ERR(c, "NOPROTO unsupported protocol version", "HELLO 1");
    T_ERR(c, "ERR Protocol version is not an integer or out of range", "HELLO abc");
    T_ERR(c, "ERR Syntax error in HELLO option 'BOGUS'", "HELLO 2 BOGUS");
    /* With no password configured the default user takes any password. */
    r = cmd(c, "HELLO 2 AUTH default anything");
    CHECK(is_int(map_get(r, "proto"), 2), "HELLO 2 AUTH default anything -> %s", rdesc(r));
    T_ERRP(c, "WRONGPASS", "HELLO 2 AUTH nosuchuser pw");
}

static void auth_body(redisContext *c)
{
    redisContext *u = conn_new();
    CHECK(u, "connect failed");
    redisReply *r = cmd(u, "GET k");
    int ok = is_err(r, "NOAUTH Authentication required.");
    const char *d = rdesc(r);
    if (!ok) redisFree(u);
    CHECK(ok, "GET before AUTH -> %s, want -NOAUTH Authentication required.", d);
    r = cmd(u, "HELLO 2");
    ok = is_errp(r, "NOAUTH HELLO must be called with the client already authenticated");
    d = rdesc(r);
    if (!ok) redisFree(u);
    CHECK(ok, "HELLO 2 before AUTH -> %s", d);
    r = cmd(u, "AUTH wrong");
    ok = is_err(r, "WRONGPASS invalid username-password pair or user is disabled.");
    d = rdesc(r);
    if (!ok) redisFree(u);
    CHECK(ok, "AUTH wrong -> %s", d);
    r = cmd(u, "AUTH default wrong");
    ok = is_err(r, "WRONGPASS invalid username-password pair or user is disabled.");
    d = rdesc(r);
    if (!ok) redisFree(u);
    CHECK(ok, "AUTH default wrong -> %s", d);
    r = cmd(u, "HELLO 2 AUTH default wrong");
    ok = is_err(r, "WRONGPASS invalid username-password pair or user is disabled.");
    d = rdesc(r);
    if (!ok) redisFree(u);
    CHECK(ok, "HELLO 2 AUTH default wrong -> %s", d);
    r = cmd(u, "HELLO 2 AUTH default s3cret SETNAME authed");
    ok = is_int(map_get(r, "proto"), 2);
    d = rdesc(r);
    if (!ok) redisFree(u);
    CHECK(ok, "HELLO 2 AUTH default s3cret SETNAME authed -> %s", d);
    r = cmd(u, "CLIENT GETNAME");
    ok = is_str(r, "authed");
    d = rdesc(r);
    if (!ok) redisFree(u);
    CHECK(ok, "CLIENT GETNAME after HELLO AUTH SETNAME -> %s", d);
    r = cmd(u, "SET k v");
    ok = is_status(r, "OK");
    d = rdesc(r);
    redisFree(u);
    CHECK(ok, "SET after HELLO AUTH -> %s", d);

    u = conn_new();
    CHECK(u, "connect failed");
    r = cmd(u, "AUTH s3cret");
    ok = is_status(r, "OK");
    d = rdesc(r);
    if (ok) {
        r = cmd(u, "GET k");
        ok = is_str(r, "v");
        d = rdesc(r);
    }
    redisFree(u);
    CHECK(ok, "%s -> %s", g_lastcmd, d);

    u = conn_new();
    CHECK(u, "connect failed");
    r = cmd(u, "AUTH default s3cret");
    ok = is_status(r, "OK");
    d = rdesc(r);
    redisFree(u);
    CHECK(ok, "AUTH default s3cret -> %s", d);

    /* tighter protocol limits before authentication (Redis's 10 args, 16 KB) */
    {
        static const struct {
            const char *send, *want;
        } pre[] = {
            {"*11\r\n", "-ERR Protocol error: unauthenticated multibulk length\r\n"},
            {"*2\r\n$4\r\nECHO\r\n$16385\r\n", "-ERR Protocol error: unauthenticated bulk length\r\n"},
        };
        for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
            raw *x = raw_connect();
            CHECK(x, "raw connect failed");
            expect_raw_close(x, pre[i].send, pre[i].want, __LINE__);
            raw_close(x);
            if (g_failed) return;
        }
        raw *x = raw_connect();
        CHECK(x, "raw connect failed");
        raw_sends(x, "*10\r\n$4\r\nPING\r\n");   /* within the limit: an ordinary NOAUTH */
        for (int i = 0; i < 9; i++) raw_sends(x, "$1\r\nx\r\n");
        int ok10 = raw_expect(x, "-NOAUTH Authentication required.\r\n", __LINE__);
        raw_close(x);
        if (!ok10) return;
    }

    /* RESP3 handshake with AUTH on a raw connection */
    raw *w = raw_connect();
    CHECK(w, "raw connect failed");
    raw_cmd(w, "HELLO 3 AUTH default s3cret");
    r3 *m = raw_read(w);
    r3 *p = r3_map_get(m, "proto");
    ok = p && p->type == ':' && p->integer == 3;
    d = r3desc(m);
    r3_free(m);
    raw_close(w);
    CHECK(ok, "HELLO 3 AUTH default s3cret -> %s, want a map with proto 3", d);
}

static void t_auth(redisContext *c)
{
    T_ERR(c,
          "ERR AUTH <password> called without any password configured for the default user. "
          "Are you sure your configuration is correct?",
          "AUTH whatever");
    T_ERRP(c, "WRONGPASS", "AUTH nosuchuser pw");
    T_ERR(c, "ERR syntax error", "AUTH a b c");
    T_OK(c, "CONFIG SET requirepass s3cret");
    auth_body(c);                      /* c itself stays authenticated */
    redisReply *r = cmd(c, "CONFIG SET requirepass %s", "");
    CHECK(is_status(r, "OK"), "CONFIG SET requirepass \"\" -> %s (server left with a password!)", rdesc(r));
}

static void t_select(redisContext *c)
{
    T_OK(c, "SET k db0");
    T_OK(c, "SELECT 1");
    T_NIL(c, "GET k");
    T_OK(c, "SET k db1");
    T_OK(c, "SELECT 15");
    T_NIL(c, "GET k");
    T_OK(c, "SELECT 0");
    T_STR(c, "db0", "GET k");
    T_OK(c, "SELECT 1");
    T_STR(c, "db1", "GET k");
    T_ERR(c, "ERR DB index is out of range", "SELECT 16");
    T_ERR(c, "ERR DB index is out of range", "SELECT -1");
    T_ERR(c, "ERR value is not an integer or out of range", "SELECT abc");
    T_ERR(c, wrongargs("select"), "SELECT");
    T_STR(c, "db1", "GET k");           /* a failed SELECT leaves the db */
}

static void t_reset(redisContext *c)
{
    T_OK(c, "SELECT 3");
    T_OK(c, "SET rk in3");
    T_OK(c, "CLIENT SETNAME before-reset");
    T_STATUS(c, "RESET", "RESET");
    T_NIL(c, "CLIENT GETNAME");
    T_NIL(c, "GET rk");                 /* back in db 0 */
    T_OK(c, "SELECT 3");
    T_STR(c, "in3", "GET rk");
    T_ERR(c, wrongargs("reset"), "RESET x");
}

static void t_client(redisContext *c)
{
    redisReply *id = cmd(c, "CLIENT ID");
    R_CHECK(id, id && id->type == REDIS_REPLY_INTEGER && id->integer > 0, "a positive id");
    long long myid = id->integer;
    T_INT(c, myid, "CLIENT ID");
    T_NIL(c, "CLIENT GETNAME");
    T_OK(c, "CLIENT SETNAME foo");
    T_STR(c, "foo", "CLIENT GETNAME");
    T_ERR(c, "ERR Client names cannot contain spaces, newlines or special characters.", "CLIENT SETNAME %s",
          "a b");
    T_ERR(c, "ERR Client names cannot contain spaces, newlines or special characters.", "CLIENT SETNAME %s",
          "a\nb");
    T_STR(c, "foo", "CLIENT GETNAME");
    T_ERR(c, "ERR wrong number of arguments for 'client|setname' command", "CLIENT SETNAME");

    redisContext *o = conn_new();
    CHECK(o, "connect failed");
    redisReply *oid = cmd(o, "CLIENT ID");
    redisReply *osn = cmd(o, "CLIENT SETNAME other");
    int good = oid && oid->type == REDIS_REPLY_INTEGER && is_status(osn, "OK");
    if (!good) redisFree(o);
    CHECK(good, "second connection: CLIENT ID %s, SETNAME %s", rdesc(oid), rdesc(osn));

    redisReply *l = cmd(c, "CLIENT LIST");
    if (!(l && l->type == REDIS_REPLY_STRING)) redisFree(o);
    R_CHECK(l, l && l->type == REDIS_REPLY_STRING, "a bulk string");
    char pat[64];
    snprintf(pat, sizeof pat, "id=%lld ", myid);
    const char *mine = strstr(l->str, pat);
    snprintf(pat, sizeof pat, "id=%lld ", oid->integer);
    const char *theirs = strstr(l->str, pat);
    char v[256];
    good = mine && theirs && (mine == l->str || mine[-1] == '\n') && kv_field(mine, "name", v, sizeof v) &&
           !strcmp(v, "foo") && kv_field(theirs, "name", v, sizeof v) && !strcmp(v, "other") &&
           kv_field(mine, "addr", v, sizeof v) && strchr(v, ':') && kv_field(mine, "db", v, sizeof v) &&
           !strcmp(v, "0") && kv_field(mine, "cmd", v, sizeof v) && !strcmp(v, "client|list") &&
           l->str[l->len - 1] == '\n';
    if (!good) redisFree(o);
    CHECK(good, "CLIENT LIST lacks our line (id/name/addr/db=0/cmd=client|list) or theirs: %s", rdesc(l));

    l = cmd(c, "CLIENT LIST ID %lld", oid->integer);
    good = l && l->type == REDIS_REPLY_STRING && !strncmp(l->str, pat, strlen(pat)) &&
           strchr(l->str, '\n') == l->str + l->len - 1;
    if (!good) redisFree(o);
    R_CHECK(l, good, "exactly the other client's line");
    l = cmd(c, "CLIENT LIST TYPE normal");
    good = l && l->type == REDIS_REPLY_STRING && strstr(l->str, "name=foo ");
    if (!good) redisFree(o);
    R_CHECK(l, good, "a list including ours");
    l = cmd(c, "CLIENT LIST TYPE bogus");
    if (!is_err(l, "ERR Unknown client type 'bogus'")) redisFree(o);
    R_CHECK(l, is_err(l, "ERR Unknown client type 'bogus'"), "-ERR Unknown client type 'bogus'");

    redisReply *ci = cmd(c, "CLIENT INFO");
    snprintf(pat, sizeof pat, "id=%lld ", myid);
    good = ci && ci->type == REDIS_REPLY_STRING && !strncmp(ci->str, pat, strlen(pat)) &&
           strchr(ci->str, '\n') == ci->str + ci->len - 1 && kv_field(ci->str, "cmd", v, sizeof v) &&
           !strcmp(v, "client|info");
    if (!good) redisFree(o);
    R_CHECK(ci, good, "one line for this client with cmd=client|info");

    /* kill by ADDR (old and new form) and by ID */
    redisReply *oi = cmd(o, "CLIENT INFO");
    char oaddr[128];
    good = oi && oi->type == REDIS_REPLY_STRING && kv_field(oi->str, "addr", oaddr, sizeof oaddr);
    if (!good) redisFree(o);
    CHECK(good, "other CLIENT INFO -> %s", rdesc(oi));
    redisReply *k = cmd(c, "CLIENT KILL ADDR %s", oaddr);
    redisReply *after = cmd(o, "PING");
    redisFree(o);
    R_CHECK(k, is_int(k, 1), ":1");
    CHECK(after == NULL, "client killed by ADDR still answered PING: %s", rdesc(after));
    T_INT(c, 0, "CLIENT KILL ADDR %s", oaddr);
    T_INT(c, 0, "CLIENT KILL ID 999999999");
    T_ERR(c, "ERR No such client", "CLIENT KILL 1.2.3.4:5");
    T_ERR(c, "ERR client-id should be greater than 0", "CLIENT KILL ID abc");
    T_INT(c, 0, "CLIENT KILL ID %lld", myid);               /* SKIPME yes by default */
    T_INT(c, 0, "CLIENT KILL ID %lld SKIPME yes", myid);
    o = conn_new();
    CHECK(o, "connect failed");
    oi = cmd(o, "CLIENT INFO");
    good = oi && oi->type == REDIS_REPLY_STRING && kv_field(oi->str, "addr", oaddr, sizeof oaddr);
    if (!good) redisFree(o);
    CHECK(good, "other CLIENT INFO -> %s", rdesc(oi));
    k = cmd(c, "CLIENT KILL %s", oaddr);
    if (!is_status(k, "OK")) redisFree(o);
    R_CHECK(k, is_status(k, "OK"), "+OK");
    after = cmd(o, "PING");
    redisFree(o);
    CHECK(after == NULL, "killed client still answered PING: %s", rdesc(after));

    T_OK(c, "CLIENT NO-EVICT on");
    T_OK(c, "CLIENT NO-EVICT off");
    T_ERR(c, "ERR syntax error", "CLIENT NO-EVICT maybe");
    T_ERR(c, "ERR unknown subcommand 'foo'. Try CLIENT HELP.", "CLIENT foo");
    redisReply *h = cmd(c, "CLIENT HELP");
    R_CHECK(h, is_arr(h, -1) && h->elements > 5, "a help array");

    /* CLIENT KILL ID of ourselves with SKIPME no: :1, then the link closes */
    T_INT(c, 1, "CLIENT KILL ID %lld SKIPME no", myid);
    redisReply *p = cmd(c, "PING");
    CHECK(p == NULL, "after killing ourselves PING answered %s", rdesc(p));
}

static void t_client_setinfo(redisContext *c)
{
    redisReply *r = cmd(c, "CLIENT SETINFO LIB-NAME mylib");
    if (!g_is_holdfast && is_errp(r, "ERR unknown subcommand")) {
        t_skip("CLIENT SETINFO is Redis 7.2+; this server predates it");
        return;
    }
    R_CHECK(r, is_status(r, "OK"), "+OK");
    T_OK(c, "CLIENT SETINFO LIB-VER 1.2.3");
    redisReply *ci = cmd(c, "CLIENT INFO");
    char v[64], w[64];
    R_CHECK(ci,
            ci && ci->type == REDIS_REPLY_STRING && kv_field(ci->str, "lib-name", v, sizeof v) &&
                !strcmp(v, "mylib") && kv_field(ci->str, "lib-ver", w, sizeof w) && !strcmp(w, "1.2.3"),
            "lib-name=mylib lib-ver=1.2.3");
    T_ERR(c, "ERR lib-name cannot contain spaces, newlines or special characters.",
          "CLIENT SETINFO LIB-NAME %s", "a b");
    T_ERR(c, "ERR Unrecognized option 'BOGUS'", "CLIENT SETINFO BOGUS x");
    T_ERR(c, "ERR wrong number of arguments for 'client|setinfo' command", "CLIENT SETINFO LIB-NAME");
}

/* ---- COMMAND ------------------------------------------------------------ */

static void t_command(redisContext *c)
{
    redisReply *n = cmd(c, "COMMAND COUNT");
    R_CHECK(n, n && n->type == REDIS_REPLY_INTEGER && n->integer > 50, "an integer > 50");
    long long count = n->integer;
    redisReply *all = cmd(c, "COMMAND");
    R_CHECK(all, is_arr(all, count), "COMMAND COUNT entries");
    redisReply *list = cmd(c, "COMMAND LIST");
    R_CHECK(list, is_arr(list, -1), "an array");
    long long top = 0;
    for (size_t i = 0; i < list->elements; i++) {
        CHECK(list->element[i]->type == REDIS_REPLY_STRING, "COMMAND LIST element %zu: %s", i,
              rdesc(list->element[i]));
        if (!memchr(list->element[i]->str, '|', list->element[i]->len)) top++;
    }
    CHECK(top == count, "COMMAND LIST has %lld top-level names, COMMAND COUNT says %lld", top, count);
    static const char *const must[] = {"ping", "echo", "hello", "auth", "select", "client", "command", "get",
                                       "set", "mget", "incrbyfloat", "scan", "expire", "object", "info",
                                       "config", "slowlog", "swapdb", "copy", "lastsave", "client|kill",
                                       "config|get", "object|encoding"};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        CHECK(arr_has(list, must[i]), "COMMAND LIST lacks %s", must[i]);
    redisReply *f = cmd(c, "COMMAND LIST FILTERBY PATTERN getr*");
    R_CHECK(f, is_arr(f, 1) && arr_has(f, "getrange"), "[getrange]");

    redisReply *i = cmd(c, "COMMAND INFO get");
    R_CHECK(i, is_arr(i, 1) && is_arr(i->element[0], -1) && i->element[0]->elements >= 7, "one entry");
    redisReply *e = i->element[0];
    CHECK(is_str(e->element[0], "get") && is_int(e->element[1], 2) && arr_has(e->element[2], "readonly") &&
              arr_has(e->element[2], "fast") && is_int(e->element[3], 1) && is_int(e->element[4], 1) &&
              is_int(e->element[5], 1) && arr_has(e->element[6], "@string") && arr_has(e->element[6], "@read"),
          "COMMAND INFO get -> %s", rdesc(e));
    i = cmd(c, "COMMAND INFO set mset nosuch");
    R_CHECK(i, is_arr(i, 3), "3 entries");
    e = i->element[0];
    CHECK(is_arr(e, -1) && e->elements >= 7 && is_str(e->element[0], "set") && is_int(e->element[1], -3) &&
              arr_has(e->element[2], "write") && arr_has(e->element[2], "denyoom") && is_int(e->element[3], 1),
          "COMMAND INFO set -> %s", rdesc(e));
    e = i->element[1];
    CHECK(is_arr(e, -1) && e->elements >= 7 && is_str(e->element[0], "mset") && is_int(e->element[1], -3) &&
              is_int(e->element[3], 1) && is_int(e->element[4], -1) && is_int(e->element[5], 2),
          "COMMAND INFO mset -> %s", rdesc(e));
    CHECK(is_nil(i->element[2]), "COMMAND INFO nosuch -> %s, want nil", rdesc(i->element[2]));

    redisReply *d = cmd(c, "COMMAND DOCS get");
    R_CHECK(d, is_arr(d, 2) && is_str(d->element[0], "get") && is_arr(d->element[1], -1), "[get, {docs}]");
    const redisReply *sm = map_get(d->element[1], "summary");
    CHECK(sm && sm->type == REDIS_REPLY_STRING && sm->len > 5, "COMMAND DOCS get: summary %s", rdesc(sm));
    CHECK(is_str(map_get(d->element[1], "group"), "string"), "COMMAND DOCS get: group %s",
          rdesc(map_get(d->element[1], "group")));
    CHECK(is_str(map_get(d->element[1], "since"), "1.0.0"), "COMMAND DOCS get: since %s",
          rdesc(map_get(d->element[1], "since")));
    /* redis-cli 7 builds its hints and "help CMD" syntax from "arguments" */
    d = cmd(c, "COMMAND DOCS set");
    R_CHECK(d, is_arr(d, 2) && is_str(d->element[0], "set") && is_arr(d->element[1], -1), "[set, {docs}]");
    const redisReply *args = map_get(d->element[1], "arguments");
    CHECK(is_arr(args, -1) && args->elements >= 3 && is_str(map_get(args->element[0], "name"), "key") &&
              is_str(map_get(args->element[0], "type"), "key") &&
              is_str(map_get(args->element[1], "name"), "value") &&
              is_str(map_get(args->element[1], "type"), "string"),
          "COMMAND DOCS set: arguments %s, want [{name key type key ...} {name value type string} ...]",
          rdesc(args));
    d = cmd(c, "COMMAND DOCS nosuch");
    R_CHECK(d, is_arr(d, 0), "an empty array");

    redisReply *k = cmd(c, "COMMAND GETKEYS MSET a 1 b 2");
    R_CHECK(k, is_arr(k, 2) && is_str(k->element[0], "a") && is_str(k->element[1], "b"), "[a, b]");
    k = cmd(c, "COMMAND GETKEYS SET key val EX 10");
    R_CHECK(k, is_arr(k, 1) && is_str(k->element[0], "key"), "[key]");
    k = cmd(c, "COMMAND GETKEYS COPY src dst DB 1");
    R_CHECK(k, is_arr(k, 2) && is_str(k->element[0], "src") && is_str(k->element[1], "dst"), "[src, dst]");
    T_ERR(c, "ERR Invalid command specified", "COMMAND GETKEYS nosuch a");
    T_ERR(c, "ERR The command has no key arguments", "COMMAND GETKEYS PING x");
    T_ERR(c, "ERR Invalid number of arguments specified for command", "COMMAND GETKEYS GET a b");
    T_ERR(c, "ERR wrong number of arguments for 'command|getkeys' command", "COMMAND GETKEYS GET");
    T_ERR(c, "ERR unknown subcommand 'bogus'. Try COMMAND HELP.", "COMMAND bogus");
}

/* ---- strings ------------------------------------------------------------ */

static void t_set_options(redisContext *c)
{
    T_OK(c, "SET k v");
    T_STR(c, "v", "GET k");
    T_NIL(c, "SET k v2 NX");
    T_STR(c, "v", "GET k");
    T_OK(c, "SET k v2 XX");
    T_STR(c, "v2", "GET k");
    T_NIL(c, "SET nokey v XX");
    T_INT(c, 0, "EXISTS nokey");
    T_OK(c, "SET nx1 v NX");
    T_STR(c, "v2", "SET k v3 GET");
    T_NIL(c, "SET fresh v GET");
    T_STR(c, "v", "GET fresh");
    T_STR(c, "v3", "SET k v4 NX GET");  /* NX+GET: old value, nothing set */
    T_STR(c, "v3", "GET k");
    T_STR(c, "v3", "SET k v5 XX GET");
    T_STR(c, "v5", "GET k");

    T_OK(c, "SET k v EX 100");
    redisReply *r = cmd(c, "TTL k");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer >= 99 && r->integer <= 100, "99..100");
    T_OK(c, "SET k v PX 100000");
    r = cmd(c, "PTTL k");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer > 98000 && r->integer <= 100000, "~100000");
    long long now = (long long)time(NULL);
    T_OK(c, "SET k v EXAT %lld", now + 200);
    T_INT(c, now + 200, "EXPIRETIME k");
    T_OK(c, "SET k v PXAT %lld", (now + 300) * 1000 + 7);
    T_INT(c, (now + 300) * 1000 + 7, "PEXPIRETIME k");
    T_OK(c, "SET k v2 KEEPTTL");
    T_INT(c, (now + 300) * 1000 + 7, "PEXPIRETIME k");
    T_STR(c, "v2", "GET k");
    T_OK(c, "SET k v3");                /* a plain SET drops the TTL */
    T_INT(c, -1, "TTL k");

    T_ERR(c, "ERR syntax error", "SET k v NX XX");
    T_ERR(c, "ERR syntax error", "SET k v EX 10 PX 100");
    T_ERR(c, "ERR syntax error", "SET k v KEEPTTL EX 10");
    T_ERR(c, "ERR syntax error", "SET k v BOGUS");
    T_ERR(c, "ERR syntax error", "SET k v EX");
    T_ERR(c, "ERR invalid expire time in 'set' command", "SET k v EX 0");
    T_ERR(c, "ERR invalid expire time in 'set' command", "SET k v PX -5");
    T_ERR(c, "ERR invalid expire time in 'set' command", "SET k v EX 9223372036854775807");
    T_ERR(c, "ERR value is not an integer or out of range", "SET k v EX abc");
    T_ERR(c, wrongargs("set"), "SET k");
    T_STR(c, "v3", "GET k");            /* failed SETs changed nothing */
    T_INT(c, -1, "TTL k");

    /* empty, binary and large values */
    T_OK(c, "SET empty %s", "");
    T_STR(c, "", "GET empty");
    T_INT(c, 1, "EXISTS empty");
    r = cmd(c, "SET %b %b", "bin\0key", (size_t)7, "\0\r\n\xff", (size_t)4);
    R_CHECK(r, is_status(r, "OK"), "+OK");
    r = cmd(c, "GET %b", "bin\0key", (size_t)7);
    R_CHECK(r, is_strn(r, "\0\r\n\xff", 4), "the 4 binary bytes");
    size_t big = 3 * 1024 * 1024 + 17;
    char *val = malloc(big);
    CHECK(val, "malloc");
    for (size_t i = 0; i < big; i++) val[i] = (char)('a' + i % 26);
    r = cmd(c, "SET big %b", val, big);
    if (!is_status(r, "OK")) free(val);
    R_CHECK(r, is_status(r, "OK"), "+OK");
    r = cmd(c, "GET big");
    int same = r && r->type == REDIS_REPLY_STRING && r->len == big && !memcmp(r->str, val, big);
    free(val);
    CHECK(same, "GET big: a different value came back (%s)", rdesc(r));
    T_INT(c, (long long)big, "STRLEN big");
}

static void t_string_cmds(redisContext *c)
{
    /* SETNX SETEX PSETEX */
    T_INT(c, 1, "SETNX nk v1");
    T_INT(c, 0, "SETNX nk v2");
    T_STR(c, "v1", "GET nk");
    T_ERR(c, wrongargs("setnx"), "SETNX nk");
    T_OK(c, "SETEX ek 100 v");
    redisReply *r = cmd(c, "TTL ek");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer >= 99 && r->integer <= 100, "99..100");
    T_STR(c, "v", "GET ek");
    T_ERR(c, "ERR invalid expire time in 'setex' command", "SETEX ek 0 v");
    T_ERR(c, "ERR invalid expire time in 'setex' command", "SETEX ek -10 v");
    T_ERR(c, "ERR value is not an integer or out of range", "SETEX ek abc v");
    T_OK(c, "PSETEX pk 100000 v");
    r = cmd(c, "PTTL pk");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer > 98000 && r->integer <= 100000, "~100000");
    T_ERR(c, "ERR invalid expire time in 'psetex' command", "PSETEX pk 0 v");

    /* GETSET GETDEL GETEX */
    T_STR(c, "v", "GETSET ek new");
    T_INT(c, -1, "TTL ek");             /* GETSET drops the TTL */
    T_STR(c, "new", "GET ek");
    T_NIL(c, "GETSET gsnew x");
    T_STR(c, "x", "GET gsnew");
    T_STR(c, "x", "GETDEL gsnew");
    T_INT(c, 0, "EXISTS gsnew");
    T_NIL(c, "GETDEL gsnew");
    T_OK(c, "SET gx val");
    T_STR(c, "val", "GETEX gx");
    T_INT(c, -1, "TTL gx");
    T_STR(c, "val", "GETEX gx EX 100");
    r = cmd(c, "TTL gx");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer >= 99 && r->integer <= 100, "99..100");
    T_STR(c, "val", "GETEX gx PERSIST");
    T_INT(c, -1, "TTL gx");
    T_STR(c, "val", "GETEX gx PX 50000");
    r = cmd(c, "PTTL gx");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer > 48000 && r->integer <= 50000, "~50000");
    long long now = (long long)time(NULL);
    T_STR(c, "val", "GETEX gx EXAT %lld", now + 500);
    T_INT(c, now + 500, "EXPIRETIME gx");
    T_STR(c, "val", "GETEX gx PXAT %lld", (now + 600) * 1000 + 3);
    T_INT(c, (now + 600) * 1000 + 3, "PEXPIRETIME gx");
    T_NIL(c, "GETEX nokey EX 10");
    T_ERR(c, "ERR syntax error", "GETEX gx EX 10 PERSIST");
    T_ERR(c, "ERR syntax error", "GETEX gx BOGUS");
    T_ERR(c, "ERR invalid expire time in 'getex' command", "GETEX gx EX 0");

    /* MSET MGET MSETNX */
    T_OK(c, "MSET a 1 b 2 c 3");
    r = cmd(c, "MGET a b nokey c");
    R_CHECK(r,
            is_arr(r, 4) && is_str(r->element[0], "1") && is_str(r->element[1], "2") && is_nil(r->element[2]) &&
                is_str(r->element[3], "3"),
            "[1, 2, nil, 3]");
    T_OK(c, "MSET a x a y");            /* the last one wins */
    T_STR(c, "y", "GET a");
    T_ERR(c, wrongargs("mset"), "MSET a 1 b");
    T_ERR(c, wrongargs("mset"), "MSET a");
    T_ERR(c, wrongargs("mget"), "MGET");
    T_INT(c, 1, "MSETNX x 1 y 2");
    T_INT(c, 0, "MSETNX y 3 z 4");
    T_NIL(c, "GET z");
    T_STR(c, "2", "GET y");
    T_ERR(c, wrongargs("msetnx"), "MSETNX y");

    /* APPEND STRLEN GETRANGE SETRANGE SUBSTR */
    T_INT(c, 5, "APPEND ap Hello");
    T_INT(c, 11, "APPEND ap %s", " World");
    T_STR(c, "Hello World", "GET ap");
    T_INT(c, 11, "STRLEN ap");
    T_INT(c, 0, "STRLEN nokey");
    T_OK(c, "SET ap2 v EX 100");
    T_INT(c, 2, "APPEND ap2 w");
    r = cmd(c, "TTL ap2");              /* APPEND keeps the TTL */
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer > 0, "a positive TTL");
    T_OK(c, "SET gr %s", "This is a string");
    T_STR(c, "This", "GETRANGE gr 0 3");
    T_STR(c, "ing", "GETRANGE gr -3 -1");
    T_STR(c, "This is a string", "GETRANGE gr 0 -1");
    T_STR(c, "string", "GETRANGE gr 10 100");
    T_STR(c, "", "GETRANGE gr 5 3");
    T_STR(c, "", "GETRANGE nokey 0 10");
    T_ERR(c, "ERR value is not an integer or out of range", "GETRANGE gr a 1");
    T_STR(c, "This", "SUBSTR gr 0 3");
    T_OK(c, "SET sr %s", "Hello World");
    T_INT(c, 11, "SETRANGE sr 6 Redis");
    T_STR(c, "Hello Redis", "GET sr");
    T_INT(c, 11, "SETRANGE sr2 6 Redis");
    r = cmd(c, "GET sr2");
    R_CHECK(r, is_strn(r, "\0\0\0\0\0\0Redis", 11), "six zero bytes then Redis");
    T_INT(c, 0, "SETRANGE sr3 0 %s", "");
    T_INT(c, 0, "EXISTS sr3");
    T_ERR(c, "ERR offset is out of range", "SETRANGE sr -1 x");
    T_ERR(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)", "SETRANGE sr 536870912 x");

    /* INCR family */
    T_INT(c, 1, "INCR n");
    T_INT(c, 11, "INCRBY n 10");
    T_INT(c, 10, "DECR n");
    T_INT(c, 7, "DECRBY n 3");
    T_INT(c, -3, "INCRBY n -10");
    T_STR(c, "-3", "GET n");
    T_STR(c, "int", "OBJECT ENCODING n");
    T_INT(c, -1, "DECR nn");
    T_OK(c, "SET s abc");
    T_ERR(c, "ERR value is not an integer or out of range", "INCR s");
    T_OK(c, "SET s %s", " 1");
    T_ERR(c, "ERR value is not an integer or out of range", "INCR s");
    T_ERR(c, "ERR value is not an integer or out of range", "INCRBY n abc");
    T_ERR(c, "ERR value is not an integer or out of range", "INCRBY n 9223372036854775808");
    T_OK(c, "SET big 9223372036854775807");
    T_ERR(c, "ERR increment or decrement would overflow", "INCR big");
    T_OK(c, "SET small -9223372036854775808");
    T_ERR(c, "ERR increment or decrement would overflow", "DECR small");
    T_ERR(c, "ERR decrement would overflow", "DECRBY n -9223372036854775808");
    T_OK(c, "SET ttln 5 EX 100");
    T_INT(c, 6, "INCR ttln");
    r = cmd(c, "TTL ttln");             /* INCR keeps the TTL */
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer > 0, "a positive TTL");

    T_OK(c, "SET f 10.50");
    T_STR(c, "10.6", "INCRBYFLOAT f 0.1");
    T_STR(c, "5.6", "INCRBYFLOAT f -5");
    T_OK(c, "SET f 5.0e3");
    T_STR(c, "5200", "INCRBYFLOAT f 2.0e2");
    T_STR(c, "3.5", "INCRBYFLOAT fnew 3.5");
    T_STR(c, "3", "INCRBYFLOAT n 6");
    T_ERR(c, "ERR value is not a valid float", "INCRBYFLOAT f abc");
    T_ERR(c, "ERR value is not a valid float", "INCRBYFLOAT s 1");
    T_ERR(c, "ERR value is not a valid float", "INCRBYFLOAT f nan");
    T_ERR(c, "ERR increment would produce NaN or Infinity", "INCRBYFLOAT f inf");
    T_STR(c, "5200", "GET f");
}

/* ---- keyspace ----------------------------------------------------------- */

static void t_keyspace_basic(redisContext *c)
{
    T_OK(c, "MSET a 1 b 2 c 3");
    T_INT(c, 2, "DEL a b nokey");
    T_INT(c, 1, "UNLINK c");
    T_INT(c, 0, "UNLINK c");
    T_INT(c, 0, "EXISTS a");
    T_ERR(c, wrongargs("del"), "DEL");
    T_OK(c, "SET x 1");
    T_INT(c, 2, "EXISTS x x nokey");
    T_STATUS(c, "string", "TYPE x");
    T_STATUS(c, "none", "TYPE nokey");

    /* KEYS */
    T_OK(c, "MSET one 1 two 2 three 3 four 4 %s 5", "a*b");
    redisReply *r = cmd(c, "KEYS *o*");
    R_CHECK(r, is_arr(r, 3) && arr_has(r, "one") && arr_has(r, "two") && arr_has(r, "four"), "{one two four}");
    r = cmd(c, "KEYS t??");
    R_CHECK(r, is_arr(r, 1) && arr_has(r, "two"), "{two}");
    r = cmd(c, "KEYS [ot]*");
    R_CHECK(r, is_arr(r, 3) && arr_has(r, "one") && arr_has(r, "two") && arr_has(r, "three"), "{one two three}");
    r = cmd(c, "KEYS %s", "a\\*b");
    R_CHECK(r, is_arr(r, 1) && arr_has(r, "a*b"), "{a*b}");
    r = cmd(c, "KEYS *");
    R_CHECK(r, is_arr(r, 6), "6 keys");
    r = cmd(c, "KEYS nomatch*");
    R_CHECK(r, is_arr(r, 0), "an empty array");

    /* RANDOMKEY, DBSIZE, TOUCH */
    r = cmd(c, "RANDOMKEY");
    R_CHECK(r, r && r->type == REDIS_REPLY_STRING && (arr_has(cmd(c, "KEYS *"), r->str)), "one of the keys");
    T_INT(c, 6, "DBSIZE");
    T_INT(c, 2, "TOUCH one two nokey");
    T_OK(c, "FLUSHDB");
    T_NIL(c, "RANDOMKEY");
    T_INT(c, 0, "DBSIZE");

    /* RENAME RENAMENX */
    T_OK(c, "SET src va");
    T_OK(c, "SET dst vb EX 100");
    T_OK(c, "RENAME src dst");
    T_STR(c, "va", "GET dst");
    T_INT(c, -1, "TTL dst");            /* dst takes src's (absent) TTL */
    T_INT(c, 0, "EXISTS src");
    T_OK(c, "SET s2 v EX 100");
    T_OK(c, "RENAME s2 d2");
    r = cmd(c, "TTL d2");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer >= 99, "the TTL moved with the key");
    T_ERR(c, "ERR no such key", "RENAME nokey x");
    T_OK(c, "RENAME dst dst");
    T_STR(c, "va", "GET dst");
    T_OK(c, "SET p 1");
    T_OK(c, "SET q 2");
    T_INT(c, 0, "RENAMENX p q");
    T_STR(c, "2", "GET q");
    T_INT(c, 1, "RENAMENX p r");
    T_STR(c, "1", "GET r");
    T_INT(c, 0, "EXISTS p");
    T_ERR(c, "ERR no such key", "RENAMENX nokey z");

    /* COPY */
    T_OK(c, "SET csrc v EX 100");
    T_INT(c, 1, "COPY csrc cdst");
    T_STR(c, "v", "GET cdst");
    r = cmd(c, "TTL cdst");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer > 90, "the TTL copied");
    T_INT(c, 0, "COPY csrc cdst");
    T_OK(c, "SET csrc v2");
    T_INT(c, 1, "COPY csrc cdst REPLACE");
    T_STR(c, "v2", "GET cdst");
    T_INT(c, 1, "COPY csrc cdst DB 1");
    T_INT(c, 0, "COPY nokey cx");
    T_ERR(c, "ERR source and destination objects are the same", "COPY csrc csrc");
    T_ERR(c, "ERR DB index is out of range", "COPY csrc cx DB 99");
    T_ERR(c, "ERR syntax error", "COPY csrc cx BOGUS");
    T_OK(c, "SELECT 1");
    T_STR(c, "v2", "GET cdst");
    T_OK(c, "SELECT 0");

    /* MOVE */
    T_OK(c, "SET m 1");
    T_INT(c, 1, "MOVE m 2");
    T_INT(c, 0, "EXISTS m");
    T_OK(c, "SET m 2");
    T_INT(c, 0, "MOVE m 2");            /* exists in the target */
    T_STR(c, "2", "GET m");
    T_INT(c, 0, "MOVE nokey 2");
    T_ERR(c, "ERR source and destination objects are the same", "MOVE m 0");
    T_ERR(c, "ERR DB index is out of range", "MOVE m 99");
    T_OK(c, "SELECT 2");
    T_STR(c, "1", "GET m");

    /* FLUSHDB only the current db; FLUSHALL all; SWAPDB */
    T_OK(c, "FLUSHDB");
    T_INT(c, 0, "DBSIZE");
    T_OK(c, "SELECT 0");
    r = cmd(c, "DBSIZE");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer > 0, "keys left in db 0");
    T_ERR(c, "ERR syntax error", "FLUSHDB bogus");
    T_OK(c, "FLUSHDB SYNC");
    T_OK(c, "SET sw zero");
    T_OK(c, "SELECT 1");
    T_OK(c, "SET sw one");
    T_OK(c, "SWAPDB 0 1");
    T_STR(c, "zero", "GET sw");         /* we are still in db 1, which now holds db 0's data */
    T_OK(c, "SELECT 0");
    T_STR(c, "one", "GET sw");
    T_ERR(c, "ERR DB index is out of range", "SWAPDB 0 16");
    T_ERR(c, "ERR invalid first DB index", "SWAPDB a 1");
    T_ERR(c, "ERR invalid second DB index", "SWAPDB 0 b");
    T_OK(c, "FLUSHALL");
    T_INT(c, 0, "DBSIZE");
    T_OK(c, "SELECT 1");
    T_INT(c, 0, "DBSIZE");
    T_OK(c, "FLUSHALL ASYNC");
    T_ERR(c, "ERR syntax error", "FLUSHALL bogus");
}

/* SCAN over 5000+ keys: the union of all batches is exactly the key set. */
static void t_scan(redisContext *c)
{
    enum { NS = 5000, NO = 300 };
    char *seen_s = calloc(NS, 1), *seen_o = calloc(NO, 1);
    CHECK(seen_s && seen_o, "calloc");
    /* populate with pipelined MSETs */
    for (int base = 0; base < NS + NO; base += 100) {
        const char *argv[201];
        size_t lens[201];
        char names[100][32];
        int ac = 0;
        argv[ac] = "MSET";
        lens[ac++] = 4;
        for (int i = base; i < base + 100 && i < NS + NO; i++) {
            int j = i - base;
            if (i < NS) snprintf(names[j], sizeof names[j], "scan:%d", i);
            else snprintf(names[j], sizeof names[j], "other:%d", i - NS);
            argv[ac] = names[j];
            lens[ac++] = strlen(names[j]);
            argv[ac] = "v";
            lens[ac++] = 1;
        }
        redisAppendCommandArgv(c, ac, argv, lens);
    }
    for (int base = 0; base < NS + NO; base += 100) {
        void *rv = NULL;
        int ok = redisGetReply(c, &rv) == REDIS_OK && is_status(rv, "OK");
        if (rv) freeReplyObject(rv);
        if (!ok) {
            free(seen_s);
            free(seen_o);
        }
        CHECK(ok, "pipelined MSET failed");
    }
    T_INT(c, NS + NO, "DBSIZE");

    /* full iteration */
    char cursor[32] = "0";
    int rounds = 0, total = 0;
    do {
        redisReply *r = cmd(c, "SCAN %s COUNT 100", cursor);
        int ok = is_arr(r, 2) && r->element[0]->type == REDIS_REPLY_STRING && is_arr(r->element[1], -1);
        if (!ok) {
            free(seen_s);
            free(seen_o);
        }
        R_CHECK(r, ok, "[cursor, [keys]]");
        snprintf(cursor, sizeof cursor, "%.*s", (int)r->element[0]->len, r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            redisReply *k = r->element[1]->element[i];
            int n;
            char tail;
            if (k->type == REDIS_REPLY_STRING && sscanf(k->str, "scan:%d%c", &n, &tail) == 1 && n >= 0 && n < NS)
                seen_s[n] = 1;
            else if (k->type == REDIS_REPLY_STRING && sscanf(k->str, "other:%d%c", &n, &tail) == 1 && n >= 0 &&
                     n < NO)
                seen_o[n] = 1;
            else {
                free(seen_s);
                free(seen_o);
                CHECK(0, "SCAN returned an unknown key %s", rdesc(k));
            }
            total++;
        }
        rounds++;
    } while (strcmp(cursor, "0") && rounds < 100000);
    int missing = -1;
    for (int i = 0; i < NS; i++)
        if (!seen_s[i]) missing = i;
    for (int i = 0; i < NO; i++)
        if (!seen_o[i]) missing = NS + i;
    CHECK(missing < 0, "full SCAN missed key #%d (saw %d keys in %d calls)", missing, total, rounds);
    CHECK(rounds > 10, "SCAN COUNT 100 over %d keys finished in %d calls", NS + NO, rounds);

    /* MATCH: scan:1* */
    memset(seen_s, 0, NS);
    strcpy(cursor, "0");
    rounds = 0;
    do {
        redisReply *r = cmd(c, "SCAN %s MATCH scan:1* COUNT 200", cursor);
        int ok = is_arr(r, 2) && r->element[0]->type == REDIS_REPLY_STRING && is_arr(r->element[1], -1);
        if (!ok) {
            free(seen_s);
            free(seen_o);
        }
        R_CHECK(r, ok, "[cursor, [keys]]");
        snprintf(cursor, sizeof cursor, "%.*s", (int)r->element[0]->len, r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            redisReply *k = r->element[1]->element[i];
            int n;
            if (k->type == REDIS_REPLY_STRING && sscanf(k->str, "scan:%d", &n) == 1 && n >= 0 && n < NS &&
                k->str[5] == '1') {
                seen_s[n] = 1;
            } else {
                free(seen_s);
                free(seen_o);
                CHECK(0, "SCAN MATCH scan:1* returned %s", rdesc(k));
            }
        }
        rounds++;
    } while (strcmp(cursor, "0") && rounds < 100000);
    missing = -1;
    for (int i = 0; i < NS; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "%d", i);
        if ((nm[0] == '1') != (seen_s[i] == 1)) missing = i;
    }
    free(seen_s);
    free(seen_o);
    CHECK(missing < 0, "SCAN MATCH scan:1*: key scan:%d wrongly %s", missing, "missing or present");

    /* TYPE filter: every key is a string */
    strcpy(cursor, "0");
    total = 0;
    rounds = 0;
    do {
        redisReply *r = cmd(c, "SCAN %s COUNT 1000 TYPE string", cursor);
        R_CHECK(r, is_arr(r, 2) && r->element[0]->type == REDIS_REPLY_STRING, "[cursor, [keys]]");
        snprintf(cursor, sizeof cursor, "%.*s", (int)r->element[0]->len, r->element[0]->str);
        total += (int)r->element[1]->elements;
        rounds++;
    } while (strcmp(cursor, "0") && rounds < 100000);
    CHECK(total >= NS + NO, "SCAN TYPE string saw %d of %d keys", total, NS + NO);
    strcpy(cursor, "0");
    rounds = 0;
    do {
        redisReply *r = cmd(c, "SCAN %s COUNT 1000 TYPE list", cursor);
        R_CHECK(r, is_arr(r, 2) && is_arr(r->element[1], 0), "no keys of type list");
        snprintf(cursor, sizeof cursor, "%.*s", (int)r->element[0]->len, r->element[0]->str);
        rounds++;
    } while (strcmp(cursor, "0") && rounds < 100000);

    T_ERR(c, "ERR invalid cursor", "SCAN abc");
    T_ERR(c, "ERR syntax error", "SCAN 0 COUNT 0");
    T_ERR(c, "ERR value is not an integer or out of range", "SCAN 0 COUNT x");
    T_ERR(c, "ERR syntax error", "SCAN 0 BOGUS 1");
    T_ERR(c, wrongargs("scan"), "SCAN");
    /* SCAN on an empty db */
    T_OK(c, "SELECT 5");
    redisReply *r = cmd(c, "SCAN 0");
    R_CHECK(r, is_arr(r, 2) && is_str(r->element[0], "0") && is_arr(r->element[1], 0), "[\"0\", []]");
}

static void t_expire_cmds(redisContext *c)
{
    T_OK(c, "SET k v");
    T_INT(c, -1, "TTL k");
    T_INT(c, -1, "PTTL k");
    T_INT(c, -2, "TTL nokey");
    T_INT(c, -2, "PTTL nokey");
    T_INT(c, 1, "EXPIRE k 100");
    redisReply *r = cmd(c, "TTL k");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer >= 99 && r->integer <= 100, "99..100");
    r = cmd(c, "PTTL k");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer > 98000 && r->integer <= 100000, "~100000");
    T_INT(c, 0, "EXPIRE nokey 100");
    T_INT(c, 1, "PEXPIRE k 50000");
    r = cmd(c, "PTTL k");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer > 48000 && r->integer <= 50000, "~50000");
    long long now = (long long)time(NULL);
    T_INT(c, 1, "EXPIREAT k %lld", now + 100);
    T_INT(c, now + 100, "EXPIRETIME k");
    T_INT(c, (now + 100) * 1000, "PEXPIRETIME k");
    T_INT(c, 1, "PEXPIREAT k %lld", (now + 200) * 1000 + 123);
    T_INT(c, (now + 200) * 1000 + 123, "PEXPIRETIME k");
    T_INT(c, now + 200, "EXPIRETIME k");
    T_INT(c, -2, "EXPIRETIME nokey");
    T_INT(c, -2, "PEXPIRETIME nokey");
    T_OK(c, "SET p v");
    T_INT(c, -1, "EXPIRETIME p");
    T_INT(c, -1, "PEXPIRETIME p");

    /* PERSIST */
    T_INT(c, 1, "PERSIST k");
    T_INT(c, -1, "TTL k");
    T_INT(c, 0, "PERSIST k");
    T_INT(c, 0, "PERSIST nokey");

    /* NX XX GT LT */
    T_OK(c, "SET n v");
    T_INT(c, 1, "EXPIRE n 100 NX");
    T_INT(c, 0, "EXPIRE n 200 NX");
    r = cmd(c, "TTL n");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer <= 100 && r->integer > 90, "<= 100");
    T_OK(c, "SET x v");
    T_INT(c, 0, "EXPIRE x 100 XX");
    T_INT(c, -1, "TTL x");
    T_INT(c, 1, "EXPIRE x 100");
    T_INT(c, 1, "EXPIRE x 200 XX");
    T_INT(c, 0, "EXPIRE x 50 GT");
    T_INT(c, 1, "EXPIRE x 300 GT");
    T_INT(c, 0, "EXPIRE x 400 LT");
    T_INT(c, 1, "EXPIRE x 10 LT");
    r = cmd(c, "TTL x");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer <= 10 && r->integer > 5, "~10");
    T_OK(c, "SET g v");
    T_INT(c, 0, "EXPIRE g 100 GT");     /* no TTL counts as infinite */
    T_INT(c, -1, "TTL g");
    T_INT(c, 1, "EXPIRE g 100 LT");
    T_INT(c, 1, "PEXPIRE g 500000 GT");
    T_INT(c, 0, "PEXPIREAT g %lld NX", (now + 10) * 1000);
    T_INT(c, 1, "EXPIREAT g %lld LT", now + 50);
    T_INT(c, now + 50, "EXPIRETIME g");
    T_ERR(c, "ERR NX and XX, GT or LT options at the same time are not compatible", "EXPIRE g 10 NX XX");
    T_ERR(c, "ERR NX and XX, GT or LT options at the same time are not compatible", "EXPIRE g 10 NX GT");
    T_ERR(c, "ERR GT and LT options at the same time are not compatible", "EXPIRE g 10 GT LT");
    T_ERR(c, "ERR Unsupported option bogus", "EXPIRE g 10 bogus");
    T_ERR(c, "ERR value is not an integer or out of range", "EXPIRE g abc");
    T_ERR(c, "ERR invalid expire time in 'expire' command", "EXPIRE g 9223372036854775807");
    T_ERR(c, "ERR invalid expire time in 'pexpire' command", "PEXPIRE g 9223372036854775807");
    T_ERR(c, wrongargs("expire"), "EXPIRE g");

    /* a time in the past deletes the key at once */
    T_OK(c, "SET gone v");
    T_INT(c, 1, "EXPIRE gone -1");
    T_INT(c, 0, "EXISTS gone");
    T_OK(c, "SET gone v");
    T_INT(c, 1, "PEXPIREAT gone 1");
    T_INT(c, 0, "EXISTS gone");
    T_NIL(c, "GET gone");
    T_OK(c, "SET gone v");
    T_INT(c, 1, "EXPIREAT gone %lld", now - 10);
    T_INT(c, -2, "TTL gone");
}

static void t_object(redisContext *c)
{
    T_OK(c, "SET i 12345");
    T_STR(c, "int", "OBJECT ENCODING i");
    T_OK(c, "SET e hello");
    T_STR(c, "embstr", "OBJECT ENCODING e");
    T_OK(c, "SET r %s", "0123456789012345678901234567890123456789012345678901234567890");
    T_STR(c, "raw", "OBJECT ENCODING r");
    T_INT(c, 6, "APPEND e !");
    T_STR(c, "raw", "OBJECT ENCODING e");
    T_NIL(c, "OBJECT ENCODING nokey");
    redisReply *r = cmd(c, "OBJECT IDLETIME e");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer >= 0 && r->integer <= 5, "a small integer");
    T_NIL(c, "OBJECT IDLETIME nokey");
    r = cmd(c, "OBJECT REFCOUNT e");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer >= 1, "an integer >= 1");
    T_ERR(c,
          "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
          "switching between policies at runtime LRU and LFU data will take some time to adjust.",
          "OBJECT FREQ e");
    T_ERR(c, "ERR unknown subcommand 'bogus'. Try OBJECT HELP.", "OBJECT bogus");
    T_ERR(c, "ERR wrong number of arguments for 'object|encoding' command", "OBJECT ENCODING");
    r = cmd(c, "CONFIG SET maxmemory-policy allkeys-lfu");
    if (g_is_holdfast && is_errp(r, "ERR CONFIG SET failed")) {
        printf("#   object: holdfast has only noeviction (docs/configuration.md): LFU part not run\n");
        return;
    }
    R_CHECK(r, is_status(r, "OK"), "+OK");
    r = cmd(c, "OBJECT FREQ e");
    int good = r && r->type == REDIS_REPLY_INTEGER && r->integer >= 0 && r->integer <= 255;
    redisReply *idle = cmd(c, "OBJECT IDLETIME e");
    int good2 = is_err(idle,
                       "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
                       "switching between policies at runtime LRU and LFU data will take some time to adjust.");
    redisReply *back = cmd(c, "CONFIG SET maxmemory-policy noeviction");
    CHECK(good, "OBJECT FREQ under allkeys-lfu -> %s, want 0..255", rdesc(r));
    CHECK(good2, "OBJECT IDLETIME under allkeys-lfu -> %s, want the LFU error", rdesc(idle));
    CHECK(is_status(back, "OK"), "CONFIG SET maxmemory-policy noeviction -> %s", rdesc(back));
}

/* ---- server commands ---------------------------------------------------- */

static void t_info(redisContext *c)
{
    T_OK(c, "MSET a 1 b 2");
    T_OK(c, "SET t v EX 1000");
    T_OK(c, "SELECT 3");
    T_OK(c, "SET k3 v");
    T_OK(c, "SELECT 0");
    redisReply *r = cmd(c, "INFO");
    R_CHECK(r, r && r->type == REDIS_REPLY_STRING && r->len > 100, "a bulk string");
    static const char *const sections[] = {"# Server", "# Clients", "# Memory", "# Persistence",
                                           "# Stats",  "# Replication", "# CPU", "# Keyspace"};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        char pat[64];
        snprintf(pat, sizeof pat, "%s\r\n", sections[i]);
        CHECK(strstr(r->str, pat), "INFO lacks section \"%s\"", sections[i]);
    }
    /* every line is empty, a "# Section" header, or name:value */
    const char *p = r->str;
    int lines = 0;
    while (*p) {
        const char *e = strstr(p, "\r\n");
        CHECK(e, "INFO line without CRLF near \"%.40s\"", p);
        size_t l = (size_t)(e - p);
        if (l && p[0] != '#') {
            const char *colon = memchr(p, ':', l);
            CHECK(colon && colon > p, "INFO line is not name:value: \"%.*s\"", (int)l, p);
            for (const char *q = p; q < colon; q++)
                CHECK(isalnum((unsigned char)*q) || *q == '_' || *q == '-', "INFO field name \"%.*s\"",
                      (int)(colon - p), p);
        }
        lines++;
        p = e + 2;
    }
    CHECK(lines > 30, "INFO has only %d lines", lines);
    long long v;
    char s[256];
    CHECK(info_field(r->str, "redis_version", s, sizeof s) && s[0], "INFO: no redis_version");
    CHECK(info_ll(r->str, "tcp_port", &v) && v == g_port, "INFO: tcp_port is not %d", g_port);
    CHECK(info_ll(r->str, "uptime_in_seconds", &v) && v >= 0, "INFO: uptime_in_seconds");
    CHECK(info_ll(r->str, "process_id", &v) && v > 0, "INFO: process_id");
    if (g_own_server) CHECK(v == g_srv.pid, "INFO: process_id %lld, we started pid %d", v, (int)g_srv.pid);
    CHECK(info_ll(r->str, "connected_clients", &v) && v >= 1, "INFO: connected_clients");
    CHECK(info_ll(r->str, "used_memory", &v) && v > 0, "INFO: used_memory");
    CHECK(info_ll(r->str, "total_commands_processed", &v) && v > 0, "INFO: total_commands_processed");
    CHECK(info_ll(r->str, "total_connections_received", &v) && v > 0, "INFO: total_connections_received");
    CHECK(info_ll(r->str, "expired_keys", &v) && v >= 0, "INFO: expired_keys");
    CHECK(info_ll(r->str, "keyspace_hits", &v) && v >= 0, "INFO: keyspace_hits");
    CHECK(info_field(r->str, "role", s, sizeof s) && !strcmp(s, "master"), "INFO: role");
    CHECK(info_field(r->str, "db0", s, sizeof s), "INFO: no db0 in keyspace");
    long long keys, expires;
    CHECK(sscanf(s, "keys=%lld,expires=%lld,avg_ttl=", &keys, &expires) == 2 && keys == 3 && expires == 1,
          "INFO keyspace db0:%s, want keys=3,expires=1,avg_ttl=...", s);
    CHECK(info_field(r->str, "db3", s, sizeof s) && !strncmp(s, "keys=1,expires=0,", 17), "INFO keyspace db3:%s",
          s);
    CHECK(!info_field(r->str, "db1", s, sizeof s), "INFO keyspace lists the empty db1");

    r = cmd(c, "INFO keyspace");
    R_CHECK(r, r && r->type == REDIS_REPLY_STRING && strstr(r->str, "# Keyspace") && !strstr(r->str, "# Server"),
            "only the Keyspace section");
    r = cmd(c, "INFO server clients");
    R_CHECK(r,
            r && r->type == REDIS_REPLY_STRING && strstr(r->str, "# Server") && strstr(r->str, "# Clients") &&
                !strstr(r->str, "# Memory"),
            "the Server and Clients sections only");
    r = cmd(c, "INFO everything");
    R_CHECK(r, r && r->type == REDIS_REPLY_STRING && strstr(r->str, "# Stats"), "all sections");
    r = cmd(c, "INFO nosuchsection");
    R_CHECK(r, r && r->type == REDIS_REPLY_STRING, "a (possibly empty) bulk string");

    /* hits and misses move */
    long long h0, m0, h1, m1;
    r = cmd(c, "INFO stats");
    CHECK(r && r->type == REDIS_REPLY_STRING && info_ll(r->str, "keyspace_hits", &h0) &&
              info_ll(r->str, "keyspace_misses", &m0),
          "INFO stats: %s", rdesc(r));
    T_STR(c, "1", "GET a");
    T_NIL(c, "GET nokey");
    r = cmd(c, "INFO stats");
    CHECK(r && r->type == REDIS_REPLY_STRING && info_ll(r->str, "keyspace_hits", &h1) &&
              info_ll(r->str, "keyspace_misses", &m1),
          "INFO stats: %s", rdesc(r));
    CHECK(h1 == h0 + 1 && m1 == m0 + 1, "keyspace_hits %lld->%lld, misses %lld->%lld after one hit and one miss",
          h0, h1, m0, m1);

    /* CONFIG RESETSTAT zeroes the counters */
    T_OK(c, "CONFIG RESETSTAT");
    r = cmd(c, "INFO stats");
    CHECK(r && r->type == REDIS_REPLY_STRING && info_ll(r->str, "total_commands_processed", &v) && v <= 5 &&
              info_ll(r->str, "keyspace_hits", &h1) && h1 == 0,
          "after CONFIG RESETSTAT: total_commands_processed=%lld keyspace_hits=%lld", v, h1);
    T_ERR(c, "ERR wrong number of arguments for 'config|resetstat' command", "CONFIG RESETSTAT x");
}

/* INFO commandstats, errorstats and the error counters of INFO stats. */
static void t_resetstat_after_error(redisContext *c)
{
    T_OK(c, "SET s abc");
    T_ERR(c, wrongargs("get"), "GET");                               /* rejected */
    T_OK(c, "CONFIG RESETSTAT");   /* an error before RESETSTAT must not count against it */
    redisReply *r = cmd(c, "INFO commandstats");
    char v[256];
    R_CHECK(r, r && r->type == REDIS_REPLY_STRING && info_field(r->str, "cmdstat_config|resetstat", v, sizeof v),
            "a cmdstat_config|resetstat line");
    CHECK(!strncmp(v, "calls=1,", 8) && strstr(v, ",rejected_calls=0,failed_calls=0"),
          "after an error then CONFIG RESETSTAT: cmdstat_config|resetstat:%s, want calls=1 ... failed_calls=0", v);
    CHECK(!info_field(r->str, "cmdstat_get", v, sizeof v), "CONFIG RESETSTAT left cmdstat_get:%s", v);
}

static void t_info_errorstats(redisContext *c)
{
    char v[256];
    redisReply *r;
    T_OK(c, "SET s abc");
    T_OK(c, "CONFIG RESETSTAT");
    T_ERR(c, wrongargs("get"), "GET");                               /* rejected: arity */
    T_ERR(c, "ERR value is not an integer or out of range", "INCR s"); /* failed */
    T_ERR(c, "NOPROTO unsupported protocol version", "HELLO 9");      /* failed, another prefix */
    T_STR(c, "abc", "GET s");
    T_ERRP(c, "ERR unknown command", "NOSUCHCMD");
    r = cmd(c, "INFO commandstats");
    R_CHECK(r, r && r->type == REDIS_REPLY_STRING, "a bulk string");
    CHECK(info_field(r->str, "cmdstat_get", v, sizeof v) && !strncmp(v, "calls=1,", 8) &&
              strstr(v, ",rejected_calls=1,failed_calls=0"),
          "cmdstat_get:%s, want calls=1 ... rejected_calls=1,failed_calls=0", v);
    CHECK(info_field(r->str, "cmdstat_incr", v, sizeof v) && !strncmp(v, "calls=1,", 8) &&
              strstr(v, ",rejected_calls=0,failed_calls=1"),
          "cmdstat_incr:%s, want calls=1 ... failed_calls=1", v);
    CHECK(info_field(r->str, "cmdstat_hello", v, sizeof v) && strstr(v, ",failed_calls=1"), "cmdstat_hello:%s", v);
    r = cmd(c, "INFO errorstats");
    R_CHECK(r, r && r->type == REDIS_REPLY_STRING && strstr(r->str, "# Errorstats\r\n"), "the Errorstats section");
    CHECK(info_field(r->str, "errorstat_ERR", v, sizeof v) && !strcmp(v, "count=3"),
          "INFO errorstats: errorstat_ERR:%s, want count=3 (%s)", info_field(r->str, "errorstat_ERR", v, sizeof v) ? v : "missing", rdesc(r));
    CHECK(info_field(r->str, "errorstat_NOPROTO", v, sizeof v) && !strcmp(v, "count=1"),
          "INFO errorstats: errorstat_NOPROTO %s, want count=1", rdesc(r));
    r = cmd(c, "INFO stats");
    long long n;
    R_CHECK(r, r && r->type == REDIS_REPLY_STRING && info_ll(r->str, "total_error_replies", &n) && n == 4,
            "total_error_replies:4");
}

/* The value of directive name in a config file (surrounding quotes
 * removed, as Redis's parser does); 1 if found. */
static int conf_value(const char *path, const char *name, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[4096];
    int found = 0;
    size_t nl = strlen(name);
    while (fgets(line, sizeof line, f)) {
        if (strncasecmp(line, name, nl) || line[nl] != ' ') continue;
        char *v = line + nl + 1;
        v[strcspn(v, "\r\n")] = '\0';
        size_t len = strlen(v);
        if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
            v[len - 1] = '\0';
            v++;
        }
        snprintf(out, cap, "%s", v);
        found = 1;
    }
    fclose(f);
    return found;
}

static void config_body(redisContext *c)
{
    redisReply *r = cmd(c, "CONFIG GET maxmemory");
    R_CHECK(r, is_arr(r, 2) && is_str(r->element[0], "maxmemory") && is_str(r->element[1], "0"),
            "[maxmemory, 0]");
    r = cmd(c, "CONFIG GET port");
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", g_port);
    R_CHECK(r, is_arr(r, 2) && is_str(r->element[1], portstr), "[port, <our port>]");
    r = cmd(c, "CONFIG GET maxmemory-policy");
    R_CHECK(r, is_arr(r, 2) && is_str(r->element[1], "noeviction"), "[maxmemory-policy, noeviction]");
    r = cmd(c, "CONFIG GET max*");
    R_CHECK(r, is_arr(r, -1) && r->elements % 2 == 0 && map_get(r, "maxmemory") && map_get(r, "maxclients") &&
                   !map_get(r, "port"),
            "pairs including maxmemory and maxclients");
    r = cmd(c, "CONFIG GET maxmemory port");
    R_CHECK(r, is_arr(r, 4) && map_get(r, "maxmemory") && map_get(r, "port"), "two pairs");
    r = cmd(c, "CONFIG GET nosuchparam");
    R_CHECK(r, is_arr(r, 0), "an empty array");
    T_ERR(c, "ERR wrong number of arguments for 'config|get' command", "CONFIG GET");

    T_OK(c, "CONFIG SET maxmemory 100mb");
    r = cmd(c, "CONFIG GET maxmemory");
    R_CHECK(r, is_arr(r, 2) && is_str(r->element[1], "104857600"), "104857600");
    T_OK(c, "CONFIG SET maxmemory 1gb slowlog-max-len 77");
    r = cmd(c, "CONFIG GET maxmemory slowlog-max-len");
    R_CHECK(r, is_str(map_get(r, "maxmemory"), "1073741824") && is_str(map_get(r, "slowlog-max-len"), "77"),
            "1073741824 and 77");
    T_OK(c, "CONFIG SET SLOWLOG-MAX-LEN 99");   /* names are case-insensitive */
    r = cmd(c, "CONFIG GET slowlog-max-len");
    R_CHECK(r, is_arr(r, 2) && is_str(r->element[1], "99"), "99");
    T_OK(c, "CONFIG SET maxmemory-policy noeviction");
    T_ERRP(c, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy')",
           "CONFIG SET maxmemory-policy bogus");
    T_ERRP(c, "ERR CONFIG SET failed (possibly related to argument 'maxmemory')", "CONFIG SET maxmemory lots");
    T_ERR(c, "ERR Unknown option or number of arguments for CONFIG SET - 'nosuchparam'",
          "CONFIG SET nosuchparam 1");
    T_ERR(c, "ERR wrong number of arguments for 'config|set' command", "CONFIG SET maxmemory");
    T_ERR(c, "ERR unknown subcommand 'bogus'. Try CONFIG HELP.", "CONFIG bogus");
    T_ERR(c, "ERR Unknown option or number of arguments for CONFIG SET - 'nosuchparam'",
          "CONFIG SET slowlog-max-len 5 nosuchparam 1");
    r = cmd(c, "CONFIG GET slowlog-max-len maxmemory-policy");   /* failed SETs changed nothing */
    R_CHECK(r, is_str(map_get(r, "slowlog-max-len"), "99") && is_str(map_get(r, "maxmemory-policy"), "noeviction"),
            "99 and noeviction");

    /* CONFIG REWRITE: our server was started from a config file */
    r = cmd(c, "CONFIG REWRITE");
    if (g_own_server && g_srv.conf[0]) {
        R_CHECK(r, is_status(r, "OK"), "+OK (the server has a config file)");
        char v[256];
        CHECK(conf_value(g_srv.conf, "slowlog-max-len", v, sizeof v) && !strcmp(v, "99"),
              "after CONFIG REWRITE %s lacks \"slowlog-max-len 99\"", g_srv.conf);
        CHECK(conf_value(g_srv.conf, "maxmemory", v, sizeof v) && (!strcmp(v, "1gb") || !strcmp(v, "1073741824")),
              "after CONFIG REWRITE %s lacks \"maxmemory 1gb\"", g_srv.conf);
        CHECK(conf_value(g_srv.conf, "port", v, sizeof v) && atoi(v) == g_port, "after CONFIG REWRITE %s lost port %d",
              g_srv.conf, g_port);
    } else {
        R_CHECK(r, is_status(r, "OK") || is_err(r, "ERR The server is running without a config file"),
                "+OK or -ERR The server is running without a config file");
    }
    T_ERR(c, "ERR wrong number of arguments for 'config|rewrite' command", "CONFIG REWRITE x");
    r = cmd(c, "CONFIG HELP");
    R_CHECK(r, is_arr(r, -1) && r->elements > 3, "a help array");
    T_OK(c, "CONFIG SET hz 1000");      /* Redis clamps hz to 500 */
    r = cmd(c, "CONFIG GET hz");
    redisReply *hz = cmd(c, "CONFIG SET hz 10");
    R_CHECK(r, is_arr(r, 2) && is_str(r->element[1], "500"), "[hz, 500]");
    R_CHECK(hz, is_status(hz, "OK"), "+OK");
}

static void t_config(redisContext *c)
{
    config_body(c);
    redisReply *a = cmd(c, "CONFIG SET maxmemory 0");
    redisReply *b = cmd(c, "CONFIG SET slowlog-max-len 128");
    if (!g_failed) {
        CHECK(is_status(a, "OK") && is_status(b, "OK"), "restoring maxmemory: %s %s", rdesc(a), rdesc(b));
        if (g_own_server && g_srv.conf[0]) T_OK(c, "CONFIG REWRITE");
    }
}

static void t_time_memory_lastsave(redisContext *c)
{
    long long now = (long long)time(NULL);
    redisReply *r = cmd(c, "TIME");
    R_CHECK(r, is_arr(r, 2), "[seconds, microseconds]");
    long long sec, usec;
    CHECK(str_ll(r->element[0], &sec) && str_ll(r->element[1], &usec), "TIME -> %s, want two numeric strings",
          rdesc(r));
    CHECK(sec >= now - 2 && sec <= now + 2, "TIME says %lld, the clock says %lld", sec, now);
    CHECK(usec >= 0 && usec < 1000000, "TIME microseconds %lld", usec);
    redisReply *r2 = cmd(c, "TIME");
    long long sec2, usec2;
    CHECK(is_arr(r2, 2) && str_ll(r2->element[0], &sec2) && str_ll(r2->element[1], &usec2) &&
              sec2 * 1000000 + usec2 >= sec * 1000000 + usec,
          "TIME went backwards: %s then %s", rdesc(r), rdesc(r2));
    T_ERR(c, wrongargs("time"), "TIME x");

    char val[1000];
    memset(val, 'x', sizeof val);
    r = cmd(c, "SET mu %b", val, sizeof val);
    R_CHECK(r, is_status(r, "OK"), "+OK");
    r = cmd(c, "MEMORY USAGE mu");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer >= 1000 && r->integer < 4096, "1000..4096 bytes");
    T_OK(c, "SET small 1");
    r = cmd(c, "MEMORY USAGE small SAMPLES 5");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer > 0 && r->integer < 200, "a small integer");
    T_NIL(c, "MEMORY USAGE nokey");
    T_ERR(c, "ERR syntax error", "MEMORY USAGE mu SAMPLES");
    T_ERR(c, "ERR unknown subcommand 'bogus'. Try MEMORY HELP.", "MEMORY bogus");
    r = cmd(c, "MEMORY HELP");
    R_CHECK(r, is_arr(r, -1) && r->elements > 2, "a help array");

    r = cmd(c, "LASTSAVE");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer > 1000000000 && r->integer <= now + 2,
            "a unix time not in the future");
    T_ERR(c, wrongargs("lastsave"), "LASTSAVE x");
}

static void slowlog_body(redisContext *c)
{
    T_OK(c, "CONFIG SET slowlog-log-slower-than -1");
    T_OK(c, "SLOWLOG RESET");
    T_INT(c, 0, "SLOWLOG LEN");
    redisReply *r = cmd(c, "SLOWLOG GET");
    R_CHECK(r, is_arr(r, 0), "an empty array");
    T_OK(c, "CLIENT SETNAME slowpoke");
    T_OK(c, "CONFIG SET slowlog-log-slower-than 0");
    T_OK(c, "SET slowkey slowvalue");
    T_OK(c, "CONFIG SET slowlog-log-slower-than -1");
    r = cmd(c, "SLOWLOG LEN");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer >= 2, ">= 2 (the SET and the CONFIG SET)");
    r = cmd(c, "SLOWLOG GET 10");
    R_CHECK(r, is_arr(r, -1) && r->elements >= 2, "entries");
    const redisReply *set = NULL;
    long long now = (long long)time(NULL);
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        CHECK(is_arr(e, 6), "SLOWLOG entry %s, want 6 fields", rdesc(e));
        CHECK(e->element[0]->type == REDIS_REPLY_INTEGER && e->element[1]->type == REDIS_REPLY_INTEGER &&
                  e->element[2]->type == REDIS_REPLY_INTEGER && is_arr(e->element[3], -1) &&
                  e->element[4]->type == REDIS_REPLY_STRING && e->element[5]->type == REDIS_REPLY_STRING,
              "SLOWLOG entry field types: %s", rdesc(e));
        CHECK(e->element[1]->integer >= now - 5 && e->element[1]->integer <= now + 2, "SLOWLOG timestamp %lld",
              e->element[1]->integer);
        if (is_arr(e->element[3], 3) && is_str(e->element[3]->element[0], "SET")) set = e;
    }
    CHECK(set, "SLOWLOG GET has no SET entry: %s", rdesc(r));
    CHECK(is_str(set->element[3]->element[1], "slowkey") && is_str(set->element[3]->element[2], "slowvalue") &&
              strchr(set->element[4]->str, ':') && is_str(set->element[5], "slowpoke"),
          "SLOWLOG SET entry %s, want args, client addr and name slowpoke", rdesc(set));
    /* newest first, ids increase */
    CHECK(r->element[0]->element[0]->integer > r->element[1]->element[0]->integer,
          "SLOWLOG GET is not newest first: %s", rdesc(r));
    r = cmd(c, "SLOWLOG GET 1");
    R_CHECK(r, is_arr(r, 1), "one entry");
    T_ERR(c, "ERR count should be greater than or equal to -1", "SLOWLOG GET x");
    T_ERR(c, "ERR count should be greater than or equal to -1", "SLOWLOG GET -2");
    T_OK(c, "SLOWLOG RESET");
    T_INT(c, 0, "SLOWLOG LEN");
    /* slowlog-max-len trims */
    T_OK(c, "CONFIG SET slowlog-max-len 3");
    T_OK(c, "CONFIG SET slowlog-log-slower-than 0");
    for (int i = 0; i < 10; i++) T_STATUS(c, "PONG", "PING");
    T_OK(c, "CONFIG SET slowlog-log-slower-than -1");
    T_INT(c, 3, "SLOWLOG LEN");
    T_ERR(c, "ERR unknown subcommand 'bogus'. Try SLOWLOG HELP.", "SLOWLOG bogus");
}

static void t_slowlog(redisContext *c)
{
    slowlog_body(c);
    redisReply *a = cmd(c, "CONFIG SET slowlog-log-slower-than 10000");
    redisReply *b = cmd(c, "CONFIG SET slowlog-max-len 128");
    redisReply *d = cmd(c, "SLOWLOG RESET");
    if (!g_failed)
        CHECK(is_status(a, "OK") && is_status(b, "OK") && is_status(d, "OK"), "restoring slowlog config: %s %s %s",
              rdesc(a), rdesc(b), rdesc(d));
}

static void t_unknown_and_arity(redisContext *c)
{
    T_ERR(c, "ERR unknown command 'FOO', with args beginning with: 'a' 'b' ", "FOO a b");
    T_ERR(c, "ERR unknown command 'nosuch', with args beginning with: ", "nosuch");
    T_ERR(c, wrongargs("get"), "GET");
    T_ERR(c, wrongargs("get"), "GET a b");
    T_ERR(c, wrongargs("dbsize"), "DBSIZE x");
    T_OK(c, "sEt MiXeD case");
    T_STR(c, "case", "get MiXeD");
    T_NIL(c, "GET mixed");              /* keys are case-sensitive */
}

static void t_string_edges(redisContext *c)
{
    /* encodings follow Redis's rules for what counts as an integer */
    T_OK(c, "SET i -1");
    T_STR(c, "int", "OBJECT ENCODING i");
    T_OK(c, "SET i 010");
    T_STR(c, "embstr", "OBJECT ENCODING i");
    T_ERR(c, "ERR value is not an integer or out of range", "INCR i");
    T_OK(c, "SET i 12345678901234567890");
    T_STR(c, "embstr", "OBJECT ENCODING i");
    T_ERR(c, "ERR value is not an integer or out of range", "INCR i");
    T_OK(c, "SET i 1");
    T_INT(c, 2, "APPEND i 2");
    T_STR(c, "raw", "OBJECT ENCODING i");
    T_STR(c, "12", "GET i");
    T_INT(c, 13, "INCR i");
    /* INCRBYFLOAT's number formatting */
    T_OK(c, "SET f 0.1");
    T_STR(c, "0.3", "INCRBYFLOAT f 0.2");
    T_STR(c, "100000000000000000000", "INCRBYFLOAT f 1e20");
    T_OK(c, "SET f 3.0");
    T_STR(c, "3", "INCRBYFLOAT f 0");
    T_STR(c, "-0.5", "INCRBYFLOAT f -3.5");
    /* write commands that keep an existing TTL */
    T_OK(c, "SET t 1 EX 100");
    T_STR(c, "2.5", "INCRBYFLOAT t 1.5");
    redisReply *r = cmd(c, "TTL t");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer > 90, "the TTL kept by INCRBYFLOAT");
    T_INT(c, 3, "SETRANGE t 0 x");
    r = cmd(c, "TTL t");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer > 90, "the TTL kept by SETRANGE");
    T_STR(c, "x.5", "GET t");
    T_INT(c, 3, "SETRANGE t 1 %s", "");  /* empty value: length, no change */
    T_STR(c, "x.5", "GET t");
    T_ERR(c, "ERR value is not an integer or out of range", "DECRBY t -87");
}

/* Every read path treats a key past its expiry as missing, even before the
 * server has deleted it. */
static void t_expired_invisible(redisContext *c)
{
    T_OK(c, "SET keep v");
    for (int i = 0; i < 20; i++) T_OK(c, "SET gone:%d v PX 50", i);
    T_OK(c, "SET gone:x v PX 50");
    sleep_ms(120);
    redisReply *r = cmd(c, "KEYS gone:*");
    R_CHECK(r, is_arr(r, 0), "no expired keys");
    r = cmd(c, "SCAN 0 MATCH gone:* COUNT 1000");
    R_CHECK(r, is_arr(r, 2) && is_arr(r->element[1], 0), "no expired keys");
    for (int i = 0; i < 20; i++) {
        r = cmd(c, "RANDOMKEY");
        R_CHECK(r, is_str(r, "keep"), "keep (the only live key)");
    }
    T_INT(c, 0, "EXISTS gone:x gone:1");
    T_STATUS(c, "none", "TYPE gone:2");
    T_INT(c, 0, "TOUCH gone:3");
    T_NIL(c, "OBJECT ENCODING gone:4");
    T_NIL(c, "MEMORY USAGE gone:5");
    T_INT(c, -2, "PTTL gone:6");
    T_INT(c, -2, "EXPIRETIME gone:7");
    T_ERR(c, "ERR no such key", "RENAME gone:8 other");
    T_INT(c, 0, "COPY gone:9 other");
    T_INT(c, 0, "MOVE gone:10 1");
    T_INT(c, 0, "EXPIRE gone:11 100");
    T_INT(c, 0, "PERSIST gone:12");
    T_INT(c, 0, "DEL gone:13");
    T_INT(c, 0, "STRLEN gone:14");
    T_STR(c, "", "GETRANGE gone:15 0 -1");
    T_NIL(c, "GETDEL gone:16");
    T_NIL(c, "GETEX gone:17 PERSIST");
    T_INT(c, 1, "SETNX gone:18 fresh");
    T_STR(c, "fresh", "GET gone:18");
    T_INT(c, -1, "TTL gone:18");
    T_INT(c, 1, "MSETNX gone:19 a gone:x b");
    T_INT(c, 1, "APPEND gone:0 z");
    T_STR(c, "z", "GET gone:0");
    /* DBSIZE may count expired keys not yet reclaimed (Redis's does): wait
     * for active expiry to leave keep, gone:18, gone:19, gone:x, gone:0 */
    long long n = -1;
    for (double t0 = now_ms(); now_ms() - t0 < 3000; sleep_ms(50)) {
        r = cmd(c, "DBSIZE");
        CHECK(r && r->type == REDIS_REPLY_INTEGER, "DBSIZE -> %s", rdesc(r));
        if ((n = r->integer) == 5) break;
    }
    CHECK(n == 5, "DBSIZE is %lld 3 s after the keys expired, want 5", n);
}

static void t_ttl_details(redisContext *c)
{
    /* TTL rounds to the nearest second, as Redis does */
    T_OK(c, "PSETEX p 1400 v");
    T_INT(c, 1, "TTL p");
    T_OK(c, "PSETEX p 1600 v");
    T_INT(c, 2, "TTL p");
    /* MOVE and COPY ... DB carry the TTL along */
    T_OK(c, "SET m v EX 100");
    T_INT(c, 1, "MOVE m 1");
    T_OK(c, "SET cp v EX 200");
    T_INT(c, 1, "COPY cp cp DB 1");
    T_OK(c, "SELECT 1");
    redisReply *r = cmd(c, "TTL m");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer > 90 && r->integer <= 100, "~100 after MOVE");
    r = cmd(c, "TTL cp");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer > 190 && r->integer <= 200, "~200 after COPY DB");
    /* SWAPDB swaps TTLs too; INFO keyspace counts them per db */
    T_OK(c, "SWAPDB 0 1");
    T_OK(c, "SELECT 0");
    r = cmd(c, "TTL m");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer > 90, "~100 after SWAPDB");
    r = cmd(c, "INFO keyspace");
    char v[128];
    R_CHECK(r, r && r->type == REDIS_REPLY_STRING && info_field(r->str, "db0", v, sizeof v) &&
                   !strncmp(v, "keys=2,expires=2,", 17),
            "db0:keys=2,expires=2,...");
    /* db1 now holds what db0 had: cp and p (PSETEX above) */
    CHECK(info_field(r->str, "db1", v, sizeof v) && !strncmp(v, "keys=2,expires=2,", 17), "INFO keyspace db1:%s", v);
    T_OK(c, "SELECT 1");
    T_INT(c, 1, "EXISTS p");
    T_OK(c, "SELECT 0");
    T_INT(c, 0, "EXISTS p");
    /* RENAME onto a key with a TTL: the result has the source's TTL (none) */
    T_OK(c, "SET plain v");
    T_OK(c, "RENAME plain m");
    T_INT(c, -1, "TTL m");
    /* a failed write leaves the TTL */
    T_OK(c, "SET keep 5 EX 100");
    T_ERR(c, "ERR value is not a valid float", "INCRBYFLOAT keep x");
    r = cmd(c, "TTL keep");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer > 90, "~100");
    T_NIL(c, "SET keep 6 NX EX 5");
    r = cmd(c, "TTL keep");
    R_CHECK(r, r && r->type == REDIS_REPLY_INTEGER && r->integer > 90, "~100 (SET NX failed)");
}

static void t_client_list_fields(redisContext *c)
{
    T_OK(c, "SELECT 4");
    T_OK(c, "CLIENT SETNAME fields");
    redisReply *r = cmd(c, "CLIENT INFO");
    R_CHECK(r, r && r->type == REDIS_REPLY_STRING, "a bulk string");
    static const char *const keys[] = {"id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db",
                                       "sub", "psub", "multi", "qbuf", "obl", "oll", "omem", "tot-mem",
                                       "events", "cmd", "user", "resp"};
    char v[256];
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        CHECK(kv_field(r->str, keys[i], v, sizeof v), "CLIENT INFO lacks %s=: %s", keys[i], rdesc(r));
    CHECK(kv_field(r->str, "db", v, sizeof v) && !strcmp(v, "4"), "CLIENT INFO db=%s, want 4", v);
    CHECK(kv_field(r->str, "name", v, sizeof v) && !strcmp(v, "fields"), "CLIENT INFO name=%s", v);
    CHECK(kv_field(r->str, "flags", v, sizeof v) && !strcmp(v, "N"), "CLIENT INFO flags=%s, want N", v);
    CHECK(kv_field(r->str, "resp", v, sizeof v) && !strcmp(v, "2"), "CLIENT INFO resp=%s, want 2", v);
    CHECK(kv_field(r->str, "user", v, sizeof v) && !strcmp(v, "default"), "CLIENT INFO user=%s", v);
    CHECK(kv_field(r->str, "multi", v, sizeof v) && !strcmp(v, "-1"), "CLIENT INFO multi=%s", v);
    char portstr[16];
    snprintf(portstr, sizeof portstr, ":%d", g_port);
    CHECK(kv_field(r->str, "laddr", v, sizeof v) && strstr(v, portstr), "CLIENT INFO laddr=%s, want ...%s", v,
          portstr);
    /* CLIENT LIST sees another connection's db, name and last command */
    redisContext *o = conn_new();
    CHECK(o, "connect failed");
    redisReply *a = cmd(o, "SELECT 7");
    redisReply *b = cmd(o, "CLIENT SETNAME watcher");
    redisReply *d = cmd(o, "GET x");
    redisReply *oid = cmd(o, "CLIENT ID");
    int good = is_status(a, "OK") && is_status(b, "OK") && is_nil(d) && oid && oid->type == REDIS_REPLY_INTEGER;
    if (!good) redisFree(o);
    CHECK(good, "setting up the other client failed");
    r = cmd(c, "CLIENT LIST ID %lld", oid->integer);
    redisFree(o);
    R_CHECK(r,
            r && r->type == REDIS_REPLY_STRING && kv_field(r->str, "db", v, sizeof v) && !strcmp(v, "7") &&
                strstr(r->str, " name=watcher ") && strstr(r->str, " cmd=client|id "),
            "db=7 name=watcher cmd=client|id");
    /* CLIENT LIST ID with several ids, one of them gone */
    for (double t0 = now_ms(); now_ms() - t0 < 2000; sleep_ms(20)) {  /* the close is asynchronous */
        r = cmd(c, "CLIENT LIST ID %lld 999999999", oid->integer);
        if (!r || r->type != REDIS_REPLY_STRING || r->len == 0) break;
    }
    R_CHECK(r, r && r->type == REDIS_REPLY_STRING && r->len == 0, "empty: that client has gone");
    T_ERR(c, "ERR Invalid client ID", "CLIENT LIST ID abc");
    r = cmd(c, "CLIENT LIST ID 0 -5");  /* numbers that match no client: an empty list */
    R_CHECK(r, r && r->type == REDIS_REPLY_STRING && r->len == 0, "an empty string");
}

/* The error case every command shares: Redis's arity error, naming the
 * command (container|subcommand for subcommands). */
static void t_arity_errors(redisContext *c)
{
    static const struct {
        const char *line, *name;
    } t[] = {
        {"PING a b", "ping"}, {"ECHO", "echo"}, {"AUTH", "auth"}, {"SELECT", "select"}, {"RESET x", "reset"},
        {"CLIENT ID x", "client|id"}, {"CLIENT SETNAME", "client|setname"}, {"CLIENT GETNAME x", "client|getname"},
        {"CLIENT INFO x", "client|info"}, {"CLIENT KILL", "client|kill"}, {"CLIENT NO-EVICT", "client|no-evict"},
        {"COMMAND COUNT x", "command|count"}, {"COMMAND GETKEYS", "command|getkeys"}, {"GET", "get"},
        {"SET k", "set"}, {"SETNX k", "setnx"}, {"SETEX k 10", "setex"}, {"PSETEX k 10", "psetex"},
        {"GETSET k", "getset"}, {"GETDEL", "getdel"}, {"GETEX", "getex"}, {"MGET", "mget"}, {"MSET k", "mset"},
        {"MSETNX k", "msetnx"}, {"APPEND k", "append"}, {"STRLEN", "strlen"}, {"GETRANGE k 0", "getrange"},
        {"SETRANGE k 0", "setrange"}, {"SUBSTR k 0", "substr"}, {"INCR", "incr"}, {"DECR", "decr"},
        {"INCRBY k", "incrby"}, {"DECRBY k", "decrby"}, {"INCRBYFLOAT k", "incrbyfloat"}, {"DEL", "del"},
        {"UNLINK", "unlink"}, {"EXISTS", "exists"}, {"TYPE", "type"}, {"KEYS", "keys"}, {"SCAN", "scan"},
        {"RANDOMKEY x", "randomkey"}, {"RENAME k", "rename"}, {"RENAMENX k", "renamenx"}, {"COPY k", "copy"},
        {"MOVE k", "move"}, {"EXPIRE k", "expire"}, {"PEXPIRE k", "pexpire"}, {"EXPIREAT k", "expireat"},
        {"PEXPIREAT k", "pexpireat"}, {"TTL", "ttl"}, {"PTTL", "pttl"}, {"EXPIRETIME", "expiretime"},
        {"PEXPIRETIME", "pexpiretime"}, {"PERSIST", "persist"}, {"TOUCH", "touch"}, {"DBSIZE x", "dbsize"},
        {"SWAPDB 0", "swapdb"}, {"OBJECT ENCODING", "object|encoding"}, {"OBJECT IDLETIME", "object|idletime"},
        {"OBJECT FREQ", "object|freq"}, {"CONFIG GET", "config|get"}, {"CONFIG SET x", "config|set"},
        {"CONFIG RESETSTAT x", "config|resetstat"}, {"CONFIG REWRITE x", "config|rewrite"}, {"TIME x", "time"},
        {"MEMORY USAGE", "memory|usage"}, {"SLOWLOG LEN x", "slowlog|len"}, {"SLOWLOG RESET x", "slowlog|reset"},
        {"LASTSAVE x", "lastsave"}, {"CLIENT", "client"}, {"COMMAND GETKEYS", "command|getkeys"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) T_ERR(c, wrongargs(t[i].name), t[i].line);
    T_INT(c, 0, "DBSIZE");              /* none of them did anything */
}

static void t_unknown_truncation(redisContext *c)
{
    char a200[201], want[400];
    memset(a200, 'a', 200);
    a200[200] = '\0';
    snprintf(want, sizeof want, "ERR unknown command 'foo', with args beginning with: '%.128s' ", a200);
    T_ERR(c, want, "foo %s b", a200);
    snprintf(want, sizeof want, "ERR unknown command '%.128s', with args beginning with: 'x' ", a200);
    T_ERR(c, want, "%s x", a200);
    T_ERR(c,
          "ERR unknown command 'foo', with args beginning with: 'a' 'b' 'c' 'd' 'e' 'f' 'g' 'h' 'i' 'j' 'k' 'l' "
          "'m' 'n' 'o' 'p' 'q' 'r' 's' 't' 'u' 'v' 'w' 'x' 'y' 'z' 'a' 'b' 'c' 'd' 'e' 'f' ",
          "foo a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s t u v w x y z");
    T_ERR(c, wrongargs("client"), "CLIENT");
    T_ERR(c, wrongargs("config"), "CONFIG");
    T_ERR(c, wrongargs("object"), "OBJECT");
    T_ERR(c, wrongargs("memory"), "MEMORY");
    T_ERR(c, wrongargs("slowlog"), "SLOWLOG");
    T_ERR(c, "ERR unknown subcommand 'nosuch'. Try CLIENT HELP.", "CLIENT nosuch a b");
    T_INT(c, 0, "DEL a a");
    T_OK(c, "SET a 1");
    T_INT(c, 1, "DEL a a");
}

/* ---- expiry in real time ------------------------------------------------ */

static void t_expiry_lazy(redisContext *c)
{
    T_OK(c, "SET lz v PX 100");
    T_STR(c, "v", "GET lz");
    sleep_ms(200);
    T_NIL(c, "GET lz");
    T_INT(c, 0, "EXISTS lz");
    T_INT(c, -2, "TTL lz");
    T_OK(c, "SET lz2 v PX 100");
    T_OK(c, "SET lz3 v EX 1000");
    sleep_ms(200);
    redisReply *r = cmd(c, "MGET lz2 lz3");
    R_CHECK(r, is_arr(r, 2) && is_nil(r->element[0]) && is_str(r->element[1], "v"), "[nil, v]");
    T_INT(c, 0, "EXISTS lz2");
    T_NIL(c, "SET lz2 v NX GET");       /* an expired key counts as missing */
    T_STR(c, "v", "GET lz2");
    T_OK(c, "SET lz4 5 PX 100");
    sleep_ms(200);
    T_INT(c, 1, "INCR lz4");            /* INCR of an expired key starts from 0 */
}

static void t_expiry_active(redisContext *c)
{
    long long e0 = 0, e1 = 0;
    redisReply *r = cmd(c, "INFO stats");
    CHECK(r && r->type == REDIS_REPLY_STRING && info_ll(r->str, "expired_keys", &e0), "INFO stats: %s", rdesc(r));
    for (int i = 0; i < 200; i++) redisAppendCommand(c, "SET act:%d v PX 100", i);
    redisAppendCommand(c, "SET keeper v");
    for (int i = 0; i <= 200; i++) {
        void *rv = NULL;
        int ok = redisGetReply(c, &rv) == REDIS_OK && is_status(rv, "OK");
        if (rv) freeReplyObject(rv);
        CHECK(ok, "pipelined SET ... PX 100 failed");
    }
    T_INT(c, 201, "DBSIZE");
    double start = now_ms();
    long long n = -1;
    while (now_ms() - start < 3000) {
        sleep_ms(100);
        r = cmd(c, "DBSIZE");
        CHECK(r && r->type == REDIS_REPLY_INTEGER, "DBSIZE -> %s", rdesc(r));
        n = r->integer;
        if (n == 1) break;
    }
    CHECK(n == 1, "200 keys with PX 100, never read: DBSIZE still %lld after 3 s (no active expiry?)", n);
    r = cmd(c, "INFO stats");
    CHECK(r && r->type == REDIS_REPLY_STRING && info_ll(r->str, "expired_keys", &e1), "INFO stats: %s", rdesc(r));
    CHECK(e1 - e0 >= 200, "expired_keys went from %lld to %lld, want +200", e0, e1);
    T_STR(c, "v", "GET keeper");
}

/* ---- RESP3 over a raw socket -------------------------------------------- */

static void resp3_body(raw *w, redisContext *c)
{
    r3 *v = NULL;
#define R3(fmt_cmd, ...)                                                           \
    do {                                                                           \
        r3_free(v);                                                                \
        raw_cmd(w, fmt_cmd, ##__VA_ARGS__);                                        \
        v = raw_read(w);                                                           \
    } while (0)
#define R3CHECK(cond, what)                                                        \
    do {                                                                           \
        if (!(cond)) {                                                             \
            t_fail(__LINE__, "%s -> want %s, got %s", g_lastcmd, what, r3desc(v)); \
            r3_free(v);                                                            \
            return;                                                                \
        }                                                                          \
    } while (0)
    R3("HELLO 3");
    R3CHECK(v && v->type == '%' && v->n == 7, "a map of 7 pairs");
    r3 *f = r3_map_get(v, "proto");
    R3CHECK(f && f->type == ':' && f->integer == 3, "proto 3");
    f = r3_map_get(v, "server");
    R3CHECK(f && f->type == '$', "a server field");
    f = r3_map_get(v, "modules");
    R3CHECK(f && f->type == '*', "modules as an array");
    R3("GET nokey");
    R3CHECK(v && v->type == '_', "RESP3 null (_)");
    R3("SET k v");
    R3CHECK(v && v->type == '+' && !strcmp(v->str, "OK"), "+OK");
    R3("GET k");
    R3CHECK(v && v->type == '$' && !strcmp(v->str, "v"), "$v");
    R3("MGET k nokey");
    R3CHECK(v && v->type == '*' && v->n == 2 && v->el[0]->type == '$' && v->el[1]->type == '_', "[$v, _]");
    R3("EXISTS k");
    R3CHECK(v && v->type == ':' && v->integer == 1, ":1");
    R3("CONFIG GET maxmemory");
    R3CHECK(v && v->type == '%' && v->n == 1 && r3_map_get(v, "maxmemory"), "a map {maxmemory: ...}");
    R3("CONFIG GET maxmemory port");
    R3CHECK(v && v->type == '%' && v->n == 2, "a map of 2");
    R3("COMMAND INFO get");
    R3CHECK(v && v->type == '*' && v->n == 1 && v->el[0]->type == '*' && v->el[0]->n >= 7, "[[get ...]]");
    r3 *e = v->el[0];
    R3CHECK(e->el[2]->type == '~', "flags as a RESP3 set (~)");
    int has_ro = 0;
    for (size_t i = 0; i < e->el[2]->n; i++)
        if (e->el[2]->el[i]->str && !strcmp(e->el[2]->el[i]->str, "readonly")) has_ro = 1;
    R3CHECK(has_ro, "readonly in the flags set");
    R3CHECK(e->el[6]->type == '~', "ACL categories as a set (~)");
    R3("COMMAND DOCS get");
    R3CHECK(v && v->type == '%' && v->n == 1 && r3_map_get(v, "get") && r3_map_get(v, "get")->type == '%',
            "{get: {docs map}}");
    R3("INCRBYFLOAT fl 1.5");
    R3CHECK(v && v->type == '$' && !strcmp(v->str, "1.5"), "a bulk string \"1.5\" (Redis does not send a double)");
    R3("INFO server");
    R3CHECK(v && v->type == '=' && !strncmp(v->str, "txt:", 4) && strstr(v->str, "# Server"),
            "a verbatim string (=) starting txt:");
    R3("CLIENT INFO");
    R3CHECK(v && v->type == '=' && !strncmp(v->str, "txt:", 4) && strstr(v->str, "resp=3"),
            "a verbatim string with resp=3");
    R3("TIME");
    R3CHECK(v && v->type == '*' && v->n == 2, "an array of 2");
    R3("HELLO 3 SETNAME r3name");
    R3CHECK(v && v->type == '%', "a map");
    R3("CLIENT GETNAME");
    R3CHECK(v && v->type == '$' && !strcmp(v->str, "r3name"), "$r3name");
    R3("CLIENT GETNAME");
    R3("GET");
    R3CHECK(v && v->type == '-' && !strcmp(v->str, "ERR wrong number of arguments for 'get' command"),
            "the arity error");
    /* RESET goes back to RESP2 */
    R3("RESET");
    R3CHECK(v && v->type == '+' && !strcmp(v->str, "RESET"), "+RESET");
    R3("GET nokey");
    R3CHECK(v && v->type == '$' && v->isnull, "the RESP2 null bulk $-1");
    R3("HELLO 3");
    R3CHECK(v && v->type == '%', "a map");
    R3("HELLO 2");
    R3CHECK(v && v->type == '*' && v->n == 14, "a flat array of 14 (back in RESP2)");
    R3("CONFIG GET maxmemory");
    R3CHECK(v && v->type == '*' && v->n == 2, "a flat array of 2");
    r3_free(v);
    (void)c;
#undef R3
#undef R3CHECK
}

static void t_resp3(redisContext *c)
{
    raw *w = raw_connect();
    CHECK(w, "raw connect failed");
    resp3_body(w, c);
    raw_close(w);
}

/* ---- pipelining --------------------------------------------------------- */

static void t_pipeline(redisContext *c)
{
    enum { N = 10000 };
    for (int i = 0; i < N; i++) redisAppendCommand(c, "SET pk_%d pv_%d", i, i);
    for (int i = 0; i < N; i++) {
        if (i % 97 == 0) redisAppendCommand(c, "INCR pk_%d", i);   /* an error reply in the stream */
        redisAppendCommand(c, "GET pk_%d", i);
    }
    for (int i = 0; i < N; i++) {
        void *rv = NULL;
        int ok = redisGetReply(c, &rv) == REDIS_OK && is_status(rv, "OK");
        const char *d = rdesc(rv);
        if (rv) freeReplyObject(rv);
        CHECK(ok, "pipelined reply %d to SET pk_%d: %s", i, i, d);
    }
    for (int i = 0; i < N; i++) {
        void *rv = NULL;
        int ok;
        const char *d;
        if (i % 97 == 0) {
            ok = redisGetReply(c, &rv) == REDIS_OK && is_err(rv, "ERR value is not an integer or out of range");
            d = rdesc(rv);
            if (rv) freeReplyObject(rv);
            CHECK(ok, "pipelined INCR pk_%d: %s", i, d);
        }
        char want[32];
        snprintf(want, sizeof want, "pv_%d", i);
        ok = redisGetReply(c, &rv) == REDIS_OK && is_str(rv, want);
        d = rdesc(rv);
        if (rv) freeReplyObject(rv);
        CHECK(ok, "pipelined GET pk_%d -> %s, want %s", i, d, want);
    }
    T_INT(c, N, "DBSIZE");
}

/* ---- concurrency -------------------------------------------------------- */

enum { CONC_CLIENTS = 200, CONC_INCRS = 50, CONC_KEYS = 10 };

static pthread_mutex_t g_terr_lock = PTHREAD_MUTEX_INITIALIZER;
static char g_terr[512];
static int g_terr_count;

static void thread_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void thread_fail(const char *fmt, ...)
{
    pthread_mutex_lock(&g_terr_lock);
    if (!g_terr_count++) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(g_terr, sizeof g_terr, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&g_terr_lock);
}

static pthread_barrier_t g_barrier;

static void *conc_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    redisContext *c = conn_new();
    pthread_barrier_wait(&g_barrier);
    if (!c) {
        thread_fail("client %d: connect failed", id);
        return NULL;
    }
    for (int i = 0; i < CONC_INCRS; i++) {
        redisReply *r = redisCommand(c, "INCR counter");
        if (!r || r->type != REDIS_REPLY_INTEGER) thread_fail("client %d: INCR -> %s", id, rdesc(r));
        if (r) freeReplyObject(r);
        if (i < CONC_KEYS) {
            r = redisCommand(c, "SET own:%d:%d val:%d:%d", id, i, id, i);
            if (!is_status(r, "OK")) thread_fail("client %d: SET -> %s", id, rdesc(r));
            if (r) freeReplyObject(r);
            r = redisCommand(c, "GET own:%d:%d", id, i);
            char want[64];
            snprintf(want, sizeof want, "val:%d:%d", id, i);
            if (!is_str(r, want)) thread_fail("client %d: GET own:%d:%d -> %s", id, id, i, rdesc(r));
            if (r) freeReplyObject(r);
        }
        if (!c || c->err) {
            thread_fail("client %d: connection error %s", id, c->errstr);
            break;
        }
    }
    redisFree(c);
    return NULL;
}

static void t_concurrency(redisContext *c)
{
    pthread_t th[CONC_CLIENTS];
    g_terr_count = 0;
    pthread_barrier_init(&g_barrier, NULL, CONC_CLIENTS);
    int started = 0;
    for (int i = 0; i < CONC_CLIENTS; i++) {
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setstacksize(&at, 256 * 1024);
        if (pthread_create(&th[i], &at, conc_worker, (void *)(intptr_t)i) == 0) started++;
        pthread_attr_destroy(&at);
        if (started != i + 1) break;
    }
    if (started != CONC_CLIENTS) {
        /* cannot honour the barrier: this is fatal for the test binary */
        fprintf(stderr, "# could only start %d threads\n", started);
        abort();
    }
    for (int i = 0; i < CONC_CLIENTS; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&g_barrier);
    CHECK(g_terr_count == 0, "%d errors in client threads; first: %s", g_terr_count, g_terr);
    T_STR(c, "10000", "GET counter");
    /* every client's keys, read back by another connection */
    for (int id = 0; id < CONC_CLIENTS; id++) {
        redisReply *r = cmd(c, "MGET own:%d:0 own:%d:1 own:%d:2 own:%d:3 own:%d:4 own:%d:5 own:%d:6 own:%d:7 "
                               "own:%d:8 own:%d:9",
                            id, id, id, id, id, id, id, id, id, id);
        R_CHECK(r, is_arr(r, CONC_KEYS), "10 values");
        for (int i = 0; i < CONC_KEYS; i++) {
            char want[64];
            snprintf(want, sizeof want, "val:%d:%d", id, i);
            CHECK(is_str(r->element[i], want), "own:%d:%d is %s, want %s", id, i, rdesc(r->element[i]), want);
        }
    }
    T_INT(c, 1 + CONC_CLIENTS * CONC_KEYS, "DBSIZE");
}

/* MSET atomicity across shards.  Writers of kind A set keys 0..15 to one
 * value per call, writers of kind B set keys 8..23.  A reader's MGET of
 * 0..23 must then see three uniform regions (0-7, 8-15, 16-23), and the
 * middle one must equal one of the outer ones (it was last written by the
 * latest A or the latest B).  MGET of 8..15 alone must be uniform. */
enum { ATOM_KEYS = 24, ATOM_WRITERS = 4, ATOM_READERS = 6, ATOM_ITERS = 400 };
static int g_atom_stop;       /* read and written with __atomic (threads) */
static long g_atom_reads, g_atom_mixed;
static pthread_mutex_t g_atom_lock = PTHREAD_MUTEX_INITIALIZER;

static void *atom_writer(void *arg)
{
    int id = (int)(intptr_t)arg;    /* even: kind A, odd: kind B */
    int lo = (id % 2) ? 8 : 0;
    redisContext *c = conn_new();
    if (!c) {
        thread_fail("writer %d: connect failed", id);
        return NULL;
    }
    for (int it = 0; it < ATOM_ITERS && !__atomic_load_n(&g_atom_stop, __ATOMIC_RELAXED); it++) {
        const char *argv[1 + 2 * 16];
        size_t lens[1 + 2 * 16];
        char keys[16][16], val[32];
        snprintf(val, sizeof val, "w%d-%d", id, it);
        int ac = 0;
        argv[ac] = "MSET";
        lens[ac++] = 4;
        for (int k = 0; k < 16; k++) {
            snprintf(keys[k], sizeof keys[k], "atom:%d", lo + k);
            argv[ac] = keys[k];
            lens[ac++] = strlen(keys[k]);
            argv[ac] = val;
            lens[ac++] = strlen(val);
        }
        redisReply *r = redisCommandArgv(c, ac, argv, lens);
        if (!is_status(r, "OK")) thread_fail("writer %d: MSET -> %s", id, rdesc(r));
        if (r) freeReplyObject(r);
        if (c->err) break;
    }
    redisFree(c);
    return NULL;
}

static int same_reply_str(const redisReply *a, const redisReply *b)
{
    if (a->type != b->type) return 0;
    if (a->type == REDIS_REPLY_NIL) return 1;
    return a->type == REDIS_REPLY_STRING && a->len == b->len && !memcmp(a->str, b->str, a->len);
}

static void *atom_reader(void *arg)
{
    int id = (int)(intptr_t)arg;
    redisContext *c = conn_new();
    long reads = 0, mixed = 0;
    if (!c) {
        thread_fail("reader %d: connect failed", id);
        return NULL;
    }
    while (!__atomic_load_n(&g_atom_stop, __ATOMIC_RELAXED)) {
        redisReply *r;
        if (reads % 2 == 0) {
            r = redisCommand(c, "MGET atom:0 atom:1 atom:2 atom:3 atom:4 atom:5 atom:6 atom:7 atom:8 atom:9 "
                                "atom:10 atom:11 atom:12 atom:13 atom:14 atom:15 atom:16 atom:17 atom:18 "
                                "atom:19 atom:20 atom:21 atom:22 atom:23");
            if (!is_arr(r, ATOM_KEYS)) {
                thread_fail("reader %d: MGET -> %s", id, rdesc(r));
            } else {
                for (int region = 0; region < 3; region++)
                    for (int k = region * 8 + 1; k < region * 8 + 8; k++)
                        if (!same_reply_str(r->element[region * 8], r->element[k])) {
                            thread_fail("reader %d: MGET saw a torn MSET: atom:%d=%s but atom:%d=%s", id,
                                        region * 8, rdesc(r->element[region * 8]), k, rdesc(r->element[k]));
                            k = 99;
                            region = 3;
                        }
                if (!same_reply_str(r->element[0], r->element[16])) mixed++;
                if (!same_reply_str(r->element[8], r->element[0]) && !same_reply_str(r->element[8], r->element[16]))
                    thread_fail("reader %d: atom:8..15=%s matches neither atom:0..7=%s nor atom:16..23=%s", id,
                                rdesc(r->element[8]), rdesc(r->element[0]), rdesc(r->element[16]));
            }
        } else {
            r = redisCommand(c, "MGET atom:8 atom:9 atom:10 atom:11 atom:12 atom:13 atom:14 atom:15");
            if (!is_arr(r, 8)) {
                thread_fail("reader %d: MGET -> %s", id, rdesc(r));
            } else {
                for (int k = 1; k < 8; k++)
                    if (!same_reply_str(r->element[0], r->element[k])) {
                        thread_fail("reader %d: MGET atom:8..15 saw %s and %s", id, rdesc(r->element[0]),
                                    rdesc(r->element[k]));
                        break;
                    }
            }
        }
        if (r) freeReplyObject(r);
        reads++;
        if (c->err) break;
    }
    redisFree(c);
    pthread_mutex_lock(&g_atom_lock);
    g_atom_reads += reads;
    g_atom_mixed += mixed;
    pthread_mutex_unlock(&g_atom_lock);
    return NULL;
}

static void t_mset_atomicity(redisContext *c)
{
    /* start from one uniform state */
    const char *argv[1 + 2 * ATOM_KEYS];
    size_t lens[1 + 2 * ATOM_KEYS];
    char keys[ATOM_KEYS][16];
    int ac = 0;
    argv[ac] = "MSET";
    lens[ac++] = 4;
    for (int k = 0; k < ATOM_KEYS; k++) {
        snprintf(keys[k], sizeof keys[k], "atom:%d", k);
        argv[ac] = keys[k];
        lens[ac++] = strlen(keys[k]);
        argv[ac] = "init";
        lens[ac++] = 4;
    }
    redisReply *r = cmdv(c, ac, argv, lens);
    R_CHECK(r, is_status(r, "OK"), "+OK");

    g_terr_count = 0;
    __atomic_store_n(&g_atom_stop, 0, __ATOMIC_RELAXED);
    g_atom_reads = g_atom_mixed = 0;
    pthread_t w[ATOM_WRITERS], rd[ATOM_READERS];
    for (int i = 0; i < ATOM_READERS; i++) pthread_create(&rd[i], NULL, atom_reader, (void *)(intptr_t)i);
    for (int i = 0; i < ATOM_WRITERS; i++) pthread_create(&w[i], NULL, atom_writer, (void *)(intptr_t)i);
    for (int i = 0; i < ATOM_WRITERS; i++) pthread_join(w[i], NULL);
    __atomic_store_n(&g_atom_stop, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < ATOM_READERS; i++) pthread_join(rd[i], NULL);
    CHECK(g_terr_count == 0, "%d errors; first: %s", g_terr_count, g_terr);
    CHECK(g_atom_reads > 100, "only %ld MGETs ran alongside the writers", g_atom_reads);
    printf("#   %ld MGETs alongside %d MSETs; %ld saw A and B writers' values side by side\n", g_atom_reads,
           ATOM_WRITERS * ATOM_ITERS, g_atom_mixed);
    /* After all writers: every region uniform, the last writes visible */
    r = cmd(c, "MGET atom:0 atom:7 atom:8 atom:15 atom:16 atom:23");
    R_CHECK(r,
            is_arr(r, 6) && same_reply_str(r->element[0], r->element[1]) &&
                same_reply_str(r->element[2], r->element[3]) && same_reply_str(r->element[4], r->element[5]) &&
                !is_str(r->element[0], "init") && !is_str(r->element[4], "init"),
            "uniform regions written by the last MSETs");
}

/* ---- protocol edge cases over raw sockets ------------------------------- */

static void expect_raw_close(raw *w, const char *send, const char *want, int line)
{
    char buf[4096];
    int eof;
    raw_send(w, send, strlen(send));
    size_t n = raw_drain(w, buf, sizeof buf, &eof, 3000);
    if (n != strlen(want) || memcmp(buf, want, n) || !eof) {
        char got[600], exp[300], snt[300];
        size_t p1 = 0, p2 = 0, p3 = 0;
        put_escaped(got, sizeof got, &p1, buf, n, 200);
        put_escaped(exp, sizeof exp, &p2, want, strlen(want), 200);
        put_escaped(snt, sizeof snt, &p3, send, strlen(send), 60);
        t_fail(line, "sent \"%s\": got \"%s\"%s, want \"%s\" then close", snt, got, eof ? " then close" : " (still open)",
               exp);
    }
}

static int raw_expect(raw *w, const char *want, int line)
{
    char buf[4096];
    size_t have = 0, wl = strlen(want);
    while (have < wl) {
        if (w->start == w->end && raw_fill(w) <= 0) break;
        size_t n = w->end - w->start;
        if (n > wl - have) n = wl - have;
        memcpy(buf + have, w->buf + w->start, n);
        w->start += n;
        have += n;
    }
    if (have != wl || memcmp(buf, want, wl)) {
        char got[600], exp[300];
        size_t p1 = 0, p2 = 0;
        put_escaped(got, sizeof got, &p1, buf, have, 200);
        put_escaped(exp, sizeof exp, &p2, want, wl, 200);
        t_fail(line, "raw reply \"%s\", want \"%s\"", got, exp);
        return 0;
    }
    return 1;
}

static void t_protocol(redisContext *c)
{
    raw *w;
    static const struct {
        const char *send, *want;
    } closing[] = {
        {"*1\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
        {"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
        {"*1\r\n$-1\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
        {"*1\r\n$536870913\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
        {"*1\r\nxyz\r\n", "-ERR Protocol error: expected '$', got 'x'\r\n"},
        {"*2147483648\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
        {"SET \"foo\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
        {"PING\r\n*1\r\n$abc\r\n", "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"},
        {"*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n*1\r\n$-5\r\n", "$1\r\nx\r\n-ERR Protocol error: invalid bulk length\r\n"},
    };
    for (size_t i = 0; i < sizeof closing / sizeof closing[0]; i++) {
        w = raw_connect();
        CHECK(w, "raw connect failed");
        expect_raw_close(w, closing[i].send, closing[i].want, __LINE__);
        raw_close(w);
        if (g_failed) return;
    }
    /* lines that never end: inline request, bulk count and multibulk count
     * longer than Redis's 64 KB inline limit */
    {
        static const struct {
            const char *prefix;
            char fill;
            const char *want;
        } huge[] = {
            {"", 'a', "-ERR Protocol error: too big inline request\r\n"},
            {"*1\r\n$", '1', "-ERR Protocol error: too big bulk count string\r\n"},
            {"*", '1', "-ERR Protocol error: too big mbulk count string\r\n"},
        };
        size_t n = 70000;
        char *buf = malloc(n + 16);
        CHECK(buf, "malloc");
        for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
            size_t pl = strlen(huge[i].prefix);
            memcpy(buf, huge[i].prefix, pl);
            memset(buf + pl, huge[i].fill, n);
            buf[pl + n] = '\0';
            w = raw_connect();
            if (!w) {
                free(buf);
                CHECK(0, "raw connect failed");
            }
            expect_raw_close(w, buf, huge[i].want, __LINE__);
            raw_close(w);
            if (g_failed) {
                free(buf);
                return;
            }
        }
        free(buf);
    }
    w = raw_connect();
    CHECK(w, "raw connect failed");
    raw_sends(w, "PING\r\n");
    if (!raw_expect(w, "+PONG\r\n", __LINE__)) goto out;
    raw_sends(w, "SET foo bar\r\nGET foo\r\n");             /* inline, pipelined */
    if (!raw_expect(w, "+OK\r\n$3\r\nbar\r\n", __LINE__)) goto out;
    raw_sends(w, "set \"a b\" 'c\\'d'\r\nget \"a b\"\r\n");  /* inline quoting */
    if (!raw_expect(w, "+OK\r\n$3\r\nc'd\r\n", __LINE__)) goto out;
    raw_sends(w, "ECHO \"\\x41\\n\"\r\n");
    if (!raw_expect(w, "$2\r\nA\n\r\n", __LINE__)) goto out;
    raw_sends(w, "PING\n");                                 /* bare LF ends an inline command */
    if (!raw_expect(w, "+PONG\r\n", __LINE__)) goto out;
    raw_sends(w, "\r\n\r\nPING\r\n");                       /* empty lines are ignored */
    if (!raw_expect(w, "+PONG\r\n", __LINE__)) goto out;
    raw_sends(w, "*0\r\n*-1\r\nPING\r\n");                  /* empty multibulks are ignored */
    if (!raw_expect(w, "+PONG\r\n", __LINE__)) goto out;
    /* a command split at every byte */
    {
        const char *frag = "*3\r\n$3\r\nSET\r\n$4\r\nfrag\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$4\r\nfrag\r\n";
        for (const char *p = frag; *p; p++) {
            raw_send(w, p, 1);
            if (p[1] && (p - frag) % 7 == 0) sleep_ms(1);
        }
        if (!raw_expect(w, "+OK\r\n$5\r\nhello\r\n", __LINE__)) goto out;
    }
    /* an unknown command over RESP and inline */
    raw_sends(w, "*2\r\n$3\r\nFOO\r\n$3\r\nbar\r\n");
    if (!raw_expect(w, "-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n", __LINE__)) goto out;
    raw_sends(w, "FOO bar\r\n");
    if (!raw_expect(w, "-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n", __LINE__)) goto out;
    /* a 1 MB value in one bulk, pipelined with a GET */
    {
        size_t n = 1 << 20;
        char hdr[64];
        char *big = malloc(n);
        CHECK(big, "malloc");
        memset(big, 'z', n);
        int hl = snprintf(hdr, sizeof hdr, "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%zu\r\n", n);
        raw_send(w, hdr, (size_t)hl);
        raw_send(w, big, n);
        raw_sends(w, "\r\nSTRLEN big\r\n");
        free(big);
        if (!raw_expect(w, "+OK\r\n:1048576\r\n", __LINE__)) goto out;
    }
out:
    raw_close(w);
    if (g_failed) return;
    T_STR(c, "bar", "GET foo");         /* the server is still fine */
}

/* CLIENT KILL of connections that live on other worker threads. */
static void t_client_kill_workers(redisContext *c)
{
    enum { NV = 12 };
    redisContext *v[NV];
    long long ids[NV];
    for (int i = 0; i < NV; i++) {
        v[i] = conn_new();
        redisReply *r = v[i] ? redisCommand(v[i], "CLIENT ID") : NULL;
        int ok = r && r->type == REDIS_REPLY_INTEGER;
        ids[i] = ok ? r->integer : 0;
        if (r) freeReplyObject(r);
        if (!ok) {
            for (int j = 0; j <= i; j++)
                if (v[j]) redisFree(v[j]);
            CHECK(0, "victim %d: connect or CLIENT ID failed", i);
        }
    }
    int fail = -1;
    char why[256] = "";
    for (int i = 0; i < NV && fail < 0; i++) {
        redisReply *r = cmd(c, "CLIENT KILL ID %lld", ids[i]);
        if (!is_int(r, 1)) {
            fail = i;
            snprintf(why, sizeof why, "CLIENT KILL ID %lld -> %s, want :1", ids[i], rdesc(r));
        }
    }
    for (int i = 0; i < NV && fail < 0; i++) {
        /* the victim's next read must fail: the server closed the socket */
        redisReply *r = redisCommand(v[i], "PING");
        if (r) {
            fail = i;
            snprintf(why, sizeof why, "victim %d (id %lld) still answered PING: %s", i, ids[i], rdesc(r));
            freeReplyObject(r);
        }
    }
    for (int i = 0; i < NV; i++) redisFree(v[i]);
    CHECK(fail < 0, "%s", why);
    /* the killed ids are gone from CLIENT LIST */
    redisReply *l = cmd(c, "CLIENT LIST");
    R_CHECK(l, l && l->type == REDIS_REPLY_STRING, "a bulk string");
    for (int i = 0; i < NV; i++) {
        char pat[48];
        snprintf(pat, sizeof pat, "id=%lld ", ids[i]);
        CHECK(!strstr(l->str, pat), "killed client %lld still in CLIENT LIST", ids[i]);
    }
    /* CLIENT KILL with filters on several at once: TYPE normal SKIPME yes */
    redisContext *x[4];
    for (int i = 0; i < 4; i++) {
        x[i] = conn_new();          /* a PING makes sure the server has taken it in */
        redisReply *p = x[i] ? redisCommand(x[i], "PING") : NULL;
        if (p) freeReplyObject(p);
    }
    redisReply *k = cmd(c, "CLIENT KILL TYPE normal SKIPME yes");
    int ok = k && k->type == REDIS_REPLY_INTEGER && k->integer >= 4;
    int dead = 0;
    for (int i = 0; i < 4; i++) {
        redisReply *r = x[i] ? redisCommand(x[i], "PING") : NULL;
        if (!r) dead++;
        else freeReplyObject(r);
        if (x[i]) redisFree(x[i]);
    }
    CHECK(ok, "CLIENT KILL TYPE normal SKIPME yes -> %s, want >= 4", rdesc(k));
    CHECK(dead == 4, "only %d of 4 clients were closed by CLIENT KILL TYPE normal", dead);
    T_STATUS(c, "PONG", "PING");        /* SKIPME yes spared us */
}

/* SCAN's guarantee under concurrent writes: every key present for the whole
 * iteration is returned, while other keys come and go (tables grow, shrink
 * and rehash under the cursor). */
enum { SCAN_STABLE = 4000 };
static int g_churn_stop;      /* read and written with __atomic (threads) */

static void *churn_writer(void *arg)
{
    (void)arg;
    redisContext *c = conn_new();
    if (!c) {
        thread_fail("churn: connect failed");
        return NULL;
    }
    int round = 0;
    while (!__atomic_load_n(&g_churn_stop, __ATOMIC_RELAXED) && !c->err) {
        /* add 2000 keys, then delete them: the tables grow and shrink */
        for (int i = 0; i < 2000; i++) redisAppendCommand(c, "SET churn:%d:%d x", round, i);
        for (int i = 0; i < 2000; i++) {
            void *rv = NULL;
            if (redisGetReply(c, &rv) != REDIS_OK) break;
            freeReplyObject(rv);
        }
        for (int i = 0; i < 2000; i += 100) {
            redisAppendCommand(c,
                               "DEL churn:%d:%d churn:%d:%d churn:%d:%d churn:%d:%d churn:%d:%d churn:%d:%d "
                               "churn:%d:%d churn:%d:%d churn:%d:%d churn:%d:%d",
                               round, i, round, i + 1, round, i + 2, round, i + 3, round, i + 4, round, i + 5,
                               round, i + 6, round, i + 7, round, i + 8, round, i + 9);
        }
        for (int i = 0; i < 2000; i += 100) {
            void *rv = NULL;
            if (redisGetReply(c, &rv) != REDIS_OK) break;
            freeReplyObject(rv);
        }
        redisReply *r = redisCommand(c, "DEL churn:%d:*", round);   /* nothing: keys with '*' */
        if (r) freeReplyObject(r);
        round++;
    }
    redisFree(c);
    return NULL;
}

static void t_scan_under_writes(redisContext *c)
{
    for (int base = 0; base < SCAN_STABLE; base += 100) {
        const char *argv[201];
        size_t lens[201];
        char names[100][24];
        int ac = 0;
        argv[ac] = "MSET";
        lens[ac++] = 4;
        for (int i = 0; i < 100; i++) {
            snprintf(names[i], sizeof names[i], "stable:%d", base + i);
            argv[ac] = names[i];
            lens[ac++] = strlen(names[i]);
            argv[ac] = "v";
            lens[ac++] = 1;
        }
        redisReply *r = cmdv(c, ac, argv, lens);
        R_CHECK(r, is_status(r, "OK"), "+OK");
    }
    char *seen = calloc(SCAN_STABLE, 1);
    CHECK(seen, "calloc");
    g_terr_count = 0;
    __atomic_store_n(&g_churn_stop, 0, __ATOMIC_RELAXED);
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, churn_writer, NULL);
    sleep_ms(30);
    int rounds = 0, bad = 0, scans = 0, missing = -1, nmissing = 0;
    char badkey[128] = "";
    double t0 = now_ms();
    /* full iterations, again and again, for at least a second */
    while (!bad && missing < 0 && (scans < 2 || now_ms() - t0 < 1000) && now_ms() - t0 < 8000) {
        char cursor[32] = "0";
        int complete = 0;
        memset(seen, 0, SCAN_STABLE);
        do {
            redisReply *r = cmd(c, "SCAN %s COUNT %d", cursor, scans % 2 ? 100 : 300);
            if (!(is_arr(r, 2) && r->element[0]->type == REDIS_REPLY_STRING && is_arr(r->element[1], -1))) {
                bad = 1;
                snprintf(badkey, sizeof badkey, "%s", rdesc(r));
                break;
            }
            snprintf(cursor, sizeof cursor, "%.*s", (int)r->element[0]->len, r->element[0]->str);
            for (size_t i = 0; i < r->element[1]->elements; i++) {
                int n;
                const char *k = r->element[1]->element[i]->str;
                if (sscanf(k, "stable:%d", &n) == 1 && n >= 0 && n < SCAN_STABLE) seen[n] = 1;
            }
            rounds++;
            if (g_ntrack > 1000) untrack_all();
            complete = !strcmp(cursor, "0");
        } while (!complete && now_ms() - t0 < 15000);
        if (bad || !complete) break;
        for (int i = 0; i < SCAN_STABLE; i++)
            if (!seen[i]) {
                missing = i;
                nmissing++;
            }
        scans++;
    }
    __atomic_store_n(&g_churn_stop, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    free(seen);
    CHECK(!bad, "SCAN reply %s", badkey);
    CHECK(g_terr_count == 0, "writer errors: %s", g_terr);
    CHECK(missing < 0, "full SCAN #%d under concurrent writes missed %d stable keys (e.g. stable:%d)", scans,
          nmissing, missing);
    CHECK(scans >= 1, "no full SCAN completed in 15 s (%d calls)", rounds);
    printf("#   %d full SCANs (%d calls) alongside inserts/deletes\n", scans, rounds);
}

/* Connections that misbehave: vanish mid-pipeline, never read, get killed
 * while busy.  The server must stay up and keep its bookkeeping right. */
static void *busy_victim(void *arg)
{
    redisContext *v = arg;
    for (int round = 0; round < 200 && !v->err; round++) {
        for (int i = 0; i < 200; i++) redisAppendCommand(v, "SET busy:%d:%d %d", round, i, i);
        for (int i = 0; i < 200; i++) {
            void *rv = NULL;
            if (redisGetReply(v, &rv) != REDIS_OK) break;
            freeReplyObject(rv);
        }
    }
    return NULL;
}

static void t_rude_clients(redisContext *c)
{
    redisReply *r = cmd(c, "INFO clients");
    long long base;
    R_CHECK(r, r && r->type == REDIS_REPLY_STRING && info_ll(r->str, "connected_clients", &base), "connected_clients");
    /* 1. send a big pipeline and close without reading the replies */
    for (int k = 0; k < 5; k++) {
        raw *w = raw_connect();
        CHECK(w, "raw connect failed");
        char *buf = malloc(2000 * 40);
        CHECK(buf, "malloc");
        size_t len = 0;
        for (int i = 0; i < 2000; i++)
            len += (size_t)sprintf(buf + len, "*3\r\n$3\r\nSET\r\n$6\r\nrude%02d\r\n$1\r\n%d\r\n", i % 100, i % 10);
        raw_send(w, buf, len);
        free(buf);
        raw_close(w);
    }
    /* 2. a client that never reads a large reply stream (its output buffer grows) */
    {
        char val[65536];
        memset(val, 'q', sizeof val);
        r = cmd(c, "SET bigval %b", val, sizeof val);
        R_CHECK(r, is_status(r, "OK"), "+OK");
        raw *w = raw_connect();
        CHECK(w, "raw connect failed");
        for (int i = 0; i < 300; i++) raw_sends(w, "*2\r\n$3\r\nGET\r\n$6\r\nbigval\r\n");
        /* meanwhile everyone else is served */
        double t0 = now_ms();
        for (int i = 0; i < 50; i++) T_STATUS(c, "PONG", "PING");
        double ms = now_ms() - t0;
        raw_close(w);
        CHECK(ms < 2000, "50 PINGs took %.0f ms while another client did not read its replies", ms);
    }
    /* 3. many short-lived connections */
    for (int i = 0; i < 300; i++) {
        redisContext *x = conn_new();
        CHECK(x, "connect %d failed", i);
        if (i % 3 == 0) {
            redisReply *p = redisCommand(x, "PING");
            if (p) freeReplyObject(p);
        }
        redisFree(x);
    }
    /* 4. CLIENT KILL of connections in the middle of pipelines */
    enum { NB = 6 };
    redisContext *v[NB];
    pthread_t th[NB];
    long long ids[NB];
    for (int i = 0; i < NB; i++) {
        v[i] = conn_new();
        CHECK(v[i], "connect failed");
        redisReply *id = redisCommand(v[i], "CLIENT ID");
        ids[i] = id && id->type == REDIS_REPLY_INTEGER ? id->integer : -1;
        if (id) freeReplyObject(id);
    }
    for (int i = 0; i < NB; i++) pthread_create(&th[i], NULL, busy_victim, v[i]);
    sleep_ms(50);
    int killed = 0;
    for (int i = 0; i < NB; i++) {
        r = cmd(c, "CLIENT KILL ID %lld", ids[i]);
        if (is_int(r, 1)) killed++;
    }
    for (int i = 0; i < NB; i++) {
        pthread_join(th[i], NULL);
        redisFree(v[i]);
    }
    CHECK(killed >= NB - 1, "only %d of %d busy clients could be killed", killed, NB);
    /* the server is fine and its client count comes back down */
    T_STATUS(c, "PONG", "PING");
    long long now = -1;
    for (double t0 = now_ms(); now_ms() - t0 < 3000; sleep_ms(50)) {
        r = cmd(c, "INFO clients");
        if (r && r->type == REDIS_REPLY_STRING && info_ll(r->str, "connected_clients", &now) && now <= base) break;
    }
    CHECK(now >= 1 && now <= base, "connected_clients is %lld, was %lld before the rude clients", now, base);
    r = cmd(c, "GET rude07");
    R_CHECK(r, is_str(r, "7"), "\"7\" (the abandoned pipelines ran)");
}

/* QUIT in a pipeline: replies up to it, then the connection closes. */
static void t_quit_pipelined(redisContext *c)
{
    raw *w = raw_connect();
    CHECK(w, "raw connect failed");
    expect_raw_close(w, "PING\r\nQUIT\r\nSET afterquit 1\r\n", "+PONG\r\n+OK\r\n", __LINE__);
    raw_close(w);
    if (g_failed) return;
    T_INT(c, 0, "EXISTS afterquit");
}

/* ---- lifecycle ---------------------------------------------------------- */

static void t_sigterm(redisContext *c)
{
    (void)c;
    if (!g_own_server) {
        t_skip("needs the server binary (HOLDFAST_PORT given)");
        return;
    }
    CHECK(server_start(&g_srv2, "sigterm", 0) == 0, "could not start a second server");
    redisContext *s = conn_to("127.0.0.1", g_srv2.port);
    CHECK(s, "connect to the second server failed");
    redisReply *r = cmd(s, "SET survive 1");
    int ok = is_status(r, "OK");
    redisFree(s);
    CHECK(ok, "SET on the second server -> %s", rdesc(r));
    double t0 = now_ms();
    kill(g_srv2.pid, SIGTERM);
    int st = wait_exit(g_srv2.pid, 5000);
    if (st == -1) {
        print_log_tail(&g_srv2, 20);
        kill(g_srv2.pid, SIGKILL);
        waitpid(g_srv2.pid, NULL, 0);
        g_srv2.pid = 0;
        CHECK(0, "the server did not exit within 5 s of SIGTERM");
    }
    g_srv2.pid = 0;
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) print_log_tail(&g_srv2, 20);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "after SIGTERM the server ended with %s %d",
          WIFEXITED(st) ? "exit status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    CHECK(now_ms() - t0 < 5000, "SIGTERM shutdown took %.0f ms", now_ms() - t0);
}

static void t_shutdown(redisContext *c)
{
    if (!g_own_server) {
        t_skip("only when the test started the server");
        return;
    }
    T_ERR(c, "ERR syntax error", "SHUTDOWN BOGUS");
    redisReply *r = cmd(c, "SHUTDOWN");
    CHECK(r == NULL, "SHUTDOWN answered %s, want the connection closed", rdesc(r));
    int st = wait_exit(g_srv.pid, 5000);
    if (st == -1) {
        print_log_tail(&g_srv, 20);
        CHECK(0, "the server did not exit within 5 s of SHUTDOWN");
    }
    g_srv.pid = 0;
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) print_log_tail(&g_srv, 60);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "after SHUTDOWN the server ended with %s %d",
          WIFEXITED(st) ? "exit status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    redisContext *x = conn_new();
    CHECK(x == NULL, "the port still accepts connections after SHUTDOWN");
}

/* ---- runner ------------------------------------------------------------- */

typedef struct test {
    const char *name;
    void (*fn)(redisContext *c);
} test;

static const test tests[] = {
    {"ping_echo", t_ping_echo},
    {"quit", t_quit},
    {"hello_resp2", t_hello2},
    {"auth_requirepass", t_auth},
    {"select", t_select},
    {"reset", t_reset},
    {"client", t_client},
    {"client_setinfo", t_client_setinfo},
    {"command", t_command},
    {"set_options", t_set_options},
    {"string_commands", t_string_cmds},
    {"keyspace_commands", t_keyspace_basic},
    {"scan_5300_keys", t_scan},
    {"expire_commands", t_expire_cmds},
    {"object", t_object},
    {"info", t_info},
    {"resetstat_after_error", t_resetstat_after_error},
    {"info_errorstats", t_info_errorstats},
    {"config", t_config},
    {"time_memory_lastsave", t_time_memory_lastsave},
    {"slowlog", t_slowlog},
    {"unknown_command_and_arity", t_unknown_and_arity},
    {"unknown_command_truncation", t_unknown_truncation},
    {"arity_errors", t_arity_errors},
    {"string_edge_cases", t_string_edges},
    {"expired_keys_invisible", t_expired_invisible},
    {"ttl_details", t_ttl_details},
    {"client_list_fields", t_client_list_fields},
    {"expiry_lazy", t_expiry_lazy},
    {"expiry_active", t_expiry_active},
    {"resp3", t_resp3},
    {"pipeline_10000", t_pipeline},
    {"concurrency_200_clients", t_concurrency},
    {"mset_mget_atomicity", t_mset_atomicity},
    {"protocol_errors_and_inline", t_protocol},
    {"client_kill_across_workers", t_client_kill_workers},
    {"scan_under_concurrent_writes", t_scan_under_writes},
    {"rude_clients", t_rude_clients},
    {"quit_pipelined", t_quit_pipelined},
    {"sigterm_graceful", t_sigterm},
    {"shutdown", t_shutdown},            /* must stay last */
};

static int selected(const char *name, int argc, char **argv)
{
    if (argc < 2) return 1;
    for (int i = 1; i < argc; i++)
        if (strstr(name, argv[i])) return 1;
    return 0;
}

static int find_binary(const char *argv0)
{
    const char *env = getenv("HOLDFAST_SERVER");
    const char *bd = getenv("abs_top_builddir");
    if (env && *env) {
        snprintf(g_bin, sizeof g_bin, "%s", env);
    } else if (bd && *bd) {
        snprintf(g_bin, sizeof g_bin, "%s/src/holdfast-server", bd);
    } else {
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s", argv0);
        char *slash = strrchr(tmp, '/');
        if (slash) *slash = '\0';
        else snprintf(tmp, sizeof tmp, ".");
        snprintf(g_bin, sizeof g_bin, "%s/../../src/holdfast-server", tmp);
    }
    if (!strchr(g_bin, '/')) {          /* a bare name: look it up in PATH */
        const char *path = getenv("PATH");
        char *dup = strdup(path ? path : "/usr/bin:/bin");
        char name[256];
        snprintf(name, sizeof name, "%.255s", g_bin);
        for (char *save = NULL, *d = strtok_r(dup, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
            char cand[sizeof g_bin];
            if (snprintf(cand, sizeof cand, "%.3500s/%s", d, name) < (int)sizeof cand && access(cand, X_OK) == 0) {
                memcpy(g_bin, cand, sizeof g_bin);
                break;
            }
        }
        free(dup);
    }
    const char *base = strrchr(g_bin, '/');
    base = base ? base + 1 : g_bin;
    g_is_redis_bin = strstr(base, "redis-server") != NULL;
    return access(g_bin, X_OK) == 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    const char *ps = getenv("HOLDFAST_PORT");
    if (ps && *ps) {
        g_port = atoi(ps);
        const char *h = getenv("HOLDFAST_HOST");
        if (h && *h) snprintf(g_host, sizeof g_host, "%s", h);
        if (!find_binary(argv[0])) g_bin[0] = '\0';
    } else {
        if (!find_binary(argv[0])) {
            printf("1..0 # SKIP server binary %s not found\n", g_bin);
            return 77;
        }
        g_own_server = 1;
    }
    const char *tbase = getenv("TMPDIR");
    snprintf(g_tmp, sizeof g_tmp, "%s/holdfast-itest-XXXXXX", tbase && *tbase ? tbase : "/tmp");
    if (!mkdtemp(g_tmp)) {
        perror("mkdtemp");
        return 1;
    }
    atexit(cleanup);
    signal(SIGALRM, on_alarm);
    const char *wd = getenv("ITEST_TIMEOUT");
    alarm(wd && *wd ? (unsigned)atoi(wd) : 300);

    if (g_own_server) {
        if (server_start(&g_srv, "main", 1) != 0) {
            printf("Bail out! could not start %s\n", g_bin);
            return 1;
        }
        g_port = g_srv.port;
        printf("# started %s on port %d (pid %d, dir %s)\n", g_bin, g_port, (int)g_srv.pid, g_srv.dir);
    } else {
        printf("# targeting %s:%d\n", g_host, g_port);
    }
    {
        redisContext *c = conn_new();
        redisReply *r = c ? redisCommand(c, "INFO server") : NULL;
        if (!r) {
            printf("Bail out! cannot reach %s:%d\n", g_host, g_port);
            if (c) redisFree(c);
            return 1;
        }
        g_is_holdfast = r->type == REDIS_REPLY_STRING && strstr(r->str, "\nholdfast_version:") != NULL;
        freeReplyObject(r);
        redisFree(c);
    }

    size_t nt = sizeof tests / sizeof tests[0];
    int nsel = 0;
    for (size_t i = 0; i < nt; i++) nsel += selected(tests[i].name, argc, argv);
    printf("1..%d\n", nsel);
    int num = 0, passed = 0, failed = 0, skipped = 0, server_gone = 0;
    double t_all = now_ms();
    for (size_t i = 0; i < nt; i++) {
        if (!selected(tests[i].name, argc, argv)) continue;
        num++;
        g_failed = g_skipped = 0;
        g_reason[0] = '\0';
        g_lastcmd[0] = '\0';
        double t0 = now_ms();
        redisContext *c = server_gone ? NULL : conn_new();
        if (!c) {
            t_fail(__LINE__, "cannot connect to %s:%d", g_host, g_port);
        } else {
            redisReply *r = redisCommand(c, "FLUSHALL");
            if (!is_status(r, "OK")) t_fail(__LINE__, "set-up FLUSHALL -> %s", rdesc(r));
            if (r) freeReplyObject(r);
            if (!g_failed) tests[i].fn(c);
            redisFree(c);
        }
        untrack_all();
        double ms = now_ms() - t0;
        if (g_failed) {
            printf("not ok %d - %s: %s\n", num, tests[i].name, g_reason);
            failed++;
        } else if (g_skipped) {
            printf("ok %d - %s # SKIP %s\n", num, tests[i].name, g_reason);
            skipped++;
        } else {
            printf("ok %d - %s\n", num, tests[i].name);
            passed++;
        }
        if (ms > 1000) printf("#   %s took %.1f s\n", tests[i].name, ms / 1000);
        /* is the server still there? */
        if (g_own_server && g_srv.pid > 0 && waitpid(g_srv.pid, NULL, WNOHANG) == g_srv.pid) {
            printf("# the server died during %s\n", tests[i].name);
            print_log_tail(&g_srv, 30);
            g_srv.pid = 0;
            server_gone = 1;
        }
    }
    if (failed && g_own_server && g_srv.pid > 0) print_log_tail(&g_srv, 15);
    printf("# total %.1f s\n", (now_ms() - t_all) / 1000);
    printf("itest: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
    free(g_track);
    return failed ? 1 : 0;
}
