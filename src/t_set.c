/* t_set.c — the set type: its encodings, the commands SADD SREM SCARD
 * SISMEMBER SMISMEMBER SMEMBERS SRANDMEMBER SPOP SMOVE SINTER SINTERCARD
 * SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN, and the types.h
 * functions for sets.
 *
 * Encodings, as OBJECT ENCODING reports them, follow Redis 7.0 exactly:
 *   intset     while every member is a canonical integer (hf_str2ll) and
 *              the count is <= set-max-intset-entries (read at each add);
 *   hashtable  otherwise, for good: a set never goes back to intset except
 *              when it is rebuilt (SPOP's "new set" strategy, a *STORE
 *              result, a snapshot load), exactly where Redis rebuilds it.
 *
 * DECISION — two forms behind "hashtable".  Redis 7.0 keeps every
 * non-integer set in a full hash table (a dictEntry and an sds per member,
 * ~600 bytes for 10 short members).  Here a "hashtable" set with at most
 * LP_MAX_ENTRIES members of at most LP_MAX_VALUE bytes (Redis 7.2's
 * set-max-listpack-* defaults) is kept in a listpack (one block, ~130 bytes
 * for 10 short members); the first add past either limit moves it to a
 * cdict for good.  The listpack form is marked by the low bit of u.ptr
 * (allocations are at least 8-aligned), so the hobj stays ENC_HT and
 * OBJECT ENCODING says "hashtable", as Redis 7.0 would.  What clients can
 * see of it, all of it within what Redis leaves unspecified for hashtable
 * sets: SMEMBERS/SUNION/... list a small set in insertion order, SSCAN
 * returns a small set whole with cursor 0 (as Redis does for intsets),
 * and SRANDMEMBER/SPOP draw uniformly.  Membership tests on the listpack
 * are a scan of at most 128 entries (what Redis 7.2 does).
 *
 * Replies use Redis's order where it is defined: an intset lists its
 * members in ascending order, and so does every result Redis builds in an
 * intset (SUNION, SDIFF, SPOP with a count >= the size), which is why
 * those commands build their result as a set first, as Redis does.
 *
 * Durability: SADD/SREM log the client's command when they change
 * something; SPOP logs SREM of the members it popped (DEL when it empties
 * the key; the rebuilt value when it rebuilds the set, see spop_count);
 * SMOVE logs SREM on the source (or DEL) and SADD on the
 * destination; *STORE stores the result with do_ks_set (the whole value is
 * logged) or deletes the destination. */
#include "config.h"
#include "cdict.h"
#include "commands.h"
#include "conf.h"
#include "intset.h"
#include "keyspace.h"
#include "listpack.h"
#include "pubsub.h"
#include "reply.h"
#include "types.h"
#include "util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define LP_MAX_ENTRIES 128
#define LP_MAX_VALUE 64
#define LP_TAG ((uintptr_t)1)

/* SPOP with a count: build a new set from the survivors when the set is
 * at most this many times the survivors (Redis's SPOP_MOVE_STRATEGY_MUL). */
#define SPOP_MOVE_MUL 5
/* SRANDMEMBER with a count: copy the set and remove from it when the set is
 * at most this many times the count (SRANDMEMBER_SUB_STRATEGY_MUL). */
#define SRAND_SUB_MUL 3
/* Members per logged SREM record when SPOP pops many. */
#define LOG_CHUNK 1024

/* ---- the three forms ------------------------------------------------------ */

enum { F_INTSET, F_LP, F_DICT };

static inline int form(const hobj *o)
{
    if (o->enc == ENC_INTSET) return F_INTSET;
    return ((uintptr_t)o->u.ptr & LP_TAG) ? F_LP : F_DICT;
}

static inline intset *is_of(const hobj *o) { return o->u.ptr; }
static inline lp *lp_of(const hobj *o) { return (lp *)((uintptr_t)o->u.ptr & ~LP_TAG); }
static inline cdict *cd_of(const hobj *o) { return o->u.ptr; }
static inline void put_lp(hobj *o, lp *l) { o->u.ptr = (void *)((uintptr_t)l | LP_TAG); }

static size_t s_size(const hobj *o)
{
    switch (form(o)) {
    case F_INTSET: return is_len(is_of(o));
    case F_LP: return lp_count(lp_of(o));
    default: return cd_size(cd_of(o));
    }
}

/* Frees what u.ptr holds (not the header). */
static void free_body(hobj *o)
{
    switch (form(o)) {
    case F_INTSET: is_free(is_of(o)); break;
    case F_LP: lp_free(lp_of(o)); break;
    default: cd_free(cd_of(o)); break;
    }
}

/* A member as a canonical integer (what Redis's isSdsRepresentableAsLongLong
 * accepts); false for anything else. */
static inline bool as_int(const char *p, size_t n, int64_t *v)
{
    long long x;
    if (n == 0 || n > 20 || !hf_str2ll(p, n, &x)) return false;
    *v = x;
    return true;
}

/* set-max-intset-entries, capped at 2^30 as Redis caps it. */
static size_t intset_max(void)
{
    long long m = CONF_GET(set_max_intset_entries);
    if (m < 0) m = 0;
    if (m > (1LL << 30)) m = 1LL << 30;
    return (size_t)m;
}

