/* t_zset.c — the sorted set commands: ZADD ZINCRBY ZSCORE ZMSCORE ZCARD
 * ZCOUNT ZLEXCOUNT ZRANGE ZRANGESTORE ZRANGEBYSCORE ZREVRANGEBYSCORE
 * ZRANGEBYLEX ZREVRANGEBYLEX ZREVRANGE ZRANK ZREVRANK ZREM ZREMRANGEBYRANK
 * ZREMRANGEBYSCORE ZREMRANGEBYLEX ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER ZUNION
 * ZUNIONSTORE ZINTER ZINTERSTORE ZINTERCARD ZDIFF ZDIFFSTORE ZSCAN.  The
 * value itself (encodings, conversions, cursors) is zset.c's.
 *
 * Most commands are written once over a cursor (zcur) that walks either
 * encoding; ranges are found as (cursor, rank) pairs and deletions are
 * rank ranges, so the score/lex/rank variants share their code.
 *
 * Replies, error texts and the order in which errors are detected follow
 * Redis 7.0's t_zset.c: arguments first (options, then values), then the
 * key's type.  Scores are replied with reply_double ("%.17g", or a RESP3
 * double); WITHSCORES in RESP3 nests [member, score] pairs.
 *
 * Durability: commands that change a set in place log themselves
 * (ks_log_cmd) when they changed something — ZADD with INCR and ZINCRBY log
 * "ZADD key <final score> member" instead, ZMPOP logs the ZPOPMIN/ZPOPMAX it
 * performed; a command that empties a set deletes the key (do_ks_delete
 * logs DEL, and nothing else is logged); store commands write their whole
 * result with do_ks_set. */
#include "config.h"
#include "cdict.h"
#include "commands.h"
#include "conf.h"
#include "keyspace.h"
#include "object.h"
#include "pubsub.h"
#include "reply.h"
#include "types.h"
#include "util.h"
#include "zset.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Argument parsing
 * ---------------------------------------------------------------------- */

/* A score argument (ZADD, WEIGHTS): Redis's string2d. */
static bool parse_double(const hf_arg *a, double *out)
{
    return hf_str2d(a->p, a->n, out);
}

/* One end of a score range as Redis's zslParseRange reads it from a C
 * string: optional '(' for an exclusive end, then strtod's whole grammar
 * (leading spaces, hex, "inf"; "" is 0) up to the first NUL, nothing after,
 * not NaN. */
static bool parse_score_bound(const hf_arg *a, double *v, bool *ex)
{
    char small[128];
    size_t n = strnlen(a->p, a->n);
    char *s = n < sizeof small ? small : hf_malloc(n + 1);
    memcpy(s, a->p, n);
    s[n] = '\0';
    *ex = s[0] == '(';
    char *end;
    double d = strtod(s + (*ex ? 1 : 0), &end);
    bool ok = *end == '\0' && !isnan(d);
    if (s != small) hf_free(s);
    if (ok) *v = d;
    return ok;
}

static bool parse_score_range(const hf_arg *min, const hf_arg *max, zspec *sp)
{
    sp->lex = false;
    return parse_score_bound(min, &sp->s.min, &sp->s.minex) &&
           parse_score_bound(max, &sp->s.max, &sp->s.maxex);
}

/* One end of a lex range (zslParseLexRangeItem): "+", "-", "(bytes" or
 * "[bytes".  The bounds point into the argument. */
static bool parse_lex_bound(const hf_arg *a, zlex_bound *b)
{
    if (a->n == 0) return false;
    b->p = a->p + 1;
    b->n = a->n - 1;
    b->inf = 0;
    switch (a->p[0]) {
    case '+':
    case '-':
        if (a->n > 1 && a->p[1] != '\0') return false;
        b->inf = a->p[0] == '+' ? 1 : -1;
        b->ex = true;
        return true;
    case '(': b->ex = true; return true;
    case '[': b->ex = false; return true;
    default: return false;
    }
}

static bool parse_lex_range(const hf_arg *min, const hf_arg *max, zspec *sp)
{
    sp->lex = true;
    return parse_lex_bound(min, &sp->x.min) && parse_lex_bound(max, &sp->x.max);
}

/* Redis's getPositiveLongFromObjectOrReply: the same text for a bad
 * number and a negative one. */
static bool arg_nonneg(client *c, const hf_arg *a, long long *out, const char *msg)
{
    if (hf_str2ll(a->p, a->n, out) && *out >= 0) return true;
    reply_error(c, msg);
    return false;
}

/* ------------------------------------------------------------------------
 * Key access helpers (shard locked)
 * ---------------------------------------------------------------------- */

/* After removing elements: deletes the key if the set is now empty (DEL is
 * logged; the caller logs nothing else then, and notifies "del").  Returns
 * true if the key went (o is freed then). */
static bool delete_if_empty(kref *k, int db, const hobj *o)
{
    if (zs_len(o) != 0) return false;
    do_ks_delete(k, db);
    return true;
}

/* ------------------------------------------------------------------------
 * Stored results
 * ---------------------------------------------------------------------- */

/* ZRANGESTORE's destination, built as Redis 7.0 builds it: a skiplist
 * from the start for a rank range longer than the listpack limit, else a
 * listpack that the elements are added to one by one in the order they
 * were found (converting when a threshold is crossed).  It matters beyond
 * the encoding: a listpack keeps -0 as 0. */
static hobj *rangestore_build(const zcoll *c, bool by_rank)
{
    hobj *o = by_rank && (long long)c->n > CONF_GET(zset_max_listpack_entries)
                  ? zs_new_enc(ENC_SKIPLIST) : zs_new_enc(ENC_LISTPACK);
    for (size_t i = 0; i < c->n; i++) {
        int out;
        zs_add(o, c->v[i].score, zcoll_member(c, i), c->v[i].n, 0, &out, NULL);
    }
    return o;
}

/* Stores a result of n elements at dst (val; or deletes dst when it is
 * empty), notifies and replies the size, as the store commands of Redis
 * do. */
static void store_result(client *c, kref *dst, hobj *val, size_t n, const char *event)
{
    if (n) {
        do_ks_set(dst, c->db, val, false);
        notify_keyspace_event(NOTIFY_ZSET, event, dst->p, dst->n, c->db);
        reply_int(c, (long long)n);
        return;
    }
    reply_int(c, 0);
    if (do_ks_delete(dst, c->db))
        notify_keyspace_event(NOTIFY_GENERIC, "del", dst->p, dst->n, c->db);
}

