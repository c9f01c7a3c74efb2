/* multi.c — MULTI EXEC DISCARD WATCH UNWATCH.
 *
 * Queue.  Between MULTI and EXEC the dispatcher hands every command to
 * multi_intercept(), which copies its arguments (c->argv is reused by the
 * next command) and answers +QUEUED.  A command rejected while queuing
 * (unknown, wrong arity, ...) makes EXEC answer EXECABORT.
 *
 * EXEC.  Atomic across shards: before running anything EXEC works out
 * every key the queued commands will touch (from the key specs in
 * cmdmeta.c, as COMMAND GETKEYS does) plus the WATCHed keys, holds their
 * shards (ks_hold_refs), or every shard (ks_hold_all) when a command's keys
 * cannot be known in advance (FLUSHALL, KEYS, SCAN, INFO, SORT ... BY,
 * arguments that fit no key spec...).  While held, the handlers' own lock
 * calls do nothing, and ks_hold_end() commits all the effects as one WAL
 * record, then releases the shards: no client sees half a transaction and
 * recovery replays it whole or not at all.  Holding the WATCHed keys'
 * shards makes the "was a watched key touched?" check and the execution
 * one atomic step, as in single-threaded Redis.
 *
 * WATCH.  Each watched key is a `wkey` that sits in two lists: its shard's
 * registry (shard->watch, a small chained hash table, under the shard
 * lock) and its client's list (owner thread only).  A change to the key,
 * made by any thread with the shard locked, sets the client's `dirty` flag
 * (atomic).  Lifetime: a wkey is reachable by other threads only through
 * the registry, so the owner unregisters every wkey under its shard lock
 * before freeing it or the client's state; after that no writer can reach
 * the state any more.
 *
 * Expiry (Redis 7.0): a key already expired (but not yet deleted) when
 * WATCHed is flagged `expired`; its deletion is then no change.  A key that
 * expires after WATCH makes EXEC fail, whether it was deleted meanwhile
 * (a touch) or is still in the table at EXEC (checked under the locks). */
#include "config.h"
#include "multi.h"
#include "commands.h"
#include "conf.h"
#include "keyspace.h"
#include "net.h"
#include "reply.h"
#include "util.h"
#include "wal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- state ------------------------------------------------------------------ */

struct qcmd {
    struct command *cmd;
    int argc;
    hf_arg *argv;               /* the array and the argument bytes, one block */
};

struct wkey {
    struct wkey *snext;         /* shard registry chain (shard lock) */
    struct wkey *cnext;         /* the client's list (owner thread) */
    struct multi_state *ms;
    shard *s;
    uint64_t hash;
    int db;
    bool expired;               /* expired but present when WATCHed (shard lock) */
    uint32_t klen;
    char key[];
};

struct wreg {                   /* shard->watch */
    struct wkey **b;
    uint32_t mask;              /* buckets - 1 */
};

struct multi_state {
    struct qcmd *q;
    int nq, qcap;
    uint32_t qflags;            /* union of the queued commands' CMD_* flags */
    bool failed;                /* a command was rejected while queuing */
    int dirty;                  /* a watched key changed: atomic, set by any
                                 * thread holding that key's shard lock */
    struct wkey *watched;
};

static struct multi_state *state_get(client *c)
{
    if (!c->mstate) c->mstate = hf_calloc(1, sizeof(struct multi_state));
    return c->mstate;
}

static void set_flag(client *c, unsigned f, bool on)
{
    if (on) __atomic_or_fetch(&c->flags, f, __ATOMIC_RELAXED);
    else __atomic_and_fetch(&c->flags, ~f, __ATOMIC_RELAXED);
}