/* Random number with the low bits mixed (hf_rand64 is a bare xorshift). */
static inline uint64_t rnd(void)
{
    uint64_t x = hf_rand64();
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* ---- conversions ---------------------------------------------------------- */

/* intset -> hashtable, for a set about to hold `want` members, the longest
 * new one `newlen` bytes: the listpack form if that fits, else a cdict. */
static void intset_to_ht(hobj *o, size_t want, size_t newlen)
{
    intset *s = is_of(o);
    uint32_t n = is_len(s);
    if (want <= LP_MAX_ENTRIES && newlen <= LP_MAX_VALUE) {
        lp *l = lp_new();
        for (uint32_t i = 0; i < n; i++) lp_append_int(&l, is_get(s, i));
        put_lp(o, l);
    } else {
        cdict *d = cd_new();
        cd_expand(d, n);
        for (uint32_t i = 0; i < n; i++) {
            char b[24];
            int len = hf_ll2str(b, is_get(s, i));
            cd_add(d, b, (size_t)len, NULL);
        }
        o->u.ptr = d;
    }
    o->enc = ENC_HT;
    is_free(s);
}

/* listpack -> cdict (past a listpack limit; never back). */
static void lp_to_dict(hobj *o)
{
    lp *l = lp_of(o);
    cdict *d = cd_new();
    cd_expand(d, (size_t)lp_count(l) + 1);
    for (uint32_t pos = lp_first(l); pos != LP_NONE; pos = lp_next(l, pos)) {
        char scratch[24];
        size_t n;
        const char *p = lp_get_str(l, pos, scratch, &n);
        cd_add(d, p, n, NULL);
    }
    lp_free(l);
    o->u.ptr = d;
}

/* ---- element operations --------------------------------------------------- */

/* A member read from a set: bytes (p, n), and its value when the set holds
 * it as an integer (isint).  p may point into buf: do not copy the struct. */
typedef struct smember {
    const char *p;
    size_t n;
    bool isint;
    int64_t v;
    char buf[24];
} smember;

static inline void member_int(smember *m, int64_t v)
{
    m->isint = true;
    m->v = v;
    m->n = (size_t)hf_ll2str(m->buf, v);
    m->p = m->buf;
}

static void member_lp(smember *m, const lp *l, uint32_t pos)
{
    lpval lv;
    lp_get(l, pos, &lv);
    if (lv.is_int) {
        member_int(m, lv.v);
    } else {
        m->isint = false;
        m->p = lv.p;
        m->n = lv.n;
    }
}

/* A new empty set that can hold p (Redis's setTypeCreate): intset for an
 * integer, else hashtable (the listpack form; s_add moves it on). */
static hobj *s_create_for(const char *p, size_t n)
{
    int64_t v;
    if (as_int(p, n, &v)) return obj_collection(OBJ_SET, ENC_INTSET, is_new());
    hobj *o = obj_collection(OBJ_SET, ENC_HT, NULL);
    put_lp(o, lp_new());
    return o;
}

/* Adds p; true if it was new.  Converts as Redis's setTypeAdd does. */
static bool s_add(hobj *o, const char *p, size_t n)
{
    int64_t v;
    switch (form(o)) {
    case F_INTSET: {
        intset *s = is_of(o);
        if (!as_int(p, n, &v)) {
            intset_to_ht(o, (size_t)is_len(s) + 1, n);
            return s_add(o, p, n);
        }
        bool added;
        is_add(&s, v, &added);
        o->u.ptr = s;
        if (added && is_len(s) > intset_max()) intset_to_ht(o, is_len(s), 0);
        return added;
    }
    case F_LP: {
        lp *l = lp_of(o);
        if (lp_find(l, lp_first(l), p, n, 0) != LP_NONE) return false;
        if (lp_count(l) < LP_MAX_ENTRIES && n <= LP_MAX_VALUE) {
            lp_append(&l, p, n);
            put_lp(o, l);
            return true;
        }
        lp_to_dict(o);
        break;
    }
    }
    bool added;
    cd_add(cd_of(o), p, n, &added);
    return added;
}

/* Removes p; true if it was there.  The caller deletes an emptied key. */
static bool s_remove(hobj *o, const char *p, size_t n)
{
    switch (form(o)) {
    case F_INTSET: {
        int64_t v;
        if (!as_int(p, n, &v)) return false;
        intset *s = is_of(o);
        bool removed;
        is_remove(&s, v, &removed);
        o->u.ptr = s;
        return removed;
    }
    case F_LP: {
        lp *l = lp_of(o);
        uint32_t pos = lp_find(l, lp_first(l), p, n, 0);
        if (pos == LP_NONE) return false;
        lp_delete(&l, pos, 1);
        put_lp(o, l);
        return true;
    }
    default:
        return cd_delete(cd_of(o), p, n);
    }
}

static bool s_has_bytes(hobj *o, const char *p, size_t n)
{
    switch (form(o)) {
    case F_INTSET: {
        int64_t v;
        return as_int(p, n, &v) && is_find(is_of(o), v);
    }
    case F_LP: {
        lp *l = lp_of(o);
        return lp_find(l, lp_first(l), p, n, 0) != LP_NONE;
    }
    default:
        return cd_find(cd_of(o), p, n) != NULL;
    }
}

/* Membership of a member read from another set (integers compare fast). */
static inline bool s_has(hobj *o, const smember *m)
{
    if (m->isint && o->enc == ENC_INTSET) return is_find(is_of(o), m->v);
    return s_has_bytes(o, m->p, m->n);
}

/* A uniformly random member of a non-empty set, valid until it changes. */
static void s_random(hobj *o, smember *m)
{
    switch (form(o)) {
    case F_INTSET:
        member_int(m, is_random(is_of(o)));
        break;
    case F_LP: {
        lp *l = lp_of(o);
        member_lp(m, l, lp_seek(l, (long)(rnd() % lp_count(l))));
        break;
    }
    default: {
        cdentry *e = cd_random(cd_of(o));
        m->isint = false;
        m->p = cd_key(e, &m->n);
        break;
    }
    }
}

/* ---- iteration ------------------------------------------------------------ */

/* Walks a set in its order: intsets ascending, listpacks in insertion
 * order, cdicts in table order.  The set must not change meanwhile. */
typedef struct siter {
    hobj *o;
    int f;
    uint32_t i;         /* intset index / listpack position */
    cditer it;
} siter;

static void si_init(siter *si, hobj *o)
{
    si->o = o;
    si->f = form(o);
    si->i = 0;
    if (si->f == F_LP) si->i = lp_first(lp_of(o));
    else if (si->f == F_DICT) cd_iter_init(&si->it, cd_of(o));
}

static bool si_next(siter *si, smember *m)
{
    switch (si->f) {
    case F_INTSET: {
        intset *s = is_of(si->o);
        if (si->i >= is_len(s)) return false;
        member_int(m, is_get(s, si->i++));
        return true;
    }
    case F_LP: {
        lp *l = lp_of(si->o);
        if (si->i == LP_NONE) return false;
        member_lp(m, l, si->i);
        si->i = lp_next(l, si->i);
        return true;
    }
    default: {
        cdentry *e = cd_iter_next(&si->it);
        if (!e) return false;
        m->isint = false;
        m->p = cd_key(e, &m->n);
        return true;
    }
    }
}

static void si_done(siter *si)
{
    if (si->f == F_DICT) cd_iter_done(&si->it);
}

/* ---- types.h -------------------------------------------------------------- */

void set_free(hobj *o)
{
    free_body(o);
    hf_free(o);
}

hobj *set_dup(const hobj *o)
{
    hobj *d = obj_collection(OBJ_SET, o->enc, NULL);
    switch (form(o)) {
    case F_INTSET: d->u.ptr = is_dup(is_of(o)); break;
    case F_LP: put_lp(d, lp_dup(lp_of(o))); break;
    default: d->u.ptr = cd_dup(cd_of(o)); break;
    }
    return d;
}

size_t set_len(const hobj *o) { return s_size(o); }

size_t set_mem(const hobj *o)
{
    size_t n = hf_malloc_size((void *)o);
    switch (form(o)) {
    case F_INTSET: return n + hf_malloc_size(is_of(o));
    case F_LP: return n + hf_malloc_size(lp_of(o));
    default: return n + cd_mem(cd_of(o));
    }
}

void set_foreach(const hobj *o, elem_fn *fn, void *arg)
{
    siter si;
    smember m;
    si_init(&si, (hobj *)o);
    while (si_next(&si, &m)) fn(arg, m.p, m.n);
    si_done(&si);
}

void set_serialize(const hobj *o, hf_buf *out)
{
    hf_buf_put32(out, (uint32_t)s_size(o));
    siter si;
    smember m;
    si_init(&si, (hobj *)o);
    while (si_next(&si, &m)) {
        hf_buf_put32(out, (uint32_t)m.n);
        hf_buf_put(out, m.p, m.n);
    }
    si_done(&si);
}

/* The encoding comes from the count, as Redis's RDB loader picks it: an
 * intset if it may be one, then whatever the members call for. */
hobj *set_deserialize(const char *p, size_t n)
{
    const char *end = p + n;
    uint32_t count;
    if (!hf_get32(&p, end, &count) || count == 0 || count > (size_t)(end - p) / 4) return NULL;
    hobj *o;
    if (count <= intset_max()) {
        o = obj_collection(OBJ_SET, ENC_INTSET, is_new());
    } else if (count <= LP_MAX_ENTRIES) {
        o = obj_collection(OBJ_SET, ENC_HT, NULL);
        put_lp(o, lp_new());
    } else {
        cdict *d = cd_new();
        cd_expand(d, count);
        o = obj_collection(OBJ_SET, ENC_HT, d);
    }
    for (uint32_t i = 0; i < count; i++) {
        const char *m;
        uint32_t mn;
        if (!hf_getstr(&p, end, &m, &mn)) {
            set_free(o);
            return NULL;
        }
        s_add(o, m, mn);
    }
    if (p != end) {
        set_free(o);
        return NULL;
    }
    return o;
}

hobj *set_new(void) { return obj_collection(OBJ_SET, ENC_INTSET, is_new()); }

void set_add(hobj *o, const char *m, size_t n) { s_add(o, m, n); }

/* ---- command helpers ------------------------------------------------------ */

static void notify(const char *event, const hf_arg *key, int db)
{
    notify_keyspace_event(NOTIFY_SET, event, key->p, key->n, db);
}

static void notify_del(const hf_arg *key, int db)
{
    notify_keyspace_event(NOTIFY_GENERIC, "del", key->p, key->n, db);
}

/* Replies every member of o as a set reply, in the set's order. */
static void reply_members(client *c, hobj *o)
{
    reply_set(c, (long)s_size(o));
    siter si;
    smember m;
    si_init(&si, o);
    while (si_next(&si, &m)) reply_bulk(c, m.p, m.n);
    si_done(&si);
}

/* Member copies kept while a command changes the set they came from:
 * u32 length then bytes, back to back. */
static void keep_member(hf_buf *b, const char *p, size_t n)
{
    hf_buf_put32(b, (uint32_t)n);
    hf_buf_put(b, p, n);
}

/* Logs SREM key m... for the members kept in b, LOG_CHUNK per record. */
static void log_srem(kref *k, int db, const hf_arg *key, const hf_buf *b)
{
    hf_arg *av = hf_malloc(sizeof *av * (LOG_CHUNK + 2));
    av[0] = (hf_arg){"SREM", 4};
    av[1] = *key;
    const char *p = b->p, *end = b->p + b->len;
    while (p < end) {
        int ac = 2;
        while (p < end && ac < LOG_CHUNK + 2) {
            uint32_t mn;
            const char *m;
            hf_getstr(&p, end, &m, &mn);
            av[ac++] = (hf_arg){m, mn};
        }
        ks_log_cmd(k, db, ac, av);
    }
    hf_free(av);
}

/* Keys of a multi-key command, resolved and locked together. */
typedef struct keyset {
    kref *refs;
    int n;
    kref stack[8];
} keyset;

static void keys_lock(keyset *ks, const hf_arg *keys, int nkeys, const hf_arg *dst)
{
    ks->n = nkeys + (dst ? 1 : 0);
    ks->refs = ks->n <= 8 ? ks->stack : hf_malloc(sizeof(kref) * (size_t)ks->n);
    for (int i = 0; i < nkeys; i++) ks_ref_arg(&ks->refs[i], &keys[i]);
    if (dst) ks_ref_arg(&ks->refs[nkeys], dst);
    ks_lock_refs(ks->refs, ks->n);
}

static void keys_unlock(keyset *ks)
{
    ks_unlock_refs(ks->refs, ks->n);
    if (ks->refs != ks->stack) hf_free(ks->refs);
}

/* Looks up the source sets of a multi-key command (read lookups, as Redis
 * 7.0 does even for *STORE); missing keys are NULL.  Replies WRONGTYPE and
 * returns false if one is not a set (every key is looked at first). */
static bool lookup_sets(client *c, keyset *ks, int nkeys, hobj **sets, int *missing)
{
    *missing = 0;
    for (int j = 0; j < nkeys; j++) {
        kentry *e = do_ks_lookup(&ks->refs[j], c->db);
        if (!e) {
            sets[j] = NULL;
            (*missing)++;
            continue;
        }
        if (reply_wrongtype_if(c, OBJ_SET, e)) return false;
        sets[j] = e->val;
    }
    return true;
}

/* Stores a *STORE result (or deletes dst when it is empty) and replies
 * the size, notifying as Redis does.  Takes ownership of result. */
static void store_result(client *c, kref *dk, const hf_arg *dst, hobj *result, const char *event)
{
    size_t n = s_size(result);
    if (n > 0) {
        do_ks_set(dk, c->db, result, false);
        reply_int(c, (long long)n);
        notify(event, dst, c->db);
    } else {
        set_free(result);
        reply_int(c, 0);
        if (do_ks_delete(dk, c->db)) notify_del(dst, c->db);
    }
}

/* ---- SADD SREM SCARD SISMEMBER SMISMEMBER SMOVE --------------------------- */

static void cmd_sadd(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    if (reply_wrongtype_if(c, OBJ_SET, e)) goto out;
    if (!e) e = do_ks_add_quiet(&k, c->db, s_create_for(c->argv[2].p, c->argv[2].n));
    hobj *o = e->val;
    long long added = 0;
    for (int j = 2; j < c->argc; j++)
        if (s_add(o, c->argv[j].p, c->argv[j].n)) added++;
    if (added) {
        ks_log_cmd(&k, c->db, c->argc, c->argv);
        notify("sadd", &c->argv[1], c->db);
    }
    reply_int(c, added);
out:
    ks_unlock(k.s);
}

static void cmd_srem(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    if (!e) {
        reply_int(c, 0);
        goto out;
    }
    if (reply_wrongtype_if(c, OBJ_SET, e)) goto out;
    hobj *o = e->val;
    long long deleted = 0;
    bool keyremoved = false;
    for (int j = 2; j < c->argc; j++) {
        if (!s_remove(o, c->argv[j].p, c->argv[j].n)) continue;
        deleted++;
        if (s_size(o) == 0) {
            do_ks_delete(&k, c->db);
            keyremoved = true;
            break;
        }
    }
    if (deleted) {
        if (!keyremoved) ks_log_cmd(&k, c->db, c->argc, c->argv);
        notify("srem", &c->argv[1], c->db);
        if (keyremoved) notify_del(&c->argv[1], c->db);
    }
    reply_int(c, deleted);
out:
    ks_unlock(k.s);
}

static void cmd_scard(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    if (!e) reply_int(c, 0);
    else if (!reply_wrongtype_if(c, OBJ_SET, e)) reply_int(c, (long long)s_size(e->val));
    ks_unlock(k.s);
}

static void cmd_sismember(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    if (!e) reply_int(c, 0);
    else if (!reply_wrongtype_if(c, OBJ_SET, e)) reply_int(c, s_has_bytes(e->val, c->argv[2].p, c->argv[2].n));
    ks_unlock(k.s);
}

static void cmd_smismember(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    if (!reply_wrongtype_if(c, OBJ_SET, e)) {
        reply_array(c, c->argc - 2);
        for (int j = 2; j < c->argc; j++)
            reply_int(c, e && s_has_bytes(e->val, c->argv[j].p, c->argv[j].n));
    }
    ks_unlock(k.s);
}

static void cmd_smove(client *c)
{
    const hf_arg *src = &c->argv[1], *dst = &c->argv[2], *m = &c->argv[3];
    keyset ks;
    keys_lock(&ks, src, 2, NULL);
    kref *sk = &ks.refs[0], *dk = &ks.refs[1];
    kentry *se = do_ks_lookup_write(sk, c->db);
    kentry *de = do_ks_lookup_write(dk, c->db);
    if (!se) {
        reply_int(c, 0);
        goto out;
    }
    if (reply_wrongtype_if(c, OBJ_SET, se) || reply_wrongtype_if(c, OBJ_SET, de)) goto out;
    if (se == de) {
        reply_int(c, s_has_bytes(se->val, m->p, m->n));
        goto out;
    }
    if (!s_remove(se->val, m->p, m->n)) {
        reply_int(c, 0);
        goto out;
    }
    notify("srem", src, c->db);
    if (s_size(se->val) == 0) {
        do_ks_delete(sk, c->db);
        notify_del(src, c->db);
    } else {
        hf_arg av[3] = {{"SREM", 4}, *src, *m};
        ks_log_cmd(sk, c->db, 3, av);
    }
    if (!de) de = do_ks_add_quiet(dk, c->db, s_create_for(m->p, m->n));
    if (s_add(de->val, m->p, m->n)) {
        hf_arg av[3] = {{"SADD", 4}, *dst, *m};
        ks_log_cmd(dk, c->db, 3, av);
        notify("sadd", dst, c->db);
    }
    reply_int(c, 1);
out:
    keys_unlock(&ks);
}

/* ---- SPOP SRANDMEMBER ----------------------------------------------------- */

/* The union of n sets (NULLs are empty), built as Redis builds it: an
 * intset that converts as members call for.  Caller owns it. */
static hobj *union_of(hobj **sets, int n)
{
    hobj *dst = set_new();
    for (int j = 0; j < n; j++) {
        if (!sets[j]) continue;
        siter si;
        smember m;
        si_init(&si, sets[j]);
        while (si_next(&si, &m)) s_add(dst, m.p, m.n);
        si_done(&si);
    }
    return dst;
}

/* SPOP key count, count >= 1 and < size: pops count members, replying
 * them.  Returns false after popping them one by one (copies kept in
 * popped), true after rebuilding the set from the survivors. */
static bool spop_some(client *c, kentry *e, size_t count, hf_buf *popped)
{
    hobj *o = e->val;
    size_t remaining = s_size(o) - count;
    smember m;
    reply_set(c, (long)count);
    if (remaining * SPOP_MOVE_MUL > count) {
        /* few to pop: pick and remove them one by one */
        while (count--) {
            s_random(o, &m);
            reply_bulk(c, m.p, m.n);
            size_t at = popped->len + 4;
            keep_member(popped, m.p, m.n);
            s_remove(o, popped->p + at, m.n);
        }
        return false;
    }
    /* most of the set goes: move the survivors to a new set, then pop
     * everything left in the old one */
    hobj *keep = NULL;
    hf_buf tmp = {0};
    hf_buf_reserve(&tmp, 1);    /* never NULL, even for "" */
    while (remaining--) {
        s_random(o, &m);
        tmp.len = 0;
        hf_buf_put(&tmp, m.p, m.n);
        if (!keep) keep = s_create_for(tmp.p, tmp.len);
        s_add(keep, tmp.p, tmp.len);
        s_remove(o, tmp.p, tmp.len);
    }
    hf_buf_free(&tmp);
    siter si;
    si_init(&si, o);
    while (si_next(&si, &m)) reply_bulk(c, m.p, m.n);
    si_done(&si);
    /* the header stays (e->val never moves): swap the bodies */
    free_body(o);
    o->enc = keep->enc;
    o->u.ptr = keep->u.ptr;
    hf_free(keep);
    return true;
}

static void spop_count(client *c)
{
    long long cnt;
    if (!hf_str2ll(c->argv[2].p, c->argv[2].n, &cnt) || cnt < 0) {
        reply_error(c, "ERR value is out of range, must be positive");
        return;
    }
    const hf_arg *key = &c->argv[1];
    kref k;
    ks_ref_arg(&k, key);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    if (!e) {
        reply_set(c, 0);
        goto out;
    }
    if (reply_wrongtype_if(c, OBJ_SET, e)) goto out;
    if (cnt == 0) {
        reply_set(c, 0);
        goto out;
    }
    size_t size = s_size(e->val);
    notify("spop", key, c->db);
    if ((unsigned long long)cnt >= size) {
        /* the whole set, replied as SUNION would reply it (Redis runs
         * SUNION's code, whose read lookup counts a keyspace hit) */
        do_ks_lookup(&k, c->db);
        hobj *all = union_of(&e->val, 1);
        reply_members(c, all);
        set_free(all);
        do_ks_delete(&k, c->db);
        notify_del(key, c->db);
        goto out;
    }
    hf_buf popped = {0};
    if (spop_some(c, e, (size_t)cnt, &popped)) {
        /* Rebuilt: log the survivors (at most a fifth of what was popped,
         * so a smaller record than the SREM), which also gives replay the
         * encoding the rebuild chose (a hashtable of integers becomes an
         * intset here, as in Redis; SREM replayed would keep it a
         * hashtable). */
        do_ks_replace_value(&k, c->db, e, e->val);
    } else {
        log_srem(&k, c->db, key, &popped);
    }
    hf_buf_free(&popped);
out:
    ks_unlock(k.s);
}

static void cmd_spop(client *c)
{
    if (c->argc == 3) {
        spop_count(c);
        return;
    }
    if (c->argc > 3) {
        reply_syntax(c);
        return;
    }
    const hf_arg *key = &c->argv[1];
    kref k;
    ks_ref_arg(&k, key);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    if (!e) {
        reply_null(c);
        goto out;
    }
    if (reply_wrongtype_if(c, OBJ_SET, e)) goto out;
    hobj *o = e->val;
    smember m;
    s_random(o, &m);
    /* a copy: the member's bytes may live in the entry being removed */
    char stackbuf[128];
    char *copy = m.n <= sizeof stackbuf ? stackbuf : hf_malloc(m.n);
    memcpy(copy, m.p, m.n);
    size_t n = m.n;
    s_remove(o, copy, n);
    notify("spop", key, c->db);
    reply_bulk(c, copy, n);
    if (s_size(o) == 0) {
        do_ks_delete(&k, c->db);
        notify_del(key, c->db);
    } else {
        hf_arg av[3] = {{"SREM", 4}, *key, {copy, n}};
        ks_log_cmd(&k, c->db, 3, av);
    }
    if (copy != stackbuf) hf_free(copy);
out:
    ks_unlock(k.s);
}

/* Replies the members of the scratch dict d as an array. */
static void reply_dict_keys(client *c, cdict *d)
{
    reply_array(c, (long)cd_size(d));
    cditer it;
    cd_iter_init(&it, d);
    for (cdentry *e; (e = cd_iter_next(&it));) {
        size_t n;
        const char *p = cd_key(e, &n);
        reply_bulk(c, p, n);
    }
    cd_iter_done(&it);
}

/* SRANDMEMBER key count with 1 < count < size, distinct members: Redis's
 * cases 3 (copy, then remove at random) and 4 (pick until enough). */
static void srandmember_distinct(client *c, hobj *o, size_t count)
{
    size_t size = s_size(o);
    cdict *d = cd_new();
    smember m;
    if (count * SRAND_SUB_MUL > size) {
        cd_expand(d, size);
        siter si;
        si_init(&si, o);
        while (si_next(&si, &m)) cd_add(d, m.p, m.n, NULL);
        si_done(&si);
        hf_buf tmp = {0};
        hf_buf_reserve(&tmp, 1);
        while (size-- > count) {
            size_t n;
            const char *p = cd_key(cd_random(d), &n);
            tmp.len = 0;
            hf_buf_put(&tmp, p, n);
            cd_delete(d, tmp.p, tmp.len);
        }
        hf_buf_free(&tmp);
    } else {
        cd_expand(d, count);
        while (cd_size(d) < count) {
            s_random(o, &m);
            cd_add(d, m.p, m.n, NULL);
        }
    }
    reply_dict_keys(c, d);
    cd_free(d);
}

static void srandmember_count(client *c)
{
    long long l;
    if (!arg_ll(c, &c->argv[2], &l, NULL)) return;
    if (l == LLONG_MIN) {
        reply_error(c, "ERR value is out of range, value must between "
                       "-9223372036854775807 and 9223372036854775807");
        return;
    }
    bool uniq = l >= 0;
    unsigned long long count = uniq ? (unsigned long long)l : (unsigned long long)-l;
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    if (reply_wrongtype_if(c, OBJ_SET, e)) goto out;
    if (!e || count == 0) {
        reply_array(c, 0);
        goto out;
    }
    hobj *o = e->val;
    smember m;
    if (!uniq || count == 1) {
        /* repeats allowed: count independent picks */
        reply_array(c, (long)count);
        while (count--) {
            s_random(o, &m);
            reply_bulk(c, m.p, m.n);
        }
    } else if (count >= s_size(o)) {
        reply_array(c, (long)s_size(o));
        siter si;
        si_init(&si, o);
        while (si_next(&si, &m)) reply_bulk(c, m.p, m.n);
        si_done(&si);
    } else {
        srandmember_distinct(c, o, (size_t)count);
    }
out:
    ks_unlock(k.s);
}

static void cmd_srandmember(client *c)
{
    if (c->argc == 3) {
        srandmember_count(c);
        return;
    }
    if (c->argc > 3) {
        reply_syntax(c);
        return;
    }
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    if (!e) {
        reply_null(c);
    } else if (!reply_wrongtype_if(c, OBJ_SET, e)) {
        smember m;
        s_random(e->val, &m);
        reply_bulk(c, m.p, m.n);
    }
    ks_unlock(k.s);
}

/* ---- SINTER SMEMBERS SINTERCARD SINTERSTORE ------------------------------- */

enum { INTER_REPLY, INTER_CARD, INTER_STORE };

/* Sets ordered by size, ties in argument order (a stable sort). */
typedef struct sized { hobj *o; size_t size; int idx; } sized;

static int by_size(const void *a, const void *b)
{
    const sized *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void sort_by_size(hobj **sets, int n)
{
    sized *v = hf_malloc(sizeof *v * (size_t)n);
    for (int i = 0; i < n; i++) v[i] = (sized){sets[i], s_size(sets[i]), i};
    qsort(v, (size_t)n, sizeof *v, by_size);
    for (int i = 0; i < n; i++) sets[i] = v[i].o;
    hf_free(v);
}

/* Is m, a member of sets[0], in every other set? */
static bool in_all(hobj **sets, int n, const smember *m)
{
    for (int j = 1; j < n; j++) {
        if (sets[j] == sets[0]) continue;
        if (!s_has(sets[j], m)) return false;
    }
    return true;
}

/* The intersection of non-empty sets (sorted by size): replied, counted
 * (up to limit, 0 = none) or built into *result. */
static void intersect(client *c, hobj **sets, int n, int mode, unsigned long long limit,
                      hobj **result)
{
    unsigned long long card = 0;
    size_t h = 0;
    if (mode == INTER_STORE) *result = set_new();
    else if (mode == INTER_REPLY) h = reply_defer(c);
    siter si;
    smember m;
    si_init(&si, sets[0]);
    while (si_next(&si, &m)) {
        if (!in_all(sets, n, &m)) continue;
        card++;
        if (mode == INTER_CARD) {
            if (limit && card >= limit) break;
        } else if (mode == INTER_REPLY) {
            reply_bulk(c, m.p, m.n);
        } else {
            s_add(*result, m.p, m.n);
        }
    }
    si_done(&si);
    if (mode == INTER_CARD) reply_int(c, (long long)card);
    else if (mode == INTER_REPLY) reply_defer_set(c, h, (long)card);
}

static void sinter_generic(client *c, const hf_arg *keys, int nkeys, const hf_arg *dst, int mode,
                           unsigned long long limit)
{
    keyset ks;
    keys_lock(&ks, keys, nkeys, dst);
    hobj *stack[8];
    hobj **sets = nkeys <= 8 ? stack : hf_malloc(sizeof(hobj *) * (size_t)nkeys);
    int missing;
    if (!lookup_sets(c, &ks, nkeys, sets, &missing)) goto out;
    if (missing) {
        /* an intersection with an empty set is empty */
        if (mode == INTER_STORE) {
            if (do_ks_delete(&ks.refs[nkeys], c->db)) notify_del(dst, c->db);
            reply_int(c, 0);
        } else if (mode == INTER_CARD) {
            reply_int(c, 0);
        } else {
            reply_set(c, 0);
        }
        goto out;
    }
    sort_by_size(sets, nkeys);
    hobj *result = NULL;
    intersect(c, sets, nkeys, mode, limit, &result);
    if (mode == INTER_STORE) store_result(c, &ks.refs[nkeys], dst, result, "sinterstore");
out:
    if (sets != stack) hf_free(sets);
    keys_unlock(&ks);
}

static void cmd_sinter(client *c) { sinter_generic(c, c->argv + 1, c->argc - 1, NULL, INTER_REPLY, 0); }
static void cmd_smembers(client *c) { sinter_generic(c, c->argv + 1, 1, NULL, INTER_REPLY, 0); }

static void cmd_sinterstore(client *c)
{
    sinter_generic(c, c->argv + 2, c->argc - 2, &c->argv[1], INTER_STORE, 0);
}

static void cmd_sintercard(client *c)
{
    long long numkeys, limit = 0;
    if (!hf_str2ll(c->argv[1].p, c->argv[1].n, &numkeys) || numkeys < 1) {
        reply_error(c, "ERR numkeys should be greater than 0");
        return;
    }
    if (numkeys > c->argc - 2) {
        reply_error(c, "ERR Number of keys can't be greater than number of args");
        return;
    }
    for (int j = 2 + (int)numkeys; j < c->argc; j++) {
        if (arg_opt(&c->argv[j], "limit") && j + 1 < c->argc) {
            j++;
            if (!hf_str2ll(c->argv[j].p, c->argv[j].n, &limit) || limit < 0) {
                reply_error(c, "ERR LIMIT can't be negative");
                return;
            }
        } else {
            reply_syntax(c);
            return;
        }
    }
    sinter_generic(c, c->argv + 2, (int)numkeys, NULL, INTER_CARD, (unsigned long long)limit);
}

/* ---- SUNION SDIFF and their STORE forms ----------------------------------- */

enum { OP_UNION, OP_DIFF };

static int by_size_desc(const void *a, const void *b)
{
    const hobj *x = *(hobj *const *)a, *y = *(hobj *const *)b;
    size_t sx = x ? s_size(x) : 0, sy = y ? s_size(y) : 0;
    return sx < sy ? 1 : sx > sy ? -1 : 0;
}

/* sets[0] minus the others, with the algorithm Redis would pick: walk the
 * first set probing the others (1), or copy it and remove the others (2). */
static hobj *diff_of(hobj **sets, int n)
{
    hobj *dst = set_new();
    if (!sets[0]) return dst;
    for (int j = 1; j < n; j++)
        if (sets[j] == sets[0]) return dst;    /* X minus X is empty */
    long long one = 0, two = 0;
    for (int j = 0; j < n; j++) {
        if (!sets[j]) continue;
        one += (long long)s_size(sets[0]);
        two += (long long)s_size(sets[j]);
    }
    siter si;
    smember m;
    if (one / 2 <= two) {
        /* probe the largest sets first: a member found goes sooner */
        if (n > 1) qsort(sets + 1, (size_t)n - 1, sizeof *sets, by_size_desc);
        si_init(&si, sets[0]);
        while (si_next(&si, &m)) {
            int j;
            for (j = 1; j < n; j++)
                if (sets[j] && s_has(sets[j], &m)) break;
            if (j == n) s_add(dst, m.p, m.n);
        }
        si_done(&si);
        return dst;
    }
    for (int j = 0; j < n; j++) {
        if (!sets[j]) continue;
        si_init(&si, sets[j]);
        while (si_next(&si, &m)) {
            if (j == 0) s_add(dst, m.p, m.n);
            else s_remove(dst, m.p, m.n);
        }
        si_done(&si);
        if (s_size(dst) == 0) break;
    }
    return dst;
}

static void sunion_diff_generic(client *c, const hf_arg *keys, int nkeys, const hf_arg *dst, int op)
{
    keyset ks;
    keys_lock(&ks, keys, nkeys, dst);
    hobj *stack[8];
    hobj **sets = nkeys <= 8 ? stack : hf_malloc(sizeof(hobj *) * (size_t)nkeys);
    int missing;
    if (!lookup_sets(c, &ks, nkeys, sets, &missing)) goto out;
    hobj *result = op == OP_UNION ? union_of(sets, nkeys) : diff_of(sets, nkeys);
    if (!dst) {
        reply_members(c, result);
        set_free(result);
    } else {
        store_result(c, &ks.refs[nkeys], dst, result, op == OP_UNION ? "sunionstore" : "sdiffstore");
    }
out:
    if (sets != stack) hf_free(sets);
    keys_unlock(&ks);
}

static void cmd_sunion(client *c) { sunion_diff_generic(c, c->argv + 1, c->argc - 1, NULL, OP_UNION); }
static void cmd_sdiff(client *c) { sunion_diff_generic(c, c->argv + 1, c->argc - 1, NULL, OP_DIFF); }

static void cmd_sunionstore(client *c)
{
    sunion_diff_generic(c, c->argv + 2, c->argc - 2, &c->argv[1], OP_UNION);
}

static void cmd_sdiffstore(client *c)
{
    sunion_diff_generic(c, c->argv + 2, c->argc - 2, &c->argv[1], OP_DIFF);
}

/* ---- SSCAN ---------------------------------------------------------------- */

/* Members an SSCAN step returns, copied out (u32 length, bytes). */
struct sscan_ctx {
    const char *pat;
    size_t plen;
    bool use_pat;
    hf_buf out;
    long kept, visited;
};

static void sscan_take(struct sscan_ctx *x, const char *p, size_t n)
{
    x->visited++;
    if (x->use_pat && !hf_globmatch(x->pat, x->plen, p, n, false)) return;
    keep_member(&x->out, p, n);
    x->kept++;
}

static void sscan_cb(void *arg, const cdentry *e)
{
    size_t n;
    const char *p = cd_key(e, &n);
    sscan_take(arg, p, n);
}

/* Parses MATCH / COUNT (after the key was found, as Redis does). */
static bool sscan_opts(client *c, struct sscan_ctx *x, long long *count)
{
    for (int i = 3; i < c->argc;) {
        bool more = i + 1 < c->argc;
        if (arg_opt(&c->argv[i], "count") && more) {
            if (!arg_ll(c, &c->argv[i + 1], count, NULL)) return false;
            if (*count < 1) {
                reply_syntax(c);
                return false;
            }
            i += 2;
        } else if (arg_opt(&c->argv[i], "match") && more) {
            x->pat = c->argv[i + 1].p;
            x->plen = c->argv[i + 1].n;
            x->use_pat = !(x->plen == 1 && x->pat[0] == '*');
            i += 2;
        } else {
            reply_syntax(c);
            return false;
        }
    }
    return true;
}

static void cmd_sscan(client *c)
{
    uint64_t cursor;
    if (!arg_cursor(&c->argv[2], &cursor)) {
        reply_error(c, "ERR invalid cursor");
        return;
    }
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    struct sscan_ctx x = {0};
    long long count = 10;
    if (!e) {
        reply_array(c, 2);
        reply_bulk(c, "0", 1);
        reply_array(c, 0);
        goto out;
    }
    if (reply_wrongtype_if(c, OBJ_SET, e) || !sscan_opts(c, &x, &count)) goto out;
    hobj *o = e->val;
    if (form(o) == F_DICT) {
        /* as Redis: buckets until count members or count * 10 buckets */
        if (count > LLONG_MAX / 16) count = LLONG_MAX / 16;
        long long maxiter = count * 10;
        do {
            cursor = cd_scan(cd_of(o), cursor, sscan_cb, &x);
        } while (cursor && maxiter-- && x.visited < count);
    } else {
        /* compact forms come whole, with cursor 0 */
        siter si;
        smember m;
        si_init(&si, o);
        while (si_next(&si, &m)) sscan_take(&x, m.p, m.n);
        si_done(&si);
        cursor = 0;
    }
    char b[24];
    reply_array(c, 2);
    reply_bulk(c, b, (size_t)hf_ull2str(b, cursor));
    reply_array(c, x.kept);
    const char *p = x.out.p, *end = p ? p + x.out.len : p;
    while (p < end) {
        const char *m;
        uint32_t mn;
        hf_getstr(&p, end, &m, &mn);
        reply_bulk(c, m, mn);
    }
out:
    ks_unlock(k.s);
    hf_buf_free(&x.out);
}

const struct binding set_bindings[] = {
    {"sadd", cmd_sadd},
    {"srem", cmd_srem},
    {"scard", cmd_scard},
    {"sismember", cmd_sismember},
    {"smismember", cmd_smismember},
    {"smembers", cmd_smembers},
    {"srandmember", cmd_srandmember},
    {"spop", cmd_spop},
    {"smove", cmd_smove},
    {"sinter", cmd_sinter},
    {"sintercard", cmd_sintercard},
    {"sinterstore", cmd_sinterstore},
    {"sunion", cmd_sunion},
    {"sunionstore", cmd_sunionstore},
    {"sdiff", cmd_sdiff},
    {"sdiffstore", cmd_sdiffstore},
    {"sscan", cmd_sscan},
    {NULL, NULL},
};