/* ------------------------------------------------------------------------
 * Range results: to the client or collected for ZRANGESTORE
 * ---------------------------------------------------------------------- */

typedef struct zemit {
    client *c;
    bool withscores;        /* reply scores */
    bool store;             /* collect into coll instead of replying */
    bool deferred;
    size_t defer;
    long count;
    zcoll coll;
} zemit;

/* Starts the reply: len elements, or unknown when len <= 0. */
static void emit_begin(zemit *e, long len)
{
    e->count = 0;
    if (e->store) return;
    if (len > 0) {
        reply_array(e->c, e->withscores && e->c->resp == 2 ? len * 2 : len);
        e->deferred = false;
    } else {
        e->defer = reply_defer(e->c);
        e->deferred = true;
    }
}

static void emit_elem(zemit *e, const char *m, size_t n, double score)
{
    e->count++;
    if (e->store) {
        zcoll_add(&e->coll, m, n, score);
        return;
    }
    if (e->withscores && e->c->resp > 2) reply_array(e->c, 2);
    reply_bulk(e->c, m, n);
    if (e->withscores) reply_double(e->c, score);
}

static void emit_cur(zemit *e, const zcur *cur)
{
    zlelem el;
    zc_get(cur, &el);
    emit_elem(e, el.m, el.n, el.score);
}

static void emit_end(zemit *e)
{
    if (e->store || !e->deferred) return;
    reply_defer_array(e->c, e->defer, e->withscores && e->c->resp == 2 ? e->count * 2 : e->count);
}

/* Elements with 0-based ranks start..end (negative from the end), in
 * reverse order with rev (ranks then count from the top). */
static void range_by_rank(zemit *e, const hobj *o, long long start, long long end, bool rev)
{
    long long len = (long long)zs_len(o);
    if (start < 0) start += len;
    if (end < 0) end += len;
    if (start < 0) start = 0;
    if (start > end || start >= len) {
        emit_begin(e, 0);
        emit_end(e);
        return;
    }
    if (end >= len) end = len - 1;
    long long n = end - start + 1;
    emit_begin(e, (long)n);
    zcur cur;
    zc_at(&cur, o, (long)(rev ? len - 1 - start : start));
    for (; n > 0 && zc_valid(&cur); n--) {
        emit_cur(e, &cur);
        zc_step(&cur, rev);
    }
    emit_end(e);
}

/* Elements in a score or lex range, from the low end (or from the high end
 * with rev), skipping offset and returning at most limit (< 0: all), as
 * Redis's genericZrangebyscoreCommand: a negative offset skips past
 * everything. */
static void range_by_spec(zemit *e, const hobj *o, const zspec *sp, long long offset, long long limit, bool rev)
{
    emit_begin(e, -1);
    size_t len = zs_len(o);
    zcur cur;
    unsigned long rank;
    if (offset < 0 || (offset > 0 && (unsigned long long)offset >= len) ||
        !zs_range_edge(o, sp, rev, &cur, &rank)) {
        emit_end(e);
        return;
    }
    if (offset > 0) {
        long long r = rev ? (long long)rank - offset : (long long)rank + offset;
        zc_at(&cur, o, (long)r);
    }
    if (limit < 0) limit = LLONG_MAX;
    for (; zc_valid(&cur) && limit != 0; limit--) {
        if (rev ? !zspec_gte_min(sp, &cur) : !zspec_lte_max(sp, &cur)) break;
        emit_cur(e, &cur);
        zc_step(&cur, rev);
    }
    emit_end(e);
}

enum { ZR_AUTO, ZR_RANK, ZR_SCORE, ZR_LEX };
enum { DIR_AUTO, DIR_FWD, DIR_REV };

/* ZRANGE and its variants (Redis's zrangeGenericCommand): the source key
 * is argv[argc_start], min and max follow, then options.  With store the
 * result goes to argv[1]. */
