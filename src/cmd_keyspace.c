/* cmd_keyspace.c — the generic keyspace commands: DEL UNLINK EXISTS TYPE
 * KEYS SCAN RANDOMKEY RENAME RENAMENX COPY MOVE EXPIRE PEXPIRE EXPIREAT
 * PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME PERSIST TOUCH DBSIZE FLUSHDB
 * FLUSHALL SWAPDB OBJECT.
 *
 * Replies, error texts and edge cases follow Redis 7.0 (src/db.c,
 * src/expire.c, src/object.c), including which lookups count as keyspace
 * hits/misses and which ones leave the access time alone:
 *
 *   counts stats, touches atime   TOUCH, COPY (source)
 *   counts stats, no touch        EXISTS, TYPE, TTL family, OBJECT, SCAN TYPE
 *   no stats (write lookup)       DEL, UNLINK, RENAME, MOVE, EXPIRE family,
 *                                 PERSIST, COPY (destination)
 *
 * Every mutation goes through do_ks_*() so the write-ahead log sees it.
 * EXPIRE and friends turn a relative time into an absolute one before
 * calling do_ks_set_expire(), so the logged effect is a PEXPIREAT; a time
 * already in the past deletes the key (logged as a delete) and replies 1. */
#include "config.h"
#include "commands.h"
#include "keyspace.h"
#include "pubsub.h"
#include "object.h"
#include "reply.h"
#include "stats.h"
#include "util.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------- */

/* Stack room for the krefs of a multi-key command before we allocate. */
#define SMALL_REFS 16

/* Returns an array for n refs: small when it fits, else a new allocation
 * the caller frees with refs_free(). */
static kref *refs_get(kref *small, int n)
{
    return n <= SMALL_REFS ? small : hf_malloc(sizeof(kref) * (size_t)n);
}

static void refs_free(kref *small, kref *refs)
{
    if (refs != small) hf_free(refs);
}

/* Detaches the value from a live entry so it can be re-added under another
 * key or database; the entry keeps a tiny placeholder which the caller's
 * do_ks_delete() of the source frees.  (A do_ks_take()-style keyspace call
 * would make this unnecessary.)  Caller holds the shard lock. */
static hobj *do_steal_value(kentry *e)
{
    hobj *v = e->val;
    e->val = obj_int(0);
    return v;
}