static void queue_push(struct multi_state *ms, struct command *cmd, int argc, const hf_arg *argv)
{
    if (ms->nq == ms->qcap) {
        ms->qcap = ms->qcap ? ms->qcap * 2 : 4;
        ms->q = hf_realloc(ms->q, sizeof(struct qcmd) * (size_t)ms->qcap);
    }
    size_t bytes = sizeof(hf_arg) * (size_t)argc;
    for (int i = 0; i < argc; i++) bytes += argv[i].n + 1;
    hf_arg *copy = hf_malloc(bytes);
    char *p = (char *)(copy + argc);
    for (int i = 0; i < argc; i++) {
        memcpy(p, argv[i].p, argv[i].n);
        p[argv[i].n] = '\0';    /* as the parser's arguments: safe for strtod & co */
        copy[i].p = p;
        copy[i].n = argv[i].n;
        p += argv[i].n + 1;
    }
    ms->q[ms->nq++] = (struct qcmd){cmd, argc, copy};
    ms->qflags |= cmd->flags;
}

static void queue_clear(struct multi_state *ms)
{
    for (int i = 0; i < ms->nq; i++) hf_free(ms->q[i].argv);
    hf_free(ms->q);
    ms->q = NULL;
    ms->nq = ms->qcap = 0;
    ms->qflags = 0;
}

/* ---- WATCH registry (shard lock held) --------------------------------------- */

static bool wkey_is(const struct wkey *w, uint64_t h, int db, const char *key, size_t n)
{
    return w->hash == h && w->db == db && w->klen == n && memcmp(w->key, key, n) == 0;
}

static void reg_add(shard *s, struct wkey *w)
{
    struct wreg *r = s->watch;
    if (!r) {
        r = hf_malloc(sizeof *r);
        r->mask = 7;
        r->b = hf_calloc(r->mask + 1, sizeof(struct wkey *));
        s->watch = r;
    } else if (s->nwatch > r->mask) {   /* load factor 1: double */
        uint32_t mask = r->mask * 2 + 1;
        struct wkey **b = hf_calloc((size_t)mask + 1, sizeof(struct wkey *));
        for (uint32_t i = 0; i <= r->mask; i++)
            for (struct wkey *x = r->b[i], *next; x; x = next) {
                next = x->snext;
                x->snext = b[x->hash & mask];
                b[x->hash & mask] = x;
            }
        hf_free(r->b);
        r->b = b;
        r->mask = mask;
    }
    struct wkey **head = &r->b[w->hash & r->mask];
    w->snext = *head;
    *head = w;
    s->nwatch++;
}

static void reg_del(shard *s, struct wkey *w)
{
    struct wreg *r = s->watch;
    struct wkey **pp = &r->b[w->hash & r->mask];
    while (*pp != w) pp = &(*pp)->snext;
    *pp = w->snext;
    if (--s->nwatch == 0) {     /* an idle shard keeps no table */
        hf_free(r->b);
        hf_free(r);
        s->watch = NULL;
    }
}

/* The key's entry in its table, expired or not (no lazy expiry here). */
static kentry *wkey_entry(shard *s, int db, const struct wkey *w)
{
    kdict *d = do_ks_dict(s, db);
    return d ? kd_find(d, w->key, w->klen, w->hash) : NULL;
}

static bool entry_expired(const kentry *e)
{
    return e && e->expire && ks_now > e->expire;
}

static void mark_dirty(struct wkey *w)
{
    __atomic_store_n(&w->ms->dirty, 1, __ATOMIC_RELEASE);
}

/* Registers c's WATCH of k (its shard locked); a repeated WATCH of the same
 * key in the same database is a no-op, as in Redis. */
static void watch_key(client *c, struct multi_state *ms, const kref *k)
{
    shard *s = k->s;
    struct wreg *r = s->watch;
    if (r)
        for (struct wkey *w = r->b[k->hash & r->mask]; w; w = w->snext)
            if (w->ms == ms && wkey_is(w, k->hash, c->db, k->p, k->n)) return;
    struct wkey *w = hf_malloc(sizeof *w + k->n);
    w->ms = ms;
    w->s = s;
    w->hash = k->hash;
    w->db = c->db;
    w->klen = (uint32_t)k->n;
    memcpy(w->key, k->p, k->n);
    w->expired = entry_expired(wkey_entry(s, w->db, w));
    reg_add(s, w);
    w->cnext = ms->watched;
    ms->watched = w;
}

/* Drops every WATCH of ms.  Outside a transaction each shard is locked in
 * turn; inside EXEC the shards are held already (ks_lock is a no-op). */