static void zrange_generic(client *c, int argc_start, bool store, int type, int dir)
{
    int minidx = argc_start + 1, maxidx = argc_start + 2;
    long long offset = 0, limit = -1, start = 0, end = 0;
    bool withscores = false;
    for (int j = argc_start + 3; j < c->argc; j++) {
        int left = c->argc - j - 1;
        const hf_arg *a = &c->argv[j];
        if (!store && arg_opt(a, "withscores")) {
            withscores = true;
        } else if (arg_opt(a, "limit") && left >= 2) {
            if (!arg_ll(c, &c->argv[j + 1], &offset, NULL) || !arg_ll(c, &c->argv[j + 2], &limit, NULL))
                return;
            j += 2;
        } else if (dir == DIR_AUTO && arg_opt(a, "rev")) {
            dir = DIR_REV;
        } else if (type == ZR_AUTO && arg_opt(a, "bylex")) {
            type = ZR_LEX;
        } else if (type == ZR_AUTO && arg_opt(a, "byscore")) {
            type = ZR_SCORE;
        } else {
            reply_syntax(c);
            return;
        }
    }
    if (dir == DIR_AUTO) dir = DIR_FWD;
    if (type == ZR_AUTO) type = ZR_RANK;
    if (limit != -1 && type == ZR_RANK) {
        reply_error(c, "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
        return;
    }
    if (withscores && type == ZR_LEX) {
        reply_error(c, "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return;
    }
    bool rev = dir == DIR_REV;
    if (rev && type != ZR_RANK) {   /* the range is given as max, min */
        int t = minidx;
        minidx = maxidx;
        maxidx = t;
    }
    zspec sp;
    if (type == ZR_RANK) {
        if (!arg_ll(c, &c->argv[minidx], &start, NULL) || !arg_ll(c, &c->argv[maxidx], &end, NULL)) return;
    } else if (type == ZR_SCORE) {
        if (!parse_score_range(&c->argv[minidx], &c->argv[maxidx], &sp)) {
            reply_error(c, "ERR min or max is not a float");
            return;
        }
    } else if (!parse_lex_range(&c->argv[minidx], &c->argv[maxidx], &sp)) {
        reply_error(c, "ERR min or max not valid string range item");
        return;
    }

    kref refs[2];
    int nrefs = 0;
    if (store) ks_ref_arg(&refs[nrefs++], &c->argv[1]);
    ks_ref_arg(&refs[nrefs++], &c->argv[argc_start]);
    kref *src = &refs[nrefs - 1];
    ks_lock_refs(refs, nrefs);
    kentry *e = do_ks_lookup(src, c->db);
    zemit em = {.c = c, .withscores = withscores, .store = store};
    if (!e) {
        if (store) store_result(c, &refs[0], NULL, 0, "zrangestore");
        else reply_array(c, 0);
    } else if (!reply_wrongtype_if(c, OBJ_ZSET, e)) {
        if (type == ZR_RANK) range_by_rank(&em, e->val, start, end, rev);
        else range_by_spec(&em, e->val, &sp, offset, limit, rev);
        if (store) {
            hobj *dst = em.coll.n ? rangestore_build(&em.coll, type == ZR_RANK) : NULL;
            store_result(c, &refs[0], dst, em.coll.n, "zrangestore");
        }
    }
    ks_unlock_refs(refs, nrefs);
    zcoll_free(&em.coll);
}

static void cmd_zrange(client *c) { zrange_generic(c, 1, false, ZR_AUTO, DIR_AUTO); }
static void cmd_zrangestore(client *c) { zrange_generic(c, 2, true, ZR_AUTO, DIR_AUTO); }
static void cmd_zrevrange(client *c) { zrange_generic(c, 1, false, ZR_RANK, DIR_REV); }
static void cmd_zrangebyscore(client *c) { zrange_generic(c, 1, false, ZR_SCORE, DIR_FWD); }
static void cmd_zrevrangebyscore(client *c) { zrange_generic(c, 1, false, ZR_SCORE, DIR_REV); }
static void cmd_zrangebylex(client *c) { zrange_generic(c, 1, false, ZR_LEX, DIR_FWD); }
static void cmd_zrevrangebylex(client *c) { zrange_generic(c, 1, false, ZR_LEX, DIR_REV); }

/* ------------------------------------------------------------------------
 * ZADD ZINCRBY
 * ---------------------------------------------------------------------- */

/* Parses ZADD's options and scores; replies and returns -1 on error, else
 * the number of score-member pairs, starting at argv[*scoreidx]. */
static int zadd_parse(client *c, int *flags, bool *ch, int *scoreidx, double **scores, double *small)
{
    int j = 2;
    for (; j < c->argc; j++) {
        const hf_arg *a = &c->argv[j];
        if (arg_opt(a, "nx")) *flags |= ZIN_NX;
        else if (arg_opt(a, "xx")) *flags |= ZIN_XX;
        else if (arg_opt(a, "ch")) *ch = true;
        else if (arg_opt(a, "incr")) *flags |= ZIN_INCR;
        else if (arg_opt(a, "gt")) *flags |= ZIN_GT;
        else if (arg_opt(a, "lt")) *flags |= ZIN_LT;
        else break;
    }
    *scoreidx = j;
    int elements = c->argc - j;
    if (elements % 2 || elements == 0) {
        reply_syntax(c);
        return -1;
    }
    elements /= 2;
    int f = *flags;
    if ((f & ZIN_NX) && (f & ZIN_XX)) {
        reply_error(c, "ERR XX and NX options at the same time are not compatible");
        return -1;
    }
    if (((f & ZIN_GT) && (f & ZIN_NX)) || ((f & ZIN_LT) && (f & ZIN_NX)) || ((f & ZIN_GT) && (f & ZIN_LT))) {
        reply_error(c, "ERR GT, LT, and/or NX options at the same time are not compatible");
        return -1;
    }
    if ((f & ZIN_INCR) && elements > 1) {
        reply_error(c, "ERR INCR option supports a single increment-element pair");
        return -1;
    }
    *scores = elements <= 16 ? small : hf_malloc(sizeof(double) * (size_t)elements);
    for (int i = 0; i < elements; i++) {
        if (!parse_double(&c->argv[j + 2 * i], &(*scores)[i])) {
            reply_error(c, "ERR value is not a valid float");
            if (*scores != small) hf_free(*scores);
            return -1;
        }
    }
    return elements;
}

/* Logs an increment as the ZADD of the resulting score (exact: "%.17g"
 * parses back to the same double). */
static void log_incr(kref *k, int db, const hf_arg *member, double score)
{
    char sb[32];
    int sn = hf_d2str(sb, sizeof sb, score);
    hf_arg argv[4] = {{"ZADD", 4}, {k->p, k->n}, {sb, (size_t)sn}, *member};
    ks_log_cmd(k, db, 4, argv);
}

static void zadd_generic(client *c, int flags)
{
    bool ch = false;
    int scoreidx;
    double small[16], *scores;
    int elements = zadd_parse(c, &flags, &ch, &scoreidx, &scores, small);
    if (elements < 0) return;
    bool incr = flags & ZIN_INCR;

    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    if (reply_wrongtype_if(c, OBJ_ZSET, e)) goto done;
    if (!e) {
        if (flags & ZIN_XX) {   /* nothing to do, and no key to create */
            if (incr) reply_null(c);
            else reply_int(c, 0);
            goto done;
        }
        e = do_ks_add_quiet(&k, c->db, zs_create(c->argv[scoreidx + 1].n));
    }
    long long added = 0, updated = 0, processed = 0;
    double score = 0;
    bool nan = false;
    for (int i = 0; i < elements; i++) {
        const hf_arg *m = &c->argv[scoreidx + 1 + 2 * i];
        int out;
        double newscore = 0;
        if (!zs_add(e->val, scores[i], m->p, m->n, flags, &out, &newscore)) {
            nan = true;
            break;
        }
        if (out & ZOUT_ADDED) added++;
        if (out & ZOUT_UPDATED) updated++;
        if (!(out & ZOUT_NOP)) processed++;
        score = newscore;
    }
    if (added || updated) {
        if (incr) log_incr(&k, c->db, &c->argv[scoreidx + 1], score);
        else ks_log_cmd(&k, c->db, c->argc, c->argv);
        if (added) ks_signal_ready(&k, c->db);
        notify_keyspace_event(NOTIFY_ZSET, incr ? "zincr" : "zadd", k.p, k.n, c->db);
    }
    if (nan) reply_error(c, "ERR resulting score is not a number (NaN)");
    else if (!incr) reply_int(c, ch ? added + updated : added);
    else if (processed) reply_double(c, score);
    else reply_null(c);
done:
    ks_unlock(k.s);
    if (scores != small) hf_free(scores);
}

static void cmd_zadd(client *c) { zadd_generic(c, 0); }
static void cmd_zincrby(client *c) { zadd_generic(c, ZIN_INCR); }

/* ------------------------------------------------------------------------
 * ZSCORE ZMSCORE ZCARD ZCOUNT ZLEXCOUNT ZRANK ZREVRANK
 * ---------------------------------------------------------------------- */

static void cmd_zscore(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    double score;
    if (!e) reply_null(c);
    else if (reply_wrongtype_if(c, OBJ_ZSET, e)) {}
    else if (zs_score(e->val, c->argv[2].p, c->argv[2].n, &score)) reply_double(c, score);
    else reply_null(c);
    ks_unlock(k.s);
}

static void cmd_zmscore(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    if (!reply_wrongtype_if(c, OBJ_ZSET, e)) {
        reply_array(c, c->argc - 2);
        for (int j = 2; j < c->argc; j++) {
            double score;
            if (e && zs_score(e->val, c->argv[j].p, c->argv[j].n, &score)) reply_double(c, score);
            else reply_null(c);
        }
    }
    ks_unlock(k.s);
}

static void cmd_zcard(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    if (!reply_wrongtype_if(c, OBJ_ZSET, e)) reply_int(c, e ? (long long)zs_len(e->val) : 0);
    ks_unlock(k.s);
}

/* ZCOUNT / ZLEXCOUNT: a listpack is counted element by element from the
 * first in range, a skiplist by the ranks of the first and the last (as
 * Redis does; the same answer whenever the order allows a range). */
static void count_generic(client *c, bool lex)
{
    zspec sp;
    if (lex ? !parse_lex_range(&c->argv[2], &c->argv[3], &sp)
            : !parse_score_range(&c->argv[2], &c->argv[3], &sp)) {
        reply_error(c, lex ? "ERR min or max not valid string range item" : "ERR min or max is not a float");
        return;
    }
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    if (!reply_wrongtype_if(c, OBJ_ZSET, e)) {
        size_t count = 0;
        zcur first, last;
        unsigned long r1, r2;
        if (e && zs_range_edge(e->val, &sp, false, &first, &r1)) {
            if (e->val->enc == ENC_LISTPACK) count = zs_count_run(first, &sp);
            else if (zs_range_edge(e->val, &sp, true, &last, &r2)) count = r2 >= r1 ? r2 - r1 + 1 : 0;
            else count = zs_len(e->val) - r1;
        }
        reply_int(c, (long long)count);
    }
    ks_unlock(k.s);
}

static void cmd_zcount(client *c) { count_generic(c, false); }
static void cmd_zlexcount(client *c) { count_generic(c, true); }

static void rank_generic(client *c, bool rev)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    if (!e) {
        reply_null(c);
    } else if (!reply_wrongtype_if(c, OBJ_ZSET, e)) {
        long r = zs_rank(e->val, c->argv[2].p, c->argv[2].n, rev);
        if (r >= 0) reply_int(c, r);
        else reply_null(c);
    }
    ks_unlock(k.s);
}

static void cmd_zrank(client *c) { rank_generic(c, false); }
static void cmd_zrevrank(client *c) { rank_generic(c, true); }

/* ------------------------------------------------------------------------
 * ZREM ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX
 * ---------------------------------------------------------------------- */

static void cmd_zrem(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    if (!e) {
        reply_int(c, 0);
    } else if (!reply_wrongtype_if(c, OBJ_ZSET, e)) {
        long long deleted = 0;
        bool removed = false;
        for (int j = 2; j < c->argc; j++) {
            if (zs_del(e->val, c->argv[j].p, c->argv[j].n)) deleted++;
            if (zs_len(e->val) == 0) {
                removed = delete_if_empty(&k, c->db, e->val);
                break;
            }
        }
        if (deleted) {
            if (!removed) ks_log_cmd(&k, c->db, c->argc, c->argv);
            notify_keyspace_event(NOTIFY_ZSET, "zrem", k.p, k.n, c->db);
            if (removed) notify_keyspace_event(NOTIFY_GENERIC, "del", k.p, k.n, c->db);
        }
        reply_int(c, deleted);
    }
    ks_unlock(k.s);
}

static void zremrange_generic(client *c, int type)
{
    long long start = 0, end = 0;
    zspec sp;
    if (type == ZR_RANK) {
        if (!arg_ll(c, &c->argv[2], &start, NULL) || !arg_ll(c, &c->argv[3], &end, NULL)) return;
    } else if (type == ZR_SCORE) {
        if (!parse_score_range(&c->argv[2], &c->argv[3], &sp)) {
            reply_error(c, "ERR min or max is not a float");
            return;
        }
    } else if (!parse_lex_range(&c->argv[2], &c->argv[3], &sp)) {
        reply_error(c, "ERR min or max not valid string range item");
        return;
    }
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, c->db);
    if (!e) {
        reply_int(c, 0);
        goto done;
    }
    if (reply_wrongtype_if(c, OBJ_ZSET, e)) goto done;
    hobj *o = e->val;
    size_t first = 0, count = 0;
    if (type == ZR_RANK) {
        long long len = (long long)zs_len(o);
        if (start < 0) start += len;
        if (end < 0) end += len;
        if (start < 0) start = 0;
        if (!(start > end || start >= len)) {
            if (end >= len) end = len - 1;
            first = (size_t)start;
            count = (size_t)(end - start + 1);
        }
    } else {
        zcur cur;
        unsigned long rank;
        if (zs_range_edge(o, &sp, false, &cur, &rank)) {
            first = rank;
            count = zs_count_run(cur, &sp);
        }
    }
    if (count) {
        zs_delete_ranks(o, first, count);
        bool removed = delete_if_empty(&k, c->db, o);
        if (!removed) ks_log_cmd(&k, c->db, c->argc, c->argv);
        static const char *const events[] = {
            [ZR_RANK] = "zremrangebyrank", [ZR_SCORE] = "zremrangebyscore", [ZR_LEX] = "zremrangebylex"};
        notify_keyspace_event(NOTIFY_ZSET, events[type], k.p, k.n, c->db);
        if (removed) notify_keyspace_event(NOTIFY_GENERIC, "del", k.p, k.n, c->db);
    }
    reply_int(c, (long long)count);
done:
    ks_unlock(k.s);
}

