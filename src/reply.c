/* reply.c — see reply.h. */
#include "config.h"
#include "reply.h"
#include "util.h"
#include "stats.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static inline void ensure(client *c, size_t n)
{
    if (c->ocap - c->olen >= n) return;
    if (c->osent > 0 && c->osent == c->olen) { c->osent = c->olen = 0; if (c->ocap >= n) return; }
    size_t cap = c->ocap ? c->ocap : 16 * 1024;
    while (cap - c->olen < n) cap *= 2;
    c->obuf = hf_realloc(c->obuf, cap);
    c->ocap = cap;
}

void reply_raw(client *c, const char *p, size_t n)
{
    ensure(c, n);
    memcpy(c->obuf + c->olen, p, n);
    c->olen += n;
}

/* "<t><number>\r\n" */
static void header(client *c, char t, long long v)
{
    ensure(c, 32);
    char *o = c->obuf + c->olen;
    *o++ = t;
    o += hf_ll2str(o, v);
    *o++ = '\r';
    *o++ = '\n';
    c->olen = (size_t)(o - c->obuf);
}

void reply_ok(client *c) { reply_raw(c, "+OK\r\n", 5); }

void reply_simple(client *c, const char *s)
{
    size_t n = strlen(s);
    ensure(c, n + 3);
    c->obuf[c->olen++] = '+';
    memcpy(c->obuf + c->olen, s, n);
    c->olen += n;
    c->obuf[c->olen++] = '\r';
    c->obuf[c->olen++] = '\n';
}

__thread uint64_t tl_reply_errors;

/* errorstats: replies per error code ("ERR", "WRONGTYPE"...), as Redis
 * counts them; errors are rare, so one mutex is fine. */
#define MAX_ERROR_CODES 128
static struct { char code[32]; uint64_t count; } errcodes[MAX_ERROR_CODES];
static int nerrcodes;
static pthread_mutex_t errcodes_mu = PTHREAD_MUTEX_INITIALIZER;

static void count_error_code(const char *s)
{
    size_t n = strcspn(s, " ");
    if (n == 0 || n >= sizeof errcodes[0].code) return;
    pthread_mutex_lock(&errcodes_mu);
    int i;
    for (i = 0; i < nerrcodes; i++)
        if (strlen(errcodes[i].code) == n && !memcmp(errcodes[i].code, s, n)) break;
    if (i == nerrcodes && nerrcodes < MAX_ERROR_CODES) {
        memcpy(errcodes[i].code, s, n);
        errcodes[i].code[n] = '\0';
        errcodes[i].count = 0;
        nerrcodes++;
    }
    if (i < nerrcodes) errcodes[i].count++;
    pthread_mutex_unlock(&errcodes_mu);
}

int reply_errorstats(char *buf, size_t len)
{
    size_t o = 0;
    pthread_mutex_lock(&errcodes_mu);
    for (int i = 0; i < nerrcodes && o < len; i++) {
        int w = snprintf(buf + o, len - o, "errorstat_%s:count=%llu\r\n", errcodes[i].code,
                         (unsigned long long)errcodes[i].count);
        if (w > 0) o += (size_t)w;
    }
    pthread_mutex_unlock(&errcodes_mu);
    return (int)(o < len ? o : len);
}

void reply_errorstats_reset(void)
{
    pthread_mutex_lock(&errcodes_mu);
    nerrcodes = 0;
    pthread_mutex_unlock(&errcodes_mu);
}

void reply_error(client *c, const char *s)
{
    size_t n = strlen(s);
    tl_reply_errors++;
    count_error_code(s);
    /* error texts may not contain newlines: replace as Redis does */
    ensure(c, n + 8);
    c->obuf[c->olen++] = '-';
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        c->obuf[c->olen++] = (ch == '\r' || ch == '\n') ? ' ' : ch;
    }
    c->obuf[c->olen++] = '\r';
    c->obuf[c->olen++] = '\n';
    STAT_INC(errors, 1);
}

void reply_verrorf(client *c, const char *fmt, va_list ap)
{
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    reply_error(c, buf);
}

void reply_errorf(client *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_verrorf(c, fmt, ap);
    va_end(ap);
}

void reply_int(client *c, long long v)
{
    if (v >= 0 && v < 10) {
        char b[4] = {':', (char)('0' + v), '\r', '\n'};
        reply_raw(c, b, 4);
        return;
    }
    header(c, ':', v);
}