static void unwatch_all(struct multi_state *ms)
{
    struct wkey *w = ms->watched;
    while (w) {
        struct wkey *next = w->cnext;
        ks_lock(w->s);
        reg_del(w->s, w);
        ks_unlock(w->s);
        hf_free(w);
        w = next;
    }
    ms->watched = NULL;
}

/* Redis's isWatchedKeyExpired: a key watched alive that has expired since
 * (still in the table) fails the transaction.  Shards held. */
static bool watched_key_expired(struct multi_state *ms)
{
    for (struct wkey *w = ms->watched; w; w = w->cnext)
        if (!w->expired && entry_expired(wkey_entry(w->s, w->db, w))) return true;
    return false;
}

/* ---- keyspace hooks ---------------------------------------------------------- */

void multi_touch_key(shard *s, int db, const char *key, size_t n)
{
    struct wreg *r = s->watch;
    if (!r) return;
    uint64_t h = hf_hash(key, n);
    for (struct wkey *w = r->b[h & r->mask]; w; w = w->snext) {
        if (!wkey_is(w, h, db, key, n)) continue;
        if (w->expired) {
            /* Watched while already expired: its deletion (by expiry, DEL,
             * or a write that first drops it) is no logical change.  The
             * keyspace calls us before removing an expired key, so "still
             * there but expired" means the same. */
            kentry *e = wkey_entry(s, db, w);
            if (!e || entry_expired(e)) {
                w->expired = false;
                continue;
            }
        }
        mark_dirty(w);
    }
}

/* Redis 7.0's touchAllWatchedKeysInDb(emptied, replaced_with), for the
 * keys watched in database `emptied`; with = -1 for a flush.  Every shard
 * locked, tables not yet changed. */
static void touch_emptied(int emptied, int with)
{
    uint32_t ns = ks_nshards();
    for (uint32_t i = 0; i < ns; i++) {
        shard *s = ks_shard(i);
        struct wreg *r = s->watch;
        if (!r) continue;
        for (uint32_t b = 0; b <= r->mask; b++)
            for (struct wkey *w = r->b[b]; w; w = w->snext) {
                if (w->db != emptied) continue;
                kentry *e1 = wkey_entry(s, emptied, w);
                kentry *e2 = with >= 0 ? wkey_entry(s, with, w) : NULL;
                if (!e1 && !e2) continue;
                if (w->expired) {
                    if (!e2) {          /* expired key now deleted: no change */
                        w->expired = false;
                        continue;
                    }
                    if (entry_expired(e2)) continue;    /* stays expired */
                } else if (!e1 && entry_expired(e2)) {
                    w->expired = true;  /* nothing replaced by an expired key */
                    continue;
                }
                mark_dirty(w);
            }
    }
}

void multi_touch_flush(int db)
{
    if (db >= 0) {
        touch_emptied(db, -1);
        return;
    }
    for (int d = 0; d < ks_ndbs(); d++) touch_emptied(d, -1);
}

void multi_touch_swap(int a, int b)
{
    touch_emptied(a, b);
    touch_emptied(b, a);
}

/* ---- the keys of a queued command -------------------------------------------- */

struct keyset {
    kref *v;
    int n, cap;
    bool all;                   /* unknown keys: hold every shard */
};

static kref *keyset_next(struct keyset *ks)
{
    if (ks->n == ks->cap) {
        ks->cap = ks->cap ? ks->cap * 2 : 16;
        ks->v = hf_realloc(ks->v, sizeof(kref) * (size_t)ks->cap);
    }
    return &ks->v[ks->n++];
}

static void keyset_add(struct keyset *ks, const char *p, size_t n)
{
    ks_ref(keyset_next(ks), p, n);
}

/* Adds the keys of argv following one key spec ("flags|begin|find[|notes]",
 * as cmdmeta.c writes them and Redis's getKeysUsingKeySpecs reads them).
 * False if the spec is of an unknown kind or the arguments do not fit it. */
