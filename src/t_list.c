/* t_list.c — the list type: its two encodings, the functions types.h asks
 * of it, and the commands LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE
 * LINDEX LSET LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP.
 *
 * Encodings.  A list that fits one node (list-max-listpack-size, read at
 * the time of each change) is one bare listpack behind o->u.ptr
 * (ENC_LISTPACK): a 10-element list costs the hobj header and one small
 * block.  Growing past the limit turns it into a quicklist (quicklist.c,
 * ENC_QUICKLIST) whose first node is that same listpack, without copying;
 * a quicklist shrunk by deletions to one node of at most half the limit
 * turns back (the hysteresis keeps a list at the edge from flipping at
 * every push and pop).  This is Redis 7.2's scheme.  Redis 7.0 keeps every
 * list a quicklist of listpacks, and its OBJECT ENCODING answers
 * "quicklist" whatever the size, so o->enc records the layout while the
 * name reported for a list is always "quicklist" (object.c).  Nodes are
 * never compressed: list-compress-depth is accepted and has no effect.
 * Readers see both layouts through one quicklist view (a bare listpack is
 * shown as a one-node quicklist on the stack), so each reading command has
 * one path.
 *
 * Commands follow Redis 7.0's t_list.c: the order in which arguments are
 * checked (which error wins), the replies in RESP2 and RESP3, keyspace
 * events, and what is propagated — logged here with ks_log_cmd:
 *   pushes, LSET, LINSERT, LREM, LPOP/RPOP   their own argv, when they
 *       changed something; LTRIM always (Redis marks the key modified for
 *       WATCH even when nothing was trimmed, and logging is what does it);
 *   a change that empties the list                  the DEL of the key
 *       (do_ks_delete), which is its whole effect;
 *   LMOVE/RPOPLPUSH between two keys                LPOP/RPOP of the source
 *       (or its DEL) and LPUSH/RPUSH of the value on the destination; on
 *       one key the command itself (deterministic);
 *   LMPOP                                           LPOP/RPOP key n, n the
 *       number popped (or the DEL).
 * A key a command creates is added with do_ks_add_quiet (the logged push
 * recreates it on replay) and announced to blocked clients once filled. */
#include "config.h"
#include "commands.h"
#include "conf.h"
#include "keyspace.h"
#include "listpack.h"
#include "pubsub.h"
#include "quicklist.h"
#include "reply.h"
#include "types.h"
#include "util.h"

#include <limits.h>
#include <string.h>

/* ---- representation ---------------------------------------------------- */

static void limit_now(ql_limit *lim)
{
    ql_limit_of(CONF_GET(list_max_listpack_size), lim);
}

/* A read-only quicklist view of any list: a bare listpack is presented as
 * a one-node quicklist living in the view itself. */
typedef struct lview {
    quicklist ql;
    qlnode node;
} lview;

static const quicklist *view(const hobj *o, lview *v)
{
    if (o->enc == ENC_QUICKLIST) return o->u.ptr;
    lp *l = o->u.ptr;
    uint32_t n = lp_count(l);
    v->node = (qlnode){.lp = l, .count = n};
    v->ql.head = v->ql.tail = n ? &v->node : NULL;
    v->ql.count = n;
    v->ql.len = n ? 1 : 0;
    return &v->ql;
}

static void to_quicklist(hobj *o)
{
    o->u.ptr = ql_from_lp(o->u.ptr);
    o->enc = ENC_QUICKLIST;
}

/* After deletions: a quicklist down to one node of at most half the limit
 * (or none) becomes a bare listpack again. */
static void maybe_shrink(hobj *o)
{
    if (o->enc != ENC_QUICKLIST) return;
    quicklist *ql = o->u.ptr;
    if (ql->len > 1) return;
    if (ql->len == 1) {
        ql_limit lim;
        limit_now(&lim);
        if (lp_bytes(ql->head->lp) > lim.bytes / 2 || ql->head->count > lim.count / 2) return;
    }
    o->u.ptr = ql_to_lp(ql);
    o->enc = ENC_LISTPACK;
}

/* After an edit inside a bare listpack: past the limit it becomes a
 * quicklist whose node is split to fit. */
