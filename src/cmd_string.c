/* cmd_string.c — the string commands: GET SET SETNX SETEX PSETEX GETSET
 * GETDEL GETEX MGET MSET MSETNX APPEND STRLEN GETRANGE SETRANGE SUBSTR
 * INCR DECR INCRBY DECRBY INCRBYFLOAT.
 *
 * Replies, error texts and the order in which errors are detected follow
 * Redis 7.0's t_string.c: option syntax first, then argument values, then
 * the key's type, then the value stored in the key.
 *
 * Every handler parses and validates its arguments with no lock held, takes
 * the key's shard lock (several shards, in order, for MGET/MSET/MSETNX),
 * looks up, replies while still holding the lock (copying the value into
 * the reply buffer is what makes the copy safe) and unlocks.
 *
 * Every mutation goes through a do_ks_*() call or ks_log_cmd so the WAL
 * sees it.  INCR* compute the new value first and store it with one
 * do_ks_add/do_ks_replace_value call: they are logged as the SET of their
 * result.  APPEND and SETRANGE edit an existing string in place
 * (obj_make_raw) and are logged as the command itself (replayed by the same
 * handler), so a large string is not written out whole on every append.
 * Keyspace notifications follow Redis's t_string.c event names. */
#include "config.h"
#include "commands.h"
#include "keyspace.h"
#include "pubsub.h"
#include "object.h"
#include "reply.h"
#include "util.h"

#include <limits.h>
#include <math.h>
#include <string.h>

/* proto-max-bulk-len default: the largest string a command may create
 * (Redis's checkStringLength). */
#define STRING_MAX_LEN (512LL * 1024 * 1024)

/* MAX_LONG_DOUBLE_CHARS in Redis: room for any "%.17Lf" long double. */
#define LD_STR_MAX 5120

/* ---- small helpers ------------------------------------------------------ */

/* Replies the string value of o as a bulk string. */
static void reply_obj(client *c, const hobj *o)
{
    char scratch[32];
    size_t n;
    const char *p = obj_str(o, scratch, &n);
    reply_bulk(c, p, n);
}

/* Replies the "string exceeds maximum allowed size" error and returns false
 * if a string of size + append bytes would be too long (Redis's
 * checkStringLength, overflow included). */
