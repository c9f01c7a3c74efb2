/* blocking.c — the blocking pops: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP
 * (lists) and BZPOPMIN BZPOPMAX BZMPOP (sorted sets), as Redis 7.0 has them.
 *
 * A command finding one of its keys (in argument order) non-empty is served
 * at once like its non-blocking twin.  Otherwise, still holding the keys'
 * shard locks (so no push can slip between the look and the registration),
 * the client becomes a *waiter*: one node per distinct key in that shard's
 * registry (shard.blocked: a small table of (db, key) -> FIFO of nodes),
 * CLIENT_BLOCKED stops its input and a timer on its worker's event base
 * bounds the wait.  Inside EXEC (or on the recovery client) it never blocks:
 * it replies the empty answer at once, as Redis does.
 *
 * Wake-up.  A writer that gives a waited-on key elements calls
 * ks_signal_ready() -> block_key_ready(), which flags the key in a
 * thread-local ready list.  When the writer releases its locks, the
 * keyspace calls block_serve_ready() with the locks still held: each ready
 * key serves its waiters in arrival order while it has elements; the pops
 * are logged with ks_log_cmd() into the same WAL record as the push, so a
 * push and the pops it fed recover together or not at all.  The served
 * client's reply is built here, in its protocol, and posted to its worker
 * by block_after_commit(lsn) (client_post: only the client id and the reply
 * bytes travel); there the owner appends it, makes it wait for lsn,
 * unregisters the waiter from its other keys and unblocks the client.
 *
 * Ownership and races.  A waiter belongs to its client's worker, which
 * alone frees it, and only after unlinking every node under that node's
 * shard lock; any other thread reaches a waiter only through a registry,
 * under the shard lock, so it never sees a freed one.  Three parties may
 * want the same waiter at once — a writer on any of its keys (any thread),
 * its timer, its connection closing (both on the owner) — and one
 * compare-and-swap on w->state decides: the writer that wins serves it, a
 * timer that loses does nothing (the reply is on its way), a closing
 * connection frees the waiter anyway (the post then finds no client and
 * frees the reply).  A writer copies what it needs from the waiter while it
 * holds the lock, so the owner's unlink (which takes that lock) orders
 * after it.
 *
 * BLMOVE across shards.  Serving BLMOVE pushes onto its destination, whose
 * shard the writer may not hold, and locking it then would break the lock
 * order.  So the writer tries the lock (pthread_mutex_trylock): if it gets
 * it, it serves and keeps the lock until after the commit (the record's LSN
 * must be assigned while every shard it changes is held); if not (also when
 * this very thread holds it, e.g. EXEC), it stops serving that key and
 * posts a retry: the retry locks source and destination with ks_lock_refs,
 * marks the source ready and serves it again.  If the element has gone by
 * then (another client's LPOP came first), the waiter stays blocked, in its
 * place.  That is the one difference from Redis, where serving is atomic
 * with the push: here, for a BLMOVE whose destination lives in another
 * shard that is busy at that instant, a non-blocking pop may overtake the
 * waiter, and the waiters queued behind it on that key wait for the retry
 * (fairness is kept: nobody overtakes it within the key's queue).
 *
 * Differences kept from Redis 7.0 on purpose: waiters of the wrong kind
 * (BZPOPMIN on a key that became a list) are skipped in place rather than
 * rotated to the tail, which keeps arrival order for everyone else; a
 * served command's statistics (calls, slowlog) count only its first run.
 *
 * Also here: SWAPDB's re-check of waited keys (block_swapdb) and the
 * owner's side of CLIENT UNBLOCK (block_unblock_async). */
#include "config.h"
#include "blocking.h"
#include "commands.h"
#include "keyspace.h"
#include "net.h"
#include "object.h"
#include "pubsub.h"
#include "reply.h"
#include "types.h"
#include "util.h"

#include <event2/event.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

/* ---- requests --------------------------------------------------------------- */

enum {
    OP_POP,     /* BLPOP BRPOP: [key, element] */
    OP_MOVE,    /* BLMOVE BRPOPLPUSH: element */
    OP_MPOP,    /* BLMPOP: [key, [element...]] */
    OP_ZPOP,    /* BZPOPMIN BZPOPMAX: [key, member, score] */
    OP_ZMPOP,   /* BZMPOP: [key, [[member, score]...]] */
};

