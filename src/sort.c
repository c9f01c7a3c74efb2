/* sort.c — SORT and SORT_RO on lists, sets and sorted sets.
 *
 *   SORT key [BY pattern] [LIMIT offset count] [GET pattern ...]
 *            [ASC|DESC] [ALPHA] [STORE destination]
 *
 * Behaviour, replies and error texts follow Redis 7.0's sort.c:
 *  - Elements are sorted by their numeric value (strtod; an element or a
 *    weight that is not a number fails the whole command with "One or more
 *    scores can't be converted into double"), ties broken by the bytes; with
 *    ALPHA by the bytes.  A weight that is missing sorts as 0 (numeric) or
 *    first (ALPHA).
 *  - BY pattern: the first '*' is replaced by the element and the key read
 *    (a string, or with "key->field" a hash field).  A pattern with no '*'
 *    means "do not sort": lists and sorted sets keep their order (sorted
 *    sets by score), reversed by DESC, and LIMIT takes that range; a set
 *    keeps its iteration order, except with STORE, where it is sorted
 *    ALPHA so that the stored result is deterministic.
 *  - GET pattern (repeatable) replies the named values instead of the
 *    element; "GET #" is the element itself.
 *  - STORE stores the result as a list (its full value goes to the WAL via
 *    do_ks_set) and replies its length, or deletes the destination when the
 *    result is empty.  SORT_RO refuses STORE (syntax error).
 *
 * Ties (equal ALPHA weights, or missing ones): the sort is a stable merge
 * sort, as glibc's qsort (which Redis uses) is in practice, so they keep
 * the input order; BY with a LIMIT that narrows the output uses Redis's
 * partial quicksort, reproduced exactly.  Sets and sorted sets are loaded
 * in their iteration order, which is not Redis's: ties among their
 * elements may come out in another order.  Numeric ties are broken by the
 * elements' bytes, so they are never ambiguous.
 *
 * Locking: without BY/GET patterns that read other keys, only the sorted
 * key and the STORE key are locked.  A pattern names keys that are known
 * only once the elements are read, so a command with one takes every shard
 * (ks_lock_all); EXEC holds every shard for a SORT with BY or GET. */
#include "config.h"
#include "commands.h"
#include "keyspace.h"
#include "object.h"
#include "pubsub.h"
#include "reply.h"
#include "types.h"
#include "util.h"
#include "zset.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- options ---------------------------------------------------------------- */

struct sort_opts {
    bool desc, alpha, dontsort;
    long long limit_start, limit_count;
    const hf_arg *by;           /* NULL: sort by the elements themselves */
    const hf_arg *store;        /* NULL: reply the result */
    const hf_arg **gets;        /* GET patterns, in order */
    int ngets;
};

/* Length of a up to its first NUL: Redis searches patterns with strchr and
 * strstr on its NUL-terminated argv. */
static size_t cstr_len(const char *p, size_t n)
{
    const char *nul = memchr(p, '\0', n);
    return nul ? (size_t)(nul - p) : n;
}

static bool has_star(const hf_arg *a)
{
    return memchr(a->p, '*', cstr_len(a->p, a->n)) != NULL;
}

/* "#" (as Redis sees it: '#' then the end of the C string). */
static bool is_hash_pattern(const hf_arg *a)
{
    return a->n >= 1 && a->p[0] == '#' && (a->n == 1 || a->p[1] == '\0');
}

/* Parses the options from argv[2] in Redis's order; replies and returns
 * false on an error.  o->gets must have room for argc entries. */
