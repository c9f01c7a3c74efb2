/* resp.c — incremental RESP request parser.  See resp.h for the contract.
 *
 * State machine over one growable buffer:
 *   buf[0 .. start)    consumed (compacted away lazily)
 *   buf[start .. pos)  the command being parsed so far
 *   buf[pos .. len)    bytes not yet looked at
 * Multibulk arguments are recorded as offsets (the buffer may move while a
 * command is incomplete) and turned into pointers when it completes. */
#include "config.h"
#include "resp.h"
#include "util.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INLINE_MAX (64 * 1024)        /* PROTO_INLINE_MAX_SIZE */
#define MBULK_BIG_ARG (32 * 1024)     /* preallocate whole bulks above this */
#define READ_CHUNK (16 * 1024)
#define RESP_SKIP 2                   /* internal: empty command, look again */

typedef struct { size_t off, n; } argref;

struct resp_parser {
    char *buf;
    size_t cap, len, start, pos;
    /* multibulk state */
    long long mb_left;     /* bulks still expected; 0 = not inside a multibulk */
    long long bulk_len;    /* -1 = expecting a $ line */
    argref *refs;
    int nrefs, refcap;
    hf_arg *argv;
    int argvcap;
    char *inl;             /* unescaped inline arguments */
    size_t inlcap;
    long long max_bulk;
    bool authed;
    bool is_inline;
    char err[128];
};

resp_parser *resp_new(void)
{
    resp_parser *p = hf_calloc(1, sizeof *p);
    p->bulk_len = -1;
    p->max_bulk = 512LL * 1024 * 1024;
    p->authed = true;
    return p;
}

void resp_free(resp_parser *p)
{
    if (!p) return;
    hf_free(p->buf);
    hf_free(p->refs);
    hf_free(p->argv);
    hf_free(p->inl);
    hf_free(p);
}

void resp_set_max_bulk(resp_parser *p, long long max_bulk) { p->max_bulk = max_bulk; }
void resp_set_authenticated(resp_parser *p, bool authed) { p->authed = authed; }
const char *resp_error(const resp_parser *p) { return p->err[0] ? p->err : NULL; }
size_t resp_pending(const resp_parser *p) { return p->len - p->start; }
size_t resp_capacity(const resp_parser *p) { return p->cap; }
bool resp_is_inline(const resp_parser *p) { return p->is_inline; }

/* Drop consumed bytes before start, fixing recorded offsets. */
static void compact(resp_parser *p)
{
    if (p->start == 0) return;
    size_t shift = p->start;
    memmove(p->buf, p->buf + shift, p->len - shift);
    p->len -= shift;
    p->pos -= shift;
    p->start = 0;
    for (int i = 0; i < p->nrefs; i++) p->refs[i].off -= shift;
}

static void reserve(resp_parser *p, size_t need)
{
    if (p->cap - p->len >= need) return;
    if (p->start > 0) {
        compact(p);
        if (p->cap - p->len >= need) return;
    }
    size_t ncap = p->cap ? p->cap : READ_CHUNK;
    while (ncap - p->len < need) ncap *= 2;
    p->buf = hf_realloc(p->buf, ncap);
    p->cap = ncap;
}

char *resp_space(resp_parser *p, size_t *room)
{
    size_t want = READ_CHUNK;
    /* A large bulk in progress: make room for all of it at once. */
    if (p->mb_left > 0 && p->bulk_len >= MBULK_BIG_ARG) {
        size_t have = p->len - p->pos;
        size_t total = (size_t)p->bulk_len + 2;
        if (total > have) want = total - have;
    }
    if (p->start == p->len) { p->start = p->pos = p->len = 0; }  /* nothing pending: rewind */
    reserve(p, want);
    *room = p->cap - p->len;
    return p->buf + p->len;
}

void resp_commit(resp_parser *p, size_t n) { p->len += n; }

void resp_feed(resp_parser *p, const void *data, size_t len)
{
    while (len) {
        size_t room;
        char *dst = resp_space(p, &room);
        size_t n = len < room ? len : room;
        memcpy(dst, data, n);
        resp_commit(p, n);
        data = (const char *)data + n;
        len -= n;
    }
}