/* What a blocking command asks for, once its arguments are parsed. */
struct req {
    uint8_t op;
    uint8_t where;      /* lists: LIST_HEAD/LIST_TAIL; zsets: 1 = min */
    uint8_t whereto;    /* OP_MOVE: the destination's end */
    long count;         /* OP_MPOP, OP_ZMPOP */
};

static int op_type(int op) { return op <= OP_MPOP ? OBJ_LIST : OBJ_ZSET; }

/* ---- waiters and the per-shard registry -------------------------------------- */

enum { W_WAITING = 0, W_CLAIMED = 1 };

struct bkey;

/* A waiter's place in one key's queue.  bk/prev/next change only under
 * s->lock; bk is NULL once unlinked. */
struct wnode {
    struct block_state *w;
    shard *s;
    struct bkey *bk;
    struct wnode *prev, *next;
    const char *key;
    uint32_t klen;
};

/* One blocked client (c->bstate).  Everything but state, the nodes' links
 * and the timer is written before the first node is linked and never again. */
struct block_state {
    int state;                  /* atomic: W_WAITING until claimed, once */
    uint64_t id;                /* the client */
    uint64_t serial;            /* tells this wait from any other */
    struct worker *wk;
    int resp, db;
    struct req r;
    const char *dst;            /* OP_MOVE */
    uint32_t dstn;
    struct event *timer;        /* owner only */
    int nnodes;
    struct wnode nodes[];       /* then the key bytes */
};

/* The waiters of one (db, key) in a shard, oldest first. */
struct bkey {
    struct bkey *next;          /* hash chain */
    uint64_t hash;
    struct wnode *head, *tail;
    int db;
    bool ready;                 /* in the locking thread's ready list */
    uint32_t klen;
    char key[];
};

/* shard.blocked: chained table of bkeys; freed when it empties. */
struct breg {
    struct bkey **tab;
    uint32_t size, n;
};

static long nblocked_clients;
static uint64_t next_serial;

long block_blocked_clients(void) { return __atomic_load_n(&nblocked_clients, __ATOMIC_RELAXED); }

static inline uint32_t slot(const struct breg *g, uint64_t hash, int db)
{
    return (uint32_t)((hash ^ ((uint64_t)(unsigned)db * 0x9E3779B97F4A7C15ull)) & (g->size - 1));
}

/* With s locked: the bkey of (db, key), or NULL. */
static struct bkey *breg_find(shard *s, int db, const char *key, size_t n, uint64_t hash)
{
    struct breg *g = s->blocked;
    if (!g) return NULL;
    for (struct bkey *b = g->tab[slot(g, hash, db)]; b; b = b->next)
        if (b->hash == hash && b->db == db && b->klen == n && memcmp(b->key, key, n) == 0) return b;
    return NULL;
}

static void breg_grow(struct breg *g)
{
    uint32_t old = g->size;
    struct bkey **ot = g->tab;
    g->size = old ? old * 2 : 8;
    g->tab = hf_calloc(g->size, sizeof *g->tab);
    for (uint32_t i = 0; i < old; i++)
        for (struct bkey *b = ot[i], *nx; b; b = nx) {
            nx = b->next;
            uint32_t j = slot(g, b->hash, b->db);
            b->next = g->tab[j];
            g->tab[j] = b;
        }
    hf_free(ot);
}

/* With s locked: the bkey of (db, key), created if missing. */
static struct bkey *breg_get(shard *s, int db, const char *key, size_t n, uint64_t hash)
{
    struct bkey *b = breg_find(s, db, key, n, hash);
    if (b) return b;
    struct breg *g = s->blocked;
    if (!g) g = s->blocked = hf_calloc(1, sizeof *g);
    if (g->n >= g->size) breg_grow(g);
    b = hf_malloc(sizeof *b + n);
    b->hash = hash;
    b->head = b->tail = NULL;
    b->db = db;
    b->ready = false;
    b->klen = (uint32_t)n;
    memcpy(b->key, key, n);
    uint32_t j = slot(g, hash, db);
    b->next = g->tab[j];
    g->tab[j] = b;
    g->n++;
    return b;
}

/* With s locked: frees b, which has no waiters left and is not in a ready
 * list, and the registry once it is empty. */
static void breg_drop(shard *s, struct bkey *b)
{
    struct breg *g = s->blocked;
    struct bkey **pp = &g->tab[slot(g, b->hash, b->db)];
    while (*pp != b) pp = &(*pp)->next;
    *pp = b->next;
    hf_free(b);
    if (--g->n == 0) {
        hf_free(g->tab);
        hf_free(g);
        s->blocked = NULL;
    }
}

