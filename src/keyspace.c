/* keyspace.c — see keyspace.h. */
#include "config.h"
#include "keyspace.h"
#include "blocking.h"
#include "multi.h"
#include "pubsub.h"
#include "commands.h"
#include "log.h"
#include "stats.h"
#include "wal.h"
#include "util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static shard *shards;
static uint32_t nshards, shard_mask;
static int ndbs;
static int shard_bits;
__thread int64_t ks_now;
__thread uint64_t ks_wait_lsn;
__thread uint64_t ks_write_lsn;
static struct hf_stats fallback_stats;
__thread struct hf_stats *tl_stats = &fallback_stats;

void ks_init(uint32_t n, int dbs)
{
    nshards = n;
    shard_mask = n - 1;
    ndbs = dbs;
    shard_bits = 0;
    while ((1u << shard_bits) < n) shard_bits++;
    shards = aligned_alloc(64, sizeof(shard) * n);
    if (!shards) abort();
    memset(shards, 0, sizeof(shard) * n);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
    for (uint32_t i = 0; i < n; i++) {
        pthread_mutex_init(&shards[i].lock, &attr);
        shards[i].db = hf_calloc((size_t)dbs, sizeof(kdict *));
        shards[i].db_keys = hf_calloc((size_t)dbs, sizeof(uint64_t));
        shards[i].expire_cursor = hf_calloc((size_t)dbs, sizeof(uint64_t));
        shards[i].id = i;
    }
    pthread_mutexattr_destroy(&attr);
}

void ks_shutdown(void)
{
    for (uint32_t i = 0; i < nshards; i++) {
        for (int d = 0; d < ndbs; d++) kd_free(shards[i].db[d]);
        hf_free(shards[i].db);
        hf_free(shards[i].db_keys);
        hf_free(shards[i].expire_cursor);
        pthread_mutex_destroy(&shards[i].lock);
    }
    free(shards);
    shards = NULL;
}

uint32_t ks_nshards(void) { return nshards; }
int ks_ndbs(void) { return ndbs; }
shard *ks_shard(uint32_t idx) { return &shards[idx]; }

void ks_ref(kref *k, const char *p, size_t n)
{
    k->p = p;
    k->n = n;
    k->hash = hf_hash(p, n);
    /* the table uses the low bits; the shard takes high bits so the two
     * are independent */
    k->s = &shards[(k->hash >> 40) & shard_mask];
}

uint32_t ks_shard_for(const char *p, size_t n, uint32_t S)
{
    return (uint32_t)((hf_hash(p, n) >> 40) & (S - 1));
}

/* ---- effect logging -----------------------------------------------------------
 *
 * A command's effects are staged (thread-local) while it holds its shard
 * locks and committed to the WAL when it releases them (ks_unlock*): one
 * record for one effect, one GROUP record for several (MSET, RENAME, SET
 * ... EX), so that recovery applies a command whole or not at all.  The
 * LSN is assigned before the locks are released, so for every shard the
 * WAL order is the order of its changes. */

struct stage {
    uint8_t *buf;               /* members: u32 length | payload */
    size_t len, cap;
    int n;                      /* staged effects */
    shard **sh;                 /* shards touched (deduped) */
    int nsh, shcap;
    bool all;                   /* a whole-keyspace effect (every lock held) */
};
static __thread struct stage stg;
static __thread hf_buf ser_tmp;     /* a collection's serialised form */
static __thread hf_buf cmd_enc;     /* a CMD record's argv */

__thread bool ks_holding;
__thread bool ks_replaying;
static __thread struct {
    shard **sh;                 /* held shards, ascending (NULL: all) */
    int n;
} hold;