static void maybe_grow(hobj *o, const ql_limit *lim)
{
    if (o->enc != ENC_LISTPACK) return;
    lp *l = o->u.ptr;
    if (!ql_exceeds(lim, lp_bytes(l), lp_count(l))) return;
    to_quicklist(o);
    quicklist *ql = o->u.ptr;
    ql_split_to_fit(ql, ql->head, lim);
}

static void push_one(hobj *o, int where, const char *p, size_t n, const ql_limit *lim)
{
    if (o->enc == ENC_LISTPACK) {
        lp *l = o->u.ptr;
        if (!ql_exceeds(lim, lp_bytes(l) + lp_entry_size(p, n), lp_count(l) + 1ULL)) {
            if (where == LIST_HEAD) lp_prepend(&l, p, n);
            else lp_append(&l, p, n);
            o->u.ptr = l;
            return;
        }
        to_quicklist(o);
    }
    ql_push(o->u.ptr, where, p, n, lim);
}

/* Deletes count elements from index start (>= 0). */
static void del_range(hobj *o, uint64_t start, uint64_t count)
{
    if (o->enc == ENC_LISTPACK) {
        lp *l = o->u.ptr;
        if (count > UINT32_MAX) count = UINT32_MAX;
        lp_delete_range(&l, (long)start, (uint32_t)count);
        o->u.ptr = l;
    } else {
        ql_del_range(o->u.ptr, start, count);
        maybe_shrink(o);
    }
}

/* ---- types.h ----------------------------------------------------------- */

hobj *list_new(void)
{
    return obj_collection(OBJ_LIST, ENC_LISTPACK, lp_new());
}

size_t list_len(const hobj *o)
{
    if (o->enc == ENC_LISTPACK) return lp_count(o->u.ptr);
    return ((const quicklist *)o->u.ptr)->count;
}

void list_free(hobj *o)
{
    if (o->enc == ENC_LISTPACK) lp_free(o->u.ptr);
    else ql_free(o->u.ptr);
    hf_free(o);
}

hobj *list_dup(const hobj *o)
{
    if (o->enc == ENC_LISTPACK) return obj_collection(OBJ_LIST, ENC_LISTPACK, lp_dup(o->u.ptr));
    return obj_collection(OBJ_LIST, ENC_QUICKLIST, ql_dup(o->u.ptr));
}

size_t list_mem(const hobj *o)
{
    size_t self = hf_malloc_size((void *)o);
    if (o->enc == ENC_LISTPACK) return self + hf_malloc_size(o->u.ptr);
    return self + ql_mem(o->u.ptr);
}

void list_foreach(const hobj *o, elem_fn *fn, void *arg)
{
    lview v;
    const quicklist *ql = view(o, &v);
    for (const qlnode *n = ql->head; n; n = n->next) {
        for (uint32_t off = lp_first(n->lp); off != LP_NONE; off = lp_next(n->lp, off)) {
            char scratch[24];
            size_t len;
            const char *p = lp_get_str(n->lp, off, scratch, &len);
            fn(arg, p, len);
        }
    }
}

static void serialize_elem(void *arg, const char *p, size_t n)
{
    hf_buf *out = arg;
    hf_buf_put32(out, (uint32_t)n);
    hf_buf_put(out, p, n);
}

void list_serialize(const hobj *o, hf_buf *out)
{
    hf_buf_put32(out, (uint32_t)list_len(o));
    list_foreach(o, serialize_elem, out);
}

hobj *list_deserialize(const char *p, size_t n)
{
    const char *end = p + n;
    uint32_t count;
    /* every element takes at least its 4-byte length: a count beyond that
     * is damage, caught before any work */
    if (!hf_get32(&p, end, &count) || count == 0 || count > (size_t)(end - p) / 4) return NULL;
    ql_limit lim;
    limit_now(&lim);
    hobj *o = list_new();
    for (uint32_t i = 0; i < count; i++) {
        const char *s;
        uint32_t len;
        if (!hf_getstr(&p, end, &s, &len)) {
            list_free(o);
            return NULL;
        }
        push_one(o, LIST_TAIL, s, len, &lim);
    }
    if (p != end) {
        list_free(o);
        return NULL;
    }
    return o;
}

