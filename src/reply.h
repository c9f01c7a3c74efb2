/* reply.h — build RESP2/RESP3 replies in a client's output buffer.
 * Each function appends one complete element (or an aggregate header whose
 * elements the caller appends next).  The reply type follows c->resp. */
#ifndef HF_REPLY_H
#define HF_REPLY_H

#include <stdarg.h>
#include <stddef.h>
#include "client.h"

void reply_raw(client *c, const char *p, size_t n);
void reply_ok(client *c);
void reply_simple(client *c, const char *s);
/* s is the whole error text after the '-', code included:
 * "ERR syntax error", "WRONGTYPE Operation ..." */
void reply_error(client *c, const char *s);
void reply_errorf(client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_verrorf(client *c, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Error replies this thread has sent (never reset: the dispatcher compares
 * it before and after a command to count failed calls). */
extern __thread uint64_t tl_reply_errors;
/* INFO errorstats lines ("errorstat_ERR:count=3\r\n"...) into buf; returns
 * the length.  _reset clears them (CONFIG RESETSTAT). */
int reply_errorstats(char *buf, size_t len);
void reply_errorstats_reset(void);
void reply_int(client *c, long long v);
void reply_bulk(client *c, const char *p, size_t n);
void reply_bulk_cstr(client *c, const char *s);
void reply_bulk_ll(client *c, long long v);
void reply_null(client *c);          /* $-1 / _ */
void reply_null_array(client *c);    /* *-1 / _ */
void reply_array(client *c, long n);
void reply_map(client *c, long n);   /* n pairs: *2n / %n */
void reply_set(client *c, long n);   /* *n / ~n */
void reply_double(client *c, double d);
void reply_bool(client *c, int b);
void reply_verbatim(client *c, const char *p, size_t n, const char *ext);
void reply_bulk_or_null(client *c, const char *p, size_t n);

/* Deferred aggregate length: reserve, append elements, then fill. */
size_t reply_defer(client *c);
void reply_defer_array(client *c, size_t handle, long n);
void reply_defer_set(client *c, size_t handle, long n);   /* ~n in RESP3 */
void reply_defer_map(client *c, size_t handle, long n);   /* n pairs */

/* The common error replies, with Redis's texts */
void reply_wrongtype(client *c);
void reply_syntax(client *c);
void reply_not_int(client *c);
void reply_arity(client *c, const char *cmdname);

#endif