static bool check_string_length(client *c, long long size, long long append)
{
    unsigned long long total = (unsigned long long)size + (unsigned long long)append;
    if (total > (unsigned long long)STRING_MAX_LEN) {
        reply_error(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return false;
    }
    return true;
}

/* Strict long double parse as Redis's string2ld: hf_str2ld plus rejection
 * of embedded NUL bytes (strtold would stop at them). */
static bool parse_ld(const char *p, size_t n, long double *out)
{
    if (memchr(p, '\0', n)) return false;
    return hf_str2ld(p, n, out);
}

/* ---- SET family ---------------------------------------------------------- */

enum {
    SF_NX = 1 << 0,
    SF_XX = 1 << 1,
    SF_GET = 1 << 2,
    SF_KEEPTTL = 1 << 3,
    SF_PERSIST = 1 << 4,
    SF_EX = 1 << 5,
    SF_PX = 1 << 6,
    SF_EXAT = 1 << 7,
    SF_PXAT = 1 << 8,
};
#define SF_ANY_EXPIRE (SF_EX | SF_PX | SF_EXAT | SF_PXAT)

enum { PARSE_SET, PARSE_GETEX };

/* Parses SET's options (from argv[3]) or GETEX's (from argv[2]) with the
 * combinations Redis accepts (repeating an option is allowed; the last
 * expire value wins).  On a syntax error replies and returns false. */
static bool parse_string_opts(client *c, int kind, unsigned *flags, const hf_arg **expire)
{
    unsigned f = 0;
    bool set = kind == PARSE_SET;
    for (int j = set ? 3 : 2; j < c->argc; j++) {
        const hf_arg *a = &c->argv[j];
        bool has_next = j + 1 < c->argc;
        unsigned add;
        if (set && arg_opt(a, "nx") && !(f & SF_XX)) {
            add = SF_NX;
        } else if (set && arg_opt(a, "xx") && !(f & SF_NX)) {
            add = SF_XX;
        } else if (set && arg_opt(a, "get")) {
            add = SF_GET;
        } else if (set && arg_opt(a, "keepttl") && !(f & (SF_PERSIST | SF_ANY_EXPIRE))) {
            add = SF_KEEPTTL;
        } else if (!set && arg_opt(a, "persist") && !(f & (SF_KEEPTTL | SF_ANY_EXPIRE))) {
            add = SF_PERSIST;
        } else if (has_next && (arg_opt(a, "ex") || arg_opt(a, "px") || arg_opt(a, "exat") ||
                                arg_opt(a, "pxat"))) {
            add = arg_opt(a, "ex") ? SF_EX : arg_opt(a, "px") ? SF_PX
                : arg_opt(a, "exat") ? SF_EXAT : SF_PXAT;
            /* the same unit may repeat; any other expiry form may not */
            if (f & (SF_KEEPTTL | SF_PERSIST | (SF_ANY_EXPIRE & ~add))) {
                reply_syntax(c);
                return false;
            }
            *expire = &c->argv[++j];
        } else {
            reply_syntax(c);
            return false;
        }
        f |= add;
    }
    *flags = f;
    return true;
}

/* Converts an EX/PX/EXAT/PXAT argument into an absolute unix time in ms,
 * checking the range as Redis's getExpireMillisecondsOrReply: the value must
 * be positive, seconds must not overflow when turned into ms, and relative
 * times must not overflow when the current time is added.  The error names
 * the command (argv[0] in lower case).  Replies and returns false on error. */
static bool expire_when(client *c, const hf_arg *a, unsigned flags, int64_t *when)
{
    long long v;
    if (!arg_ll(c, a, &v, NULL)) return false;
    bool seconds = flags & (SF_EX | SF_EXAT);
    bool relative = flags & (SF_EX | SF_PX);
    bool bad = v <= 0 || (seconds && v > LLONG_MAX / 1000);
    if (!bad) {
        if (seconds) v *= 1000;
        if (relative) {
            if (v > LLONG_MAX - ks_now) bad = true;
            else v += ks_now;
        }
    }
    if (bad) {
        char name[32];
        size_t n = c->argv[0].n < sizeof name - 1 ? c->argv[0].n : sizeof name - 1;
        for (size_t i = 0; i < n; i++) {
            char ch = c->argv[0].p[i];
            name[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
        }
        name[n] = '\0';
        reply_errorf(c, "ERR invalid expire time in '%s' command", name);
        return false;
    }
    *when = v;
    return true;
}

/* SET key val with flags and an absolute expiry (when, 0 = none).  Replies
 * +OK / nil, or :1 / :0 when int_replies (SETNX); with SF_GET the reply is
 * the old value instead.  Arguments are already validated. */
static void set_generic(client *c, const hf_arg *val, unsigned flags, int64_t when,
                        bool int_replies)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);

    ks_lock(k.s);
    if (flags & SF_GET) {
        kentry *old = do_ks_lookup(&k, c->db);
        if (old && old->val->type != OBJ_STRING) {
            reply_wrongtype(c);
            goto out;
        }
        if (old) reply_obj(c, old->val);
        else reply_null(c);
    }

    kentry *e = do_ks_lookup_write(&k, c->db);
    if (((flags & SF_NX) && e) || ((flags & SF_XX) && !e)) {
        if (!(flags & SF_GET)) {
            if (int_replies) reply_int(c, 0);
            else reply_null(c);
        }
        goto out;
    }

    /* An EXAT/PXAT time already past is stored as it is, as Redis 7.0
     * does: the key is logically gone at once (lookups treat it as expired)
     * and is reaped, and counted in expired_keys, by lazy or active expiry;
     * until then DBSIZE counts it, as Redis's does. */
    e = do_ks_set(&k, c->db, obj_string(val->p, val->n), flags & SF_KEEPTTL);
    notify_keyspace_event(NOTIFY_STRING, "set", k.p, k.n, c->db);
    if (when) {
        do_ks_set_expire(&k, c->db, e, when);
        notify_keyspace_event(NOTIFY_GENERIC, "expire", k.p, k.n, c->db);
    }
    if (!(flags & SF_GET)) {
        if (int_replies) reply_int(c, 1);
        else reply_ok(c);
    }
out:
    ks_unlock(k.s);
}

void cmd_set(client *c)
{
    unsigned flags;
    const hf_arg *expire = NULL;
    int64_t when = 0;
    if (!parse_string_opts(c, PARSE_SET, &flags, &expire)) return;
    if (expire && !expire_when(c, expire, flags, &when)) return;
    set_generic(c, &c->argv[2], flags, when, false);
}