void list_push(hobj *o, int where, const char *p, size_t n)
{
    ql_limit lim;
    limit_now(&lim);
    push_one(o, where, p, n, &lim);
}

bool list_pop(hobj *o, int where, hf_buf *out)
{
    uint64_t len = list_len(o);
    if (!len) return false;
    lview v;
    qlpos pos;
    ql_index(view(o, &v), where == LIST_HEAD ? 0 : -1, &pos);
    char scratch[24];
    size_t n;
    const char *p = lp_get_str(pos.node->lp, pos.off, scratch, &n);
    out->len = 0;
    hf_buf_put(out, p, n);
    del_range(o, where == LIST_HEAD ? 0 : len - 1, 1);
    return true;
}

/* ---- command helpers --------------------------------------------------- */

/* LEFT / RIGHT as Redis's getListPositionFromObjectOrReply; replies a
 * syntax error otherwise. */
static bool arg_where(client *c, const hf_arg *a, int *where)
{
    if (arg_opt(a, "left")) *where = LIST_HEAD;
    else if (arg_opt(a, "right")) *where = LIST_TAIL;
    else {
        reply_syntax(c);
        return false;
    }
    return true;
}

/* The key of k as an event's key. */
static void notify(int class, const char *event, const kref *k, int db)
{
    notify_keyspace_event(class, event, k->p, k->n, db);
}

static void reply_entry(client *c, const lp *l, uint32_t off)
{
    lpval v;
    lp_get(l, off, &v);
    if (v.is_int) reply_bulk_ll(c, v.v);
    else reply_bulk(c, v.p, v.n);
}

/* Replies n elements (an array) from index first (which is valid) towards
 * the tail, or towards the head if reverse. */
static void reply_range(client *c, const hobj *o, long long first, long long n, bool reverse)
{
    lview v;
    qlpos pos;
    ql_index(view(o, &v), first, &pos);
    reply_array(c, n);
    while (n--) {
        reply_entry(c, pos.node->lp, pos.off);
        if (n) {
            if (reverse) ql_prev(&pos);
            else ql_next(&pos);
        }
    }
}

/* After elements were removed from the list of k (LPOP, LREM...): the
 * "del" event and the key's deletion if it is empty (the logged DEL is the
 * whole effect); otherwise logs argv when non-NULL.  The key's own event
 * has been sent already. */
static void after_removal(kref *k, int db, hobj *o, int argc, const hf_arg *argv)
{
    if (list_len(o) == 0) {
        notify(NOTIFY_GENERIC, "del", k, db);
        do_ks_delete(k, db);
    } else if (argv) {
        ks_log_cmd(k, db, argc, argv);
    }
}

/* Logs "LPOP|RPOP key [n]" for k (n = 0: no count): the single-key form
 * of LMOVE's and LMPOP's effect on their source. */
static void log_pop(kref *k, int db, int where, long long n)
{
    char num[24];
    hf_arg argv[3] = {
        {where == LIST_HEAD ? "LPOP" : "RPOP", 4},
        {k->p, k->n},
        {num, n ? (size_t)hf_ll2str(num, n) : 0},
    };
    ks_log_cmd(k, db, n ? 3 : 2, argv);
}

/* ---- LPUSH RPUSH LPUSHX RPUSHX ----------------------------------------- */

static void push_generic(client *c, int where, bool xx)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    if (e && e->val->type != OBJ_LIST) {
        reply_wrongtype(c);
        goto out;
    }
    if (!e) {
        if (xx) {
            reply_int(c, 0);
            goto out;
        }
        e = do_ks_add_quiet(&k, c->db, list_new());
    }
    hobj *o = e->val;
    ql_limit lim;
    limit_now(&lim);
    for (int j = 2; j < c->argc; j++) push_one(o, where, c->argv[j].p, c->argv[j].n, &lim);
    reply_int(c, (long long)list_len(o));
    ks_log_cmd(&k, c->db, c->argc, c->argv);
    notify(NOTIFY_LIST, where == LIST_HEAD ? "lpush" : "rpush", &k, c->db);
    ks_signal_ready(&k, c->db);
