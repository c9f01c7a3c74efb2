/* t_hash.c — the hash type: its two encodings, the functions types.h asks
 * of every type, and the commands HSET HSETNX HMSET HGET HMGET HGETALL HDEL
 * HLEN HEXISTS HKEYS HVALS HSTRLEN HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN.
 *
 * Encodings, named and converted as Redis 7.0 does:
 *   listpack   one listpack entry per field/value pair (Redis uses two;
 *              the layout is described with the code below), in insertion
 *              order (new fields are appended; an update rewrites the pair
 *              where it is).  Every hash starts here.
 *   hashtable  a cdict (field -> value), once the hash has more than
 *              hash-max-listpack-entries fields, or a field or value longer
 *              than hash-max-listpack-value bytes was going to be stored.
 * A hash never converts back, whatever is deleted, as in Redis.  The
 * conversion points are Redis's: HSET/HMSET/HSETNX look at every argument
 * they are about to store before storing anything (hashTypeTryConversion);
 * every single store also checks its own field and value first (what
 * catches HINCRBY / HINCRBYFLOAT results) and the field count after an
 * insert (hashTypeSet).
 *
 * Replies and error texts, and the order in which errors are detected,
 * follow Redis 7.0's t_hash.c and scanGenericCommand.  Handlers validate
 * what they can with no lock held, then lock the key's shard, look up,
 * change, log and reply under the lock.
 *
 * Durability: commands that change a hash in place log themselves with
 * ks_log_cmd (HSET, HMSET, HSETNX, HDEL, HINCRBY are deterministic);
 * HINCRBYFLOAT logs an HSET of the value it computed, as Redis propagates
 * it, so that replay does not depend on long double arithmetic.  A key a
 * command creates is added with do_ks_add_quiet (the logged command creates
 * it again on replay); a hash emptied by HDEL is deleted with do_ks_delete,
 * which logs the DEL. */
#include "config.h"
#include "cdict.h"
#include "commands.h"
#include "conf.h"
#include "keyspace.h"
#include "listpack.h"
#include "object.h"
#include "pubsub.h"
#include "reply.h"
#include "types.h"
#include "util.h"

#include <limits.h>
#include <math.h>
#include <string.h>

/* A listpack may not grow past this (Redis's LISTPACK_MAX_SAFETY_SIZE). */
#define LP_SAFETY_SIZE (1UL << 30)
/* MAX_LONG_DOUBLE_CHARS in Redis: room for any "%.17Lf" long double. */
#define LD_STR_MAX 5120
/* HRANDFIELD with a positive count below the size: above size / 3 picks,
 * shuffle all the fields; below, sample (Redis's
 * HRANDFIELD_SUB_STRATEGY_MUL). */
#define SUB_STRATEGY_MUL 3

/* ---- thresholds ------------------------------------------------------------ */

static inline size_t max_lp_entries(void)
{
    long long v = CONF_GET(hash_max_listpack_entries);
    return v < 0 ? 0 : (size_t)v;
}

static inline size_t max_lp_value(void)
{
    long long v = CONF_GET(hash_max_listpack_value);
    return v < 0 ? 0 : (size_t)v;
}

/* ---- the listpack encoding: one entry per pair ------------------------------
 *
 * Redis keeps a field and its value as two listpack entries, each with its
 * own head and back length.  Here a pair is ONE entry:
 *
 *   entry = hdr | field | value
 *   hdr   = X as a LEB128 varint (low 7 bits first, bit 7: more follow),
 *           X = t << 1 | vint, so vint is bit 0 of the entry's first byte
 *   t     0..8   the field is a canonical integer (one hf_str2ll accepts),
 *                stored in t bytes, little-endian two's complement, the
 *                fewest that hold it (0 takes none)
 *         >= 9   the field is the t - 9 bytes that follow, as given
 *   value        the rest of the entry: if vint, a canonical integer in
 *                0..8 bytes (same form); else the value's bytes as given
 *
 * Both forms are functions of the bytes alone, so two fields are equal
 * exactly when their entries agree up to the end of the field, vint
 * aside: a lookup encodes the needle once and compares each entry's
 * prefix in place (lp_find_prefix with the vint bit masked out).  hdr says
 * how long the field part is, so no field's prefix is the start of
 * another field's entry.  Fields of up to 54 bytes take a one-byte hdr.
 * A 2-byte field with a 5-byte value costs 10 bytes (Redis: 11), and
 * integers, fields or values, cost their binary size.
 *
 * The listpack itself stores an entry whose bytes happen to spell a
 * canonical integer as an integer (possible: a non-canonical 15..19 digit
 * field such as "000..." with a short digit value); lp_get_str gives the
 * same bytes back, so every read goes through it with a scratch. */

#define STR_T 9                 /* t of an empty string field */
#define VINT_MASK 0xFE          /* the first byte without the vint bit */
#define VARINT_MAX 10           /* bytes of a 64-bit LEB128 varint */

/* Writes v in the fewest little-endian two's complement bytes (none for
 * 0); returns how many. */
static size_t int_put(unsigned char *out, long long v)
{
    size_t k = 0;
    if (v != 0) {
        k = 1;
        while (k < 8 && (v < -(1LL << (8 * k - 1)) || v >= (1LL << (8 * k - 1)))) k++;
    }
    for (size_t i = 0; i < k; i++) out[i] = (unsigned char)((unsigned long long)v >> (8 * i));
    return k;
}