static int fail(resp_parser *p, const char *msg)
{
    snprintf(p->err, sizeof p->err, "Protocol error: %s", msg);
    return RESP_ERR;
}

static void push_ref(resp_parser *p, size_t off, size_t n)
{
    if (p->nrefs == p->refcap) {
        p->refcap = p->refcap ? p->refcap * 2 : 8;
        p->refs = hf_realloc(p->refs, sizeof(argref) * (size_t)p->refcap);
    }
    p->refs[p->nrefs].off = off;
    p->refs[p->nrefs].n = n;
    p->nrefs++;
}

static void ensure_argv(resp_parser *p, int n)
{
    if (n <= p->argvcap) return;
    int c = p->argvcap ? p->argvcap : 8;
    while (c < n) c *= 2;
    p->argv = hf_realloc(p->argv, sizeof(hf_arg) * (size_t)c);
    p->argvcap = c;
}

#define EMIT(ch) do { if (out) out[o] = (ch); o++; } while (0)

int resp_split_inline(const char *line, size_t len, char *out, hf_arg *args, int maxargs)
{
    size_t i = 0;
    int argc = 0;
    size_t o = 0;   /* write offset into out (out may be NULL: count only) */
    while (1) {
        while (i < len && isspace((unsigned char)line[i])) i++;
        if (i >= len) return argc;
        size_t begin = o;
        bool inq = false, insq = false, done = false;
        while (!done) {
            if (inq) {
                if (i >= len) return -1;
                char c = line[i];
                if (c == '\\' && i + 3 < len && line[i + 1] == 'x' &&
                    isxdigit((unsigned char)line[i + 2]) && isxdigit((unsigned char)line[i + 3])) {
                    char hex[3] = {line[i + 2], line[i + 3], 0};
                    EMIT((char)strtol(hex, NULL, 16));
                    i += 3;
                } else if (c == '\\' && i + 1 < len) {
                    i++;
                    switch (line[i]) {
                    case 'n': EMIT('\n'); break;
                    case 'r': EMIT('\r'); break;
                    case 't': EMIT('\t'); break;
                    case 'b': EMIT('\b'); break;
                    case 'a': EMIT('\a'); break;
                    default: EMIT(line[i]); break;
                    }
                } else if (c == '"') {
                    /* closing quote must be followed by a space or nothing */
                    if (i + 1 < len && !isspace((unsigned char)line[i + 1])) return -1;
                    done = true;
                } else {
                    EMIT(c);
                }
            } else if (insq) {
                if (i >= len) return -1;
                char c = line[i];
                if (c == '\\' && i + 1 < len && line[i + 1] == '\'') {
                    i++;
                    EMIT('\'');
                } else if (c == '\'') {
                    if (i + 1 < len && !isspace((unsigned char)line[i + 1])) return -1;
                    done = true;
                } else {
                    EMIT(c);
                }
            } else {
                if (i >= len) { done = true; break; }
                char c = line[i];
                switch (c) {
                case ' ': case '\n': case '\r': case '\t': case '\0':
                    done = true;
                    break;
                case '"': inq = true; break;
                case '\'': insq = true; break;
                default: EMIT(c); break;
                }
            }
            if (i < len) i++;
        }
        if (argc < maxargs) {
            args[argc].p = out + begin;
            args[argc].n = o - begin;
        }
        argc++;
    }
}

#undef EMIT

static int parse_inline(resp_parser *p, int *argc, hf_arg **argv)
{
    char *base = p->buf + p->pos;
    size_t avail = p->len - p->pos;
    char *nl = memchr(base, '\n', avail);
    if (!nl) {
        if (avail > INLINE_MAX) return fail(p, "too big inline request");
        return RESP_NEED_MORE;
    }
    size_t linelen = (size_t)(nl - base);
    if (linelen && base[linelen - 1] == '\r') linelen--;
    if (p->inlcap < linelen + 1) {
        p->inlcap = linelen + 1;
        p->inl = hf_realloc(p->inl, p->inlcap);
    }
    /* count first, then fill */
    int n = resp_split_inline(base, linelen, p->inl, NULL, 0);
    if (n < 0) return fail(p, "unbalanced quotes in request");
    ensure_argv(p, n ? n : 1);
    resp_split_inline(base, linelen, p->inl, p->argv, n);
    p->pos += (size_t)(nl - base) + 1;
    p->start = p->pos;
    if (n == 0) return RESP_SKIP;  /* empty line: caller loops */
    p->is_inline = true;
    *argc = n;
    *argv = p->argv;
    return RESP_CMD;
}