static void stage_add(const struct wal_rec *r, shard *s)
{
    if (ks_replaying) return;
    size_t plen = wal_encode_payload(r, NULL);
    if (stg.cap - stg.len < plen + 4) {
        size_t cap = stg.cap ? stg.cap : 256;
        while (cap - stg.len < plen + 4) cap *= 2;
        stg.buf = hf_realloc(stg.buf, cap);
        stg.cap = cap;
    }
    uint32_t l32 = (uint32_t)plen;
    memcpy(stg.buf + stg.len, &l32, 4);
    wal_encode_payload(r, stg.buf + stg.len + 4);
    stg.len += plen + 4;
    stg.n++;
    if (!s) { stg.all = true; return; }
    /* only the shards this command holds get its LSN: the others belong
     * to other threads right now */
    for (int i = stg.nsh - 1; i >= 0; i--)
        if (stg.sh[i] == s) return;
    if (stg.nsh == stg.shcap) {
        stg.shcap = stg.shcap ? stg.shcap * 2 : 16;
        stg.sh = hf_realloc(stg.sh, sizeof(shard *) * (size_t)stg.shcap);
    }
    stg.sh[stg.nsh++] = s;
}

/* Commits the staged effects; called with their shard locks still held.
 * Blocked clients whose keys got elements are served first, so that their
 * pops are in the same record as the push that fed them. */
static void stage_flush(void)
{
    bool posts = block_nready > 0 && (block_serve_ready(), true);
    if (stg.n == 0) {
        if (posts) block_after_commit(0);
        return;
    }
    uint64_t lsn;
    if (stg.n == 1) {
        lsn = wal_log_payload(stg.buf + 4, stg.len - 4);
    } else {
        lsn = wal_log_group(stg.buf, stg.len, (uint32_t)stg.n);
    }
    if (lsn) {
        if (stg.all)
            for (uint32_t i = 0; i < nshards; i++) shards[i].last_lsn = lsn;
        else
            for (int i = 0; i < stg.nsh; i++) stg.sh[i]->last_lsn = lsn;
        if (lsn > ks_wait_lsn) ks_wait_lsn = lsn;
        ks_write_lsn = lsn;
    }
    stg.len = 0;
    stg.n = stg.nsh = 0;
    stg.all = false;
    if (posts) block_after_commit(lsn);
    if (stg.cap > 1024 * 1024) {   /* do not keep a huge MSET's buffer */
        hf_free(stg.buf);
        stg.buf = NULL;
        stg.cap = 0;
    }
}

void ks_thread_exit(void)
{
    hf_free(stg.sh);
    stg.sh = NULL;
    stg.nsh = stg.shcap = 0;
    hf_buf_free(&ser_tmp);
    hf_buf_free(&cmd_enc);
    hf_free(stg.buf);
    stg.buf = NULL;
    stg.cap = stg.len = 0;
}

/* Every change to a key passes here (logged or not): WATCH sees it. */
static inline void touched(shard *s, int db, const char *key, size_t n)
{
    if (s->nwatch) multi_touch_key(s, db, key, n);
}

static void log_set(kref *k, int db, const kentry *e)
{
    touched(k->s, db, k->p, k->n);
    if (e->val->type == OBJ_LIST || e->val->type == OBJ_ZSET) ks_signal_ready(k, db);
    if (!wal_enabled()) return;
    char scratch[24];
    size_t vlen;
    const char *v = obj_serialize(e->val, scratch, &ser_tmp, &vlen);
    struct wal_rec r = {.type = WREC_SET, .objtype = e->val->type, .enc = e->val->enc,
                        .db = (uint32_t)db, .shard = k->s->id, .expire = e->expire,
                        .key = k->p, .klen = (uint32_t)k->n, .val = v, .vlen = (uint32_t)vlen};
    stage_add(&r, k->s);
}

static void log_key(kref *k, int db, int type, int64_t when)
{
    touched(k->s, db, k->p, k->n);
    if (!wal_enabled()) return;
    struct wal_rec r = {.type = (uint8_t)type, .db = (uint32_t)db, .shard = k->s->id, .expire = when,
                        .key = k->p, .klen = (uint32_t)k->n};
    stage_add(&r, k->s);
}

/* Whole-keyspace record: every shard is locked by the caller. */
static void log_global(int type, int db, int64_t arg)
{
    if (!wal_enabled()) return;
    struct wal_rec r = {.type = (uint8_t)type, .db = (uint32_t)db, .shard = 0xffffffffu, .expire = arg};
    stage_add(&r, NULL);
}