static long long int_get(const unsigned char *p, size_t k)
{
    uint64_t u = 0;
    if (k == 0) return 0;
    for (size_t i = k; i-- > 0;) u = u << 8 | p[i];
    if (k < 8 && (u >> (8 * k - 1)) & 1) u |= ~0ULL << (8 * k);    /* sign-extend */
    return (long long)u;
}

static size_t varint_put(unsigned char *out, uint64_t x)
{
    size_t n = 0;
    for (; x >= 0x80; x >>= 7) out[n++] = (unsigned char)(x | 0x80);
    out[n++] = (unsigned char)x;
    return n;
}

/* A field in its stored form, vint 0: head = hdr (and the integer's bytes
 * for an integer field), body = a string field's own bytes. */
typedef struct fkey {
    unsigned char head[VARINT_MAX + 8];
    size_t hn;
    const char *body;
    size_t bn;
} fkey;

static void fkey_make(fkey *k, const char *f, size_t fn)
{
    long long v;
    if (hf_str2ll(f, fn, &v)) {
        unsigned char b[8];
        size_t n = int_put(b, v);
        k->hn = varint_put(k->head, (uint64_t)n << 1);
        memcpy(k->head + k->hn, b, n);
        k->hn += n;
        k->body = NULL;
        k->bn = 0;
    } else {
        k->hn = varint_put(k->head, ((uint64_t)fn + STR_T) << 1);
        k->body = f;
        k->bn = fn;
    }
}

/* The position of field k's entry, LP_NONE if absent. */
static inline uint32_t pair_find(const lp *l, const fkey *k)
{
    return lp_find_prefix(l, lp_first(l), k->head, k->hn, VINT_MASK, k->body, k->bn);
}

/* The entry for field k and value (v, vn): in buf (cap bytes) when it
 * fits, else in *heap, which the caller frees.  Sets *len. */
static const char *pair_entry(const fkey *k, const char *v, size_t vn, char *buf, size_t cap,
                              char **heap, size_t *len)
{
    long long iv;
    unsigned char ib[8];
    bool vint = hf_str2ll(v, vn, &iv);
    size_t in = vint ? int_put(ib, iv) : vn;
    size_t n = k->hn + k->bn + in;
    unsigned char *e = (unsigned char *)(n <= cap ? buf : (*heap = hf_malloc(n)));
    memcpy(e, k->head, k->hn);
    e[0] |= (unsigned char)vint;
    if (k->bn) memcpy(e + k->hn, k->body, k->bn);
    if (in) memcpy(e + k->hn + k->bn, vint ? (const char *)ib : v, in);
    *len = n;
    return (const char *)e;
}

/* Appends (replace == LP_NONE) or rewrites the pair (f, v). */
static void pair_store(lp **l, uint32_t replace, const fkey *k, const char *v, size_t vn)
{
    char buf[256], *heap = NULL;
    size_t len;
    const char *e = pair_entry(k, v, vn, buf, sizeof buf, &heap, &len);
    if (replace == LP_NONE) lp_append(l, e, len);
    else lp_replace(l, replace, e, len);
    hf_free(heap);
}

/* A pair read back (from either encoding): field and value as bytes, the
 * integers written out in the scratch; vint/vi tell a listpack integer
 * value (HINCRBY reads it without parsing).  The bytes stay valid while
 * the hpair lives and the hash does not change. */
typedef struct hpair {
    const char *f, *v;
    size_t fn, vn;
    long long vi;
    bool vint;
    bool vtmp;                      /* v is in es or vs */
    char es[24], fs[24], vs[24];    /* entry, field, value as text */
} hpair;

/* Reads the pair at pos (trusted: this file wrote it; the bounds are
 * still kept).  Without text, an integer value is left in vi only (v is
 * NULL): HINCRBY and existence checks need no decimal form. */
static void pair_read(const lp *l, uint32_t pos, hpair *p, bool text)
{
    size_t n;
    const unsigned char *s = (const unsigned char *)lp_get_str(l, pos, p->es, &n);
    const unsigned char *end = s + n;
    bool tmp = (const char *)s == p->es;
    uint64_t x = 0;
    for (int sh = 0; s < end && sh < 64; sh += 7) {
        unsigned c = *s++;
        x |= (uint64_t)(c & 0x7F) << sh;
        if (!(c & 0x80)) break;
    }
    uint64_t t = x >> 1;
    size_t left = (size_t)(end - s);
    p->vint = x & 1;
    if (t < STR_T) {
        size_t k = t < left ? (size_t)t : left;
        p->fn = (size_t)hf_ll2str(p->fs, int_get(s, k));
        p->f = p->fs;
        s += k;
    } else {
        p->fn = t - STR_T < left ? (size_t)(t - STR_T) : left;
        p->f = (const char *)s;
        s += p->fn;
    }
    left = (size_t)(end - s);
    if (p->vint) {
        p->vi = int_get(s, left < 8 ? left : 8);
        p->vn = text ? (size_t)hf_ll2str(p->vs, p->vi) : 0;
        p->v = text ? p->vs : NULL;
        p->vtmp = true;
    } else {
        p->vi = 0;
        p->v = (const char *)s;
        p->vn = left;
        p->vtmp = tmp;
    }
}

/* ---- encodings ------------------------------------------------------------- */

size_t hash_len(const hobj *o)
{
    return o->enc == ENC_LISTPACK ? lp_count(o->u.ptr) : cd_size(o->u.ptr);
}