out:
    ks_unlock(k.s);
}

static void cmd_lpush(client *c) { push_generic(c, LIST_HEAD, false); }
static void cmd_rpush(client *c) { push_generic(c, LIST_TAIL, false); }
static void cmd_lpushx(client *c) { push_generic(c, LIST_HEAD, true); }
static void cmd_rpushx(client *c) { push_generic(c, LIST_TAIL, true); }

/* ---- LPOP RPOP --------------------------------------------------------- */

static void pop_generic(client *c, int where)
{
    bool hascount = c->argc == 3;
    long long count = 0;
    if (c->argc > 3) {
        reply_arity(c, where == LIST_HEAD ? "lpop" : "rpop");
        return;
    }
    if (hascount && (!hf_str2ll(c->argv[2].p, c->argv[2].n, &count) || count < 0)) {
        reply_error(c, "ERR value is out of range, must be positive");
        return;
    }
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    if (!e) {
        if (hascount) reply_null_array(c);
        else reply_null(c);
        goto out;
    }
    hobj *o = e->val;
    if (o->type != OBJ_LIST) {
        reply_wrongtype(c);
        goto out;
    }
    if (hascount && count == 0) {
        reply_array(c, 0);
        goto out;
    }
    long long len = (long long)list_len(o);
    long long n = hascount ? (count < len ? count : len) : 1;
    bool head = where == LIST_HEAD;
    if (hascount) {
        reply_range(c, o, head ? 0 : len - 1, n, !head);
    } else {
        lview v;
        qlpos pos;
        ql_index(view(o, &v), head ? 0 : -1, &pos);
        reply_entry(c, pos.node->lp, pos.off);
    }
    del_range(o, head ? 0 : (uint64_t)(len - n), (uint64_t)n);
    notify(NOTIFY_LIST, head ? "lpop" : "rpop", &k, c->db);
    after_removal(&k, c->db, o, c->argc, c->argv);
out:
    ks_unlock(k.s);
}

static void cmd_lpop(client *c) { pop_generic(c, LIST_HEAD); }
static void cmd_rpop(client *c) { pop_generic(c, LIST_TAIL); }

/* ---- LLEN LRANGE LINDEX ------------------------------------------------ */

/* Read lookup for a list command: NULL if missing (nothing replied) or of
 * the wrong type (*wrong set, WRONGTYPE replied).  Shard lock held. */
static hobj *lookup_list_read(client *c, kref *k, bool *wrong)
{
    kentry *e = do_ks_lookup(k, c->db);
    *wrong = false;
    if (!e) return NULL;
    if (e->val->type != OBJ_LIST) {
        reply_wrongtype(c);
        *wrong = true;
        return NULL;
    }
    return e->val;
}

static void cmd_llen(client *c)
{
    kref k;
    bool wrong;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    hobj *o = lookup_list_read(c, &k, &wrong);
    if (!wrong) reply_int(c, o ? (long long)list_len(o) : 0);
    ks_unlock(k.s);
}

static void cmd_lrange(client *c)
{
    long long start, end;
    if (!arg_ll(c, &c->argv[2], &start, NULL) || !arg_ll(c, &c->argv[3], &end, NULL)) return;
    kref k;
    bool wrong;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    hobj *o = lookup_list_read(c, &k, &wrong);
    if (wrong) goto out;
    long long len = o ? (long long)list_len(o) : 0;
    if (start < 0) start += len;
    if (end < 0) end += len;
    if (start < 0) start = 0;
    if (start > end || start >= len) {
        reply_array(c, 0);
        goto out;
    }
    if (end >= len) end = len - 1;
    reply_range(c, o, start, end - start + 1, false);
out:
    ks_unlock(k.s);
}