void ks_log_cmd(kref *k, int db, int argc, const hf_arg *argv)
{
    touched(k->s, db, k->p, k->n);
    if (!wal_enabled() || ks_replaying) return;
    hf_buf enc = cmd_enc;
    enc.len = 0;
    hf_buf_put32(&enc, (uint32_t)argc);
    for (int i = 0; i < argc; i++) {
        hf_buf_put32(&enc, (uint32_t)argv[i].n);
        hf_buf_put(&enc, argv[i].p, argv[i].n);
    }
    struct wal_rec r = {.type = WREC_CMD, .db = (uint32_t)db, .shard = k->s->id,
                        .key = k->p, .klen = (uint32_t)k->n, .val = enc.p, .vlen = (uint32_t)enc.len};
    stage_add(&r, k->s);
    if (enc.cap > 1024 * 1024) hf_buf_free(&enc);
    cmd_enc = enc;
}

void ks_signal_ready(kref *k, int db)
{
    if (k->s->nblocked) block_key_ready(k->s, db, k->p, k->n);
}

/* In a transaction the shards are held already: a handler's lock or
 * unlock is a no-op, but it must be one of the held shards. */
static bool held(shard *s)
{
    if (!hold.sh) return true;
    for (int i = 0; i < hold.n; i++)
        if (hold.sh[i] == s) return true;
    return false;
}

static void hold_check(shard *s)
{
    if (held(s)) return;
    hf_log(LOG_WARNING, "BUG: a command in a transaction touched shard %u it did not declare", s->id);
    abort();
}

void ks_lock(shard *s)
{
    if (ks_holding) { hold_check(s); return; }
    pthread_mutex_lock(&s->lock);
}

void ks_unlock(shard *s)
{
    if (ks_holding) return;
    stage_flush();
    pthread_mutex_unlock(&s->lock);
}

static int cmp_shard(const void *a, const void *b)
{
    uint32_t x = (*(shard *const *)a)->id, y = (*(shard *const *)b)->id;
    return x < y ? -1 : x > y;
}

/* Collect the distinct shards of refs, sorted by id, into out. */
static int distinct_shards(kref *refs, int n, shard **out)
{
    for (int i = 0; i < n; i++) out[i] = refs[i].s;
    qsort(out, (size_t)n, sizeof(shard *), cmp_shard);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (m == 0 || out[m - 1] != out[i]) out[m++] = out[i];
    return m;
}

void ks_lock_refs(kref *refs, int n)
{
    if (ks_holding) {
        for (int i = 0; i < n; i++) hold_check(refs[i].s);
        return;
    }
    if (n == 1) { ks_lock(refs[0].s); return; }
    shard *small[16];
    shard **v = n <= 16 ? small : hf_malloc(sizeof(shard *) * (size_t)n);
    int m = distinct_shards(refs, n, v);
    for (int i = 0; i < m; i++) ks_lock(v[i]);
    if (v != small) hf_free(v);
}

void ks_unlock_refs(kref *refs, int n)
{
    if (ks_holding) return;
    if (n == 1) { ks_unlock(refs[0].s); return; }
    stage_flush();
    shard *small[16];
    shard **v = n <= 16 ? small : hf_malloc(sizeof(shard *) * (size_t)n);
    int m = distinct_shards(refs, n, v);
    for (int i = m - 1; i >= 0; i--) pthread_mutex_unlock(&v[i]->lock);
    if (v != small) hf_free(v);
}

void ks_lock_all(void)
{
    if (ks_holding) {
        if (hold.sh) {
            hf_log(LOG_WARNING, "BUG: a command in a transaction locked every shard without declaring it");
            abort();
        }
        return;
    }
    for (uint32_t i = 0; i < nshards; i++) pthread_mutex_lock(&shards[i].lock);
}

void ks_unlock_all(void)
{
    if (ks_holding) return;
    stage_flush();
    for (uint32_t i = nshards; i-- > 0;) pthread_mutex_unlock(&shards[i].lock);
}