/* With nd->s locked: appends nd to its key's queue. */
static void node_link(struct wnode *nd, int db, uint64_t hash)
{
    struct bkey *b = breg_get(nd->s, db, nd->key, nd->klen, hash);
    nd->bk = b;
    nd->next = NULL;
    nd->prev = b->tail;
    if (b->tail) b->tail->next = nd; else b->head = nd;
    b->tail = nd;
    nd->s->nblocked++;
}

/* With nd->s locked: takes nd out of its queue (if still in one); the bkey
 * goes with its last waiter unless a ready list holds it. */
static void node_unlink(struct wnode *nd)
{
    struct bkey *b = nd->bk;
    if (!b) return;
    if (nd->prev) nd->prev->next = nd->next; else b->head = nd->next;
    if (nd->next) nd->next->prev = nd->prev; else b->tail = nd->prev;
    nd->bk = NULL;
    nd->prev = nd->next = NULL;
    nd->s->nblocked--;
    if (!b->head && !b->ready) breg_drop(nd->s, b);
}

static bool claim(struct block_state *w)
{
    int expect = W_WAITING;
    return __atomic_compare_exchange_n(&w->state, &expect, W_CLAIMED, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* Owner thread, no lock held: unlinks every node (each under its shard's
 * lock, which also waits for a writer still reading the waiter), frees the
 * waiter and its timer, and forgets it. */
static void waiter_release(client *c)
{
    struct block_state *w = c->bstate;
    for (int i = 0; i < w->nnodes; i++) {
        struct wnode *nd = &w->nodes[i];
        ks_lock(nd->s);
        node_unlink(nd);
        ks_unlock(nd->s);
    }
    if (w->timer) event_free(w->timer);
    hf_free(w);
    c->bstate = NULL;
    __atomic_sub_fetch(&nblocked_clients, 1, __ATOMIC_RELAXED);
}

/* ---- serving one request --------------------------------------------------------- */

static void notify(int class, const char *ev, const kref *k, int db)
{
    notify_keyspace_event(class, ev, k->p, k->n, db);
}

/* Logs "<cmd> key [n]" for k (n = 0: no count). */
static void log_pop(kref *k, int db, const char *cmd, long n)
{
    char num[24];
    hf_arg argv[3] = {{cmd, strlen(cmd)}, {k->p, k->n}, {num, 0}};
    if (n > 0) argv[2].n = (size_t)hf_ll2str(num, n);
    ks_log_cmd(k, db, n > 0 ? 3 : 2, argv);
}

/* The key lost its last element: DEL (logged by the keyspace; it covers
 * the pops that emptied it) and its event. */
static void delete_emptied(kref *k, int db)
{
    notify(NOTIFY_GENERIC, "del", k, db);
    do_ks_delete(k, db);
}

static const char *elem_p(const hf_buf *b) { return b->p ? b->p : ""; }

static void serve_list_pop(client *c, const struct req *r, kref *k, int db, hobj *o)
{
    hf_buf el = {0};
    const char *cmd = r->where == LIST_HEAD ? "lpop" : "rpop";
    long n = 1;
    if (r->op == OP_POP) {
        list_pop(o, r->where, &el);
        reply_array(c, 2);
        reply_bulk(c, k->p, k->n);
        reply_bulk(c, elem_p(&el), el.len);
    } else {
        long len = (long)list_len(o);
        n = r->count < len ? r->count : len;
        reply_array(c, 2);
        reply_bulk(c, k->p, k->n);
        reply_array(c, n);
        for (long i = 0; i < n; i++) {
            list_pop(o, r->where, &el);
            reply_bulk(c, elem_p(&el), el.len);
        }
    }
    hf_buf_free(&el);
    notify(NOTIFY_LIST, cmd, k, db);
    if (list_len(o) == 0) delete_emptied(k, db);
    else log_pop(k, db, cmd, r->op == OP_MPOP ? n : 0);
}

static void serve_zset_pop(client *c, const struct req *r, kref *k, int db, hobj *o)
{
    hf_buf m = {0};
    double score;
    const char *cmd = r->where ? "zpopmin" : "zpopmax";
    long n = 1;
    if (r->op == OP_ZPOP) {
        zset_pop(o, r->where, &m, &score);
        reply_array(c, 3);
        reply_bulk(c, k->p, k->n);
        reply_bulk(c, elem_p(&m), m.len);
        reply_double(c, score);
    } else {
        long len = (long)zset_len(o);
        n = r->count < len ? r->count : len;
        reply_array(c, 2);
        reply_bulk(c, k->p, k->n);
        reply_array(c, n);
        for (long i = 0; i < n; i++) {
            zset_pop(o, r->where, &m, &score);
            reply_array(c, 2);
            reply_bulk(c, elem_p(&m), m.len);
            reply_double(c, score);
        }
    }
    hf_buf_free(&m);
    notify(NOTIFY_ZSET, cmd, k, db);
    if (zset_len(o) == 0) delete_emptied(k, db);
    else log_pop(k, db, cmd, r->op == OP_ZMPOP ? n : 0);
}

/* LMOVE from k (non-empty list o) to dk (its shard locked), as Redis's
 * lmoveGenericCommand; false (WRONGTYPE replied, nothing changed) if the
 * destination holds another type. */
static bool serve_move(client *c, const struct req *r, kref *k, int db, hobj *o, kref *dk)
{
    bool same = k->n == dk->n && memcmp(k->p, dk->p, k->n) == 0;
    kentry *de = same ? NULL : do_ks_lookup_write(dk, db);
    if (de && de->val->type != OBJ_LIST) {
        reply_wrongtype(c);
        return false;
    }
    hf_buf el = {0};
    list_pop(o, r->where, &el);
    hobj *dobj = same ? o : de ? de->val : do_ks_add_quiet(dk, db, list_new())->val;
    list_push(dobj, r->whereto, elem_p(&el), el.len);
    reply_bulk(c, elem_p(&el), el.len);
    notify(NOTIFY_LIST, r->whereto == LIST_HEAD ? "lpush" : "rpush", dk, db);
    notify(NOTIFY_LIST, r->where == LIST_HEAD ? "lpop" : "rpop", k, db);
    if (same) {
        /* one list: the rotation itself is the logged effect */
        hf_arg argv[5] = {{"lmove", 5}, {k->p, k->n}, {k->p, k->n},
                          {r->where == LIST_HEAD ? "left" : "right", r->where == LIST_HEAD ? 4 : 5},
                          {r->whereto == LIST_HEAD ? "left" : "right", r->whereto == LIST_HEAD ? 4 : 5}};
        ks_log_cmd(k, db, 5, argv);
    } else {
        if (list_len(o) == 0) delete_emptied(k, db);
        else log_pop(k, db, r->where == LIST_HEAD ? "lpop" : "rpop", 0);
        hf_arg argv[3] = {{r->whereto == LIST_HEAD ? "lpush" : "rpush", 5}, {dk->p, dk->n},
                          {elem_p(&el), el.len}};
        ks_log_cmd(dk, db, 3, argv);
        ks_signal_ready(dk, db);
    }
    hf_buf_free(&el);
    return true;
}

/* Serves r from e (k's non-empty value of the right type) into c's reply:
 * pops, logs, notifies, deletes an emptied key.  dk: OP_MOVE's destination
 * (its shard locked).  False if nothing changed (BLMOVE onto a wrong type,
 * WRONGTYPE replied). */
static bool serve_req(client *c, const struct req *r, kref *k, int db, kentry *e, kref *dk)
{
    switch (r->op) {
    case OP_MOVE:
        return serve_move(c, r, k, db, e->val, dk);
    case OP_POP:
    case OP_MPOP:
        serve_list_pop(c, r, k, db, e->val);
        return true;
    default:
        serve_zset_pop(c, r, k, db, e->val);
        return true;
    }
}

static size_t value_len(const hobj *o) { return o->type == OBJ_LIST ? list_len(o) : zset_len(o); }

/* ---- the writer's side: ready keys --------------------------------------------------- */

struct ready_ent { shard *s; struct bkey *bk; };
struct post { uint64_t serial, lsn; size_t len; char data[]; };
struct served { struct worker *wk; uint64_t id; struct post *p; };
/* A BLMOVE waiter whose destination shard was busy: serve src again later. */
struct retry { int db; uint32_t sn, dn; char keys[]; };

/* Thread-local serving state.  The arrays are freed when a round ends, so
 * an idle thread keeps no memory here. */
static __thread struct {
    struct ready_ent *ready;
    int nready, capready;
    struct served *served;
    int nserved, capserved;
    shard **extra;              /* destination shards trylocked this round */
    int nextra, capextra;
    shard *held[2];             /* a retry's two locked shards */
    int nheld;
    client scratch;             /* builds served clients' replies */
} tl;

__thread int block_nready;

#define GROW(arr, n, cap) do { \
        if ((n) == (cap)) { (cap) = (cap) ? (cap) * 2 : 8; (arr) = hf_realloc((arr), sizeof *(arr) * (size_t)(cap)); } \
    } while (0)

void block_key_ready(shard *s, int db, const char *key, size_t n)
{
    struct bkey *b = breg_find(s, db, key, n, hf_hash(key, n));
    if (!b || b->ready || !b->head) return;
    b->ready = true;
    GROW(tl.ready, tl.nready, tl.capready);
    tl.ready[tl.nready++] = (struct ready_ent){s, b};
    block_nready = tl.nready;
}

void block_swapdb(int a, int b)
{
    for (uint32_t i = 0; i < ks_nshards(); i++) {
        shard *s = ks_shard(i);
        struct breg *g = s->blocked;
        if (!g) continue;
        for (uint32_t j = 0; j < g->size; j++)
            for (struct bkey *bk = g->tab[j]; bk; bk = bk->next) {
                if (bk->db != a && bk->db != b) continue;
                kref k;
                ks_ref(&k, bk->key, bk->klen);
                kentry *e = do_ks_lookup_write(&k, bk->db);
                if (e && (e->val->type == OBJ_LIST || e->val->type == OBJ_ZSET))
                    block_key_ready(s, bk->db, bk->key, bk->klen);
            }
    }
}

/* Whether this thread holds s's lock now: the shards of the ready keys
 * (their writers hold them), a retry's pair, and the destinations
 * trylocked this round. */
static bool held_here(shard *s)
{
    for (int i = 0; i < tl.nready; i++)
        if (tl.ready[i].s == s) return true;
    for (int i = 0; i < tl.nheld; i++)
        if (tl.held[i] == s) return true;
    for (int i = 0; i < tl.nextra; i++)
        if (tl.extra[i] == s) return true;
    return false;
}

static void on_retry(client *c, void *arg);

static void post_retry(const struct block_state *w, const struct bkey *src)
{
    struct retry *r = hf_malloc(sizeof *r + src->klen + w->dstn);
    r->db = src->db;
    r->sn = src->klen;
    r->dn = w->dstn;
    memcpy(r->keys, src->key, src->klen);
    memcpy(r->keys + src->klen, w->dst, w->dstn);
    client_post(w->wk, w->id, on_retry, r);
}

/* Makes sure OP_MOVE's destination shard is held; false if it is busy
 * (the caller defers). */
static bool lock_dest(kref *dk)
{
    if (held_here(dk->s)) return true;
    if (pthread_mutex_trylock(&dk->s->lock) != 0) return false;
    GROW(tl.extra, tl.nextra, tl.capextra);
    tl.extra[tl.nextra++] = dk->s;
    return true;
}

static void served_add(const struct block_state *w)
{
    client *sc = &tl.scratch;
    struct post *p = hf_malloc(sizeof *p + sc->olen);
    p->serial = w->serial;
    p->lsn = 0;
    p->len = sc->olen;
    memcpy(p->data, sc->obuf, sc->olen);
    GROW(tl.served, tl.nserved, tl.capserved);
    tl.served[tl.nserved++] = (struct served){w->wk, w->id, p};
}

/* Serves the waiters of one ready key, oldest first, while it has elements
 * (its shard is held). */
static void serve_key(shard *s, struct bkey *bk)
{
    /* bk->ready stays set while we walk: unlinking the last waiter must not
     * free the bkey under us (nor its key bytes, which k points into) */
    kref k;
    ks_ref(&k, bk->key, bk->klen);
    for (struct wnode *nd = bk->head, *next; nd; nd = next) {
        next = nd->next;
        struct block_state *w = nd->w;
        if (__atomic_load_n(&w->state, __ATOMIC_ACQUIRE) != W_WAITING) continue;   /* its owner unlinks it */
        kentry *e = do_ks_lookup_write(&k, bk->db);
        if (!e || value_len(e->val) == 0) break;
        if (e->val->type != op_type(w->r.op)) continue;
        kref dk = {0};
        if (w->r.op == OP_MOVE) {
            ks_ref(&dk, w->dst, w->dstn);
            if (!lock_dest(&dk)) {
                post_retry(w, bk);
                break;
            }
        }
        if (!claim(w)) continue;
        client *sc = &tl.scratch;
        sc->resp = w->resp;
        sc->olen = sc->osent = 0;
        uint64_t errs = tl_reply_errors;
        serve_req(sc, &w->r, &k, bk->db, e, &dk);
        tl_reply_errors = errs;   /* the writer's command did not fail */
        node_unlink(nd);
        served_add(w);
    }
    bk->ready = false;
    if (!bk->head) breg_drop(s, bk);
}

void block_serve_ready(void)
{
    /* serving BLMOVE may make more keys ready: the list grows meanwhile */
    for (int i = 0; i < tl.nready; i++) serve_key(tl.ready[i].s, tl.ready[i].bk);
    hf_free(tl.ready);
    tl.ready = NULL;
    tl.nready = tl.capready = 0;
    block_nready = 0;
    hf_free(tl.scratch.obuf);
    tl.scratch.obuf = NULL;
    tl.scratch.ocap = tl.scratch.olen = 0;
}

static void on_served(client *c, void *arg);

void block_after_commit(uint64_t lsn)
{
    for (int i = 0; i < tl.nserved; i++) {
        tl.served[i].p->lsn = lsn;
        client_post(tl.served[i].wk, tl.served[i].id, on_served, tl.served[i].p);
    }
    /* the record has its LSN: the destinations may go */
    for (int i = 0; i < tl.nextra; i++) pthread_mutex_unlock(&tl.extra[i]->lock);
    hf_free(tl.served);
    hf_free(tl.extra);
    tl.served = NULL;
    tl.extra = NULL;
    tl.nserved = tl.capserved = tl.nextra = tl.capextra = 0;
}

/* Any worker, no lock held: serve a key again with a BLMOVE's destination
 * locked too (see the top of the file). */
static void on_retry(client *c, void *arg)
{
    (void)c;
    struct retry *r = arg;
    kref refs[2];
    ks_ref(&refs[0], r->keys, r->sn);
    ks_ref(&refs[1], r->keys + r->sn, r->dn);
    ks_lock_refs(refs, 2);
    tl.held[0] = refs[0].s;
    tl.held[1] = refs[1].s;
    tl.nheld = 2;
    if (refs[0].s->nblocked) block_key_ready(refs[0].s, r->db, r->keys, r->sn);
    ks_unlock_refs(refs, 2);    /* serves, commits */
    tl.nheld = 0;
    hf_free(r);
}

/* ---- the waiter's side (its owner's thread) ------------------------------------------ */

static void on_served(client *c, void *arg)
{
    struct post *p = arg;
    if (c && c->bstate && c->bstate->serial == p->serial) {
        reply_raw(c, p->data, p->len);
        if (p->lsn > c->wait_lsn) c->wait_lsn = p->lsn;
        if (p->lsn) c->last_write_lsn = p->lsn;
        waiter_release(c);
        client_unblock(c);
        client_reply_ready(c);   /* may free c */
    }
    hf_free(p);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    client *c = arg;
    if (!c->bstate || !claim(c->bstate)) return;   /* served: the reply is on its way */
    waiter_release(c);
    reply_null_array(c);
    client_unblock(c);
    client_reply_ready(c);
}

static void on_unblock(client *c, void *arg)
{
    bool error = arg != NULL;
    if (!c || !c->bstate || !claim(c->bstate)) return;   /* gone, or served meanwhile */
    waiter_release(c);
    if (error) reply_error(c, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
    else reply_null_array(c);
    client_unblock(c);
    client_reply_ready(c);
}

void block_unblock_async(struct worker *w, uint64_t id, bool error)
{
    /* the flag rides in the pointer: nothing to allocate or free */
    client_post(w, id, on_unblock, error ? (void *)1 : NULL);
}

void block_client_free(client *c)
{
    if (!c->bstate) return;
    /* Served or not, the client is going: a served reply finds no client
     * and is dropped. */
    claim(c->bstate);
    waiter_release(c);
}

/* With the keys' shards locked: registers c on the distinct keys of
 * refs[0..nkeys) (in db c->db). */
static void waiter_register(client *c, const struct req *r, kref *refs, int nkeys, const hf_arg *dst)
{
    size_t bytes = dst ? dst->n : 0;
    int n = 0;
    for (int i = 0; i < nkeys; i++) bytes += refs[i].n;
    struct block_state *w = hf_malloc(sizeof *w + sizeof(struct wnode) * (size_t)nkeys + bytes);
    char *kb = (char *)&w->nodes[nkeys];
    w->state = W_WAITING;
    w->id = c->id;
    w->serial = __atomic_add_fetch(&next_serial, 1, __ATOMIC_RELAXED);
    w->wk = client_worker(c);
    w->resp = c->resp;
    w->db = c->db;
    w->r = *r;
    w->timer = NULL;
    w->dst = NULL;
    w->dstn = 0;
    if (dst) {
        memcpy(kb, dst->p, dst->n);
        w->dst = kb;
        w->dstn = (uint32_t)dst->n;
        kb += dst->n;
    }
    for (int i = 0; i < nkeys; i++) {
        bool dup = false;
        for (int j = 0; j < i && !dup; j++)
            dup = refs[j].n == refs[i].n && memcmp(refs[j].p, refs[i].p, refs[i].n) == 0;
        if (dup) continue;
        struct wnode *nd = &w->nodes[n++];
        memcpy(kb, refs[i].p, refs[i].n);
        nd->w = w;
        nd->s = refs[i].s;
        nd->key = kb;
        nd->klen = (uint32_t)refs[i].n;
        kb += refs[i].n;
    }
    w->nnodes = n;
    for (int i = 0; i < n; i++) node_link(&w->nodes[i], w->db, hf_hash(w->nodes[i].key, w->nodes[i].klen));
    c->bstate = w;
    __atomic_add_fetch(&nblocked_clients, 1, __ATOMIC_RELAXED);
}

/* Longest wait armed as a timer; beyond it (a century) the client waits
 * for ever, as it would in Redis. */
#define MAX_TIMER_MS (100LL * 365 * 24 * 3600 * 1000)

static void arm_timer(client *c, long long ms)
{
    if (ms <= 0 || ms > MAX_TIMER_MS) return;
    struct block_state *w = c->bstate;
    w->timer = evtimer_new(client_base(c), on_timeout, c);
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    evtimer_add(w->timer, &tv);
}

/* The heart of every command: serve from the first non-empty key, else
 * reply the empty answer (EXEC) or block.  keys[0..nkeys) in argument
 * order; dst for OP_MOVE; ms the parsed timeout (0 = for ever). */
static void block_or_serve(client *c, const struct req *r, const hf_arg *keys, int nkeys,
                           const hf_arg *dst, long long ms)
{
    kref small[16];
    int nrefs = nkeys + (dst ? 1 : 0);
    kref *refs = nrefs <= 16 ? small : hf_malloc(sizeof(kref) * (size_t)nrefs);
    for (int i = 0; i < nkeys; i++) ks_ref_arg(&refs[i], &keys[i]);
    if (dst) ks_ref_arg(&refs[nkeys], dst);
    ks_lock_refs(refs, nrefs);
    for (int i = 0; i < nkeys; i++) {
        kentry *e = do_ks_lookup_write(&refs[i], c->db);
        if (!e) continue;
        if (e->val->type != op_type(r->op)) {
            reply_wrongtype(c);
            goto out;
        }
        if (value_len(e->val) > 0) {
            serve_req(c, r, &refs[i], c->db, e, dst ? &refs[nkeys] : NULL);
            goto out;
        }
    }
    if (c->flags & (CLIENT_IN_EXEC | CLIENT_REPLAY)) {
        /* no blocking inside a transaction: the timeout's answer now */
        if (r->op == OP_MOVE) reply_null(c);
        else reply_null_array(c);
        goto out;
    }
    waiter_register(c, r, refs, nkeys, dst);
    ks_unlock_refs(refs, nrefs);
    if (refs != small) hf_free(refs);
    client_block(c);
    arm_timer(c, ms);
    return;
out:
    ks_unlock_refs(refs, nrefs);
    if (refs != small) hf_free(refs);
}

/* ---- argument parsing ---------------------------------------------------------------- */

/* A timeout in seconds (a float), as Redis 7.0's getTimeoutFromObjectOrReply:
 * milliseconds rounded up; a value whose milliseconds do not fit a long long
 * converts to LLONG_MIN on x86 in Redis, hence "negative". */
static bool parse_timeout(client *c, const hf_arg *a, long long *ms)
{
    long double v;
    if (!hf_str2ld(a->p, a->n, &v)) {
        reply_error(c, "ERR timeout is not a float or out of range");
        return false;
    }
    v = ceill(v * 1000.0L);
    long long t = (v >= -9223372036854775808.0L && v < 9223372036854775808.0L) ? (long long)v : LLONG_MIN;
    if (t < 0) {
        reply_error(c, "ERR timeout is negative");
        return false;
    }
    *ms = t;
    return true;
}

/* LEFT | RIGHT */
static bool parse_where(client *c, const hf_arg *a, uint8_t *where)
{
    if (arg_is(a, "left")) *where = LIST_HEAD;
    else if (arg_is(a, "right")) *where = LIST_TAIL;
    else {
        reply_syntax(c);
        return false;
    }
    return true;
}

/* A long in [1, LONG_MAX] or the error msg (getRangeLongFromObjectOrReply). */
static bool parse_positive(client *c, const hf_arg *a, long long *v, const char *msg)
{
    if (!hf_str2ll(a->p, a->n, v) || *v < 1) {
        reply_error(c, msg);
        return false;
    }
    return true;
}

/* BLMPOP/BZMPOP timeout numkeys key [key ...] <where> [COUNT count]:
 * numkeys, where, COUNT, then the timeout, in Redis's order. */
static void mpop_generic(client *c, bool zset)
{
    long long numkeys, count = -1, ms;
    if (!parse_positive(c, &c->argv[2], &numkeys, "ERR numkeys should be greater than 0")) return;
    if (numkeys > c->argc - 4) {
        reply_syntax(c);
        return;
    }
    int widx = 3 + (int)numkeys;
    struct req r = {.op = zset ? OP_ZMPOP : OP_MPOP};
    if (zset) {
        if (arg_is(&c->argv[widx], "min")) r.where = 1;
        else if (arg_is(&c->argv[widx], "max")) r.where = 0;
        else {
            reply_syntax(c);
            return;
        }
    } else if (!parse_where(c, &c->argv[widx], &r.where)) {
        return;
    }
    for (int j = widx + 1; j < c->argc; j++) {
        if (count == -1 && arg_is(&c->argv[j], "count") && j + 1 < c->argc) {
            if (!parse_positive(c, &c->argv[++j], &count, "ERR count should be greater than 0")) return;
        } else {
            reply_syntax(c);
            return;
        }
    }
    r.count = count == -1 ? 1 : (long)count;
    if (!parse_timeout(c, &c->argv[1], &ms)) return;
    block_or_serve(c, &r, &c->argv[3], (int)numkeys, NULL, ms);
}

/* ---- commands ----------------------------------------------------------------------- */

/* BLPOP/BRPOP/BZPOPMIN/BZPOPMAX key [key ...] timeout */
static void pop_generic(client *c, int op, int where)
{
    long long ms;
    if (!parse_timeout(c, &c->argv[c->argc - 1], &ms)) return;
    struct req r = {.op = (uint8_t)op, .where = (uint8_t)where};
    block_or_serve(c, &r, &c->argv[1], c->argc - 2, NULL, ms);
}

static void cmd_blpop(client *c) { pop_generic(c, OP_POP, LIST_HEAD); }
static void cmd_brpop(client *c) { pop_generic(c, OP_POP, LIST_TAIL); }
static void cmd_bzpopmin(client *c) { pop_generic(c, OP_ZPOP, 1); }
static void cmd_bzpopmax(client *c) { pop_generic(c, OP_ZPOP, 0); }
static void cmd_blmpop(client *c) { mpop_generic(c, false); }
static void cmd_bzmpop(client *c) { mpop_generic(c, true); }

/* BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout */
static void cmd_blmove(client *c)
{
    struct req r = {.op = OP_MOVE};
    long long ms;
    if (!parse_where(c, &c->argv[3], &r.where) || !parse_where(c, &c->argv[4], &r.whereto)) return;
    if (!parse_timeout(c, &c->argv[5], &ms)) return;
    block_or_serve(c, &r, &c->argv[1], 1, &c->argv[2], ms);
}

/* BRPOPLPUSH source destination timeout */
static void cmd_brpoplpush(client *c)
{
    struct req r = {.op = OP_MOVE, .where = LIST_TAIL, .whereto = LIST_HEAD};
    long long ms;
    if (!parse_timeout(c, &c->argv[3], &ms)) return;
    block_or_serve(c, &r, &c->argv[1], 1, &c->argv[2], ms);
}

const struct binding blocking_bindings[] = {
    {"blpop", cmd_blpop},
    {"brpop", cmd_brpop},
    {"blmove", cmd_blmove},
    {"brpoplpush", cmd_brpoplpush},
    {"blmpop", cmd_blmpop},
    {"bzpopmin", cmd_bzpopmin},
    {"bzpopmax", cmd_bzpopmax},
    {"bzmpop", cmd_bzmpop},
    {NULL, NULL},
};