static void cmd_lindex(client *c)
{
    kref k;
    bool wrong;
    long long index;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    hobj *o = lookup_list_read(c, &k, &wrong);
    if (wrong) goto out;
    if (!o) {
        reply_null(c);
        goto out;
    }
    if (!arg_ll(c, &c->argv[2], &index, NULL)) goto out;
    lview v;
    qlpos pos;
    if (ql_index(view(o, &v), index, &pos)) reply_entry(c, pos.node->lp, pos.off);
    else reply_null(c);
out:
    ks_unlock(k.s);
}

/* ---- LSET LINSERT ------------------------------------------------------ */

static void cmd_lset(client *c)
{
    kref k;
    long long index;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    if (!e) {
        reply_error(c, "ERR no such key");
        goto out;
    }
    hobj *o = e->val;
    if (o->type != OBJ_LIST) {
        reply_wrongtype(c);
        goto out;
    }
    if (!arg_ll(c, &c->argv[2], &index, NULL)) goto out;
    const hf_arg *val = &c->argv[3];
    lview v;
    qlpos pos;
    if (!ql_index(view(o, &v), index, &pos)) {
        reply_error(c, "ERR index out of range");
        goto out;
    }
    ql_limit lim;
    limit_now(&lim);
    if (o->enc == ENC_LISTPACK) {
        lp *l = o->u.ptr;
        lp_replace(&l, pos.off, val->p, val->n);
        o->u.ptr = l;
        maybe_grow(o, &lim);
    } else {
        ql_replace(o->u.ptr, &pos, val->p, val->n, &lim);
    }
    reply_ok(c);
    ks_log_cmd(&k, c->db, c->argc, c->argv);
    notify(NOTIFY_LIST, "lset", &k, c->db);
out:
    ks_unlock(k.s);
}

static void cmd_linsert(client *c)
{
    int where;
    if (arg_opt(&c->argv[2], "after")) where = LP_AFTER;
    else if (arg_opt(&c->argv[2], "before")) where = LP_BEFORE;
    else {
        reply_syntax(c);
        return;
    }
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    if (!e) {
        reply_int(c, 0);
        goto out;
    }
    hobj *o = e->val;
    if (o->type != OBJ_LIST) {
        reply_wrongtype(c);
        goto out;
    }
    const hf_arg *pivot = &c->argv[3], *val = &c->argv[4];
    lview v;
    const quicklist *ql = view(o, &v);
    qlpos pos = {NULL, LP_NONE};
    for (qlnode *n = ql->head; n; n = n->next) {
        uint32_t off = lp_find(n->lp, lp_first(n->lp), pivot->p, pivot->n, 0);
        if (off != LP_NONE) {
            pos = (qlpos){n, off};
            break;
        }
    }
    if (!pos.node) {
        reply_int(c, -1);
        goto out;
    }
    ql_limit lim;
    limit_now(&lim);
    if (o->enc == ENC_LISTPACK) {
        lp *l = o->u.ptr;
        lp_insert(&l, pos.off, where, val->p, val->n);
        o->u.ptr = l;
        maybe_grow(o, &lim);
    } else {
        ql_insert(o->u.ptr, &pos, where, val->p, val->n, &lim);
    }
    reply_int(c, (long long)list_len(o));
    ks_log_cmd(&k, c->db, c->argc, c->argv);
    notify(NOTIFY_LIST, "linsert", &k, c->db);
out:
    ks_unlock(k.s);
}

/* ---- LREM LTRIM -------------------------------------------------------- */

/* Removes up to limit (0 = all) entries equal to (p, n) from the bare
 * listpack *l, scanning from the head (forward) or the tail. */
static long long lrem_lp(lp **l, const char *p, size_t n, long long limit, bool forward)
{
    long long removed = 0;
    if (forward) {
        uint32_t off = lp_first(*l);
        while (off != LP_NONE && (!limit || removed < limit)) {
            off = lp_find(*l, off, p, n, 0);
            if (off == LP_NONE) break;
            off = lp_delete(l, off, 1);
            removed++;
        }
    } else {
        uint32_t off = lp_last(*l);
        while (off != LP_NONE && (!limit || removed < limit)) {
            uint32_t prev = lp_prev(*l, off);
            if (lp_eq(*l, off, p, n)) {
                lp_delete(l, off, 1);      /* earlier offsets stay valid */
                removed++;
            }
            off = prev;
        }
    }
    return removed;
}