void ks_hold_refs(kref *refs, int n)
{
    hold.sh = hf_malloc(sizeof(shard *) * (size_t)(n ? n : 1));
    hold.n = n ? distinct_shards(refs, n, hold.sh) : 0;
    for (int i = 0; i < hold.n; i++) pthread_mutex_lock(&hold.sh[i]->lock);
    ks_holding = true;
}

void ks_hold_all(void)
{
    for (uint32_t i = 0; i < nshards; i++) pthread_mutex_lock(&shards[i].lock);
    hold.sh = NULL;
    hold.n = -1;
    ks_holding = true;
}

void ks_hold_end(void)
{
    ks_holding = false;
    stage_flush();
    if (hold.sh) {
        for (int i = hold.n - 1; i >= 0; i--) pthread_mutex_unlock(&hold.sh[i]->lock);
        hf_free(hold.sh);
        hold.sh = NULL;
    } else {
        for (uint32_t i = nshards; i-- > 0;) pthread_mutex_unlock(&shards[i].lock);
    }
    hold.n = 0;
}

kdict *do_ks_dict(shard *s, int db) { return s->db[db]; }

static kdict *dict_for_write(shard *s, int db)
{
    if (!s->db[db]) s->db[db] = kd_new();
    return s->db[db];
}

static inline void publish_size(shard *s, int db)
{
    __atomic_store_n(&s->db_keys[db], kd_size(s->db[db]), __ATOMIC_RELAXED);
}

static kentry *lookup(kref *k, int db)
{
    kdict *d = k->s->db[db];
    if (!d) return NULL;
    kentry *e = kd_find(d, k->p, k->n, k->hash);
    if (e && e->expire && ks_now > e->expire && !ks_replaying) {
        /* logged as Redis propagates a DEL: a command that recreates the
         * key logs only itself, and its replay must not find the old value */
        log_key(k, db, WREC_DEL, 0);
        notify_keyspace_event(NOTIFY_EXPIRED, "expired", k->p, k->n, db);
        kd_delete(d, k->p, k->n, k->hash);
        publish_size(k->s, db);
        STAT_INC(expired_keys, 1);
        return NULL;
    }
    return e;
}

kentry *do_ks_lookup_notouch(kref *k, int db, bool notify_miss)
{
    if (k->s->last_lsn > ks_wait_lsn) ks_wait_lsn = k->s->last_lsn;
    kentry *e = lookup(k, db);
    if (e) {
        STAT_INC(hits, 1);
    } else {
        STAT_INC(misses, 1);
        if (notify_miss) notify_keyspace_event(NOTIFY_KEY_MISS, "keymiss", k->p, k->n, db);
    }
    return e;
}

kentry *do_ks_lookup(kref *k, int db)
{
    kentry *e = do_ks_lookup_notouch(k, db, true);
    if (e) e->val->atime = (uint32_t)(ks_now / 1000);
    return e;
}

kentry *do_ks_lookup_write(kref *k, int db)
{
    if (k->s->last_lsn > ks_wait_lsn) ks_wait_lsn = k->s->last_lsn;
    kentry *e = lookup(k, db);
    if (e) e->val->atime = (uint32_t)(ks_now / 1000);   /* as lookupKeyWrite */
    return e;
}

kentry *do_ks_add_quiet(kref *k, int db, hobj *val)
{
    kdict *d = dict_for_write(k->s, db);
    val->atime = (uint32_t)(ks_now / 1000);
    kentry *e = kd_add(d, k->p, k->n, k->hash, val);
    publish_size(k->s, db);
    notify_keyspace_event(NOTIFY_NEW, "new", k->p, k->n, db);
    return e;
}

kentry *do_ks_add(kref *k, int db, hobj *val)
{
    kentry *e = do_ks_add_quiet(k, db, val);
    log_set(k, db, e);
    return e;
}

static void replace_value(kentry *e, hobj *val)
{
    if (e->val != val) obj_free(e->val);
    val->atime = (uint32_t)(ks_now / 1000);
    e->val = val;
}