void cmd_setnx(client *c)
{
    set_generic(c, &c->argv[2], SF_NX, 0, true);
}

/* SETEX key seconds value / PSETEX key milliseconds value */
static void setex_generic(client *c, unsigned unit_flag)
{
    int64_t when;
    if (!expire_when(c, &c->argv[2], unit_flag, &when)) return;
    set_generic(c, &c->argv[3], unit_flag, when, false);
}

void cmd_setex(client *c) { setex_generic(c, SF_EX); }
void cmd_psetex(client *c) { setex_generic(c, SF_PX); }

/* ---- GET family ---------------------------------------------------------- */

void cmd_get(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    if (!e) reply_null(c);
    else if (e->val->type != OBJ_STRING) reply_wrongtype(c);
    else reply_obj(c, e->val);
    ks_unlock(k.s);
}

/* GETSET key value: replies the old value (or nil) and sets the new one,
 * clearing any TTL; a non-string key is left alone. */
void cmd_getset(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    if (e && e->val->type != OBJ_STRING) {
        reply_wrongtype(c);
    } else {
        if (e) reply_obj(c, e->val);
        else reply_null(c);
        do_ks_set(&k, c->db, obj_string(c->argv[2].p, c->argv[2].n), false);
        notify_keyspace_event(NOTIFY_STRING, "set", k.p, k.n, c->db);
    }
    ks_unlock(k.s);
}

void cmd_getdel(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    if (!e) {
        reply_null(c);
    } else if (e->val->type != OBJ_STRING) {
        reply_wrongtype(c);
    } else {
        reply_obj(c, e->val);
        do_ks_delete(&k, c->db);
        notify_keyspace_event(NOTIFY_GENERIC, "del", k.p, k.n, c->db);
    }
    ks_unlock(k.s);
}

/* GETEX key [EX s | PX ms | EXAT ts | PXAT ms-ts | PERSIST]
 * Syntax errors come first; a missing key then replies nil and a wrong type
 * WRONGTYPE before the expire value is checked (as Redis). */
void cmd_getex(client *c)
{
    unsigned flags;
    const hf_arg *expire = NULL;
    if (!parse_string_opts(c, PARSE_GETEX, &flags, &expire)) return;

    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    int64_t when = 0;
    if (!e) {
        reply_null(c);
    } else if (e->val->type != OBJ_STRING) {
        reply_wrongtype(c);
    } else if (!expire || expire_when(c, expire, flags, &when)) {
        reply_obj(c, e->val);
        if ((flags & (SF_EXAT | SF_PXAT)) && when <= ks_now) {
            /* already elapsed (Redis's checkAlreadyExpired: when <= now) */
            do_ks_delete(&k, c->db);
            notify_keyspace_event(NOTIFY_GENERIC, "del", k.p, k.n, c->db);
        } else if (expire) {
            do_ks_set_expire(&k, c->db, e, when);
            notify_keyspace_event(NOTIFY_GENERIC, "expire", k.p, k.n, c->db);
        } else if ((flags & SF_PERSIST) && e->expire) {
            do_ks_set_expire(&k, c->db, e, 0);
            notify_keyspace_event(NOTIFY_GENERIC, "persist", k.p, k.n, c->db);
        }
    }
    ks_unlock(k.s);
}

/* ---- multi-key commands -------------------------------------------------- */

/* Resolves n keys, argv[first], argv[first + step], ... into refs; uses
 * small (of room entries) or a heap array the caller frees with
 * free_refs(). */
static kref *make_refs(client *c, int first, int step, int n, kref *small, int room)
{
    kref *refs = n <= room ? small : hf_malloc(sizeof(kref) * (size_t)n);
    for (int i = 0; i < n; i++) ks_ref_arg(&refs[i], &c->argv[first + i * step]);
    return refs;
}

static void free_refs(kref *refs, kref *small)
{
    if (refs != small) hf_free(refs);
}

void cmd_mget(client *c)
{
    int n = c->argc - 1;
    kref small[16];
    kref *refs = make_refs(c, 1, 1, n, small, 16);
    ks_lock_refs(refs, n);
    reply_array(c, n);
    for (int i = 0; i < n; i++) {
        kentry *e = do_ks_lookup(&refs[i], c->db);
        if (!e || e->val->type != OBJ_STRING) reply_null(c);
        else reply_obj(c, e->val);
    }
    ks_unlock_refs(refs, n);
    free_refs(refs, small);
}