static bool parse_opts(client *c, bool readonly, struct sort_opts *o)
{
    for (int j = 2; j < c->argc; j++) {
        const hf_arg *a = &c->argv[j];
        int left = c->argc - j - 1;
        if (arg_is(a, "asc")) {
            o->desc = false;
        } else if (arg_is(a, "desc")) {
            o->desc = true;
        } else if (arg_is(a, "alpha")) {
            o->alpha = true;
        } else if (arg_is(a, "limit") && left >= 2) {
            if (!arg_ll(c, &c->argv[j + 1], &o->limit_start, NULL)) return false;
            if (!arg_ll(c, &c->argv[j + 2], &o->limit_count, NULL)) return false;
            j += 2;
        } else if (!readonly && arg_is(a, "store") && left >= 1) {
            o->store = &c->argv[++j];
        } else if (arg_is(a, "by") && left >= 1) {
            o->by = &c->argv[++j];
            /* a constant pattern means "do not sort" (and a later BY does
             * not undo it, as in Redis) */
            if (!has_star(o->by)) o->dontsort = true;
        } else if (arg_is(a, "get") && left >= 1) {
            o->gets[o->ngets++] = &c->argv[++j];
        } else {
            reply_syntax(c);
            return false;
        }
    }
    return true;
}

/* True if the command will read keys other than the sorted one. */
static bool reads_other_keys(const struct sort_opts *o)
{
    if (o->by && !o->dontsort) return true;
    for (int i = 0; i < o->ngets; i++)
        if (!is_hash_pattern(o->gets[i]) && has_star(o->gets[i])) return true;
    return false;
}

/* ---- pattern lookups -------------------------------------------------------- */

/* The value pattern names for element e[0..en): "#" is e itself; otherwise
 * the first '*' is replaced by e and the key read, a string, or with
 * "->field" after the '*' a hash field of it.  Returns the bytes (valid
 * while the locks are held and nothing changes; scratch >= 32 bytes may be
 * used) or NULL if the pattern has no '*' or the value is missing or of
 * another type.  keybuf is scratch space for the key name.  Locks held. */
static const char *pattern_value(client *c, const hf_arg *pat, const char *e, size_t en,
                                 hf_buf *keybuf, char *scratch, size_t *vn)
{
    if (is_hash_pattern(pat)) {
        *vn = en;
        return e;
    }
    size_t cn = cstr_len(pat->p, pat->n);
    const char *star = memchr(pat->p, '*', cn);
    if (!star) return NULL;
    const char *field = NULL;
    size_t fieldlen = 0;
    for (const char *f = star + 1; f + 2 < pat->p + cn; f++) {
        if (f[0] == '-' && f[1] == '>') {       /* "->" with a field after it */
            field = f + 2;
            fieldlen = pat->n - (size_t)(field - pat->p);
            break;
        }
    }
    size_t prefix = (size_t)(star - pat->p);
    size_t postfix = pat->n - prefix - 1 - (field ? fieldlen + 2 : 0);
    keybuf->len = 0;
    hf_buf_put(keybuf, pat->p, prefix);
    hf_buf_put(keybuf, e, en);
    hf_buf_put(keybuf, star + 1, postfix);

    kref k;
    ks_ref(&k, keybuf->p, keybuf->len);
    kentry *ent = do_ks_lookup(&k, c->db);
    if (!ent) return NULL;
    if (field) {
        if (ent->val->type != OBJ_HASH) return NULL;
        return hash_get(ent->val, field, fieldlen, scratch, vn);
    }
    if (ent->val->type != OBJ_STRING) return NULL;
    return obj_str(ent->val, scratch, vn);
}

/* ---- the sort vector -------------------------------------------------------- */

/* One element: its bytes and its weight's in the arena (offsets: the arena
 * grows while elements are loaded). */
struct item {
    size_t off;
    size_t cmpoff;              /* ALPHA + BY: the weight's bytes */
    uint32_t n;
    uint32_t cmpn;
    bool hascmp;
    double score;
};

struct sorter {
    struct item *v;
    long len;
    hf_buf arena;
    /* loading a range of an ordered collection (lists, sorted sets, BY
     * constant): element i of the iteration goes to slot dir(i) - first
     * when first <= dir(i) <= last, dir(i) = total - 1 - i when reversed */
    long seen, total, first, last;
    bool reverse, ranged;
    /* comparison */
    bool alpha, bypattern, binary, desc;
};

static void add_item(struct sorter *s, long slot, const char *p, size_t n)
{
    struct item *it = &s->v[slot];
    it->off = s->arena.len;
    it->n = (uint32_t)n;
    it->hascmp = false;
    it->score = 0;
    hf_buf_put(&s->arena, p, n);
}