void do_ks_replace_value(kref *k, int db, kentry *e, hobj *val)
{
    replace_value(e, val);
    log_set(k, db, e);
}

kentry *do_ks_set(kref *k, int db, hobj *val, bool keepttl)
{
    kentry *e = lookup(k, db);
    if (!e) return do_ks_add(k, db, val);
    replace_value(e, val);
    if (!keepttl && e->expire) kd_set_expire(k->s->db[db], e, 0);
    log_set(k, db, e);
    return e;
}

bool do_ks_delete(kref *k, int db)
{
    kdict *d = k->s->db[db];
    if (!d) return false;
    kentry *e = kd_unlink(d, k->p, k->n, k->hash);
    if (!e) return false;
    bool expired = e->expire && ks_now > e->expire;
    kd_free_entry(e);
    kd_resize_if_needed(d);
    publish_size(k->s, db);
    if (expired) STAT_INC(expired_keys, 1);
    log_key(k, db, WREC_DEL, 0);
    return !expired;
}

void do_ks_set_expire(kref *k, int db, kentry *e, int64_t when)
{
    kd_set_expire(k->s->db[db], e, when);
    log_key(k, db, WREC_EXPIRE, when);
}

uint64_t ks_dbsize(int db)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < nshards; i++) n += __atomic_load_n(&shards[i].db_keys[db], __ATOMIC_RELAXED);
    return n;
}

uint64_t ks_db_expires(int db)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < nshards; i++) {
        ks_lock(&shards[i]);
        if (shards[i].db[db]) n += shards[i].db[db]->volatile_keys;
        ks_unlock(&shards[i]);
    }
    return n;
}

void ks_flushdb(int db)
{
    /* All shards locked at once: the flush is one point in every shard's
     * history (and one WAL record); the tables are freed after unlocking. */
    kdict **old = hf_calloc(nshards, sizeof(kdict *));
    ks_lock_all();
    multi_touch_flush(db);      /* WATCH: sees the keys before they go */
    for (uint32_t i = 0; i < nshards; i++) {
        old[i] = shards[i].db[db];
        shards[i].db[db] = NULL;
        __atomic_store_n(&shards[i].db_keys[db], 0, __ATOMIC_RELAXED);
    }
    log_global(WREC_FLUSHDB, db, 0);
    ks_unlock_all();
    for (uint32_t i = 0; i < nshards; i++) kd_free(old[i]);
    hf_free(old);
}

void ks_flushall(void)
{
    /* All shards locked at once so no client sees a half-flushed server. */
    kdict **old = hf_calloc((size_t)nshards * (size_t)ndbs, sizeof(kdict *));
    ks_lock_all();
    multi_touch_flush(-1);
    for (uint32_t i = 0; i < nshards; i++)
        for (int d = 0; d < ndbs; d++) {
            old[(size_t)i * (size_t)ndbs + (size_t)d] = shards[i].db[d];
            shards[i].db[d] = NULL;
            __atomic_store_n(&shards[i].db_keys[d], 0, __ATOMIC_RELAXED);
        }
    log_global(WREC_FLUSHALL, 0, 0);
    ks_unlock_all();
    for (size_t i = 0; i < (size_t)nshards * (size_t)ndbs; i++) kd_free(old[i]);
    hf_free(old);
}

void ks_swapdb(int a, int b)
{
    ks_lock_all();
    multi_touch_swap(a, b);
    for (uint32_t i = 0; i < nshards; i++) {
        kdict *t = shards[i].db[a];
        shards[i].db[a] = shards[i].db[b];
        shards[i].db[b] = t;
        uint64_t x = shards[i].db_keys[a];
        __atomic_store_n(&shards[i].db_keys[a], shards[i].db_keys[b], __ATOMIC_RELAXED);
        __atomic_store_n(&shards[i].db_keys[b], x, __ATOMIC_RELAXED);
    }
    log_global(WREC_SWAPDB, a, b);
    block_swapdb(a, b);         /* waiters on keys the swap filled are served */
    ks_unlock_all();
}