/* Rewrites a listpack hash as a hashtable, keeping every field. */
static void convert_to_ht(hobj *o)
{
    lp *l = o->u.ptr;
    cdict *d = cd_new();
    cd_expand(d, lp_count(l));
    for (uint32_t p = lp_first(l); p != LP_NONE; p = lp_next(l, p)) {
        hpair hp;
        pair_read(l, p, &hp, true);
        cdentry *e = cd_add(d, hp.f, hp.fn, NULL);
        cd_set_val(d, &e, hp.v, hp.vn);
    }
    lp_free(l);
    o->u.ptr = d;
    o->enc = ENC_HT;
}

/* hashTypeTryConversion: converts a listpack hash that one of argv[first..
 * last] (the fields and values about to be stored) would not fit. */
static void try_convert(hobj *o, const hf_arg *argv, int first, int last)
{
    if (o->enc != ENC_LISTPACK) return;
    size_t maxv = max_lp_value(), sum = 0;
    for (int i = first; i <= last; i++) {
        if (argv[i].n > maxv) {
            convert_to_ht(o);
            return;
        }
        sum += argv[i].n;
    }
    if (lp_bytes(o->u.ptr) + sum > LP_SAFETY_SIZE) convert_to_ht(o);
}

/* Looks field f up; false if it is missing.  out->v/vn are the value's
 * bytes (out->vint and out->vi tell a listpack integer, whose bytes are
 * only written out with text); out->f is not set. */
static bool field_lookup(const hobj *o, const char *f, size_t fn, hpair *out, bool text)
{
    if (o->enc == ENC_LISTPACK) {
        const lp *l = o->u.ptr;
        fkey k;
        fkey_make(&k, f, fn);
        uint32_t p = pair_find(l, &k);
        if (p == LP_NONE) return false;
        pair_read(l, p, out, text);
        return true;
    }
    cdentry *e = cd_find(o->u.ptr, f, fn);
    if (!e) return false;
    out->v = cd_val(e, &out->vn);
    out->vint = false;
    out->vtmp = false;
    out->vi = 0;
    return true;
}

/* hashTypeSet: sets f to v and returns true if f already existed.  A
 * listpack hash converts first if f or v is too long for it, and after the
 * store if it has more than hash-max-listpack-entries fields (an update
 * too: the limit may have been lowered since the hash grew). */
static bool field_set(hobj *o, const char *f, size_t fn, const char *v, size_t vn)
{
    if (o->enc == ENC_LISTPACK) {
        size_t maxv = max_lp_value();
        if (fn > maxv || vn > maxv) convert_to_ht(o);
    }
    if (o->enc == ENC_LISTPACK) {
        lp *l = o->u.ptr;
        fkey k;
        fkey_make(&k, f, fn);
        uint32_t p = pair_find(l, &k);
        pair_store(&l, p, &k, v, vn);
        o->u.ptr = l;
        if (lp_count(l) > max_lp_entries()) convert_to_ht(o);
        return p != LP_NONE;
    }
    cdict *d = o->u.ptr;
    bool added;
    cdentry *e = cd_add(d, f, fn, &added);
    cd_set_val(d, &e, v, vn);
    return !added;
}

/* Deletes field f; false if it was not there. */
static bool field_del(hobj *o, const char *f, size_t fn)
{
    if (o->enc == ENC_LISTPACK) {
        lp *l = o->u.ptr;
        fkey k;
        fkey_make(&k, f, fn);
        uint32_t p = pair_find(l, &k);
        if (p == LP_NONE) return false;
        lp_delete(&l, p, 1);
        o->u.ptr = l;
        return true;
    }
    return cd_delete(o->u.ptr, f, fn);
}

/* ---- iteration over both encodings ----------------------------------------- */

/* Field/value pairs in storage order: insertion order for a listpack, table
 * order for a hashtable (which must not change until hi_done()). */
typedef struct hiter {
    const hobj *o;
    uint32_t pos;           /* listpack: the next pair */
    cditer it;
    hpair hp;               /* the listpack pair last read */
} hiter;

static void hi_init(hiter *h, const hobj *o)
{
    h->o = o;
    if (o->enc == ENC_LISTPACK) h->pos = lp_first(o->u.ptr);
    else cd_iter_init(&h->it, o->u.ptr);
}

/* The next pair (bytes valid until the next call); false at the end. */
static bool hi_next(hiter *h, const char **f, size_t *fn, const char **v, size_t *vn)
{
    if (h->o->enc == ENC_LISTPACK) {
        const lp *l = h->o->u.ptr;
        if (h->pos == LP_NONE) return false;
        pair_read(l, h->pos, &h->hp, true);
        *f = h->hp.f;
        *fn = h->hp.fn;
        *v = h->hp.v;
        *vn = h->hp.vn;
        h->pos = lp_next(l, h->pos);
        return true;
    }
    cdentry *e = cd_iter_next(&h->it);
    if (!e) return false;
    *f = cd_key(e, fn);
    *v = cd_val(e, vn);
    return true;
}

static void hi_done(hiter *h)
{
    if (h->o->enc == ENC_HT) cd_iter_done(&h->it);
}

/* ---- the type's functions (types.h) ---------------------------------------- */

hobj *hash_new(void)
{
    return obj_collection(OBJ_HASH, ENC_LISTPACK, lp_new());
}

void hash_free(hobj *o)
{
    if (o->enc == ENC_LISTPACK) lp_free(o->u.ptr);
    else cd_free(o->u.ptr);
    hf_free(o);
}

hobj *hash_dup(const hobj *o)
{
    void *p = o->enc == ENC_LISTPACK ? (void *)lp_dup(o->u.ptr) : (void *)cd_dup(o->u.ptr);
    return obj_collection(OBJ_HASH, o->enc, p);
}