static void cmd_zremrangebyrank(client *c) { zremrange_generic(c, ZR_RANK); }
static void cmd_zremrangebyscore(client *c) { zremrange_generic(c, ZR_SCORE); }
static void cmd_zremrangebylex(client *c) { zremrange_generic(c, ZR_LEX); }

/* ------------------------------------------------------------------------
 * ZPOPMIN ZPOPMAX ZMPOP
 * ---------------------------------------------------------------------- */

enum { POP_ERR, POP_NOKEY, POP_ZERO, POP_DONE };

/* Pops up to count elements (count < 0: one) from the first non-empty key
 * of keys[0..nkeys) (all locked), as Redis's genericZpopCommand, into out
 * (*which = the key's index), and logs what it did.  Returns POP_ERR
 * (WRONGTYPE replied), POP_NOKEY, POP_ZERO (count 0) or POP_DONE.  The
 * caller replies with zpop_reply() after unlocking: formatting the scores
 * need not hold the shard lock. */
static int zpop_locked(client *c, kref *keys, int nkeys, bool max, long long count, zcoll *out, int *which)
{
    kentry *e = NULL;
    int i = 0;
    for (; i < nkeys; i++) {
        e = do_ks_lookup_write(&keys[i], c->db);
        if (reply_wrongtype_if(c, OBJ_ZSET, e)) return POP_ERR;
        if (e) break;
    }
    if (!e) return POP_NOKEY;
    if (count == 0) return POP_ZERO;
    if (count < 0) count = 1;
    kref *k = &keys[i];
    *which = i;
    hobj *o = e->val;
    size_t len = zs_len(o);
    size_t n = (unsigned long long)count > len ? len : (size_t)count;
    zcur cur;
    zc_at(&cur, o, max ? (long)len - 1 : 0);
    for (size_t j = 0; j < n; j++) {
        zlelem el;
        zc_get(&cur, &el);
        zcoll_add(out, el.m, el.n, el.score);
        zc_step(&cur, max);
    }
    zs_delete_ranks(o, max ? len - n : 0, n);
    notify_keyspace_event(NOTIFY_ZSET, max ? "zpopmax" : "zpopmin", k->p, k->n, c->db);
    if (delete_if_empty(k, c->db, o)) {
        notify_keyspace_event(NOTIFY_GENERIC, "del", k->p, k->n, c->db);
        return POP_DONE;
    }
    /* what was done, as a single-key command (ZMPOP: as Redis propagates it) */
    char cb[24];
    int cn = hf_ll2str(cb, (long long)n);
    hf_arg argv[3] = {{max ? "ZPOPMAX" : "ZPOPMIN", 7}, {k->p, k->n}, {cb, (size_t)cn}};
    ks_log_cmd(k, c->db, 3, argv);
    return POP_DONE;
}