struct scan_ctx {
    ks_scan_fn *fn;
    void *arg;
    shard *s;
    long emitted;
};

static void scan_cb(void *arg, kentry *e)
{
    struct scan_ctx *c = arg;
    if (e->expire && ks_now > e->expire) return;  /* logically gone */
    c->fn(c->arg, c->s, e);
    c->emitted++;
}

uint64_t ks_scan(int db, uint64_t cursor, long count, ks_scan_fn *fn, void *arg)
{
    uint32_t si = (uint32_t)(cursor & shard_mask);
    uint64_t dc = cursor >> shard_bits;
    struct scan_ctx c = {fn, arg, NULL, 0};
    long visits = 0, max_visits = count > LONG_MAX / 10 ? LONG_MAX : count * 10;
    while (si < nshards) {
        shard *s = &shards[si];
        c.s = s;
        if (__atomic_load_n(&s->db_keys[db], __ATOMIC_RELAXED) == 0) {
            si++;
            dc = 0;
            continue;
        }
        ks_lock(s);
        kdict *d = s->db[db];
        do {
            dc = d ? kd_scan(d, dc, scan_cb, &c) : 0;
            visits++;
        } while (dc != 0 && c.emitted < count && visits < max_visits);
        ks_unlock(s);
        if (dc == 0) si++;
        if (c.emitted >= count || visits >= max_visits) break;
    }
    /* at the end of a shard: skip empty ones so a finished scan says 0 */
    while (dc == 0 && si < nshards && __atomic_load_n(&shards[si].db_keys[db], __ATOMIC_RELAXED) == 0) si++;
    if (si >= nshards) return 0;
    return (dc << shard_bits) | si;
}

struct expire_ctx {
    kentry *victims[64];
    int n;
};

static void expire_cb(void *arg, kentry *e)
{
    struct expire_ctx *c = arg;
    if (e->expire && ks_now > e->expire && c->n < 64) c->victims[c->n++] = e;
}

uint64_t ks_active_expire(uint32_t first, uint32_t n, int64_t budget_us)
{
    int64_t start = hf_monotonic_us();
    uint64_t expired = 0;
    ks_now = hf_mstime();
    for (uint32_t k = 0; k < n; k++) {
        shard *s = &shards[(first + k) & shard_mask];
        ks_lock(s);
        for (int db = 0; db < ndbs; db++) {
            kdict *d = s->db[db];
            if (!d || d->volatile_keys == 0) continue;
            /* sample ~20 buckets worth, as Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP */
            uint64_t cur = s->expire_cursor[db];
            for (int step = 0; step < 20; step++) {
                struct expire_ctx c = {.n = 0};
                cur = kd_scan(d, cur, expire_cb, &c);
                for (int i = 0; i < c.n; i++) {
                    kentry *e = c.victims[i];
                    kref vk = {e->key, e->klen, hf_hash(e->key, e->klen), s};
                    log_key(&vk, db, WREC_DEL, 0);
                    notify_keyspace_event(NOTIFY_EXPIRED, "expired", e->key, e->klen, db);
                    kd_delete(d, e->key, e->klen, vk.hash);
                }
                expired += (uint64_t)c.n;
                if (cur == 0) break;
            }
            publish_size(s, db);
            s->expire_cursor[db] = cur;
        }
        ks_unlock(s);
        if ((k & 15) == 15 && hf_monotonic_us() - start > budget_us) break;
    }
    STAT_INC(expired_keys, expired);
    return expired;
}

void ks_cron_rehash(uint32_t first, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        shard *s = &shards[(first + k) & shard_mask];
        if (pthread_mutex_trylock(&s->lock) != 0) continue;
        for (int db = 0; db < ndbs; db++)
            if (s->db[db]) {
                kd_resize_if_needed(s->db[db]);
                kd_rehash(s->db[db], 100);
            }
        ks_unlock(s);
    }
}

/* ---- recovery -------------------------------------------------------------- */