size_t hash_mem(const hobj *o)
{
    size_t n = hf_malloc_size((void *)o);
    if (o->enc == ENC_LISTPACK) return n + hf_malloc_size(o->u.ptr);
    return n + cd_mem(o->u.ptr);
}

void hash_foreach(const hobj *o, pair_fn *fn, void *arg)
{
    hiter h;
    const char *f, *v;
    size_t flen, vlen;
    hi_init(&h, o);
    while (hi_next(&h, &f, &flen, &v, &vlen)) fn(arg, f, flen, v, vlen);
    hi_done(&h);
}

/* count | count x (len | field | len | value) */
void hash_serialize(const hobj *o, hf_buf *out)
{
    hiter h;
    const char *f, *v;
    size_t fn, vn;
    hf_buf_put32(out, (uint32_t)hash_len(o));
    hi_init(&h, o);
    while (hi_next(&h, &f, &fn, &v, &vn)) {
        hf_buf_reserve(out, 8 + fn + vn);
        hf_buf_put32(out, (uint32_t)fn);
        hf_buf_put(out, f, fn);
        hf_buf_put32(out, (uint32_t)vn);
        hf_buf_put(out, v, vn);
    }
    hi_done(&h);
}

/* Builds a hash from a validated body of count pairs; NULL if a field
 * repeats (never written by hash_serialize: the bytes are damaged). */
static hobj *build_hash(const char *q, const char *end, uint32_t count, bool ht)
{
    hobj *o = ht ? obj_collection(OBJ_HASH, ENC_HT, cd_new()) : hash_new();
    /* a listpack finds duplicates by scanning itself while small, as
     * Redis's loader does; past 64 fields a side table is cheaper */
    cdict *seen = !ht && count > 64 ? cd_new() : NULL;
    if (ht) cd_expand(o->u.ptr, count);
    bool ok = true;
    for (uint32_t i = 0; i < count && ok; i++) {
        const char *f, *v;
        uint32_t fn, vn;
        hf_getstr(&q, end, &f, &fn);
        hf_getstr(&q, end, &v, &vn);
        if (ht) {
            bool added;
            cdentry *e = cd_add(o->u.ptr, f, fn, &added);
            if (!added) ok = false;
            else cd_set_val(o->u.ptr, &e, v, vn);
            continue;
        }
        lp *l = o->u.ptr;
        fkey k;
        fkey_make(&k, f, fn);
        if (seen) {
            bool added;
            cd_add(seen, f, fn, &added);
            ok = added;
        } else {
            ok = pair_find(l, &k) == LP_NONE;
        }
        if (!ok) break;
        pair_store(&l, LP_NONE, &k, v, vn);
        o->u.ptr = l;
    }
    if (seen) cd_free(seen);
    if (!ok) {
        hash_free(o);
        return NULL;
    }
    return o;
}

hobj *hash_deserialize(const char *p, size_t n)
{
    const char *end = p + n, *q = p;
    uint32_t count;
    /* an empty hash is never stored; each pair takes at least 8 bytes */
    if (!hf_get32(&q, end, &count) || count == 0 || count > (size_t)(end - q) / 8) return NULL;
    const char *body = q;
    size_t maxv = max_lp_value(), total = 0;
    bool ht = count > max_lp_entries();
    for (uint32_t i = 0; i < count; i++) {
        const char *s;
        uint32_t len;
        for (int j = 0; j < 2; j++) {
            if (!hf_getstr(&q, end, &s, &len)) return NULL;
            if (len > maxv) ht = true;
            total += len;
        }
    }
    if (q != end) return NULL;
    if (total > LP_SAFETY_SIZE) ht = true;
    return build_hash(body, end, count, ht);
}

const char *hash_get(const hobj *o, const char *f, size_t fn, char *scratch, size_t *vn)
{
    hpair v;
    if (!field_lookup(o, f, fn, &v, true)) return NULL;
    /* the bytes may be in v's own scratch: copy the (short) text out */
    if (v.vtmp) {
        memcpy(scratch, v.v, v.vn);
        *vn = v.vn;
        return scratch;
    }
    *vn = v.vn;
    return v.v;
}

void hash_set(hobj *o, const char *f, size_t fn, const char *v, size_t vn)
{
    field_set(o, f, fn, v, vn);
}

/* ---- command helpers ------------------------------------------------------- */

/* hashTypeLookupWriteOrCreate: the hash at k, created empty if missing
 * (the caller fills it at once and logs the command that does), or NULL
 * after replying WRONGTYPE.  Shard lock held. */
static hobj *hash_for_write(client *c, kref *k)
{
    kentry *e = do_ks_lookup_write(k, c->db);
    if (!e) return do_ks_add_quiet(k, c->db, hash_new())->val;
    if (e->val->type != OBJ_HASH) {
        reply_wrongtype(c);
        return NULL;
    }
    return e->val;
}

/* The hash at k for reading (counts a hit or miss): NULL if missing, or
 * after replying WRONGTYPE (*wrong set).  Shard lock held. */
static hobj *hash_for_read(client *c, kref *k, bool *wrong)
{
    kentry *e = do_ks_lookup(k, c->db);
    *wrong = false;
    if (!e) return NULL;
    if (e->val->type != OBJ_HASH) {
        reply_wrongtype(c);
        *wrong = true;
        return NULL;
    }
    return e->val;
}

/* xorshift's low bits are correlated from one draw to the next: mix them
 * (murmur3's finaliser) before taking a draw modulo a small size. */