/* The reply to a pop: flat [member, score ...] (RESP2, or a plain pop),
 * nested pairs (RESP3 with a count), or [key, [[member, score] ...]]
 * (emitkey: ZMPOP); an empty array, or null (nil_when_empty: ZMPOP), when
 * no key had elements. */
static void zpop_reply(client *c, int st, const kref *k, const zcoll *items, bool emitkey, bool nested,
                       bool nil_when_empty)
{
    if (st == POP_ERR) return;
    if (st != POP_DONE) {
        if (st == POP_NOKEY && nil_when_empty) reply_null_array(c);
        else reply_array(c, 0);
        return;
    }
    long n = (long)items->n;
    if (emitkey) {
        reply_array(c, 2);
        reply_bulk(c, k->p, k->n);
        reply_array(c, n);
    } else {
        reply_array(c, nested ? n : n * 2);
    }
    for (long i = 0; i < n; i++) {
        if (nested) reply_array(c, 2);
        reply_bulk(c, zcoll_member(items, (size_t)i), items->v[i].n);
        reply_double(c, items->v[i].score);
    }
}

static void zpopminmax(client *c, bool max)
{
    if (c->argc > 3) {
        reply_syntax(c);
        return;
    }
    long long count = -1;
    if (c->argc == 3 && !arg_nonneg(c, &c->argv[2], &count, "ERR value is out of range, must be positive"))
        return;
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    zcoll items = {0};
    int which;
    ks_lock(k.s);
    int st = zpop_locked(c, &k, 1, max, count, &items, &which);
    ks_unlock(k.s);
    zpop_reply(c, st, &k, &items, false, c->resp > 2 && count != -1, false);
    zcoll_free(&items);
}

static void cmd_zpopmin(client *c) { zpopminmax(c, false); }
static void cmd_zpopmax(client *c) { zpopminmax(c, true); }

/* Redis's getRangeLongFromObjectOrReply(1, LONG_MAX) with its message for
 * both failures. */
static bool arg_positive(client *c, const hf_arg *a, long long *out, const char *msg)
{
    if (hf_str2ll(a->p, a->n, out) && *out >= 1) return true;
    reply_error(c, msg);
    return false;
}

static void cmd_zmpop(client *c)
{
    long long numkeys, count = -1;
    if (!arg_positive(c, &c->argv[1], &numkeys, "ERR numkeys should be greater than 0")) return;
    if (numkeys > c->argc - 3) {    /* no room for the keys and MIN|MAX */
        reply_syntax(c);
        return;
    }
    int where = 2 + (int)numkeys;
    bool max;
    if (arg_opt(&c->argv[where], "min")) max = false;
    else if (arg_opt(&c->argv[where], "max")) max = true;
    else {
        reply_syntax(c);
        return;
    }
    for (int j = where + 1; j < c->argc; j++) {
        if (count == -1 && arg_opt(&c->argv[j], "count") && j + 1 < c->argc) {
            if (!arg_positive(c, &c->argv[++j], &count, "ERR count should be greater than 0")) return;
        } else {
            reply_syntax(c);
            return;
        }
    }
    if (count == -1) count = 1;
    kref small[8];
    kref *keys = numkeys <= 8 ? small : hf_malloc(sizeof(kref) * (size_t)numkeys);
    for (int i = 0; i < numkeys; i++) ks_ref_arg(&keys[i], &c->argv[2 + i]);
    zcoll items = {0};
    int which = 0;
    ks_lock_refs(keys, (int)numkeys);
    int st = zpop_locked(c, keys, (int)numkeys, max, count, &items, &which);
    ks_unlock_refs(keys, (int)numkeys);
    zpop_reply(c, st, &keys[which], &items, true, true, true);
    zcoll_free(&items);
    if (keys != small) hf_free(keys);
}