static bool spec_keys(const char *spec, const char *end, int argc, const hf_arg *argv, struct keyset *ks)
{
    const char *bs = memchr(spec, '|', (size_t)(end - spec));
    if (!bs) return false;
    bs++;
    const char *fk = memchr(bs, '|', (size_t)(end - bs));
    if (!fk) return false;
    fk++;
    int first = 0;
    if (!strncmp(bs, "index:", 6)) {
        first = atoi(bs + 6);
    } else if (!strncmp(bs, "keyword:", 8)) {
        const char *kw = bs + 8, *colon = NULL;
        for (const char *q = kw; q < fk - 1; q++)
            if (*q == ':') colon = q;
        if (!colon) return false;
        size_t kwlen = (size_t)(colon - kw);
        int from = atoi(colon + 1);
        int start = from > 0 ? from : argc + from, stop = from > 0 ? argc - 1 : 1;
        for (int i = start; i != stop; i += start <= stop ? 1 : -1) {
            if (i >= argc || i < 1) break;
            if (argv[i].n == kwlen && !strncasecmp(argv[i].p, kw, kwlen)) {
                first = i + 1;
                break;
            }
        }
        if (!first) return true;        /* keyword absent: no keys from this spec */
    } else {
        return false;
    }
    int last, step;
    char *q;
    if (!strncmp(fk, "range:", 6)) {
        int lastkey = (int)strtol(fk + 6, &q, 10);
        step = (int)strtol(q + 1, &q, 10);
        int limit = (int)strtol(q + 1, &q, 10);
        if (lastkey >= 0) last = first + lastkey;
        else if (!limit) last = argc + lastkey;
        else last = first + ((argc - first) / limit + lastkey);
    } else if (!strncmp(fk, "keynum:", 7)) {
        int numidx = (int)strtol(fk + 7, &q, 10);
        int firstkey = (int)strtol(q + 1, &q, 10);
        step = (int)strtol(q + 1, &q, 10);
        if (numidx >= argc - first) return false;
        long long numkeys;
        const hf_arg *a = &argv[first + numidx];
        if (!hf_str2ll(a->p, a->n, &numkeys) || numkeys < 0 || numkeys > argc) return false;
        first += firstkey;
        last = first + (int)numkeys - 1;
    } else {
        return false;
    }
    if (last >= argc || last < first || first >= argc || first < 1) return false;
    if (step <= 0) step = 1;
    for (int i = first; i <= last; i += step) keyset_add(ks, argv[i].p, argv[i].n);
    return true;
}

/* Keyless commands that take no shard lock: they run in a transaction
 * without holding anything.  Any other keyless command (FLUSHALL, KEYS,
 * SCAN, RANDOMKEY, SWAPDB, INFO...) holds every shard. */
static bool lockless(const struct command *cmd)
{
    static const char *const names[] = {
        "ping", "echo", "hello", "auth", "select", "client", "command", "config", "time",
        "slowlog", "lastsave", "bgsave", "bgrewriteaof", "waitaof", "dbsize", "unwatch",
        "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe",
        "publish", "spublish", "pubsub", "monitor", "object|help", "memory|help", NULL};
    const char *top = cmd->parent ? cmd->parent->name : cmd->name;
    for (int i = 0; names[i]; i++)
        if (!strcmp(names[i], top) || !strcmp(names[i], cmd->name)) return true;
    return false;
}

/* SORT and SORT_RO: BY and GET read keys named by the data; STORE writes
 * the key after it.  Hold everything when patterns are used. */
static void sort_keys(const struct qcmd *q, struct keyset *ks)
{
    keyset_add(ks, q->argv[1].p, q->argv[1].n);
    for (int i = 2; i < q->argc; i++) {
        if (arg_is(&q->argv[i], "by") || arg_is(&q->argv[i], "get")) {
            ks->all = true;
            return;
        }
        if (arg_is(&q->argv[i], "store") && i + 1 < q->argc) keyset_add(ks, q->argv[i + 1].p, q->argv[i + 1].n);
    }
}