/* MSET / MSETNX key value [key value ...] */
static void mset_generic(client *c, bool nx)
{
    if (c->argc % 2 == 0) {
        reply_errorf(c, "ERR wrong number of arguments for '%s' command", nx ? "msetnx" : "mset");
        return;
    }
    int n = (c->argc - 1) / 2;
    kref small[16];
    kref *refs = make_refs(c, 1, 2, n, small, 16);
    ks_lock_refs(refs, n);
    bool busy = false;
    if (nx) {
        for (int i = 0; i < n && !busy; i++)
            busy = do_ks_lookup_write(&refs[i], c->db) != NULL;
    }
    if (!busy) {
        for (int i = 0; i < n; i++) {
            const hf_arg *v = &c->argv[2 + 2 * i];
            do_ks_set(&refs[i], c->db, obj_string(v->p, v->n), false);
            notify_keyspace_event(NOTIFY_STRING, "set", refs[i].p, refs[i].n, c->db);
        }
    }
    if (nx) reply_int(c, busy ? 0 : 1);
    else reply_ok(c);
    ks_unlock_refs(refs, n);
    free_refs(refs, small);
}

void cmd_mset(client *c) { mset_generic(c, false); }
void cmd_msetnx(client *c) { mset_generic(c, true); }

/* ---- in-place string edits ----------------------------------------------- */

void cmd_append(client *c)
{
    const hf_arg *a = &c->argv[2];
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    if (!e) {
        do_ks_add(&k, c->db, obj_string(a->p, a->n));
        notify_keyspace_event(NOTIFY_STRING, "append", k.p, k.n, c->db);
        reply_int(c, (long long)a->n);
    } else if (e->val->type != OBJ_STRING) {
        reply_wrongtype(c);
    } else {
        size_t olen = obj_strlen(e->val);
        if (check_string_length(c, (long long)olen, (long long)a->n)) {
            hobj *o = obj_make_raw(e->val, olen + a->n);
            e->val = o;                /* the old pointer may be gone */
            memcpy(o->data + olen, a->p, a->n);
            o->atime = (uint32_t)(ks_now / 1000);
            /* logged as the command, not the (possibly large) new value */
            ks_log_cmd(&k, c->db, c->argc, c->argv);
            notify_keyspace_event(NOTIFY_STRING, "append", k.p, k.n, c->db);
            reply_int(c, (long long)o->u.s.len);
        }
    }
    ks_unlock(k.s);
}

void cmd_setrange(client *c)
{
    const hf_arg *a = &c->argv[3];
    long long offset;
    if (!arg_ll(c, &c->argv[2], &offset, NULL)) return;
    if (offset < 0) {
        reply_error(c, "ERR offset is out of range");
        return;
    }
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    if (!e) {
        if (a->n == 0) {
            reply_int(c, 0);
        } else if (check_string_length(c, offset, (long long)a->n)) {
            size_t len = (size_t)offset + a->n;
            hobj *o = obj_make_raw(obj_string_raw(NULL, 0, len), len);
            memcpy(o->data + offset, a->p, a->n);
            do_ks_add(&k, c->db, o);
            notify_keyspace_event(NOTIFY_STRING, "setrange", k.p, k.n, c->db);
            reply_int(c, (long long)len);
        }
    } else if (e->val->type != OBJ_STRING) {
        reply_wrongtype(c);
    } else {
        size_t olen = obj_strlen(e->val);
        if (a->n == 0) {
            reply_int(c, (long long)olen);
        } else if (check_string_length(c, offset, (long long)a->n)) {
            size_t end = (size_t)offset + a->n;
            hobj *o = obj_make_raw(e->val, end > olen ? end : olen);
            e->val = o;                /* the old pointer may be gone */
            memcpy(o->data + offset, a->p, a->n);
            o->atime = (uint32_t)(ks_now / 1000);
            ks_log_cmd(&k, c->db, c->argc, c->argv);
            notify_keyspace_event(NOTIFY_STRING, "setrange", k.p, k.n, c->db);
            reply_int(c, (long long)o->u.s.len);
        }
    }
    ks_unlock(k.s);
}

/* ---- reads of part of a string ------------------------------------------- */

void cmd_strlen(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    if (!e) reply_int(c, 0);
    else if (e->val->type != OBJ_STRING) reply_wrongtype(c);
    else reply_int(c, (long long)obj_strlen(e->val));
    ks_unlock(k.s);
}

/* GETRANGE key start end (inclusive, negative = from the end); a missing key
 * or an empty range replies an empty bulk string, not nil. */