/* ------------------------------------------------------------------------
 * ZRANDMEMBER
 * ---------------------------------------------------------------------- */

static void reply_member_score(client *c, const zcur *cur, bool withscores)
{
    zlelem el;
    zc_get(cur, &el);
    if (withscores && c->resp > 2) reply_array(c, 2);
    reply_bulk(c, el.m, el.n);
    if (withscores) reply_double(c, el.score);
}

/* ZRANDMEMBER key count [WITHSCORES] with the key's shard locked, as
 * Redis's zrandmemberWithCountCommand: a negative count may repeat
 * elements (in random order); a positive one returns distinct elements,
 * the whole set when it is not larger than count. */
static void zrandmember_count(client *c, hobj *o, long long l, bool withscores)
{
    size_t size = zs_len(o);
    bool uniq = l >= 0;
    unsigned long long count = uniq ? (unsigned long long)l : 0ULL - (unsigned long long)l;
    if (count == 0) {
        reply_array(c, 0);
        return;
    }
    int per = withscores && c->resp == 2 ? 2 : 1;
    zcur cur;
    if (!uniq || count == 1) {
        reply_array(c, (long)(count * (unsigned long long)per));
        uint32_t *pos = NULL;
        if (o->enc == ENC_LISTPACK && count > 1) {
            /* positions once, then each pick is O(1) */
            pos = hf_malloc(sizeof(uint32_t) * size);
            zc_at(&cur, o, 0);
            for (size_t i = 0; i < size; i++, zc_next(&cur)) pos[i] = cur.pos;
        }
        while (count--) {
            if (pos) {
                cur.o = o;
                cur.pos = pos[hf_rand64() % size];
            } else {
                zc_random(&cur, o);
            }
            reply_member_score(c, &cur, withscores);
        }
        hf_free(pos);
        return;
    }
    if (count >= size) {
        reply_array(c, (long)(size * (size_t)per));
        for (zc_at(&cur, o, 0); zc_valid(&cur); zc_next(&cur)) reply_member_score(c, &cur, withscores);
        return;
    }
    reply_array(c, (long)(count * (unsigned long long)per));
    if (o->enc == ENC_LISTPACK || count * 3 > size) {
        /* selection sampling: each element is taken with probability
         * needed / remaining, which gives a uniform subset in set order */
        size_t needed = count, left = size;
        for (zc_at(&cur, o, 0); needed && zc_valid(&cur); zc_next(&cur), left--) {
            if (hf_rand64() % left < needed) {
                reply_member_score(c, &cur, withscores);
                needed--;
            }
        }
        return;
    }
    /* few out of many: random picks, remembering those already taken */
    cdict *seen = cd_new();
    while (count) {
        zc_random(&cur, o);
        zlelem el;
        zc_get(&cur, &el);
        bool added;
        cd_add(seen, el.m, el.n, &added);
        if (!added) continue;
        reply_member_score(c, &cur, withscores);
        count--;
    }
    cd_free(seen);
}

static void cmd_zrandmember(client *c)
{
    long long l = 0;
    bool withscores = false;
    if (c->argc >= 3) {
        if (!arg_ll(c, &c->argv[2], &l, NULL)) return;
        if (l == LLONG_MIN) {
            reply_error(c, "ERR value is out of range, value must between -9223372036854775807 and "
                           "9223372036854775807");
            return;
        }
        if (c->argc > 4 || (c->argc == 4 && !arg_opt(&c->argv[3], "withscores"))) {
            reply_syntax(c);
            return;
        }
        if (c->argc == 4) {
            withscores = true;
            if (l < -LONG_MAX / 2 || l > LONG_MAX / 2) {
                reply_error(c, "ERR value is out of range");
                return;
            }
        }
    }
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    if (!e) {
        if (c->argc >= 3) reply_array(c, 0);
        else reply_null(c);
    } else if (!reply_wrongtype_if(c, OBJ_ZSET, e)) {
        if (c->argc >= 3) {
            zrandmember_count(c, e->val, l, withscores);
        } else {
            zcur cur;
            zc_random(&cur, e->val);
            reply_member_score(c, &cur, false);
        }
    }
    ks_unlock(k.s);
}

/* ------------------------------------------------------------------------
 * ZUNION ZUNIONSTORE ZINTER ZINTERSTORE ZINTERCARD ZDIFF ZDIFFSTORE
 * ---------------------------------------------------------------------- */

enum { OP_UNION, OP_INTER, OP_DIFF };
enum { AGG_SUM, AGG_MIN, AGG_MAX };

/* An input: a sorted set, a set (every member scores 1), or nothing. */
typedef struct zsrc {
    hobj *o;                /* NULL: missing key */
    double weight;
    size_t len;
    cdict *members;         /* sets: their members, built on first lookup */
} zsrc;

/* Visits the members of a set source with score 1 (types.h has no set
 * membership test, so lookups go through a dict of them). */
struct set_visit { scored_fn *fn; void *arg; };

static void set_visit_cb(void *arg, const char *p, size_t n)
{
    struct set_visit *v = arg;
    v->fn(v->arg, p, n, 1.0);
}

static void src_foreach(const zsrc *s, scored_fn *fn, void *arg)
{
    if (!s->o) return;
    if (s->o->type == OBJ_ZSET) {
        zset_foreach(s->o, fn, arg);
    } else {
        struct set_visit v = {fn, arg};
        set_foreach(s->o, set_visit_cb, &v);
    }
}

static void add_member_cb(void *arg, const char *p, size_t n)
{
    cd_add(arg, p, n, NULL);
}

/* The member's score in the source; false if absent. */
static bool src_find(zsrc *s, const char *m, size_t n, double *score)
{
    if (!s->o) return false;
    if (s->o->type == OBJ_ZSET) return zs_score(s->o, m, n, score);
    if (!s->members) {
        s->members = cd_new();
        cd_expand(s->members, s->len);
        set_foreach(s->o, add_member_cb, s->members);
    }
    *score = 1.0;
    return cd_find(s->members, m, n) != NULL;
}

static void aggregate(double *target, double val, int agg)
{
    if (agg == AGG_SUM) {
        *target += val;
        if (isnan(*target)) *target = 0.0;    /* inf + -inf */
    } else if (agg == AGG_MIN) {
        *target = val < *target ? val : *target;
    } else {
        *target = val > *target ? val : *target;
    }
}