static inline uint64_t rnd(void)
{
    uint64_t x = hf_rand64();
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* ---- HSET HMSET HSETNX ----------------------------------------------------- */

static void hset_generic(client *c, bool hmset)
{
    if (c->argc % 2 == 1) {
        reply_arity(c, hmset ? "hmset" : "hset");
        return;
    }
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    hobj *o = hash_for_write(c, &k);
    if (o) {
        try_convert(o, c->argv, 2, c->argc - 1);
        long long created = 0;
        for (int i = 2; i < c->argc; i += 2) {
            const hf_arg *f = &c->argv[i], *v = &c->argv[i + 1];
            if (!field_set(o, f->p, f->n, v->p, v->n)) created++;
        }
        ks_log_cmd(&k, c->db, c->argc, c->argv);
        notify_keyspace_event(NOTIFY_HASH, "hset", k.p, k.n, c->db);
        if (hmset) reply_ok(c);
        else reply_int(c, created);
    }
    ks_unlock(k.s);
}

static void cmd_hset(client *c) { hset_generic(c, false); }
static void cmd_hmset(client *c) { hset_generic(c, true); }

static void cmd_hsetnx(client *c)
{
    const hf_arg *f = &c->argv[2], *v = &c->argv[3];
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    hobj *o = hash_for_write(c, &k);
    hpair old;
    if (!o) {
        /* WRONGTYPE replied */
    } else if (field_lookup(o, f->p, f->n, &old, false)) {
        reply_int(c, 0);
    } else {
        try_convert(o, c->argv, 2, 3);
        field_set(o, f->p, f->n, v->p, v->n);
        ks_log_cmd(&k, c->db, c->argc, c->argv);
        notify_keyspace_event(NOTIFY_HASH, "hset", k.p, k.n, c->db);
        reply_int(c, 1);
    }
    ks_unlock(k.s);
}

/* ---- reads of single fields ------------------------------------------------ */

static void cmd_hget(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    bool wrong;
    hobj *o = hash_for_read(c, &k, &wrong);
    hpair v;
    if (wrong) {
        /* replied */
    } else if (!o || !field_lookup(o, c->argv[2].p, c->argv[2].n, &v, true)) {
        reply_null(c);
    } else {
        reply_bulk(c, v.v, v.vn);
    }
    ks_unlock(k.s);
}

static void cmd_hmget(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    bool wrong;
    hobj *o = hash_for_read(c, &k, &wrong);
    if (!wrong) {
        reply_array(c, c->argc - 2);
        for (int i = 2; i < c->argc; i++) {
            hpair v;
            if (!o || !field_lookup(o, c->argv[i].p, c->argv[i].n, &v, true)) {
                reply_null(c);
                continue;
            }
            reply_bulk(c, v.v, v.vn);
        }
    }
    ks_unlock(k.s);
}

static void cmd_hlen(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    bool wrong;
    hobj *o = hash_for_read(c, &k, &wrong);
    if (!wrong) reply_int(c, o ? (long long)hash_len(o) : 0);
    ks_unlock(k.s);
}

static void cmd_hexists(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    bool wrong;
    hobj *o = hash_for_read(c, &k, &wrong);
    hpair v;
    if (!wrong) reply_int(c, o && field_lookup(o, c->argv[2].p, c->argv[2].n, &v, false));
    ks_unlock(k.s);
}

static void cmd_hstrlen(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    bool wrong;
    hobj *o = hash_for_read(c, &k, &wrong);
    hpair v;
    if (wrong) {
        /* replied */
    } else if (!o || !field_lookup(o, c->argv[2].p, c->argv[2].n, &v, true)) {
        reply_int(c, 0);
    } else {
        reply_int(c, (long long)v.vn);
    }
    ks_unlock(k.s);
}

/* ---- HDEL ------------------------------------------------------------------ */

static void cmd_hdel(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    if (!e) {
        reply_int(c, 0);
    } else if (e->val->type != OBJ_HASH) {
        reply_wrongtype(c);
    } else {
        hobj *o = e->val;
        long long deleted = 0;
        bool removed = false;
        for (int i = 2; i < c->argc; i++) {
            if (!field_del(o, c->argv[i].p, c->argv[i].n)) continue;
            deleted++;
            if (hash_len(o) == 0) {
                /* the DEL this logs is the whole effect */
                do_ks_delete(&k, c->db);
                removed = true;
                break;
            }
        }
        if (deleted) {
            if (!removed) ks_log_cmd(&k, c->db, c->argc, c->argv);
            notify_keyspace_event(NOTIFY_HASH, "hdel", k.p, k.n, c->db);
            if (removed) notify_keyspace_event(NOTIFY_GENERIC, "del", k.p, k.n, c->db);
        }
        reply_int(c, deleted);
    }
    ks_unlock(k.s);
}

/* ---- HINCRBY HINCRBYFLOAT -------------------------------------------------- */

static void cmd_hincrby(client *c)
{
    const hf_arg *f = &c->argv[2];
    long long incr;
    if (!arg_ll(c, &c->argv[3], &incr, NULL)) return;
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    long long v = 0;
    hpair old;
    if (e && e->val->type != OBJ_HASH) {
        reply_wrongtype(c);
        goto out;
    }
    if (e && field_lookup(e->val, f->p, f->n, &old, false)) {
        if (old.vint) {
            v = old.vi;
        } else if (!hf_str2ll(old.v, old.vn, &v)) {
            reply_error(c, "ERR hash value is not an integer");
            goto out;
        }
    }
    if ((incr < 0 && v < 0 && incr < LLONG_MIN - v) ||
        (incr > 0 && v > 0 && incr > LLONG_MAX - v)) {
        reply_error(c, "ERR increment or decrement would overflow");
    } else {
        v += incr;
        if (!e) e = do_ks_add_quiet(&k, c->db, hash_new());
        char buf[24];
        int n = hf_ll2str(buf, v);
        field_set(e->val, f->p, f->n, buf, (size_t)n);
        ks_log_cmd(&k, c->db, c->argc, c->argv);
        notify_keyspace_event(NOTIFY_HASH, "hincrby", k.p, k.n, c->db);
        reply_int(c, v);
    }
out:
    ks_unlock(k.s);
}

static void cmd_hincrbyfloat(client *c)
{
    const hf_arg *f = &c->argv[2];
    long double incr, v = 0;
    if (!hf_str2ld(c->argv[3].p, c->argv[3].n, &incr)) {
        reply_error(c, "ERR value is not a valid float");
        return;
    }
    if (isnan(incr) || isinf(incr)) {
        reply_error(c, "ERR value is NaN or Infinity");
        return;
    }
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    hpair old;
    if (e && e->val->type != OBJ_HASH) {
        reply_wrongtype(c);
        goto out;
    }
    if (e && field_lookup(e->val, f->p, f->n, &old, false)) {
        if (old.vint) {
            v = (long double)old.vi;
        } else if (!hf_str2ld(old.v, old.vn, &v)) {
            reply_error(c, "ERR hash value is not a float");
            goto out;
        }
    }
    v += incr;
    if (isnan(v) || isinf(v)) {
        reply_error(c, "ERR increment would produce NaN or Infinity");
        goto out;
    }
    char buf[LD_STR_MAX];
    int n = hf_ld2str(buf, sizeof buf, v, true);
    if (!e) e = do_ks_add_quiet(&k, c->db, hash_new());
    field_set(e->val, f->p, f->n, buf, (size_t)n);
    /* logged as the HSET of the result, as Redis propagates it */
    hf_arg hset[4] = {{"HSET", 4}, c->argv[1], *f, {buf, (size_t)n}};
    ks_log_cmd(&k, c->db, 4, hset);
    notify_keyspace_event(NOTIFY_HASH, "hincrbyfloat", k.p, k.n, c->db);
    reply_bulk(c, buf, (size_t)n);
out:
    ks_unlock(k.s);
}

/* ---- HGETALL HKEYS HVALS --------------------------------------------------- */

enum { WANT_KEYS = 1, WANT_VALS = 2 };

static void getall_generic(client *c, int want)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    bool wrong, both = want == (WANT_KEYS | WANT_VALS);
    hobj *o = hash_for_read(c, &k, &wrong);
    if (!wrong) {
        long n = o ? (long)hash_len(o) : 0;
        if (both) reply_map(c, n);
        else reply_array(c, n);
        if (o) {
            hiter h;
            const char *f, *v;
            size_t fn, vn;
            hi_init(&h, o);
            while (hi_next(&h, &f, &fn, &v, &vn)) {
                if (want & WANT_KEYS) reply_bulk(c, f, fn);
                if (want & WANT_VALS) reply_bulk(c, v, vn);
            }
            hi_done(&h);
        }
    }
    ks_unlock(k.s);
}