void cmd_getrange(client *c)
{
    long long start, end;
    if (!arg_ll(c, &c->argv[2], &start, NULL)) return;
    if (!arg_ll(c, &c->argv[3], &end, NULL)) return;
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    if (!e) {
        reply_bulk(c, "", 0);
    } else if (e->val->type != OBJ_STRING) {
        reply_wrongtype(c);
    } else {
        char scratch[32];
        size_t n;
        const char *p = obj_str(e->val, scratch, &n);
        long long len = (long long)n;
        if (start < 0 && end < 0 && start > end) {
            reply_bulk(c, "", 0);
        } else {
            if (start < 0) start += len;
            if (end < 0) end += len;
            if (start < 0) start = 0;
            if (end < 0) end = 0;
            if (end >= len) end = len - 1;
            if (start > end || len == 0) reply_bulk(c, "", 0);
            else reply_bulk(c, p + start, (size_t)(end - start + 1));
        }
    }
    ks_unlock(k.s);
}

void cmd_substr(client *c) { cmd_getrange(c); }

/* ---- counters ------------------------------------------------------------ */

/* Adds incr to the integer in the key (0 if missing) and stores the result
 * as a new int object; the TTL is kept. */
static void incr_generic(client *c, long long incr)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    long long v = 0;
    if (e && e->val->type != OBJ_STRING) {
        reply_wrongtype(c);
    } else if (e && !obj_getll(e->val, &v)) {
        reply_not_int(c);
    } else if ((incr < 0 && v < 0 && incr < LLONG_MIN - v) ||
               (incr > 0 && v > 0 && incr > LLONG_MAX - v)) {
        reply_error(c, "ERR increment or decrement would overflow");
    } else {
        long long nv = v + incr;          /* the new value ... */
        hobj *o = obj_int(nv);            /* ... then store it */
        if (e) do_ks_replace_value(&k, c->db, e, o);
        else do_ks_add(&k, c->db, o);
        notify_keyspace_event(NOTIFY_STRING, "incrby", k.p, k.n, c->db);
        reply_int(c, nv);
    }
    ks_unlock(k.s);
}

void cmd_incr(client *c) { incr_generic(c, 1); }
void cmd_decr(client *c) { incr_generic(c, -1); }

void cmd_incrby(client *c)
{
    long long incr;
    if (!arg_ll(c, &c->argv[2], &incr, NULL)) return;
    incr_generic(c, incr);
}

void cmd_decrby(client *c)
{
    long long incr;
    if (!arg_ll(c, &c->argv[2], &incr, NULL)) return;
    if (incr == LLONG_MIN) {
        reply_error(c, "ERR decrement would overflow");
        return;
    }
    incr_generic(c, -incr);
}

/* INCRBYFLOAT key increment: long double arithmetic, the result stored and
 * replied as "%.17Lf" with trailing zeros removed (as a string, never
 * int-encoded, as Redis's createStringObjectFromLongDouble). */
void cmd_incrbyfloat(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    long double v = 0, incr;
    char scratch[32];
    size_t n;
    const char *p;
    if (e && e->val->type != OBJ_STRING) {
        reply_wrongtype(c);
        goto out;
    }
    if (e) {
        if (e->val->enc == ENC_INT) {
            v = (long double)e->val->u.i;
        } else {
            p = obj_str(e->val, scratch, &n);
            if (!parse_ld(p, n, &v)) goto notfloat;
        }
    }
    if (!parse_ld(c->argv[2].p, c->argv[2].n, &incr)) goto notfloat;
    v += incr;
    if (isnan(v) || isinf(v)) {
        reply_error(c, "ERR increment would produce NaN or Infinity");
        goto out;
    }
    char buf[LD_STR_MAX];
    int len = hf_ld2str(buf, sizeof buf, v, true);
    hobj *o = obj_string_raw(buf, (size_t)len, (size_t)len);
    o->enc = len <= EMBSTR_LIMIT ? ENC_EMBSTR : ENC_RAW;
    if (e) do_ks_replace_value(&k, c->db, e, o);
    else do_ks_add(&k, c->db, o);
    notify_keyspace_event(NOTIFY_STRING, "incrbyfloat", k.p, k.n, c->db);
    reply_bulk(c, buf, (size_t)len);
    goto out;
notfloat:
    reply_error(c, "ERR value is not a valid float");
out:
    ks_unlock(k.s);
}