/* State shared by the per-element callbacks of one operation. */
typedef struct zsetop {
    zsrc *src;
    long nsrc;
    int agg;
    zcoll res;
    cdict *acc;             /* union: member -> aggregated score */
    long long limit;        /* intercard: stop at this many (0: no limit) */
    long long card;
    bool stop;
    const zsrc *cur;        /* union: the source being visited */
} zsetop;

static void union_cb(void *arg, const char *m, size_t n, double s)
{
    zsetop *op = arg;
    double score = op->cur->weight * s;
    if (isnan(score)) score = 0;
    bool added;
    cdentry *de = cd_add(op->acc, m, n, &added);
    if (added) {
        cd_set_score(de, score);
        if (n > op->res.maxlen) op->res.maxlen = n;
    } else {
        double t = cd_score(de);
        aggregate(&t, score, op->agg);
        cd_set_score(de, t);
    }
}

static void inter_cb(void *arg, const char *m, size_t n, double s)
{
    zsetop *op = arg;
    if (op->stop) return;
    double score = op->src[0].weight * s;
    if (isnan(score)) score = 0;
    for (long j = 1; j < op->nsrc; j++) {
        double v;
        if (op->src[j].o == op->src[0].o) v = s;
        else if (!src_find(&op->src[j], m, n, &v)) return;
        aggregate(&score, v * op->src[j].weight, op->agg);
    }
    if (op->limit >= 0) {       /* ZINTERCARD */
        op->card++;
        if (op->limit && op->card >= op->limit) op->stop = true;
        return;
    }
    zcoll_add(&op->res, m, n, score);
}

static void diff_cb(void *arg, const char *m, size_t n, double s)
{
    zsetop *op = arg;
    for (long j = 1; j < op->nsrc; j++) {
        double v;
        if (src_find(&op->src[j], m, n, &v)) return;
    }
    zcoll_add(&op->res, m, n, s);
}

/* Runs the operation over the sources (already ordered) into op->res. */
static void setop_run(zsetop *op, int kind)
{
    long nsrc = op->nsrc;
    if (kind == OP_INTER) {
        if (op->src[0].len == 0) return;
        src_foreach(&op->src[0], inter_cb, op);
    } else if (kind == OP_DIFF) {
        if (op->src[0].len == 0) return;
        for (long j = 1; j < nsrc; j++)
            if (op->src[j].o == op->src[0].o) return;   /* X minus X */
        src_foreach(&op->src[0], diff_cb, op);
    } else {
        op->acc = cd_new();
        cd_expand(op->acc, op->src[nsrc - 1].len);
        for (long i = 0; i < nsrc; i++) {
            op->cur = &op->src[i];
            src_foreach(&op->src[i], union_cb, op);
        }
        cditer it;
        cd_iter_init(&it, op->acc);
        for (cdentry *de; (de = cd_iter_next(&it));) {
            size_t n;
            const char *m = cd_key(de, &n);
            zcoll_add(&op->res, m, n, cd_score(de));
        }
        cd_iter_done(&it);
    }
    zcoll_sort(&op->res);
}

/* Parses the options after the keys (WEIGHTS, AGGREGATE, WITHSCORES,
 * LIMIT) as Redis does; replies and returns false on error. */
static bool setop_options(client *c, int j, zsetop *op, int kind, bool store, bool card, bool *withscores)
{
    long nsrc = op->nsrc;
    while (j < c->argc) {
        int remaining = c->argc - j;
        const hf_arg *a = &c->argv[j];
        if (kind != OP_DIFF && !card && remaining >= nsrc + 1 && arg_opt(a, "weights")) {
            j++;
            for (long i = 0; i < nsrc; i++, j++) {
                if (!parse_double(&c->argv[j], &op->src[i].weight)) {
                    reply_error(c, "ERR weight value is not a float");
                    return false;
                }
            }
        } else if (kind != OP_DIFF && !card && remaining >= 2 && arg_opt(a, "aggregate")) {
            const hf_arg *v = &c->argv[j + 1];
            if (arg_opt(v, "sum")) op->agg = AGG_SUM;
            else if (arg_opt(v, "min")) op->agg = AGG_MIN;
            else if (arg_opt(v, "max")) op->agg = AGG_MAX;
            else {
                reply_syntax(c);
                return false;
            }
            j += 2;
        } else if (!store && !card && arg_opt(a, "withscores")) {
            *withscores = true;
            j++;
        } else if (card && remaining >= 2 && arg_opt(a, "limit")) {
            if (!arg_nonneg(c, &c->argv[j + 1], &op->limit, "ERR LIMIT can't be negative")) return false;
            j += 2;
        } else {
            reply_syntax(c);
            return false;
        }
    }
    return true;
}

/* Stable by size, smallest first (Redis sorts with qsort, which glibc
 * makes stable for arrays this small). */
static void sort_by_len(zsrc *src, long n)
{
    for (long i = 1; i < n; i++) {
        zsrc t = src[i];
        long j = i;
        for (; j > 0 && src[j - 1].len > t.len; j--) src[j] = src[j - 1];
        src[j] = t;
    }
}

/* Redis's zunionInterDiffGenericCommand: numkeys at argv[numkeys_idx], the
 * keys after it, the destination at argv[1] for the store variants. */