static void cmd_hgetall(client *c) { getall_generic(c, WANT_KEYS | WANT_VALS); }
static void cmd_hkeys(client *c) { getall_generic(c, WANT_KEYS); }
static void cmd_hvals(client *c) { getall_generic(c, WANT_VALS); }

/* ---- HRANDFIELD ------------------------------------------------------------ */

/* One field (and its value) of a HRANDFIELD reply: RESP3 nests each pair in
 * an array of two, RESP2 flattens them. */
static void reply_pair(client *c, const char *f, size_t fn, const char *v, size_t vn,
                       bool withvalues)
{
    if (withvalues && c->resp > 2) reply_array(c, 2);
    reply_bulk(c, f, fn);
    if (withvalues) reply_bulk(c, v, vn);
}

static void reply_lp_pair(client *c, const lp *l, uint32_t pos, bool withvalues)
{
    hpair hp;
    pair_read(l, pos, &hp, withvalues);
    reply_pair(c, hp.f, hp.fn, hp.v, hp.vn, withvalues);
}

static void reply_cd_pair(client *c, const cdentry *e, bool withvalues)
{
    size_t fn, vn;
    const char *f = cd_key(e, &fn);
    const char *v = cd_val(e, &vn);
    reply_pair(c, f, fn, v, vn, withvalues);
}

/* The reply header for n picks. */
static void reply_picks(client *c, unsigned long n, bool withvalues)
{
    reply_array(c, (long)(withvalues && c->resp == 2 ? n * 2 : n));
}

/* The offsets of a listpack's pairs: room is the caller's array of
 * `room` slots; returns it or a heap array the caller frees. */
static uint32_t *lp_field_index(const lp *l, uint32_t *room, size_t nroom)
{
    size_t n = lp_count(l);
    uint32_t *idx = n <= nroom ? room : hf_malloc(n * sizeof *idx);
    uint32_t p = lp_first(l);
    for (size_t i = 0; i < n; i++) {
        idx[i] = p;
        p = lp_next(l, p);
    }
    return idx;
}

/* count picks with repetition, in random order (negative count). */
static void randfield_repeat(client *c, hobj *o, unsigned long count, bool withvalues)
{
    reply_picks(c, count, withvalues);
    if (o->enc == ENC_HT) {
        while (count--) reply_cd_pair(c, cd_random(o->u.ptr), withvalues);
        return;
    }
    /* index the fields once: each pick is then O(1), not a listpack walk */
    const lp *l = o->u.ptr;
    uint32_t room[256];
    uint32_t *idx = lp_field_index(l, room, 256);
    size_t n = lp_count(l);
    while (count--) reply_lp_pair(c, l, idx[rnd() % n], withvalues);
    if (idx != room) hf_free(idx);
}