/* The same over a quicklist. */
static long long lrem_ql(quicklist *ql, const char *p, size_t n, long long limit, bool forward)
{
    long long removed = 0;
    if (!ql->head) return 0;
    qlpos pos = forward ? (qlpos){ql->head, lp_first(ql->head->lp)}
                        : (qlpos){ql->tail, lp_last(ql->tail->lp)};
    for (;;) {
        if (lp_eq(pos.node->lp, pos.off, p, n)) {
            removed++;
            if (!ql_delete_at(ql, &pos, forward)) break;
            if (limit && removed == limit) break;
        } else if (!(forward ? ql_next(&pos) : ql_prev(&pos))) {
            break;
        }
    }
    return removed;
}

static void cmd_lrem(client *c)
{
    long long count;
    if (!arg_ll(c, &c->argv[2], &count, NULL)) return;
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    if (!e) {
        reply_int(c, 0);
        goto out;
    }
    hobj *o = e->val;
    if (o->type != OBJ_LIST) {
        reply_wrongtype(c);
        goto out;
    }
    const hf_arg *el = &c->argv[3];
    bool forward = count >= 0;
    /* |LLONG_MIN| does not fit: any limit that large means "all" anyway */
    long long limit = count >= 0 ? count : count == LLONG_MIN ? 0 : -count;
    long long removed;
    if (o->enc == ENC_LISTPACK) {
        lp *l = o->u.ptr;
        removed = lrem_lp(&l, el->p, el->n, limit, forward);
        o->u.ptr = l;
    } else {
        removed = lrem_ql(o->u.ptr, el->p, el->n, limit, forward);
        maybe_shrink(o);
    }
    reply_int(c, removed);
    if (removed) {
        notify(NOTIFY_LIST, "lrem", &k, c->db);
        after_removal(&k, c->db, o, c->argc, c->argv);
    }
out:
    ks_unlock(k.s);
}

static void cmd_ltrim(client *c)
{
    long long start, end;
    if (!arg_ll(c, &c->argv[2], &start, NULL) || !arg_ll(c, &c->argv[3], &end, NULL)) return;
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    if (!e) {
        reply_ok(c);
        goto out;
    }
    hobj *o = e->val;
    if (o->type != OBJ_LIST) {
        reply_wrongtype(c);
        goto out;
    }
    long long len = (long long)list_len(o), ltrim, rtrim;
    if (start < 0) start += len;
    if (end < 0) end += len;
    if (start < 0) start = 0;
    if (start > end || start >= len) {
        ltrim = len;
        rtrim = 0;
    } else {
        if (end >= len) end = len - 1;
        ltrim = start;
        rtrim = len - end - 1;
    }
    if (rtrim) del_range(o, (uint64_t)(len - rtrim), (uint64_t)rtrim);
    if (ltrim) del_range(o, 0, (uint64_t)ltrim);
    reply_ok(c);
    notify(NOTIFY_LIST, "ltrim", &k, c->db);
    /* logged even when nothing was trimmed: Redis signals the key as
     * modified (WATCH) whatever the trim did, and the log is what touches
     * it here; replayed, the no-op stays a no-op */
    after_removal(&k, c->db, o, c->argc, c->argv);
out:
    ks_unlock(k.s);
}

/* ---- LPOS -------------------------------------------------------------- */

static const char rank_zero_err[] =
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
    "or use negative to start from the end of the list";

/* Parses a non-negative option value; any failure replies msg. */
static bool arg_nonneg(client *c, const hf_arg *a, long long *out, const char *msg)
{
    if (hf_str2ll(a->p, a->n, out) && *out >= 0) return true;
    reply_error(c, msg);
    return false;
}