static void load_elem(void *arg, const char *p, size_t n)
{
    struct sorter *s = arg;
    long i = s->seen++;
    if (!s->ranged) {
        if (i < s->len) add_item(s, i, p, n);   /* len is the type's count */
        return;
    }
    long d = s->reverse ? s->total - 1 - i : i;
    if (d >= s->first && d <= s->last) add_item(s, d - s->first, p, n);
}

static void load_scored(void *arg, const char *m, size_t n, double score)
{
    (void)score;
    load_elem(arg, m, n);
}

/* The range [s->first, s->last] of a sorted set in score order (reversed:
 * from the highest score), reached by rank as Redis does. */
static void load_zset_range(struct sorter *s, const hobj *o)
{
    zcur cur;
    zc_at(&cur, o, s->reverse ? s->total - 1 - s->first : s->first);
    for (long i = 0; i < s->len && zc_valid(&cur); i++) {
        zlelem el;
        zc_get(&cur, &el);
        add_item(s, i, el.m, el.n);
        zc_step(&cur, s->reverse);
    }
}

static const char *item_p(const struct sorter *s, const struct item *it)
{
    return s->arena.p ? s->arena.p + it->off : "";   /* only empty elements */
}

/* Byte order, shorter first on a common prefix (Redis's binary
 * compareStringObjects). */
static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    int r = memcmp(a, b, an < bn ? an : bn);
    if (r) return r;
    return an < bn ? -1 : an > bn ? 1 : 0;
}

/* strcoll on the C strings, as Redis compares for ALPHA without STORE;
 * the collation of the C/C.UTF-8 locales is byte order. */
static int cmp_cstr(const char *a, size_t an, const char *b, size_t bn)
{
    return cmp_bytes(a, cstr_len(a, an), b, cstr_len(b, bn));
}

static int item_cmp(const struct sorter *s, const struct item *x, const struct item *y)
{
    int r;
    if (!s->alpha) {
        if (x->score > y->score) r = 1;
        else if (x->score < y->score) r = -1;
        else r = cmp_bytes(item_p(s, x), x->n, item_p(s, y), y->n);
    } else if (s->bypattern) {
        if (!x->hascmp || !y->hascmp) {
            r = x->hascmp == y->hascmp ? 0 : !x->hascmp ? -1 : 1;
        } else {
            const char *a = s->arena.p + x->cmpoff, *b = s->arena.p + y->cmpoff;
            r = s->binary ? cmp_bytes(a, x->cmpn, b, y->cmpn) : cmp_cstr(a, x->cmpn, b, y->cmpn);
        }
    } else {
        const char *a = item_p(s, x), *b = item_p(s, y);
        r = s->binary ? cmp_bytes(a, x->n, b, y->n) : cmp_cstr(a, x->n, b, y->n);
    }
    return s->desc ? -r : r;
}