/* An open-addressing set of entry pointers (distinct picks). */
typedef struct ptrset { const void **slot; size_t mask; } ptrset;

static bool ptrset_add(ptrset *s, const void *p)
{
    uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ULL;
    for (size_t i = (size_t)(h >> 20) & s->mask;; i = (i + 1) & s->mask) {
        if (s->slot[i] == p) return false;
        if (!s->slot[i]) {
            s->slot[i] = p;
            return true;
        }
    }
}

/* count < size distinct picks in random order, for a large share of the
 * hash (count * 3 > size, either encoding): a partial Fisher-Yates shuffle
 * of all the fields. */
static void randfield_shuffle(client *c, hobj *o, size_t size, unsigned long count,
                              bool withvalues)
{
    if (o->enc == ENC_LISTPACK) {
        const lp *l = o->u.ptr;
        uint32_t room[256];
        uint32_t *idx = lp_field_index(l, room, 256);
        for (unsigned long i = 0; i < count; i++) {
            size_t j = i + (size_t)(rnd() % (size - i));
            uint32_t t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
            reply_lp_pair(c, l, idx[i], withvalues);
        }
        if (idx != room) hf_free(idx);
        return;
    }
    const cdentry **all = hf_malloc(size * sizeof *all);
    cditer it;
    size_t n = 0;
    cd_iter_init(&it, o->u.ptr);
    for (cdentry *e; (e = cd_iter_next(&it)) != NULL;) all[n++] = e;
    cd_iter_done(&it);
    for (unsigned long i = 0; i < count; i++) {
        size_t j = i + (size_t)(rnd() % (n - i));
        const cdentry *t = all[i];
        all[i] = all[j];
        all[j] = t;
        reply_cd_pair(c, all[i], withvalues);
    }
    hf_free(all);
}

/* count < size / 3 distinct picks from a hashtable: random picks, skipping
 * repeats (expected O(count)). */
static void randfield_sample_ht(client *c, hobj *o, unsigned long count, bool withvalues)
{
    size_t cap = 16;
    while (cap < count * 2) cap <<= 1;
    ptrset seen = {hf_calloc(cap, sizeof(void *)), cap - 1};
    for (unsigned long got = 0; got < count;) {
        const cdentry *e = cd_random(o->u.ptr);
        if (!ptrset_add(&seen, e)) continue;
        reply_cd_pair(c, e, withvalues);
        got++;
    }
    hf_free(seen.slot);
}

/* count < size / 3 distinct picks from a listpack, in listpack order as
 * Redis's lpRandomPairsUnique (selection sampling: each field is taken
 * with probability still-needed / still-left). */
static void randfield_unique_lp(client *c, hobj *o, size_t size, unsigned long count,
                                bool withvalues)
{
    const lp *l = o->u.ptr;
    uint32_t p = lp_first(l);
    for (size_t i = 0; i < size && count; i++) {
        if (rnd() % (size - i) < count) {
            reply_lp_pair(c, l, p, withvalues);
            count--;
        }
        p = lp_next(l, p);
    }
}

static void randfield_count(client *c, long long l, bool withvalues)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    bool wrong;
    hobj *o = hash_for_read(c, &k, &wrong);
    if (wrong) goto out;
    if (!o) {
        reply_array(c, 0);
        goto out;
    }
    size_t size = hash_len(o);
    bool uniq = l >= 0;
    unsigned long count = uniq ? (unsigned long)l : (unsigned long)-l;
    if (count == 0) {
        reply_array(c, 0);
    } else if (!uniq || count == 1) {
        randfield_repeat(c, o, count, withvalues);
    } else if (count >= size) {
        /* the whole hash, in storage order */
        hiter h;
        const char *f, *v;
        size_t fn, vn;
        reply_picks(c, size, withvalues);
        hi_init(&h, o);
        while (hi_next(&h, &f, &fn, &v, &vn)) reply_pair(c, f, fn, v, vn, withvalues);
        hi_done(&h);
    } else {
        reply_picks(c, count, withvalues);
        if (count * SUB_STRATEGY_MUL > size) randfield_shuffle(c, o, size, count, withvalues);
        else if (o->enc == ENC_LISTPACK) randfield_unique_lp(c, o, size, count, withvalues);
        else randfield_sample_ht(c, o, count, withvalues);
    }
out:
    ks_unlock(k.s);
}

static void cmd_hrandfield(client *c)
{
    if (c->argc >= 3) {
        long long l;
        if (!arg_ll(c, &c->argv[2], &l, NULL)) return;
        if (l < -LONG_MAX || l > LONG_MAX) {
            reply_errorf(c, "ERR value is out of range, value must between %ld and %ld",
                         -LONG_MAX, LONG_MAX);
            return;
        }
        if (c->argc > 4 || (c->argc == 4 && !arg_opt(&c->argv[3], "withvalues"))) {
            reply_syntax(c);
            return;
        }
        bool withvalues = c->argc == 4;
        /* the reply would count 2 x |count| elements */
        if (withvalues && (l < -LONG_MAX / 2 || l > LONG_MAX / 2)) {
            reply_error(c, "ERR value is out of range");
            return;
        }
        randfield_count(c, l, withvalues);
        return;
    }
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    bool wrong;
    hobj *o = hash_for_read(c, &k, &wrong);
    if (wrong) {
        /* replied */
    } else if (!o) {
        reply_null(c);
    } else if (o->enc == ENC_HT) {
        size_t fn;
        const char *f = cd_key(cd_random(o->u.ptr), &fn);
        reply_bulk(c, f, fn);
    } else {
        const lp *l = o->u.ptr;
        hpair hp;
        pair_read(l, lp_seek(l, (long)(rnd() % lp_count(l))), &hp, false);
        reply_bulk(c, hp.f, hp.fn);
    }
    ks_unlock(k.s);
}