static void cmd_lpos(client *c)
{
    long long rank = 1, count = -1, maxlen = 0;    /* count -1: no COUNT */
    for (int j = 3; j < c->argc; j++) {
        const hf_arg *a = &c->argv[j];
        bool more = j + 1 < c->argc;
        if (more && arg_opt(a, "rank")) {
            if (!arg_ll(c, &c->argv[++j], &rank, NULL)) return;
            if (rank == 0) {
                reply_error(c, rank_zero_err);
                return;
            }
        } else if (more && arg_opt(a, "count")) {
            if (!arg_nonneg(c, &c->argv[++j], &count, "ERR COUNT can't be negative")) return;
        } else if (more && arg_opt(a, "maxlen")) {
            if (!arg_nonneg(c, &c->argv[++j], &maxlen, "ERR MAXLEN can't be negative")) return;
        } else {
            reply_syntax(c);
            return;
        }
    }
    /* A negative rank searches from the tail.  Redis negates it as a long,
     * so LLONG_MIN stays negative (and "matches >= rank" always holds):
     * unsigned arithmetic reproduces that without undefined behaviour. */
    bool from_tail = rank < 0;
    if (from_tail) rank = (long long)(0ULL - (unsigned long long)rank);

    kref k;
    bool wrong;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    hobj *o = lookup_list_read(c, &k, &wrong);
    if (wrong) goto out;
    if (!o) {
        if (count != -1) reply_array(c, 0);
        else reply_null(c);
        goto out;
    }
    const hf_arg *el = &c->argv[2];
    size_t h = 0;
    if (count != -1) h = reply_defer(c);
    lview v;
    const quicklist *ql = view(o, &v);
    long long len = (long long)ql->count, index = 0, matches = 0, found = -1, nfound = 0;
    qlpos pos;
    bool have = ql_index(ql, from_tail ? -1 : 0, &pos);
    while (have && (maxlen == 0 || index < maxlen)) {
        if (lp_eq(pos.node->lp, pos.off, el->p, el->n)) {
            matches++;
            if (matches >= rank) {
                long long at = from_tail ? len - index - 1 : index;
                if (count == -1) {
                    found = at;
                    break;
                }
                reply_int(c, at);
                nfound++;
                long long got = (long long)((unsigned long long)matches - (unsigned long long)rank + 1);
                if (count && got >= count) break;
            }
        }
        index++;
        have = from_tail ? ql_prev(&pos) : ql_next(&pos);
    }
    if (count != -1) reply_defer_array(c, h, nfound);
    else if (found != -1) reply_int(c, found);
    else reply_null(c);
out:
    ks_unlock(k.s);
}

/* ---- LMOVE RPOPLPUSH --------------------------------------------------- */

static void lmove_generic(client *c, int from, int to)
{
    kref refs[2];
    ks_ref_arg(&refs[0], &c->argv[1]);
    ks_ref_arg(&refs[1], &c->argv[2]);
    kref *src = &refs[0], *dst = &refs[1];
    bool same = src->n == dst->n && memcmp(src->p, dst->p, src->n) == 0;
    ks_lock_refs(refs, 2);
    kentry *se = do_ks_lookup_write(src, c->db);
    if (!se) {
        reply_null(c);
        goto out;
    }
    hobj *so = se->val;
    if (so->type != OBJ_LIST) {
        reply_wrongtype(c);
        goto out;
    }
    kentry *de = same ? se : do_ks_lookup_write(dst, c->db);
    if (de && de->val->type != OBJ_LIST) {
        reply_wrongtype(c);
        goto out;
    }
    /* the value leaves the source before it joins the destination (they
     * may be one list), so it is copied out first (Redis makes an object
     * of it too) */
    hf_buf val = {0};
    list_pop(so, from, &val);
    if (!de) de = do_ks_add_quiet(dst, c->db, list_new());
    list_push(de->val, to, val.p ? val.p : "", val.len);
    reply_bulk(c, val.p ? val.p : "", val.len);

    notify(NOTIFY_LIST, to == LIST_HEAD ? "lpush" : "rpush", dst, c->db);
    notify(NOTIFY_LIST, from == LIST_HEAD ? "lpop" : "rpop", src, c->db);
    if (same) {
        ks_log_cmd(src, c->db, c->argc, c->argv);
    } else {
        if (list_len(so) == 0) {
            notify(NOTIFY_GENERIC, "del", src, c->db);
            do_ks_delete(src, c->db);
        } else {
            log_pop(src, c->db, from, 0);
        }
        hf_arg argv[3] = {{to == LIST_HEAD ? "LPUSH" : "RPUSH", 5}, {dst->p, dst->n},
                          {val.p ? val.p : "", val.len}};
        ks_log_cmd(dst, c->db, 3, argv);
        ks_signal_ready(dst, c->db);
    }
    hf_buf_free(&val);
out:
    ks_unlock_refs(refs, 2);
}