void reply_bulk(client *c, const char *p, size_t n)
{
    ensure(c, n + 32);
    header(c, '$', (long long)n);
    memcpy(c->obuf + c->olen, p, n);
    c->olen += n;
    c->obuf[c->olen++] = '\r';
    c->obuf[c->olen++] = '\n';
}

void reply_bulk_cstr(client *c, const char *s) { reply_bulk(c, s, strlen(s)); }

void reply_bulk_ll(client *c, long long v)
{
    char b[24];
    int n = hf_ll2str(b, v);
    reply_bulk(c, b, (size_t)n);
}

void reply_bulk_or_null(client *c, const char *p, size_t n)
{
    if (p) reply_bulk(c, p, n);
    else reply_null(c);
}

void reply_null(client *c)
{
    if (c->resp >= 3) reply_raw(c, "_\r\n", 3);
    else reply_raw(c, "$-1\r\n", 5);
}

void reply_null_array(client *c)
{
    if (c->resp >= 3) reply_raw(c, "_\r\n", 3);
    else reply_raw(c, "*-1\r\n", 5);
}

void reply_array(client *c, long n) { header(c, '*', n); }

void reply_map(client *c, long n)
{
    if (c->resp >= 3) header(c, '%', n);
    else header(c, '*', 2 * n);
}

void reply_set(client *c, long n) { header(c, c->resp >= 3 ? '~' : '*', n); }

void reply_double(client *c, double d)
{
    char b[128];
    int n = hf_d2str(b, sizeof b, d);
    if (c->resp >= 3) {
        ensure(c, (size_t)n + 3);
        c->obuf[c->olen++] = ',';
        memcpy(c->obuf + c->olen, b, (size_t)n);
        c->olen += (size_t)n;
        c->obuf[c->olen++] = '\r';
        c->obuf[c->olen++] = '\n';
    } else {
        reply_bulk(c, b, (size_t)n);
    }
}

void reply_bool(client *c, int b)
{
    if (c->resp >= 3) reply_raw(c, b ? "#t\r\n" : "#f\r\n", 4);
    else reply_int(c, b ? 1 : 0);
}

void reply_verbatim(client *c, const char *p, size_t n, const char *ext)
{
    if (c->resp < 3) { reply_bulk(c, p, n); return; }
    ensure(c, n + 40);
    header(c, '=', (long long)n + 4);
    memcpy(c->obuf + c->olen, ext, 3);
    c->obuf[c->olen + 3] = ':';
    c->olen += 4;
    memcpy(c->obuf + c->olen, p, n);
    c->olen += n;
    c->obuf[c->olen++] = '\r';
    c->obuf[c->olen++] = '\n';
}

/* A deferred header is written as 16 reserved bytes and later rewritten by
 * moving the elements back over the unused space. */
#define DEFER_SPACE 24

size_t reply_defer(client *c)
{
    ensure(c, DEFER_SPACE);
    size_t h = c->olen;
    c->olen += DEFER_SPACE;
    return h;
}

/* Writes an aggregate header (type byte t, n elements) at a deferred
 * handle and closes the gap left before the elements. */
static void defer_fill(client *c, size_t h, char t, long n)
{
    char b[32];
    b[0] = t;
    int len = 1 + hf_ll2str(b + 1, n);
    b[len++] = '\r';
    b[len++] = '\n';
    size_t body = c->olen - h - DEFER_SPACE;
    memcpy(c->obuf + h, b, (size_t)len);
    memmove(c->obuf + h + len, c->obuf + h + DEFER_SPACE, body);
    c->olen = h + (size_t)len + body;
}

void reply_defer_array(client *c, size_t h, long n) { defer_fill(c, h, '*', n); }
void reply_defer_set(client *c, size_t h, long n) { defer_fill(c, h, c->resp == 3 ? '~' : '*', n); }
void reply_defer_map(client *c, size_t h, long n)
{
    if (c->resp == 3) defer_fill(c, h, '%', n);
    else defer_fill(c, h, '*', 2 * n);
}

void reply_wrongtype(client *c)
{
    reply_error(c, "WRONGTYPE Operation against a key holding the wrong kind of value");
}

void reply_syntax(client *c) { reply_error(c, "ERR syntax error"); }

void reply_not_int(client *c) { reply_error(c, "ERR value is not an integer or out of range"); }

void reply_arity(client *c, const char *cmdname)
{
    reply_errorf(c, "ERR wrong number of arguments for '%s' command", cmdname);
}