/* Stable bottom-up merge sort of s->v. */
static void sort_items(struct sorter *s)
{
    long n = s->len;
    if (n < 2) return;
    struct item *tmp = hf_malloc(sizeof(*tmp) * (size_t)n);
    struct item *src = s->v, *dst = tmp;
    for (long width = 1; width < n; width *= 2) {
        for (long lo = 0; lo < n; lo += 2 * width) {
            long mid = lo + width < n ? lo + width : n;
            long hi = lo + 2 * width < n ? lo + 2 * width : n;
            long i = lo, j = mid, k = lo;
            while (i < mid && j < hi) dst[k++] = item_cmp(s, &src[j], &src[i]) < 0 ? src[j++] : src[i++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        struct item *t = src;
        src = dst;
        dst = t;
    }
    if (src != s->v) memcpy(s->v, src, sizeof(*src) * (size_t)n);
    hf_free(tmp);
}

/* ---- Redis's partial quicksort --------------------------------------------
 * With BY and a LIMIT that narrows the output Redis sorts with pqsort:
 * Bentley & McIlroy's quicksort (as in NetBSD's qsort) that only recurses
 * into parts overlapping the wanted range.  It is not stable, so tied
 * elements come out in the order this algorithm leaves them; it is
 * reproduced step for step as Redis 7.0 has it (pivot choice, keys equal
 * to the pivot swapped to the ends, insertion sort below 7 elements; no
 * switch to insertion sort after a pass without swaps, which came later)
 * so that SORT ... BY ... LIMIT replies what Redis replies even for ties. */

static void swap_at(struct item *v, long i, long j)
{
    struct item t = v[i];
    v[i] = v[j];
    v[j] = t;
}

/* Swaps the n elements from i with the n elements from j, in order. */
static void swap_block(struct item *v, long i, long j, long n)
{
    for (long k = 0; k < n; k++) swap_at(v, i + k, j + k);
}

static long median3(const struct sorter *s, long a, long b, long c)
{
    const struct item *v = s->v;
    if (item_cmp(s, &v[a], &v[b]) < 0)
        return item_cmp(s, &v[b], &v[c]) < 0 ? b : item_cmp(s, &v[a], &v[c]) < 0 ? c : a;
    return item_cmp(s, &v[b], &v[c]) > 0 ? b : item_cmp(s, &v[a], &v[c]) < 0 ? a : c;
}

static void insertion_sort(struct sorter *s, long base, long n)
{
    for (long m = base + 1; m < base + n; m++)
        for (long l = m; l > base && item_cmp(s, &s->v[l - 1], &s->v[l]) > 0; l--) swap_at(s->v, l, l - 1);
}

/* True if the elements [first, last] hold any of the wanted [lo, hi]
 * (as pqsort tests it: hi < lo is an empty range before lo). */
static bool overlaps(long first, long last, long lo, long hi)
{
    return !((lo < first && hi < first) || (lo > last && hi > last));
}

/* Sorts s->v[base, base + n) enough that the elements with indexes in
 * [lo, hi] are in their sorted places. */
static void partial_sort(struct sorter *s, long base, long n, long lo, long hi)
{
    struct item *v = s->v;
    for (;;) {
        if (n < 7) {
            insertion_sort(s, base, n);
            return;
        }
        long pm = base + n / 2;
        if (n > 7) {
            long pl = base, pn = base + n - 1;
            if (n > 40) {
                long d = n / 8;
                pl = median3(s, pl, pl + d, pl + 2 * d);
                pm = median3(s, pm - d, pm, pm + d);
                pn = median3(s, pn - 2 * d, pn - d, pn);
            }
            pm = median3(s, pl, pm, pn);
        }
        swap_at(v, base, pm);
        /* [base+1, pa): equal to the pivot; [pa, pb): less; (pc, pd]:
         * greater; (pd, end): equal */
        long pa = base + 1, pb = base + 1, pc = base + n - 1, pd = base + n - 1;
        for (;;) {
            int r;
            while (pb <= pc && (r = item_cmp(s, &v[pb], &v[base])) <= 0) {
                if (r == 0) swap_at(v, pa++, pb);
                pb++;
            }
            while (pb <= pc && (r = item_cmp(s, &v[pc], &v[base])) >= 0) {
                if (r == 0) swap_at(v, pc, pd--);
                pc--;
            }
            if (pb > pc) break;
            swap_at(v, pb++, pc--);
        }
        long end = base + n;
        long r = pa - base < pb - pa ? pa - base : pb - pa;
        swap_block(v, base, pb - r, r);
        r = pd - pc < end - pd - 1 ? pd - pc : end - pd - 1;
        swap_block(v, pb, end - r, r);
        if ((r = pb - pa) > 1 && overlaps(base, base + r - 1, lo, hi)) partial_sort(s, base, r, lo, hi);
        if ((r = pd - pc) <= 1) return;
        base = end - r;
        n = r;
        if (!overlaps(base, base + r - 1, lo, hi)) return;
    }
}

/* strtod as Redis applies it to weights: the whole C string must be a
 * number (leading spaces allowed; an empty string is 0), no overflow or
 * underflow, not NaN.  p[0..n) is copied to add the terminating NUL. */
static bool parse_weight(const char *p, size_t n, hf_buf *tmp, double *out)
{
    tmp->len = 0;
    hf_buf_put(tmp, p, n);
    hf_buf_put(tmp, "", 1);
    char *end;
    errno = 0;
    double d = strtod(tmp->p, &end);
    *out = d;
    return end[0] == '\0' && errno != ERANGE && !isnan(d);
}

/* Computes each item's weight; returns false if one is not a number. */
static bool load_weights(client *c, struct sorter *s, const struct sort_opts *o, hf_buf *keybuf)
{
    bool ok = true;
    hf_buf tmp = {0};
    for (long j = 0; j < s->len; j++) {
        struct item *it = &s->v[j];
        char scratch[32];
        size_t vn;
        const char *v;
        if (o->by) {
            /* v never points into the arena (a BY pattern here has a '*'),
             * so appending the weight below is safe */
            v = pattern_value(c, o->by, item_p(s, it), it->n, keybuf, scratch, &vn);
            if (!v) continue;
        } else {
            v = item_p(s, it);
            vn = it->n;
        }
        if (o->alpha) {
            if (o->by) {
                it->cmpoff = s->arena.len;
                it->cmpn = (uint32_t)vn;
                it->hascmp = true;
                hf_buf_put(&s->arena, v, vn);
            }
        } else if (!parse_weight(v, vn, &tmp, &it->score)) {
            ok = false;
        }
    }
    hf_buf_free(&tmp);
    return ok;
}

/* ---- output ----------------------------------------------------------------- */

static void reply_result(client *c, struct sorter *s, const struct sort_opts *o, long start,
                         long end, long outputlen, hf_buf *keybuf)
{
    reply_array(c, outputlen);
    for (long j = start; j <= end; j++) {
        const struct item *it = &s->v[j];
        const char *e = item_p(s, it);
        if (!o->ngets) reply_bulk(c, e, it->n);
        for (int g = 0; g < o->ngets; g++) {
            char scratch[32];
            size_t vn;
            const char *v = pattern_value(c, o->gets[g], e, it->n, keybuf, scratch, &vn);
            if (v) reply_bulk(c, v, vn);
            else reply_null(c);
        }
    }
}

static void store_result(client *c, struct sorter *s, const struct sort_opts *o, long start,
                         long end, long outputlen, hf_buf *keybuf)
{
    kref dst;
    ks_ref_arg(&dst, o->store);
    if (outputlen) {
        hobj *list = list_new();
        for (long j = start; j <= end; j++) {
            const struct item *it = &s->v[j];
            const char *e = item_p(s, it);
            if (!o->ngets) list_push(list, LIST_TAIL, e, it->n);
            for (int g = 0; g < o->ngets; g++) {
                char scratch[32];
                size_t vn;
                const char *v = pattern_value(c, o->gets[g], e, it->n, keybuf, scratch, &vn);
                if (!v) {
                    v = "";
                    vn = 0;
                }
                list_push(list, LIST_TAIL, v, vn);
            }
        }
        do_ks_set(&dst, c->db, list, false);
        notify_keyspace_event(NOTIFY_LIST, "sortstore", dst.p, dst.n, c->db);
    } else if (do_ks_delete(&dst, c->db)) {
        notify_keyspace_event(NOTIFY_GENERIC, "del", dst.p, dst.n, c->db);
    }
    reply_int(c, outputlen);
}

/* ---- the command -------------------------------------------------------------- */

/* Everything after the options are parsed, with the locks held. */
static void sort_locked(client *c, struct sort_opts *o)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    kentry *e = do_ks_lookup(&k, c->db);
    hobj *val = e ? e->val : NULL;
    int type = val ? val->type : OBJ_LIST;
    if (val && type != OBJ_LIST && type != OBJ_SET && type != OBJ_ZSET) {
        reply_wrongtype(c);
        return;
    }
    /* a set with nothing to sort by is stored in a deterministic order */
    if (o->dontsort && type == OBJ_SET && o->store) {
        o->dontsort = false;
        o->alpha = true;
        o->by = NULL;
    }
    /* as Redis's SORT: a listpack sorted set becomes a skiplist (OBJECT
     * ENCODING shows it afterwards); only the encoding changes, so nothing
     * is logged */
    if (type == OBJ_ZSET && val) zs_to_skiplist(val);

    long vectorlen = !val ? 0
        : type == OBJ_LIST ? (long)list_len(val)
        : type == OBJ_SET ? (long)set_len(val) : (long)zset_len(val);
    /* LIMIT, clamped to the collection as Redis does */
    long start = o->limit_start < 0 ? 0 : o->limit_start > vectorlen ? vectorlen : (long)o->limit_start;
    long count = o->limit_count < -1 ? -1 : o->limit_count > vectorlen ? vectorlen : (long)o->limit_count;
    long end = count < 0 ? vectorlen - 1 : start + count - 1;
    if (start >= vectorlen) {
        start = vectorlen - 1;
        end = vectorlen - 2;
    }
    if (end >= vectorlen) end = vectorlen - 1;

    struct sorter s = {0};
    s.total = vectorlen;
    /* ordered collections with nothing to sort: load just the range, in
     * the requested direction */
    bool ordered = type == OBJ_LIST || type == OBJ_ZSET;
    if (ordered && o->dontsort) {
        s.ranged = true;
        s.reverse = o->desc;
        s.first = start;
        s.last = end;
        vectorlen = end >= start ? end - start + 1 : 0;
        end -= start;
        start = 0;
    }
    s.len = vectorlen;
    s.v = hf_malloc(sizeof(struct item) * (size_t)(vectorlen ? vectorlen : 1));
    if (val && vectorlen) {
        if (type == OBJ_LIST) list_foreach(val, load_elem, &s);
        else if (type == OBJ_SET) set_foreach(val, load_elem, &s);
        else if (s.ranged) load_zset_range(&s, val);
        else zset_foreach(val, load_scored, &s);
    }

    hf_buf keybuf = {0};
    bool ok = true;
    if (!o->dontsort) {
        ok = load_weights(c, &s, o, &keybuf);
        s.alpha = o->alpha;
        s.bypattern = o->by != NULL;
        s.binary = o->store != NULL;
        s.desc = o->desc;
        if (ok && o->by && (start != 0 || end != s.len - 1)) partial_sort(&s, 0, s.len, start, end);
        else if (ok) sort_items(&s);
    }

    long outputlen = (o->ngets ? o->ngets : 1) * (end - start + 1);
    if (!ok) reply_error(c, "ERR One or more scores can't be converted into double");
    else if (!o->store) reply_result(c, &s, o, start, end, outputlen, &keybuf);
    else store_result(c, &s, o, start, end, outputlen, &keybuf);

    hf_buf_free(&keybuf);
    hf_buf_free(&s.arena);
    hf_free(s.v);
}

static void sort_generic(client *c, bool readonly)
{
    const hf_arg *small[8];
    struct sort_opts o = {.limit_count = -1};
    o.gets = c->argc <= 8 ? small : hf_malloc(sizeof(*o.gets) * (size_t)c->argc);
    if (!parse_opts(c, readonly, &o)) goto out;

    if (reads_other_keys(&o)) {
        ks_lock_all();
        sort_locked(c, &o);
        ks_unlock_all();
    } else {
        kref refs[2];
        int n = 1;
        ks_ref_arg(&refs[0], &c->argv[1]);
        if (o.store) ks_ref_arg(&refs[n++], o.store);
        ks_lock_refs(refs, n);
        sort_locked(c, &o);
        ks_unlock_refs(refs, n);
    }
out:
    if (o.gets != small) hf_free(o.gets);
}

static void cmd_sort(client *c) { sort_generic(c, false); }
static void cmd_sort_ro(client *c) { sort_generic(c, true); }

const struct binding sort_bindings[] = {
    {"sort", cmd_sort},
    {"sort_ro", cmd_sort_ro},
    {NULL, NULL},
};