static bool do_apply_record(const struct wal_rec *r, uint64_t lsn, const uint64_t *snap_lsn, kref *k_)
{
    if (r->type == WREC_FLUSHALL || r->type == WREC_FLUSHDB || r->type == WREC_SWAPDB) {
        if (r->db >= (uint32_t)ndbs || (r->type == WREC_SWAPDB && (uint64_t)r->expire >= (uint64_t)ndbs)) return false;
        for (uint32_t i = 0; i < nshards; i++) {
            shard *s = &shards[i];
            if (snap_lsn && snap_lsn[i] >= lsn) continue;
            if (r->type == WREC_SWAPDB) {
                kdict *t = s->db[r->db];
                s->db[r->db] = s->db[r->expire];
                s->db[r->expire] = t;
                uint64_t x = s->db_keys[r->db];
                s->db_keys[r->db] = s->db_keys[r->expire];
                s->db_keys[r->expire] = x;
                continue;
            }
            for (int d = 0; d < ndbs; d++) {
                if (r->type == WREC_FLUSHDB && (uint32_t)d != r->db) continue;
                kd_free(s->db[d]);
                s->db[d] = NULL;
                s->db_keys[d] = 0;
            }
        }
        return true;
    }
    if (r->db >= (uint32_t)ndbs) return false;
    kref k = *k_;
    int db = (int)r->db;
    switch (r->type) {
    case WREC_SET: {
        hobj *v = obj_deserialize(r->objtype, r->enc, r->val, r->vlen);
        if (!v) return false;
        kdict *d = dict_for_write(k.s, db);
        kentry *e = kd_find(d, k.p, k.n, k.hash);
        if (e) obj_free(e->val), e->val = v;
        else e = kd_add(d, k.p, k.n, k.hash, v);
        kd_set_expire(d, e, r->expire);
        publish_size(k.s, db);
        return true;
    }
    case WREC_DEL: {
        kdict *d = k.s->db[db];
        if (d) kd_delete(d, k.p, k.n, k.hash);
        if (d) publish_size(k.s, db);
        return true;
    }
    case WREC_EXPIRE: {
        kdict *d = k.s->db[db];
        kentry *e = d ? kd_find(d, k.p, k.n, k.hash) : NULL;
        if (e) kd_set_expire(d, e, r->expire);
        return true;
    }
    }
    return false;
}

bool ks_apply_record(const struct wal_rec *r, uint64_t lsn, const uint64_t *snap_lsn)
{
    /* the workers' crons (expiry, rehash) already run during recovery: take
     * the locks like any writer */
    if (r->type == WREC_FLUSHALL || r->type == WREC_FLUSHDB || r->type == WREC_SWAPDB) {
        ks_lock_all();
        bool ok = do_apply_record(r, lsn, snap_lsn, NULL);
        ks_unlock_all();
        return ok;
    }
    if (r->type == WREC_CMD) {
        if (r->db >= (uint32_t)ndbs) return false;
        return command_replay((int)r->db, r->val, r->vlen);   /* the handler locks */
    }
    kref k;
    ks_ref(&k, r->key, r->klen);
    ks_lock(k.s);
    bool ok = do_apply_record(r, lsn, snap_lsn, &k);
    ks_unlock(k.s);
    return ok;
}

int ks_replay_record(const struct wal_rec *r, uint64_t lsn, const uint64_t *snap_lsn)
{
    if (r->type != WREC_GROUP) {
        /* whole-keyspace records filter per shard inside ks_apply_record */
        if (r->shard != 0xffffffffu && snap_lsn && lsn <= snap_lsn[ks_shard_for(r->key, r->klen, nshards)])
            return 0;
        return ks_apply_record(r, lsn, snap_lsn) ? 1 : -1;
    }
    size_t off = 0;
    struct wal_rec m;
    int applied = 0;
    while (wal_group_next(r, &off, &m)) {
        int a = ks_replay_record(&m, lsn, snap_lsn);
        if (a < 0) return -1;
        applied += a;
    }
    return applied ? 1 : 0;
}

void ks_set_all_lsn(uint64_t lsn)
{
    for (uint32_t i = 0; i < nshards; i++) shards[i].last_lsn = lsn;
}