/* Adds to ks every key q will touch, or sets ks->all. */
static void queued_keys(const struct qcmd *q, struct keyset *ks)
{
    const struct cmdmeta *m = q->cmd->meta;
    if (!strcmp(q->cmd->name, "sort") || !strcmp(q->cmd->name, "sort_ro")) {
        sort_keys(q, ks);
        return;
    }
    const char *s = m->keyspecs;
    if (!s || !*s) {
        if (m->first > 0) {     /* legacy key positions only */
            int last = m->last < 0 ? q->argc + m->last : m->last;
            int step = m->step > 0 ? m->step : 1;
            for (int i = m->first; i <= last && i < q->argc; i += step) keyset_add(ks, q->argv[i].p, q->argv[i].n);
        } else if (!lockless(q->cmd)) {
            ks->all = true;
        }
        return;
    }
    while (*s) {
        const char *end = strchr(s, ';');
        if (!end) end = s + strlen(s);
        if (!spec_keys(s, end, q->argc, q->argv, ks)) {
            ks->all = true;     /* the handler will most likely reply an error */
            return;
        }
        s = *end ? end + 1 : end;
    }
}

/* ---- commands ---------------------------------------------------------------- */

static void discard(client *c)
{
    struct multi_state *ms = c->mstate;
    set_flag(c, CLIENT_MULTI, false);
    __atomic_store_n(&c->mqueued, 0, __ATOMIC_RELAXED);
    if (!ms) return;
    unwatch_all(ms);
    queue_clear(ms);
    ms->failed = false;
    __atomic_store_n(&ms->dirty, 0, __ATOMIC_RELAXED);
    hf_free(ms);                /* nothing refers to it any more */
    c->mstate = NULL;
}

void multi_exec_abort(client *c, const char *err)
{
    discard(c);
    if (!strncmp(err, "ERR ", 4)) err += 4;
    reply_errorf(c, "EXECABORT Transaction discarded because of: %s", err);
}

static void cmd_multi(client *c)
{
    if (c->flags & CLIENT_MULTI) {
        reply_error(c, "ERR MULTI calls can not be nested");
        return;
    }
    state_get(c);
    set_flag(c, CLIENT_MULTI, true);
    reply_ok(c);
}

static void cmd_discard(client *c)
{
    if (!(c->flags & CLIENT_MULTI)) {
        reply_error(c, "ERR DISCARD without MULTI");
        return;
    }
    discard(c);
    reply_ok(c);
}

/* Runs the queue with the shards held; the caller ends the hold. */
static void run_queue(client *c, struct multi_state *ms)
{
    int argc0 = c->argc;
    hf_arg *argv0 = c->argv;
    const struct command *self = c->lastcmd;
    set_flag(c, CLIENT_IN_EXEC, true);      /* blocking commands do not block */
    reply_array(c, ms->nq);
    for (int i = 0; i < ms->nq; i++) {
        c->argc = ms->q[i].argc;
        c->argv = ms->q[i].argv;
        command_call(c, ms->q[i].cmd);
    }
    set_flag(c, CLIENT_IN_EXEC, false);
    c->argc = argc0;
    c->argv = argv0;
    __atomic_store_n(&c->lastcmd, self, __ATOMIC_RELAXED);
}

static void cmd_exec(client *c)
{
    struct multi_state *ms = c->mstate;
    if (!(c->flags & CLIENT_MULTI) || !ms) {
        reply_error(c, "ERR EXEC without MULTI");
        return;
    }
    /* Redis checks EXEC against its queue's flags before running it */
    long long maxmem = CONF_GET(maxmemory);
    if (maxmem && (ms->qflags & CMD_DENYOOM) && net_used_memory() > (size_t)maxmem) {
        multi_exec_abort(c, "OOM command not allowed when used memory > 'maxmemory'.");
        return;
    }
    if ((ms->qflags & CMD_WRITE) && wal_failed()) {
        char msg[600];
        snprintf(msg, sizeof msg, "MISCONF Errors writing to the AOF file: %s", wal_fail_reason());
        multi_exec_abort(c, msg);
        return;
    }
    if (ms->failed) {
        discard(c);
        reply_error(c, "EXECABORT Transaction discarded because of previous errors.");
        return;
    }
    struct keyset ks = {0};
    for (struct wkey *w = ms->watched; w; w = w->cnext) *keyset_next(&ks) = (kref){w->key, w->klen, w->hash, w->s};
    for (int i = 0; i < ms->nq && !ks.all; i++) queued_keys(&ms->q[i], &ks);
    if (ks.all) ks_hold_all();
    else ks_hold_refs(ks.v, ks.n);
    bool dirty = __atomic_load_n(&ms->dirty, __ATOMIC_ACQUIRE) || watched_key_expired(ms);
    unwatch_all(ms);
    if (dirty) reply_null_array(c);
    else run_queue(c, ms);
    ks_hold_end();
    hf_free(ks.v);
    discard(c);
}