static void setop_generic(client *c, int numkeys_idx, int kind, bool store, bool card, const char *name)
{
    long long nkeys;
    if (!arg_ll(c, &c->argv[numkeys_idx], &nkeys, NULL)) return;
    if (nkeys < 1) {
        reply_errorf(c, "ERR at least 1 input key is needed for '%s' command", name);
        return;
    }
    if (nkeys > c->argc - (numkeys_idx + 1)) {
        reply_syntax(c);
        return;
    }
    long nsrc = (long)nkeys;
    int nrefs = (int)nsrc + (store ? 1 : 0);
    kref *refs = hf_malloc(sizeof(kref) * (size_t)nrefs);
    for (long i = 0; i < nsrc; i++) ks_ref_arg(&refs[i], &c->argv[numkeys_idx + 1 + i]);
    if (store) ks_ref_arg(&refs[nsrc], &c->argv[1]);
    zsetop op = {.src = hf_calloc((size_t)nsrc, sizeof(zsrc)), .nsrc = nsrc, .agg = AGG_SUM,
                 .limit = card ? 0 : -1};
    bool withscores = false;

    ks_lock_refs(refs, nrefs);
    for (long i = 0; i < nsrc; i++) {
        kentry *e = do_ks_lookup(&refs[i], c->db);
        op.src[i].weight = 1.0;
        if (!e) continue;
        if (e->val->type != OBJ_ZSET && e->val->type != OBJ_SET) {
            reply_wrongtype(c);
            goto done;
        }
        op.src[i].o = e->val;
        op.src[i].len = e->val->type == OBJ_ZSET ? zs_len(e->val) : set_len(e->val);
    }
    if (!setop_options(c, numkeys_idx + 1 + (int)nsrc, &op, kind, store, card, &withscores)) goto done;
    if (kind != OP_DIFF) sort_by_len(op.src, nsrc);
    setop_run(&op, kind);
    if (card) {
        reply_int(c, op.card);
    } else if (store) {
        static const char *const events[] = {[OP_UNION] = "zunionstore", [OP_INTER] = "zinterstore",
                                             [OP_DIFF] = "zdiffstore"};
        store_result(c, &refs[nsrc], op.res.n ? zs_from_sorted(&op.res) : NULL, op.res.n, events[kind]);
    } else {
        reply_array(c, (long)(withscores && c->resp == 2 ? op.res.n * 2 : op.res.n));
        for (size_t i = 0; i < op.res.n; i++) {
            if (withscores && c->resp > 2) reply_array(c, 2);
            reply_bulk(c, zcoll_member(&op.res, i), op.res.v[i].n);
            if (withscores) reply_double(c, op.res.v[i].score);
        }
    }
done:
    ks_unlock_refs(refs, nrefs);
    for (long i = 0; i < nsrc; i++) cd_free(op.src[i].members);
    cd_free(op.acc);
    zcoll_free(&op.res);
    hf_free(op.src);
    hf_free(refs);
}

static void cmd_zunion(client *c) { setop_generic(c, 1, OP_UNION, false, false, "zunion"); }
static void cmd_zunionstore(client *c) { setop_generic(c, 2, OP_UNION, true, false, "zunionstore"); }
static void cmd_zinter(client *c) { setop_generic(c, 1, OP_INTER, false, false, "zinter"); }
static void cmd_zinterstore(client *c) { setop_generic(c, 2, OP_INTER, true, false, "zinterstore"); }
static void cmd_zintercard(client *c) { setop_generic(c, 1, OP_INTER, false, true, "zintercard"); }
static void cmd_zdiff(client *c) { setop_generic(c, 1, OP_DIFF, false, false, "zdiff"); }
static void cmd_zdiffstore(client *c) { setop_generic(c, 2, OP_DIFF, true, false, "zdiffstore"); }

/* ------------------------------------------------------------------------
 * ZSCAN
 * ---------------------------------------------------------------------- */

/* The member and score texts a ZSCAN step returns, copied while the shard
 * is locked and filtered by MATCH after the visit, as Redis does. */
typedef struct zscan_ctx {
    zcoll out;              /* member texts; score text follows each */
    const hf_arg *pat;
} zscan_ctx;

static void scan_keep(void *arg, const char *m, size_t n, const char *s, size_t sn)
{
    zscan_ctx *x = arg;
    if (x->pat && !hf_globmatch(x->pat->p, x->pat->n, m, n, false)) return;
    zcoll_add(&x->out, m, n, 0);
    zcoll_add(&x->out, s, sn, 0);
}

static void cmd_zscan(client *c)
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
    zscan_ctx x = {0};
    if (!e) {
        reply_array(c, 2);
        reply_bulk(c, "0", 1);
        reply_array(c, 0);
        goto done;
    }
    if (reply_wrongtype_if(c, OBJ_ZSET, e)) goto done;
    long long count = 10;
    for (int i = 3; i < c->argc; i += 2) {
        if (arg_opt(&c->argv[i], "count") && i + 1 < c->argc) {
            if (!arg_ll(c, &c->argv[i + 1], &count, NULL)) goto done;
            if (count < 1) {
                reply_syntax(c);
                goto done;
            }
        } else if (arg_opt(&c->argv[i], "match") && i + 1 < c->argc) {
            const hf_arg *p = &c->argv[i + 1];
            x.pat = p->n == 1 && p->p[0] == '*' ? NULL : p;
        } else {
            reply_syntax(c);    /* TYPE too: only SCAN has it */
            goto done;
        }
    }
    cursor = zs_scan(e->val, cursor, count, scan_keep, &x);
    char b[24];
    reply_array(c, 2);
    reply_bulk(c, b, (size_t)hf_ull2str(b, cursor));
    reply_array(c, (long)x.out.n);
    for (size_t i = 0; i < x.out.n; i++) reply_bulk(c, zcoll_member(&x.out, i), x.out.v[i].n);
done:
    ks_unlock(k.s);
    zcoll_free(&x.out);
}

/* ------------------------------------------------------------------------ */

const struct binding zset_bindings[] = {
    {"zadd", cmd_zadd},
    {"zincrby", cmd_zincrby},
    {"zscore", cmd_zscore},
    {"zmscore", cmd_zmscore},
    {"zcard", cmd_zcard},
    {"zcount", cmd_zcount},
    {"zlexcount", cmd_zlexcount},
    {"zrange", cmd_zrange},
    {"zrangestore", cmd_zrangestore},
    {"zrangebyscore", cmd_zrangebyscore},
    {"zrevrangebyscore", cmd_zrevrangebyscore},
    {"zrangebylex", cmd_zrangebylex},
    {"zrevrangebylex", cmd_zrevrangebylex},
    {"zrevrange", cmd_zrevrange},
    {"zrank", cmd_zrank},
    {"zrevrank", cmd_zrevrank},
    {"zrem", cmd_zrem},
    {"zremrangebyrank", cmd_zremrangebyrank},
    {"zremrangebyscore", cmd_zremrangebyscore},
    {"zremrangebylex", cmd_zremrangebylex},
    {"zpopmin", cmd_zpopmin},
    {"zpopmax", cmd_zpopmax},
    {"zmpop", cmd_zmpop},
    {"zrandmember", cmd_zrandmember},
    {"zunion", cmd_zunion},
    {"zunionstore", cmd_zunionstore},
    {"zinter", cmd_zinter},
    {"zinterstore", cmd_zinterstore},
    {"zintercard", cmd_zintercard},
    {"zdiff", cmd_zdiff},
    {"zdiffstore", cmd_zdiffstore},
    {"zscan", cmd_zscan},
    {NULL, NULL},
};