/* Parse "<prefix><integer>\r\n" at pos.  Returns 1 parsed, 0 need more, -1 bad. */
static int parse_line_int(resp_parser *p, long long *out, size_t *linelen)
{
    char *base = p->buf + p->pos;
    size_t avail = p->len - p->pos;
    char *cr = memchr(base, '\r', avail);
    if (!cr) return avail > INLINE_MAX ? -2 : 0;
    if ((size_t)(cr - base) + 2 > avail) return 0;  /* need the \n too */
    *linelen = (size_t)(cr - base) + 2;
    if (!hf_str2ll(base + 1, (size_t)(cr - base) - 1, out)) return -1;
    return 1;
}

static int parse_multibulk(resp_parser *p, int *argc, hf_arg **argv)
{
    if (p->mb_left == 0) {
        long long ll;
        size_t ll_len;
        int r = parse_line_int(p, &ll, &ll_len);
        if (r == 0) return RESP_NEED_MORE;
        if (r == -2) return fail(p, "too big mbulk count string");
        if (r < 0 || ll > INT_MAX) return fail(p, "invalid multibulk length");
        if (ll > 10 && !p->authed) return fail(p, "unauthenticated multibulk length");
        p->pos += ll_len;
        if (ll <= 0) {   /* "*0" or "*-1": nothing to do, as Redis */
            p->start = p->pos;
            return RESP_SKIP;
        }
        p->mb_left = ll;
        p->bulk_len = -1;
        p->nrefs = 0;
    }
    while (p->mb_left > 0) {
        if (p->bulk_len == -1) {
            /* as Redis: the whole "$<len>\r\n" line first, then its checks */
            if (p->pos >= p->len) return RESP_NEED_MORE;
            long long ll;
            size_t ll_len;
            int r = parse_line_int(p, &ll, &ll_len);
            if (r == 0) return RESP_NEED_MORE;
            if (r == -2) return fail(p, "too big bulk count string");
            char c = p->buf[p->pos];
            if (c != '$') {
                char msg[64];
                snprintf(msg, sizeof msg, "expected '$', got '%c'", c);
                return fail(p, msg);
            }
            if (r < 0 || ll < 0 || ll > p->max_bulk) return fail(p, "invalid bulk length");
            if (ll > 16384 && !p->authed) return fail(p, "unauthenticated bulk length");
            p->pos += ll_len;
            p->bulk_len = ll;
        }
        if (p->len - p->pos < (size_t)p->bulk_len + 2) return RESP_NEED_MORE;
        push_ref(p, p->pos, (size_t)p->bulk_len);
        p->pos += (size_t)p->bulk_len + 2;
        p->bulk_len = -1;
        p->mb_left--;
    }
    ensure_argv(p, p->nrefs);
    for (int i = 0; i < p->nrefs; i++) {
        p->argv[i].p = p->buf + p->refs[i].off;
        p->argv[i].n = p->refs[i].n;
    }
    *argc = p->nrefs;
    *argv = p->argv;
    p->start = p->pos;
    p->is_inline = false;
    return RESP_CMD;
}

int resp_next(resp_parser *p, int *argc, hf_arg **argv)
{
    if (p->err[0]) return RESP_ERR;
    for (;;) {
        if (p->pos >= p->len) {
            if (p->start == p->len) p->start = p->pos = p->len = 0;
            return RESP_NEED_MORE;
        }
        int r;
        if (p->mb_left > 0 || p->buf[p->pos] == '*')
            r = parse_multibulk(p, argc, argv);
        else
            r = parse_inline(p, argc, argv);
        if (r == RESP_SKIP) continue;   /* empty command skipped */
        return r;
    }
}