/* ---- HSCAN ----------------------------------------------------------------- */

/* Entries one HSCAN step collects from a hashtable (stable meanwhile:
 * nothing changes the dict between the cd_scan calls and the reply). */
struct scan_acc {
    const cdentry **e;
    size_t n, cap;
};

static void scan_cb(void *arg, const cdentry *e)
{
    struct scan_acc *x = arg;
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 64;
        x->e = hf_realloc(x->e, x->cap * sizeof *x->e);
    }
    x->e[x->n++] = e;
}

static void scan_reply_cursor(client *c, uint64_t cursor)
{
    char b[24];
    reply_array(c, 2);
    reply_bulk(c, b, (size_t)hf_ull2str(b, cursor));
}

/* Everything of a listpack hash at once, cursor 0, as Redis does. */
static void scan_listpack(client *c, const hobj *o, const hf_arg *pat)
{
    const lp *l = o->u.ptr;
    scan_reply_cursor(c, 0);
    size_t h = reply_defer(c);
    long n = 0;
    for (uint32_t p = lp_first(l); p != LP_NONE; p = lp_next(l, p)) {
        hpair hp;
        pair_read(l, p, &hp, true);
        if (pat && !hf_globmatch(pat->p, pat->n, hp.f, hp.fn, false)) continue;
        reply_bulk(c, hp.f, hp.fn);
        reply_bulk(c, hp.v, hp.vn);
        n += 2;
    }
    reply_defer_array(c, h, n);
}

/* Visits buckets until count fields were collected or count * 20 buckets
 * were visited (Redis doubles COUNT for pairs, then allows ten times that
 * many steps), then filters by pattern. */
static void scan_ht(client *c, const hobj *o, uint64_t cursor, long long count,
                    const hf_arg *pat)
{
    struct scan_acc x = {0};
    long long steps = count > LLONG_MAX / 20 ? LLONG_MAX : count * 20;
    do {
        cursor = cd_scan(o->u.ptr, cursor, scan_cb, &x);
    } while (cursor && steps-- && (long long)x.n < count);
    size_t kept = 0;
    for (size_t i = 0; i < x.n; i++) {
        size_t fn;
        const char *f = cd_key(x.e[i], &fn);
        if (pat && !hf_globmatch(pat->p, pat->n, f, fn, false)) continue;
        x.e[kept++] = x.e[i];
    }
    scan_reply_cursor(c, cursor);
    reply_array(c, (long)kept * 2);
    for (size_t i = 0; i < kept; i++) {
        size_t fn, vn;
        const char *f = cd_key(x.e[i], &fn);
        const char *v = cd_val(x.e[i], &vn);
        reply_bulk(c, f, fn);
        reply_bulk(c, v, vn);
    }
    hf_free(x.e);
}

static void cmd_hscan(client *c)
{
    uint64_t cursor;
    if (!arg_cursor(&c->argv[2], &cursor)) {
        reply_error(c, "ERR invalid cursor");
        return;
    }
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    bool wrong;
    hobj *o = hash_for_read(c, &k, &wrong);
    if (wrong) goto out;
    if (!o) {
        scan_reply_cursor(c, 0);
        reply_array(c, 0);
        goto out;
    }
    /* options are checked only for an existing hash, as in Redis */
    long long count = 10;
    const hf_arg *pat = NULL;
    for (int i = 3; i < c->argc; i += 2) {
        bool has_arg = i + 1 < c->argc;
        if (has_arg && arg_opt(&c->argv[i], "count")) {
            if (!arg_ll(c, &c->argv[i + 1], &count, NULL)) goto out;
            if (count < 1) {
                reply_syntax(c);
                goto out;
            }
        } else if (has_arg && arg_opt(&c->argv[i], "match")) {
            pat = &c->argv[i + 1];
        } else {
            reply_syntax(c);
            goto out;
        }
    }
    /* exactly "*" matches everything: no filtering (the last MATCH wins) */
    if (pat && pat->n == 1 && pat->p[0] == '*') pat = NULL;
    if (o->enc == ENC_LISTPACK) scan_listpack(c, o, pat);
    else scan_ht(c, o, cursor, count, pat);
out:
    ks_unlock(k.s);
}

const struct binding hash_bindings[] = {
    {"hset", cmd_hset},
    {"hsetnx", cmd_hsetnx},
    {"hmset", cmd_hmset},
    {"hget", cmd_hget},
    {"hmget", cmd_hmget},
    {"hgetall", cmd_hgetall},
    {"hdel", cmd_hdel},
    {"hlen", cmd_hlen},
    {"hexists", cmd_hexists},
    {"hkeys", cmd_hkeys},
    {"hvals", cmd_hvals},
    {"hstrlen", cmd_hstrlen},
    {"hincrby", cmd_hincrby},
    {"hincrbyfloat", cmd_hincrbyfloat},
    {"hrandfield", cmd_hrandfield},
    {"hscan", cmd_hscan},
    {NULL, NULL},
};