static void cmd_lmove(client *c)
{
    int from, to;
    if (!arg_where(c, &c->argv[3], &from) || !arg_where(c, &c->argv[4], &to)) return;
    lmove_generic(c, from, to);
}

static void cmd_rpoplpush(client *c) { lmove_generic(c, LIST_TAIL, LIST_HEAD); }

/* ---- LMPOP ------------------------------------------------------------- */

#define SMALL_REFS 16

static void cmd_lmpop(client *c)
{
    long long numkeys, count = -1;
    int where;
    if (!hf_str2ll(c->argv[1].p, c->argv[1].n, &numkeys) || numkeys < 1) {
        reply_error(c, "ERR numkeys should be greater than 0");
        return;
    }
    /* the direction follows the keys (compared without overflow) */
    if (numkeys >= c->argc - 2) {
        reply_syntax(c);
        return;
    }
    int where_idx = 2 + (int)numkeys;
    if (!arg_where(c, &c->argv[where_idx], &where)) return;
    for (int j = where_idx + 1; j < c->argc; j++) {
        if (count == -1 && j + 1 < c->argc && arg_opt(&c->argv[j], "count")) {
            j++;
            if (!hf_str2ll(c->argv[j].p, c->argv[j].n, &count) || count < 1) {
                reply_error(c, "ERR count should be greater than 0");
                return;
            }
        } else {
            reply_syntax(c);
            return;
        }
    }
    if (count == -1) count = 1;

    int n = (int)numkeys;
    kref small[SMALL_REFS];
    kref *refs = n <= SMALL_REFS ? small : hf_malloc(sizeof(kref) * (size_t)n);
    for (int i = 0; i < n; i++) ks_ref_arg(&refs[i], &c->argv[2 + i]);
    ks_lock_refs(refs, n);
    bool served = false;
    for (int i = 0; i < n && !served; i++) {
        kref *k = &refs[i];
        kentry *e = do_ks_lookup_write(k, c->db);
        if (!e) continue;
        hobj *o = e->val;
        if (o->type != OBJ_LIST) {
            reply_wrongtype(c);
            served = true;
            break;
        }
        long long len = (long long)list_len(o);
        long long m = count < len ? count : len;
        bool head = where == LIST_HEAD;
        reply_array(c, 2);
        reply_bulk(c, k->p, k->n);
        reply_range(c, o, head ? 0 : len - 1, m, !head);
        del_range(o, head ? 0 : (uint64_t)(len - m), (uint64_t)m);
        notify(NOTIFY_LIST, head ? "lpop" : "rpop", k, c->db);
        if (list_len(o) == 0) after_removal(k, c->db, o, 0, NULL);
        else log_pop(k, c->db, where, m);
        served = true;
    }
    if (!served) reply_null_array(c);
    ks_unlock_refs(refs, n);
    if (refs != small) hf_free(refs);
}

/* ---- table ------------------------------------------------------------- */

const struct binding list_bindings[] = {
    {"lpush", cmd_lpush},
    {"rpush", cmd_rpush},
    {"lpushx", cmd_lpushx},
    {"rpushx", cmd_rpushx},
    {"lpop", cmd_lpop},
    {"rpop", cmd_rpop},
    {"llen", cmd_llen},
    {"lrange", cmd_lrange},
    {"lindex", cmd_lindex},
    {"lset", cmd_lset},
    {"linsert", cmd_linsert},
    {"lrem", cmd_lrem},
    {"ltrim", cmd_ltrim},
    {"lpos", cmd_lpos},
    {"lmove", cmd_lmove},
    {"rpoplpush", cmd_rpoplpush},
    {"lmpop", cmd_lmpop},
    {NULL, NULL},
};