static bool same_bytes(const hf_arg *a, const hf_arg *b)
{
    return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

/* Parses an int argument as Redis's getIntFromObjectOrReply(): not an
 * integer -> msg or the usual text; outside int -> msg or Redis's range
 * text.  msg is a full error text ("ERR ...") or NULL.  Replies on error. */
static bool parse_int(client *c, const hf_arg *a, int *out, const char *msg)
{
    long long v;
    if (!hf_str2ll(a->p, a->n, &v)) {
        if (msg) reply_error(c, msg);
        else reply_not_int(c);
        return false;
    }
    if (v < INT_MIN || v > INT_MAX) {
        if (msg) reply_error(c, msg);
        else reply_error(c, "ERR value is out of range, value must between -2147483648 and 2147483647");
        return false;
    }
    *out = (int)v;
    return true;
}

/* A database index for MOVE/COPY: an int, then in range. Replies on error. */
static bool parse_dbindex(client *c, const hf_arg *a, int *db)
{
    int v;
    if (!parse_int(c, a, &v, NULL)) return false;
    if (v < 0 || v >= ks_ndbs()) {
        reply_error(c, "ERR DB index is out of range");
        return false;
    }
    *db = v;
    return true;
}

static inline uint64_t db_keys_hint(shard *s, int db)
{
    return __atomic_load_n(&s->db_keys[db], __ATOMIC_RELAXED);
}

static inline bool entry_expired(const kentry *e)
{
    return e->expire && ks_now > e->expire;
}

/* ------------------------------------------------------------------------
 * DEL UNLINK EXISTS TOUCH TYPE
 * ---------------------------------------------------------------------- */

/* DEL and UNLINK: values are freed at once either way (holdfast has no
 * lazy-free thread; a value is one allocation for strings). */
static void del_generic(client *c)
{
    int n = c->argc - 1;
    kref small[SMALL_REFS];
    kref *refs = refs_get(small, n);
    for (int i = 0; i < n; i++) ks_ref_arg(&refs[i], &c->argv[i + 1]);
    long long deleted = 0;
    ks_lock_refs(refs, n);
    for (int i = 0; i < n; i++)
        if (do_ks_delete(&refs[i], c->db)) {
            deleted++;
            notify_keyspace_event(NOTIFY_GENERIC, "del", refs[i].p, refs[i].n, c->db);
        }
    ks_unlock_refs(refs, n);
    refs_free(small, refs);
    reply_int(c, deleted);
}

void cmd_del(client *c) { del_generic(c); }
void cmd_unlink(client *c) { del_generic(c); }

/* EXISTS counts repeated keys once per mention; TOUCH counts existing keys
 * and updates their access time. */
static void exists_generic(client *c, bool touch)
{
    int n = c->argc - 1;
    kref small[SMALL_REFS];
    kref *refs = refs_get(small, n);
    for (int i = 0; i < n; i++) ks_ref_arg(&refs[i], &c->argv[i + 1]);
    long long found = 0;
    ks_lock_refs(refs, n);
    for (int i = 0; i < n; i++) {
        kentry *e = touch ? do_ks_lookup(&refs[i], c->db)
                          : do_ks_lookup_notouch(&refs[i], c->db, true);
        if (e) found++;
    }
    ks_unlock_refs(refs, n);
    refs_free(small, refs);
    reply_int(c, found);
}

void cmd_exists(client *c) { exists_generic(c, false); }
void cmd_touch(client *c) { exists_generic(c, true); }

void cmd_type(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_notouch(&k, c->db, true);
    const char *t = e ? obj_type_name(e->val->type) : "none";
    ks_unlock(k.s);
    reply_simple(c, t);
}

/* ------------------------------------------------------------------------
 * KEYS SCAN RANDOMKEY DBSIZE
 * ---------------------------------------------------------------------- */

struct keys_ctx {
    client *c;
    const char *pat;
    size_t plen;
    bool all;
    long n;
};

static void keys_cb(void *arg, kentry *e)
{
    struct keys_ctx *x = arg;
    if (entry_expired(e)) return;
    if (!x->all && !hf_globmatch(x->pat, x->plen, e->key, e->klen, false)) return;
    reply_bulk(x->c, e->key, e->klen);
    x->n++;
}

/* KEYS visits one shard at a time under its lock, so unlike Redis's the
 * reply is not an atomic snapshot: a key written in another shard while
 * KEYS runs may or may not be listed. */
void cmd_keys(client *c)
{
    struct keys_ctx x = {
        .c = c, .pat = c->argv[1].p, .plen = c->argv[1].n,
        .all = c->argv[1].n == 1 && c->argv[1].p[0] == '*', .n = 0,
    };
    size_t h = reply_defer(c);
    uint32_t ns = ks_nshards();
    for (uint32_t i = 0; i < ns; i++) {
        shard *s = ks_shard(i);
        if (db_keys_hint(s, c->db) == 0) continue;
        ks_lock(s);
        kdict *d = do_ks_dict(s, c->db);
        if (d && kd_size(d) > 0) kd_foreach(d, keys_cb, &x);
        ks_unlock(s);
    }
    reply_defer_array(c, h, x.n);
}

/* Keys a SCAN step keeps: copied out while the shard is locked. */
struct scan_ctx {
    const char *pat;
    size_t plen;
    bool use_pat;
    const hf_arg *type;     /* NULL: any type */
    char *buf;              /* key bytes, back to back */
    size_t blen, bcap;
    size_t *off;            /* off[i]..off[i+1] is key i */
    size_t n, ncap;
};

static void scan_cb(void *arg, shard *s, kentry *e)
{
    (void)s;
    struct scan_ctx *x = arg;
    /* Filtering here gives what Redis's filter-after-fetch gives: COUNT
     * bounds the entries visited (ks_scan counts every call), not the
     * entries replied. */
    if (x->use_pat && !hf_globmatch(x->pat, x->plen, e->key, e->klen, false)) return;
    if (x->type) {
        /* Redis looks each key up to learn its type: a keyspace hit */
        STAT_INC(hits, 1);
        if (!hf_streq(x->type->p, x->type->n, obj_type_name(e->val->type))) return;
    }
    if (!x->buf || x->blen + e->klen > x->bcap) {
        size_t cap = x->bcap ? x->bcap * 2 : 256;
        while (cap < x->blen + e->klen) cap *= 2;
        x->buf = hf_realloc(x->buf, cap);
        x->bcap = cap;
    }
    if (x->n + 2 > x->ncap) {
        x->ncap = x->ncap ? x->ncap * 2 : 32;
        x->off = hf_realloc(x->off, sizeof(size_t) * x->ncap);
    }
    if (x->n == 0) x->off[0] = 0;
    memcpy(x->buf + x->blen, e->key, e->klen);
    x->blen += e->klen;
    x->off[++x->n] = x->blen;
}

void cmd_scan(client *c)
{
    uint64_t cursor;
    if (!arg_cursor(&c->argv[1], &cursor)) {
        reply_error(c, "ERR invalid cursor");
        return;
    }
    long long count = 10;
    struct scan_ctx x = {0};
    for (int i = 2; i < c->argc;) {
        int left = c->argc - i;
        if (arg_is(&c->argv[i], "count") && left >= 2) {
            if (!arg_ll(c, &c->argv[i + 1], &count, NULL)) return;
            if (count < 1) { reply_syntax(c); return; }
            i += 2;
        } else if (arg_is(&c->argv[i], "match") && left >= 2) {
            x.pat = c->argv[i + 1].p;
            x.plen = c->argv[i + 1].n;
            /* exactly "*" matches everything: no pattern */
            x.use_pat = !(x.plen == 1 && x.pat[0] == '*');
            i += 2;
        } else if (arg_is(&c->argv[i], "type") && left >= 2) {
            /* an unknown type name matches nothing, as in Redis 7.0 */
            x.type = &c->argv[i + 1];
            i += 2;
        } else {
            reply_syntax(c);
            return;
        }
    }
    /* ks_scan bounds its work by count * 10 visits: keep that product in
     * range for absurd COUNTs (the whole keyspace fits either way). */
    if (count > LONG_MAX / 16) count = LONG_MAX / 16;
    uint64_t next = ks_scan(c->db, cursor, (long)count, scan_cb, &x);

    char b[24];
    reply_array(c, 2);
    reply_bulk(c, b, (size_t)hf_ull2str(b, next));
    reply_array(c, (long)x.n);
    for (size_t i = 0; i < x.n; i++)
        reply_bulk(c, x.buf + x.off[i], x.off[i + 1] - x.off[i]);
    hf_free(x.buf);
    hf_free(x.off);
}

/* Replies with a random live key of the locked shard s (trying a few random
 * picks, then a full pass if they were all expired); false if none. */
struct first_live { kentry *e; };

static void first_live_cb(void *arg, kentry *e)
{
    struct first_live *f = arg;
    if (!f->e && !entry_expired(e)) f->e = e;
}

static bool do_reply_random_in(client *c, shard *s, bool exhaustive)
{
    kdict *d = do_ks_dict(s, c->db);
    if (!d || kd_size(d) == 0) return false;
    for (int t = 0; t < 8; t++) {
        kentry *e = kd_random(d);
        if (e && !entry_expired(e)) {
            reply_bulk(c, e->key, e->klen);
            return true;
        }
    }
    if (!exhaustive) return false;
    struct first_live f = {NULL};
    kd_foreach(d, first_live_cb, &f);
    if (!f.e) return false;
    reply_bulk(c, f.e->key, f.e->klen);
    return true;
}

/* RANDOMKEY picks a shard with probability proportional to its key count
 * (the lock-free size mirrors), then a random key in it, so every key is
 * about equally likely.  Expired keys are skipped, not deleted.  After a
 * few unlucky rounds (sizes changing under us, or a shard full of expired
 * keys) it falls back to a linear pass from a random shard. */
void cmd_randomkey(client *c)
{
    uint32_t ns = ks_nshards();
    for (int round = 0; round < 8; round++) {
        uint64_t total = ks_dbsize(c->db);
        if (total == 0) break;
        uint64_t r = hf_rand64() % total;
        uint32_t i = 0;
        for (; i < ns; i++) {
            uint64_t k = db_keys_hint(ks_shard(i), c->db);
            if (r < k) break;
            r -= k;
        }
        if (i == ns) continue;          /* sizes moved under us */
        shard *s = ks_shard(i);
        ks_lock(s);
        bool ok = do_reply_random_in(c, s, false);
        ks_unlock(s);
        if (ok) return;
    }
    uint32_t start = (uint32_t)(hf_rand64() % ns);
    for (uint32_t j = 0; j < ns; j++) {
        shard *s = ks_shard((start + j) % ns);
        if (db_keys_hint(s, c->db) == 0) continue;
        ks_lock(s);
        bool ok = do_reply_random_in(c, s, true);
        ks_unlock(s);
        if (ok) return;
    }
    reply_null(c);
}

void cmd_dbsize(client *c)
{
    reply_int(c, (long long)ks_dbsize(c->db));
}

/* ------------------------------------------------------------------------
 * RENAME RENAMENX COPY MOVE
 * ---------------------------------------------------------------------- */

static void rename_generic(client *c, bool nx)
{
    kref refs[2];
    ks_ref_arg(&refs[0], &c->argv[1]);
    ks_ref_arg(&refs[1], &c->argv[2]);
    bool samekey = same_bytes(&c->argv[1], &c->argv[2]);
    ks_lock_refs(refs, 2);
    kentry *src = do_ks_lookup_write(&refs[0], c->db);
    if (!src) {
        ks_unlock_refs(refs, 2);
        reply_error(c, "ERR no such key");
        return;
    }
    if (samekey) {
        ks_unlock_refs(refs, 2);
        if (nx) reply_int(c, 0);
        else reply_ok(c);
        return;
    }
    if (do_ks_lookup_write(&refs[1], c->db)) {
        if (nx) {
            ks_unlock_refs(refs, 2);
            reply_int(c, 0);
            return;
        }
        do_ks_delete(&refs[1], c->db);
    }
    int64_t expire = src->expire;
    hobj *val = do_steal_value(src);
    do_ks_delete(&refs[0], c->db);
    kentry *dst = do_ks_add(&refs[1], c->db, val);
    if (expire) do_ks_set_expire(&refs[1], c->db, dst, expire);
    notify_keyspace_event(NOTIFY_GENERIC, "rename_from", refs[0].p, refs[0].n, c->db);
    notify_keyspace_event(NOTIFY_GENERIC, "rename_to", refs[1].p, refs[1].n, c->db);
    ks_unlock_refs(refs, 2);
    if (nx) reply_int(c, 1);
    else reply_ok(c);
}

void cmd_rename(client *c) { rename_generic(c, false); }
void cmd_renamenx(client *c) { rename_generic(c, true); }

/* COPY source destination [DB destination-db] [REPLACE] */
void cmd_copy(client *c)
{
    int dstdb = c->db;
    bool replace = false;
    for (int j = 3; j < c->argc; j++) {
        int additional = c->argc - j - 1;
        if (arg_is(&c->argv[j], "replace")) {
            replace = true;
        } else if (arg_is(&c->argv[j], "db") && additional >= 1) {
            if (!parse_dbindex(c, &c->argv[j + 1], &dstdb)) return;
            j++;
        } else {
            reply_syntax(c);
            return;
        }
    }
    if (dstdb == c->db && same_bytes(&c->argv[1], &c->argv[2])) {
        reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    kref refs[2];
    ks_ref_arg(&refs[0], &c->argv[1]);
    ks_ref_arg(&refs[1], &c->argv[2]);
    ks_lock_refs(refs, 2);
    kentry *src = do_ks_lookup(&refs[0], c->db);
    if (!src) {
        ks_unlock_refs(refs, 2);
        reply_int(c, 0);
        return;
    }
    int64_t expire = src->expire;
    if (do_ks_lookup_write(&refs[1], dstdb)) {
        if (!replace) {
            ks_unlock_refs(refs, 2);
            reply_int(c, 0);
            return;
        }
        do_ks_delete(&refs[1], dstdb);
    }
    kentry *dst = do_ks_add(&refs[1], dstdb, obj_dup(src->val));
    if (expire) do_ks_set_expire(&refs[1], dstdb, dst, expire);
    notify_keyspace_event(NOTIFY_GENERIC, "copy_to", refs[1].p, refs[1].n, dstdb);
    ks_unlock_refs(refs, 2);
    reply_int(c, 1);
}

/* MOVE key db.  The key's shard depends only on the key, so one lock
 * covers both databases. */
void cmd_move(client *c)
{
    int dstdb;
    if (!parse_dbindex(c, &c->argv[2], &dstdb)) return;
    if (dstdb == c->db) {
        reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *src = do_ks_lookup_write(&k, c->db);
    if (!src || do_ks_lookup_write(&k, dstdb)) {
        ks_unlock(k.s);
        reply_int(c, 0);
        return;
    }
    int64_t expire = src->expire;
    hobj *val = do_steal_value(src);
    do_ks_delete(&k, c->db);
    kentry *dst = do_ks_add(&k, dstdb, val);
    if (expire) do_ks_set_expire(&k, dstdb, dst, expire);
    notify_keyspace_event(NOTIFY_GENERIC, "move_from", k.p, k.n, c->db);
    notify_keyspace_event(NOTIFY_GENERIC, "move_to", k.p, k.n, dstdb);
    ks_unlock(k.s);
    reply_int(c, 1);
}

/* ------------------------------------------------------------------------
 * EXPIRE PEXPIRE EXPIREAT PEXPIREAT PERSIST TTL PTTL EXPIRETIME PEXPIRETIME
 * ---------------------------------------------------------------------- */

enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

/* Options after the time, as Redis 7.0 parses them: any unknown word is
 * "Unsupported option", then the incompatible combinations. */
static bool parse_expire_flags(client *c, int *flags)
{
    int f = 0;
    for (int j = 3; j < c->argc; j++) {
        const hf_arg *a = &c->argv[j];
        if (arg_is(a, "nx")) f |= EXP_NX;
        else if (arg_is(a, "xx")) f |= EXP_XX;
        else if (arg_is(a, "gt")) f |= EXP_GT;
        else if (arg_is(a, "lt")) f |= EXP_LT;
        else {
            reply_errorf(c, "ERR Unsupported option %.*s", (int)strnlen(a->p, a->n), a->p);
            return false;
        }
    }
    if ((f & EXP_NX) && (f & (EXP_XX | EXP_GT | EXP_LT))) {
        reply_error(c, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return false;
    }
    if ((f & EXP_GT) && (f & EXP_LT)) {
        reply_error(c, "ERR GT and LT options at the same time are not compatible");
        return false;
    }
    *flags = f;
    return true;
}

/* Turns the time argument into absolute unix ms as Redis 7.0 does, with
 * its overflow checks; name is the command's lower-case name for the error
 * text.  Replies and returns false on error. */
static bool expire_when(client *c, const char *name, bool relative, bool seconds,
                        long long *out)
{
    long long when;
    if (!arg_ll(c, &c->argv[2], &when, NULL)) return false;
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) goto overflow;
        when *= 1000;
    }
    long long base = relative ? (long long)ks_now : 0;
    if (when > LLONG_MAX - base) goto overflow;
    *out = when + base;
    return true;
overflow:
    reply_errorf(c, "ERR invalid expire time in '%s' command", name);
    return false;
}

/* relative: the time counts from now; seconds: it is in seconds. */
static void expire_generic(client *c, const char *name, bool relative, bool seconds)
{
    int flags;
    long long when;
    if (!parse_expire_flags(c, &flags)) return;
    if (!expire_when(c, name, relative, seconds, &when)) return;

    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    int done = 0;
    kentry *e = do_ks_lookup_write(&k, c->db);
    if (!e) goto out;
    if (flags) {
        /* no TTL counts as an infinite one */
        long long cur = e->expire ? e->expire : -1;
        if ((flags & EXP_NX) && cur != -1) goto out;
        if ((flags & EXP_XX) && cur == -1) goto out;
        if ((flags & EXP_GT) && (cur == -1 || when <= cur)) goto out;
        if ((flags & EXP_LT) && cur != -1 && when >= cur) goto out;
    }
    if (when <= ks_now) {   /* already expired */
        do_ks_delete(&k, c->db);
        notify_keyspace_event(NOTIFY_GENERIC, "del", k.p, k.n, c->db);
    } else {
        do_ks_set_expire(&k, c->db, e, when);
        notify_keyspace_event(NOTIFY_GENERIC, "expire", k.p, k.n, c->db);
    }
    done = 1;
out:
    ks_unlock(k.s);
    reply_int(c, done);
}

void cmd_expire(client *c) { expire_generic(c, "expire", true, true); }
void cmd_pexpire(client *c) { expire_generic(c, "pexpire", true, false); }
void cmd_expireat(client *c) { expire_generic(c, "expireat", false, true); }
void cmd_pexpireat(client *c) { expire_generic(c, "pexpireat", false, false); }

/* -2 missing, -1 no expiry; else the remaining time (ms or rounded
 * seconds, never below 0) or the absolute expiry (abs). */
static void ttl_generic(client *c, bool ms, bool abs)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_notouch(&k, c->db, true);
    int64_t expire = e ? e->expire : 0;
    ks_unlock(k.s);
    if (!e) { reply_int(c, -2); return; }
    if (!expire) { reply_int(c, -1); return; }
    long long t = abs ? expire : expire - ks_now;
    if (t < 0) t = 0;
    /* seconds round half up; unsigned so an expiry near LLONG_MAX cannot
     * overflow (Redis replies 9223372036854776 there) */
    reply_int(c, ms ? t : (long long)(((unsigned long long)t + 500) / 1000));
}

void cmd_ttl(client *c) { ttl_generic(c, false, false); }
void cmd_pttl(client *c) { ttl_generic(c, true, false); }
void cmd_expiretime(client *c) { ttl_generic(c, false, true); }
void cmd_pexpiretime(client *c) { ttl_generic(c, true, true); }

void cmd_persist(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    bool done = e && e->expire;
    if (done) {
        do_ks_set_expire(&k, c->db, e, 0);
        notify_keyspace_event(NOTIFY_GENERIC, "persist", k.p, k.n, c->db);
    }
    ks_unlock(k.s);
    reply_int(c, done ? 1 : 0);
}

/* ------------------------------------------------------------------------
 * FLUSHDB FLUSHALL SWAPDB
 * ---------------------------------------------------------------------- */

/* [SYNC|ASYNC]: both free at once here (the tables are unhooked under the
 * locks and freed outside them, so readers are not stalled either way). */
static bool flush_args_ok(client *c)
{
    if (c->argc == 1) return true;
    if (c->argc == 2 && (arg_is(&c->argv[1], "sync") || arg_is(&c->argv[1], "async")))
        return true;
    reply_syntax(c);
    return false;
}

void cmd_flushdb(client *c)
{
    if (!flush_args_ok(c)) return;
    ks_flushdb(c->db);
    reply_ok(c);
}

void cmd_flushall(client *c)
{
    if (!flush_args_ok(c)) return;
    ks_flushall();
    reply_ok(c);
}

void cmd_swapdb(client *c)
{
    int a, b;
    if (!parse_int(c, &c->argv[1], &a, "ERR invalid first DB index")) return;
    if (!parse_int(c, &c->argv[2], &b, "ERR invalid second DB index")) return;
    int n = ks_ndbs();
    if (a < 0 || a >= n || b < 0 || b >= n) {
        reply_error(c, "ERR DB index is out of range");
        return;
    }
    if (a != b) ks_swapdb(a, b);
    reply_ok(c);
}

/* ------------------------------------------------------------------------
 * OBJECT ENCODING IDLETIME FREQ REFCOUNT HELP
 * (the dispatcher resolved the subcommand: argv[1] is it, argv[2] the key)
 * ---------------------------------------------------------------------- */

/* What an OBJECT subcommand reports about a live value. */
enum { OBJ_INFO_ENCODING, OBJ_INFO_IDLETIME, OBJ_INFO_FREQ, OBJ_INFO_REFCOUNT };

static void object_generic(client *c, int what)
{
    kref k;
    ks_ref_arg(&k, &c->argv[2]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_notouch(&k, c->db, false);
    if (!e) {
        ks_unlock(k.s);
        reply_null(c);
        return;
    }
    const char *enc = obj_enc_name(e->val);
    uint32_t atime = e->val->atime;
    ks_unlock(k.s);
    switch (what) {
    case OBJ_INFO_ENCODING:
        reply_bulk_cstr(c, enc);
        break;
    case OBJ_INFO_IDLETIME: {
        /* seconds since the last access, from the hobj's access clock */
        long long now_s = (long long)(ks_now / 1000);
        long long idle = now_s - (long long)atime;
        reply_int(c, idle > 0 ? idle : 0);
        break;
    }
    case OBJ_INFO_FREQ:
        /* holdfast has no LFU policy, so the counter is never tracked:
         * Redis's reply when an LFU policy is not selected */
        reply_error(c, "ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
                       "Please note that when switching between policies at runtime LRU and LFU "
                       "data will take some time to adjust.");
        break;
    case OBJ_INFO_REFCOUNT:
        /* holdfast never shares objects between keys (each hobj belongs to
         * exactly one entry), so the count is always 1.  Redis would say
         * 2147483647 for its shared small integers (0..9999). */
        reply_int(c, 1);
        break;
    }
}

void cmd_object_encoding(client *c) { object_generic(c, OBJ_INFO_ENCODING); }
void cmd_object_idletime(client *c) { object_generic(c, OBJ_INFO_IDLETIME); }
void cmd_object_freq(client *c) { object_generic(c, OBJ_INFO_FREQ); }
void cmd_object_refcount(client *c) { object_generic(c, OBJ_INFO_REFCOUNT); }

void cmd_object_help(client *c)
{
    static const char *const help[] = {
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        NULL,
    };
    reply_help(c, "OBJECT", help);
}