static void cmd_watch(client *c)
{
    if (c->flags & CLIENT_MULTI) {
        reply_error(c, "ERR WATCH inside MULTI is not allowed");
        return;
    }
    struct multi_state *ms = state_get(c);
    if (__atomic_load_n(&ms->dirty, __ATOMIC_ACQUIRE)) {    /* EXEC fails anyway */
        reply_ok(c);
        return;
    }
    int n = c->argc - 1;
    kref small[16];
    kref *refs = n <= 16 ? small : hf_malloc(sizeof(kref) * (size_t)n);
    for (int i = 0; i < n; i++) ks_ref_arg(&refs[i], &c->argv[i + 1]);
    ks_lock_refs(refs, n);
    for (int i = 0; i < n; i++) watch_key(c, ms, &refs[i]);
    ks_unlock_refs(refs, n);
    if (refs != small) hf_free(refs);
    reply_ok(c);
}

static void cmd_unwatch(client *c)
{
    struct multi_state *ms = c->mstate;
    if (ms) {
        unwatch_all(ms);
        __atomic_store_n(&ms->dirty, 0, __ATOMIC_RELAXED);
        if (!(c->flags & CLIENT_MULTI)) discard(c);     /* frees the idle state */
    }
    reply_ok(c);
}

const struct binding multi_bindings[] = {
    {"multi", cmd_multi}, {"exec", cmd_exec}, {"discard", cmd_discard},
    {"watch", cmd_watch}, {"unwatch", cmd_unwatch}, {NULL, NULL}};

/* ---- dispatcher hooks -------------------------------------------------------- */

static bool has_flag_word(const char *flags, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = flags; (p = strstr(p, w)); p += n)
        if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) return true;
    return false;
}

bool multi_intercept(client *c, struct command *cmd)
{
    cmd_fn *fn = cmd->fn;
    if (has_flag_word(cmd->meta->flags, "no_multi")) {
        reply_error(c, "ERR Command not allowed inside a transaction");
        multi_flag_error(c);
        return true;
    }
    /* Redis: queuing may grow without bound, so any command but EXEC,
     * DISCARD, QUIT and RESET is refused above maxmemory */
    long long maxmem = CONF_GET(maxmemory);
    if (maxmem && fn != cmd_exec && fn != cmd_discard && fn != cmd_quit && fn != cmd_reset &&
        net_used_memory() > (size_t)maxmem) {
        reply_error(c, "OOM command not allowed when used memory > 'maxmemory'.");
        multi_flag_error(c);
        return true;
    }
    if (fn == cmd_exec || fn == cmd_discard || fn == cmd_multi || fn == cmd_watch || fn == cmd_quit ||
        fn == cmd_reset)
        return false;
    struct multi_state *ms = state_get(c);
    if (!ms->failed) queue_push(ms, cmd, c->argc, c->argv);   /* EXEC will abort anyway */
    __atomic_store_n(&c->mqueued, ms->nq, __ATOMIC_RELAXED);   /* CLIENT LIST multi= */
    reply_simple(c, "QUEUED");
    return true;
}

void multi_flag_error(client *c)
{
    if (!(c->flags & CLIENT_MULTI)) return;
    /* EXEC itself rejected: Redis discards the transaction (see
     * multi_exec_abort, which the dispatcher should call instead) */
    if (c->argc > 0 && hf_streq(c->argv[0].p, c->argv[0].n, "exec")) {
        discard(c);
        return;
    }
    struct multi_state *ms = state_get(c);
    ms->failed = true;
    queue_clear(ms);            /* never runs: free it now */
    __atomic_store_n(&c->mqueued, 0, __ATOMIC_RELAXED);
}

void multi_client_free(client *c)
{
    discard(c);
}
