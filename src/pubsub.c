/* pubsub.c — Pub/Sub (SUBSCRIBE, PUBLISH, PUBSUB ...), keyspace
 * notifications and MONITOR.
 *
 * Subscribers live on every worker thread, so the registry is global:
 *   - channels: CHAN_SHARDS tables (channel -> subscribers), each under its
 *     own mutex, the shard chosen by the channel's hash;
 *   - patterns: one table (pattern -> subscribers) under a rwlock, read by
 *     every PUBLISH (patterns are few; Redis also scans them all).
 * A subscriber is a `struct sub`, one per client subscription session,
 * reference-counted: the registry and every message in flight hold it.  Its
 * `c` field is the client while it lives and NULL once it closed or RESET
 * (written and read only by the client's own worker), so a message that
 * arrives late finds out without looking the client up.
 *
 * PUBLISH collects the receivers under the registry locks (one reference
 * each), groups them by worker and posts one batch per worker
 * (net.h client_post, FIFO per worker, hence per-publisher order).  The
 * owner appends the message to each client and schedules one flush per
 * client per round of its task queue, so a burst becomes one write.  The
 * publishing client's own messages (a RESP3 subscriber publishing, or
 * notifications its command causes: pubsub_current) are appended at once,
 * before its reply, as Redis orders them.
 *
 * A message is delivered only if the client is still subscribed when it
 * arrives: an UNSUBSCRIBE / RESET processed meanwhile must not be followed
 * by a stray message (in RESP2 the client would take it for the reply to
 * its next command).  `sub.gen` counts unsubscriptions; when it did not
 * move since the publish, no lookup is needed.
 *
 * Lock order: shard locks (keyspace) -> registry locks -> monitor lock ->
 * worker inbox (client_post).  Keyspace notifications are published with
 * shard locks held, so nothing here ever takes a shard lock.
 *
 * MONITOR: each monitor has a pending buffer under the monitor lock; the
 * thread that ran a command formats its line once, appends it to every
 * monitor's buffer and posts a drain task only when the buffer was empty. */
#include "config.h"
#include "pubsub.h"
#include "commands.h"
#include "keyspace.h"
#include "log.h"
#include "net.h"
#include "reply.h"
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

int notify_flags;
int monitors_active;
__thread client *pubsub_current;

/* Redis's client-output-buffer-limit defaults for the pubsub class. */
#define PUBSUB_HARD_LIMIT (32ULL * 1024 * 1024)
#define PUBSUB_SOFT_LIMIT (8ULL * 1024 * 1024)
#define PUBSUB_SOFT_SECONDS 60

/* ---- a string-keyed hash table that remembers insertion order ------------------ */

struct sentry {
    struct sentry *bnext;           /* bucket chain */
    struct sentry *oprev, *onext;   /* insertion order */
    uint64_t hash;
    void *val;
    size_t len;
    char key[];
};

struct stab {
    struct sentry **b;
    size_t nb, n;                   /* buckets (power of two or 0), entries */
    struct sentry *ohead, *otail;
};

static struct sentry *stab_find(const struct stab *t, const char *k, size_t n, uint64_t h)
{
    if (!t->nb) return NULL;
    for (struct sentry *e = t->b[h & (t->nb - 1)]; e; e = e->bnext)
        if (e->hash == h && e->len == n && !memcmp(e->key, k, n)) return e;
    return NULL;
}

static void stab_resize(struct stab *t, size_t nb)
{
    struct sentry **b = hf_calloc(nb, sizeof *b);
    for (size_t i = 0; i < t->nb; i++) {
        struct sentry *e = t->b[i];
        while (e) {
            struct sentry *next = e->bnext;
            e->bnext = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
            e = next;
        }
    }
    hf_free(t->b);
    t->b = b;
    t->nb = nb;
}

/* Adds key (which must be absent) at the end of the order; val is NULL. */
static struct sentry *stab_add(struct stab *t, const char *k, size_t n, uint64_t h)
{
    if (t->n >= t->nb) stab_resize(t, t->nb ? t->nb * 2 : 4);
    struct sentry *e = hf_malloc(sizeof *e + n + 1);
    e->hash = h;
    e->val = NULL;
    e->len = n;
    memcpy(e->key, k, n);
    e->key[n] = '\0';
    e->bnext = t->b[h & (t->nb - 1)];
    t->b[h & (t->nb - 1)] = e;
    e->onext = NULL;
    e->oprev = t->otail;
    if (t->otail) t->otail->onext = e; else t->ohead = e;
    t->otail = e;
    t->n++;
    return e;
}

/* Unlinks e; the caller frees it (hf_free) when done with its key. */
static void stab_unlink(struct stab *t, struct sentry *e)
{
    struct sentry **p = &t->b[e->hash & (t->nb - 1)];
    while (*p != e) p = &(*p)->bnext;
    *p = e->bnext;
    if (e->oprev) e->oprev->onext = e->onext; else t->ohead = e->onext;
    if (e->onext) e->onext->oprev = e->oprev; else t->otail = e->oprev;
    t->n--;
    /* give memory back after mass unsubscription (Redis deletes empty
     * channels for the same reason: PUBSUB must not be a memory leak) */
    if (t->nb > 8 && t->n * 8 < t->nb) stab_resize(t, t->nb / 2);
}

static void stab_free(struct stab *t)
{
    struct sentry *e = t->ohead;
    while (e) {
        struct sentry *next = e->onext;
        hf_free(e);
        e = next;
    }
    hf_free(t->b);
    memset(t, 0, sizeof *t);
}

/* ---- subscribers ------------------------------------------------------------- */

struct sub {
    int refs;                   /* atomic */
    unsigned gen;               /* atomic: bumped after each unsubscription */
    client *c;                  /* owner thread only; NULL once gone */
    struct worker *w;
    int widx;                   /* small index of w, for grouping */
    bool dirty;                 /* owner only: waiting for the flush task */
};

static void sub_retain(struct sub *s) { __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED); }

static void sub_release(struct sub *s)
{
    if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0) hf_free(s);
}

/* Subscribers of one channel or pattern, in no particular order. */
struct subvec { struct sub **v; uint32_t n, cap; };

static void subvec_push(struct subvec *sv, struct sub *s)
{
    if (sv->n == sv->cap) {
        sv->cap = sv->cap ? sv->cap * 2 : 4;
        sv->v = hf_realloc(sv->v, sizeof *sv->v * sv->cap);
    }
    sv->v[sv->n++] = s;
}

static void subvec_remove(struct subvec *sv, struct sub *s)
{
    for (uint32_t i = 0; i < sv->n; i++)
        if (sv->v[i] == s) { sv->v[i] = sv->v[--sv->n]; return; }
}

/* A pattern's registry record.  Messages that matched it hold a reference,
 * so the pattern text outlives its last unsubscription while they fly. */
struct patrec {
    int refs;                   /* atomic */
    struct subvec subs;         /* under pat_lock */
    size_t len;
    char s[];
};

static void patrec_release(struct patrec *p)
{
    if (__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        hf_free(p->subs.v);
        hf_free(p);
    }
}

/* Per-client state (client.pstate), owner thread only. */
struct pubsub_state {
    struct sub *sub;
    struct stab chans, pats;    /* in subscription order, as Redis 7.0's
                                 * pattern list (its channels: dict order) */
    int64_t soft_since;         /* ms the output first exceeded the soft limit */
};

/* ---- the registry -------------------------------------------------------------- */

#define CHAN_SHARDS 64

static struct chan_shard {
    pthread_mutex_t mu;
    struct stab t;              /* channel -> struct subvec * */
} __attribute__((aligned(64))) chan_shards[CHAN_SHARDS];

static pthread_once_t registry_once = PTHREAD_ONCE_INIT;
static pthread_rwlock_t pat_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct stab pat_tab;     /* pattern -> struct patrec * */

static long n_channels;         /* distinct channels (atomic) */
static long n_patterns;         /* distinct patterns (atomic) */
static long n_subscriptions;    /* every client's channels + patterns (atomic):
                                 * zero lets PUBLISH and notifications return
                                 * without a lock */

static void registry_init(void)
{
    for (int i = 0; i < CHAN_SHARDS; i++) pthread_mutex_init(&chan_shards[i].mu, NULL);
}

static struct chan_shard *chan_shard_of(uint64_t h)
{
    pthread_once(&registry_once, registry_init);
    return &chan_shards[h >> 58];   /* top bits: the tables use the low ones */
}

long pubsub_count_channels(void) { return __atomic_load_n(&n_channels, __ATOMIC_RELAXED); }
long pubsub_count_patterns(void) { return __atomic_load_n(&n_patterns, __ATOMIC_RELAXED); }

/* Workers get small indexes (in order of first subscriber) so PUBLISH can
 * group receivers by worker with an array. */
static pthread_mutex_t widx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct worker **widx_tab;
static int widx_n;

static int worker_index(struct worker *w)
{
    pthread_mutex_lock(&widx_lock);
    int i;
    for (i = 0; i < widx_n; i++)
        if (widx_tab[i] == w) break;
    if (i == widx_n) {
        widx_tab = hf_realloc(widx_tab, sizeof *widx_tab * (size_t)(widx_n + 1));
        widx_tab[widx_n++] = w;
    }
    pthread_mutex_unlock(&widx_lock);
    return i;
}

static struct pubsub_state *pstate_of(client *c)
{
    if (!c->pstate) {
        struct pubsub_state *ps = hf_calloc(1, sizeof *ps);
        struct sub *s = hf_calloc(1, sizeof *s);
        s->refs = 1;            /* the pstate's */
        s->c = c;
        s->w = client_worker(c);
        s->widx = worker_index(s->w);
        ps->sub = s;
        c->pstate = ps;
    }
    return c->pstate;
}

static long client_count(const struct pubsub_state *ps)
{
    return ps ? (long)(ps->chans.n + ps->pats.n) : 0;
}

static void publish_nsubs(client *c)
{
    __atomic_store_n(&c->npsubs, c->pstate ? (int)c->pstate->pats.n : 0, __ATOMIC_RELAXED);
    __atomic_store_n(&c->nsubs, (int)client_count(c->pstate), __ATOMIC_RELAXED);
}

/* Adds ps's subscriber to channel ch; false if it already was. */
static bool channel_add(struct pubsub_state *ps, const char *ch, size_t n)
{
    uint64_t h = hf_hash(ch, n);
    if (stab_find(&ps->chans, ch, n, h)) return false;
    stab_add(&ps->chans, ch, n, h);
    __atomic_add_fetch(&n_subscriptions, 1, __ATOMIC_RELAXED);
    struct chan_shard *s = chan_shard_of(h);
    pthread_mutex_lock(&s->mu);
    struct sentry *e = stab_find(&s->t, ch, n, h);
    if (!e) {
        e = stab_add(&s->t, ch, n, h);
        e->val = hf_calloc(1, sizeof(struct subvec));
        __atomic_add_fetch(&n_channels, 1, __ATOMIC_RELAXED);
    }
    sub_retain(ps->sub);
    subvec_push(e->val, ps->sub);
    pthread_mutex_unlock(&s->mu);
    return true;
}

/* Removes the registry side of ps's subscription to the channel of ce
 * (an entry of ps->chans, unlinked and freed by the caller). */
static void channel_drop(struct pubsub_state *ps, struct sentry *ce)
{
    struct chan_shard *s = chan_shard_of(ce->hash);
    pthread_mutex_lock(&s->mu);
    struct sentry *e = stab_find(&s->t, ce->key, ce->len, ce->hash);
    struct subvec *sv = e->val;
    subvec_remove(sv, ps->sub);
    if (sv->n == 0) {
        stab_unlink(&s->t, e);
        hf_free(sv->v);
        hf_free(sv);
        hf_free(e);
        __atomic_sub_fetch(&n_channels, 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&s->mu);
    __atomic_add_fetch(&ps->sub->gen, 1, __ATOMIC_RELAXED);
    __atomic_sub_fetch(&n_subscriptions, 1, __ATOMIC_RELAXED);
    sub_release(ps->sub);   /* the registry's reference; the pstate keeps one */
}

static bool pattern_add(struct pubsub_state *ps, const char *p, size_t n)
{
    uint64_t h = hf_hash(p, n);
    if (stab_find(&ps->pats, p, n, h)) return false;
    stab_add(&ps->pats, p, n, h);
    __atomic_add_fetch(&n_subscriptions, 1, __ATOMIC_RELAXED);
    pthread_rwlock_wrlock(&pat_lock);
    struct sentry *e = stab_find(&pat_tab, p, n, h);
    if (!e) {
        e = stab_add(&pat_tab, p, n, h);
        struct patrec *pr = hf_calloc(1, sizeof *pr + n + 1);
        pr->refs = 1;       /* the registry's */
        pr->len = n;
        memcpy(pr->s, p, n);
        e->val = pr;
        __atomic_add_fetch(&n_patterns, 1, __ATOMIC_RELAXED);
    }
    struct patrec *pr = e->val;
    sub_retain(ps->sub);
    subvec_push(&pr->subs, ps->sub);
    pthread_rwlock_unlock(&pat_lock);
    return true;
}

static void pattern_drop(struct pubsub_state *ps, struct sentry *pe)
{
    pthread_rwlock_wrlock(&pat_lock);
    struct sentry *e = stab_find(&pat_tab, pe->key, pe->len, pe->hash);
    struct patrec *pr = e->val;
    subvec_remove(&pr->subs, ps->sub);
    if (pr->subs.n == 0) {
        stab_unlink(&pat_tab, e);
        hf_free(e);
        patrec_release(pr);
        __atomic_sub_fetch(&n_patterns, 1, __ATOMIC_RELAXED);
    }
    pthread_rwlock_unlock(&pat_lock);
    __atomic_add_fetch(&ps->sub->gen, 1, __ATOMIC_RELAXED);
    __atomic_sub_fetch(&n_subscriptions, 1, __ATOMIC_RELAXED);
    sub_release(ps->sub);
}

/* ---- replies ------------------------------------------------------------------- */

/* Pub/Sub frames are arrays in RESP2 and push types in RESP3. */
static void push_header(client *c, int n)
{
    char h[4] = {c->resp == 2 ? '*' : '>', (char)('0' + n), '\r', '\n'};
    reply_raw(c, h, 4);
}

/* ["subscribe", channel, count] and friends; channel NULL gives the null
 * that UNSUBSCRIBE without subscriptions answers. */
static void reply_confirm(client *c, const char *kind, const char *ch, size_t n)
{
    push_header(c, 3);
    reply_bulk_cstr(c, kind);
    if (ch) reply_bulk(c, ch, n);
    else reply_null(c);
    reply_int(c, client_count(c->pstate));
}

/* A published message: channel and payload stored back to back. */
struct msg {
    int refs;                   /* atomic: one per batch */
    size_t chlen, plen;
    char data[];
};

static void msg_release(struct msg *m)
{
    if (__atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0) hf_free(m);
}

static void put_message(client *c, const char *ch, size_t chlen, const char *p, size_t plen,
                        const struct patrec *pat)
{
    if (pat) {
        push_header(c, 4);
        reply_raw(c, "$8\r\npmessage\r\n", 14);
        reply_bulk(c, pat->s, pat->len);
    } else {
        push_header(c, 3);
        reply_raw(c, "$7\r\nmessage\r\n", 13);
    }
    reply_bulk(c, ch, chlen);
    reply_bulk(c, p, plen);
}

/* ---- delivery on the subscriber's worker ------------------------------------------ */

struct item {
    struct sub *sub;
    struct patrec *pat;         /* NULL: a channel message */
    unsigned gen;
};

struct batch {
    struct msg *m;
    uint32_t n;
    struct item it[];
};

/* Per-thread scratch: the receivers a publisher collects, and on a worker
 * the subscribers with messages appended since the last flush.  Freed at
 * thread exit by a pthread key destructor. */
struct scratch {
    struct item *items;
    size_t nitems, capitems;
    uint32_t *wcount;           /* items per worker index */
    struct batch **wbatch;
    int wcap;
    struct sub **dirty;
    size_t ndirty, capdirty;
    bool flush_posted;
};

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static __thread struct scratch *tl_scratch;

static void scratch_free(void *arg)
{
    struct scratch *sc = arg;
    for (size_t i = 0; i < sc->ndirty; i++) sub_release(sc->dirty[i]);
    hf_free(sc->dirty);
    hf_free(sc->items);
    hf_free(sc->wcount);
    hf_free(sc->wbatch);
    hf_free(sc);
}

static void scratch_key_init(void) { pthread_key_create(&scratch_key, scratch_free); }

static struct scratch *scratch(void)
{
    if (!tl_scratch) {
        pthread_once(&scratch_once, scratch_key_init);
        tl_scratch = hf_calloc(1, sizeof *tl_scratch);
        pthread_setspecific(scratch_key, tl_scratch);
    }
    return tl_scratch;
}

/* Redis's pubsub output limits: hard 32 MB, soft 8 MB for 60 s.  True if c
 * was scheduled for closing. */
static bool over_limits(client *c)
{
    size_t pending = c->olen - c->osent;
    struct pubsub_state *ps = c->pstate;
    bool close = pending > PUBSUB_HARD_LIMIT;
    if (!close && pending > PUBSUB_SOFT_LIMIT) {
        int64_t now = hf_mstime();
        if (!ps->soft_since) ps->soft_since = now;
        else if (now - ps->soft_since > PUBSUB_SOFT_SECONDS * 1000) close = true;
    } else if (!close) {
        ps->soft_since = 0;
    }
    if (!close) return false;
    hf_log(LOG_WARNING, "Client id=%llu addr=%s scheduled to be closed ASAP for overcoming of output buffer limits.",
           (unsigned long long)c->id, c->addr);
    clients_lock();
    client_kill_async(c);
    clients_unlock();
    return true;
}

static void flush_dirty(client *unused, void *arg)
{
    (void)unused;
    (void)arg;
    struct scratch *sc = scratch();
    sc->flush_posted = false;
    /* client_reply_ready may free a client, which unsubscribes it: work on
     * a private copy of the list */
    struct sub **list = sc->dirty;
    size_t n = sc->ndirty;
    sc->dirty = NULL;
    sc->ndirty = sc->capdirty = 0;
    for (size_t i = 0; i < n; i++) {
        struct sub *s = list[i];
        s->dirty = false;
        client *c = s->c;
        if (c && !__atomic_load_n(&c->close_asap, __ATOMIC_RELAXED) && !over_limits(c))
            client_reply_ready(c);
        sub_release(s);
    }
    hf_free(list);
}

static void mark_dirty(struct sub *s)
{
    if (s->dirty) return;
    struct scratch *sc = scratch();
    s->dirty = true;
    sub_retain(s);
    if (sc->ndirty == sc->capdirty) {
        sc->capdirty = sc->capdirty ? sc->capdirty * 2 : 16;
        sc->dirty = hf_realloc(sc->dirty, sizeof *sc->dirty * sc->capdirty);
    }
    sc->dirty[sc->ndirty++] = s;
    if (!sc->flush_posted) {
        /* runs after every task already queued on this worker */
        sc->flush_posted = true;
        client_post(s->w, 0, flush_dirty, NULL);
    }
}

/* Whether the item's subscription still holds (see the top comment). */
static bool still_subscribed(client *c, const struct item *it, const struct msg *m)
{
    if (__atomic_load_n(&it->sub->gen, __ATOMIC_RELAXED) == it->gen) return true;
    struct pubsub_state *ps = c->pstate;
    if (it->pat) return stab_find(&ps->pats, it->pat->s, it->pat->len, hf_hash(it->pat->s, it->pat->len)) != NULL;
    return stab_find(&ps->chans, m->data, m->chlen, hf_hash(m->data, m->chlen)) != NULL;
}

/* A batch posted by PUBLISH (client_post with id 0: c is always NULL). */
static void deliver_batch(client *unused, void *arg)
{
    (void)unused;
    struct batch *b = arg;
    struct msg *m = b->m;
    for (uint32_t i = 0; i < b->n; i++) {
        struct item *it = &b->it[i];
        client *c = it->sub->c;
        if (c && !__atomic_load_n(&c->close_asap, __ATOMIC_RELAXED) && still_subscribed(c, it, m)) {
            put_message(c, m->data, m->chlen, m->data + m->chlen, m->plen, it->pat);
            mark_dirty(it->sub);
        }
        if (it->pat) patrec_release(it->pat);
        sub_release(it->sub);
    }
    msg_release(m);
    hf_free(b);
}

/* ---- publishing ------------------------------------------------------------------- */

static void collect(struct scratch *sc, struct sub *s, struct patrec *pat)
{
    if (sc->nitems == sc->capitems) {
        sc->capitems = sc->capitems ? sc->capitems * 2 : 64;
        sc->items = hf_realloc(sc->items, sizeof *sc->items * sc->capitems);
    }
    sub_retain(s);
    if (pat) __atomic_add_fetch(&pat->refs, 1, __ATOMIC_RELAXED);
    sc->items[sc->nitems++] = (struct item){s, pat, __atomic_load_n(&s->gen, __ATOMIC_RELAXED)};
}

/* Hands the collected items to their workers, one batch each, in order. */
static void post_batches(struct scratch *sc, const char *ch, size_t chlen, const char *p, size_t plen)
{
    int maxw = 0;
    for (size_t i = 0; i < sc->nitems; i++)
        if (sc->items[i].sub->widx >= maxw) maxw = sc->items[i].sub->widx + 1;
    if (maxw > sc->wcap) {
        sc->wcount = hf_realloc(sc->wcount, sizeof *sc->wcount * (size_t)maxw);
        sc->wbatch = hf_realloc(sc->wbatch, sizeof *sc->wbatch * (size_t)maxw);
        memset(sc->wcount + sc->wcap, 0, sizeof *sc->wcount * (size_t)(maxw - sc->wcap));
        sc->wcap = maxw;
    }
    for (size_t i = 0; i < sc->nitems; i++) sc->wcount[sc->items[i].sub->widx]++;
    struct msg *m = hf_malloc(sizeof *m + chlen + plen);
    m->refs = 0;
    m->chlen = chlen;
    m->plen = plen;
    memcpy(m->data, ch, chlen);
    memcpy(m->data + chlen, p, plen);
    for (int w = 0; w < maxw; w++) {
        if (!sc->wcount[w]) continue;
        struct batch *b = hf_malloc(sizeof *b + sizeof(struct item) * sc->wcount[w]);
        b->m = m;
        b->n = 0;
        sc->wbatch[w] = b;
        m->refs++;
    }
    for (size_t i = 0; i < sc->nitems; i++) {
        struct batch *b = sc->wbatch[sc->items[i].sub->widx];
        b->it[b->n++] = sc->items[i];
    }
    for (int w = 0; w < maxw; w++) {
        if (!sc->wcount[w]) continue;
        sc->wcount[w] = 0;
        client_post(sc->wbatch[w]->it[0].sub->w, 0, deliver_batch, sc->wbatch[w]);
    }
    sc->nitems = 0;
}

/* Publishes p on ch; returns the number of receivers.  self (may be NULL)
 * is the publishing client: its own messages are appended at once, before
 * the PUBLISH reply, as Redis does. */
static long publish(client *self, const char *ch, size_t chlen, const char *p, size_t plen)
{
    if (__atomic_load_n(&n_subscriptions, __ATOMIC_RELAXED) == 0) return 0;
    struct sub *me = self && self->pstate ? self->pstate->sub : NULL;
    struct scratch *sc = scratch();
    long receivers = 0;
    uint64_t h = hf_hash(ch, chlen);
    struct chan_shard *s = chan_shard_of(h);
    pthread_mutex_lock(&s->mu);
    struct sentry *e = stab_find(&s->t, ch, chlen, h);
    if (e) {
        struct subvec *sv = e->val;
        for (uint32_t i = 0; i < sv->n; i++) {
            if (sv->v[i] == me) put_message(self, ch, chlen, p, plen, NULL);
            else collect(sc, sv->v[i], NULL);
        }
        receivers += sv->n;
    }
    pthread_mutex_unlock(&s->mu);
    if (__atomic_load_n(&n_patterns, __ATOMIC_RELAXED) > 0) {
        pthread_rwlock_rdlock(&pat_lock);
        for (struct sentry *pe = pat_tab.ohead; pe; pe = pe->onext) {
            struct patrec *pr = pe->val;
            if (!hf_globmatch(pr->s, pr->len, ch, chlen, false)) continue;
            for (uint32_t i = 0; i < pr->subs.n; i++) {
                if (pr->subs.v[i] == me) put_message(self, ch, chlen, p, plen, pr);
                else collect(sc, pr->subs.v[i], pr);
            }
            receivers += pr->subs.n;
        }
        pthread_rwlock_unlock(&pat_lock);
    }
    if (sc->nitems) post_batches(sc, ch, chlen, p, plen);
    return receivers;
}

/* ---- keyspace notifications ---------------------------------------------------------- */

/* "__keyspace@<db>__:" or "__keyevent@<db>__:" then tail, into buf. */
static size_t notify_channel(char *buf, const char *kind, int db, const char *tail, size_t n)
{
    size_t o = (size_t)sprintf(buf, "__%s@%d__:", kind, db);
    memcpy(buf + o, tail, n);
    return o + n;
}

void notify_keyspace_event(int class, const char *event, const char *key, size_t klen, int db)
{
    int flags = __atomic_load_n(&notify_flags, __ATOMIC_RELAXED);
    if (!(flags & class) || !(flags & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT))) return;
    /* replaying the WAL repeats history nobody subscribed to */
    if (ks_replaying || __atomic_load_n(&n_subscriptions, __ATOMIC_RELAXED) == 0) return;
    size_t elen = strlen(event);
    size_t need = 32 + (klen > elen ? klen : elen);
    char stackbuf[512];
    char *buf = need <= sizeof stackbuf ? stackbuf : hf_malloc(need);
    if (flags & NOTIFY_KEYSPACE) {
        size_t n = notify_channel(buf, "keyspace", db, key, klen);
        publish(pubsub_current, buf, n, event, elen);
    }
    if (flags & NOTIFY_KEYEVENT) {
        size_t n = notify_channel(buf, "keyevent", db, event, elen);
        publish(pubsub_current, buf, n, key, klen);
    }
    if (buf != stackbuf) hf_free(buf);
}

/* The letters, in the order CONFIG GET prints them (Redis 7.0's
 * keyspaceEventsFlagsToString); 'A' stands for the classes of NOTIFY_ALL. */
#define NOTIFY_ALL (NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | \
                    NOTIFY_ZSET | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE)

static const struct { char ch; int flag; } notify_letters[] = {
    {'g', NOTIFY_GENERIC}, {'$', NOTIFY_STRING}, {'l', NOTIFY_LIST}, {'s', NOTIFY_SET},
    {'h', NOTIFY_HASH}, {'z', NOTIFY_ZSET}, {'x', NOTIFY_EXPIRED}, {'e', NOTIFY_EVICTED},
    {'t', NOTIFY_STREAM}, {'d', NOTIFY_MODULE}, {'n', NOTIFY_NEW},
    {'K', NOTIFY_KEYSPACE}, {'E', NOTIFY_KEYEVENT}, {'m', NOTIFY_KEY_MISS},
};
#define N_LETTERS (sizeof notify_letters / sizeof notify_letters[0])

int notify_parse(const char *s, size_t n)
{
    int flags = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == 'A') { flags |= NOTIFY_ALL; continue; }
        size_t k;
        for (k = 0; k < N_LETTERS && notify_letters[k].ch != s[i]; k++) {}
        if (k == N_LETTERS) return -1;
        flags |= notify_letters[k].flag;
    }
    return flags;
}

void notify_format(int flags, char *buf, size_t len)
{
    char out[N_LETTERS + 2];
    size_t o = 0;
    bool all = (flags & NOTIFY_ALL) == NOTIFY_ALL;
    if (all) out[o++] = 'A';
    for (size_t k = 0; k < N_LETTERS; k++) {
        int f = notify_letters[k].flag;
        bool after_a = f == NOTIFY_KEYSPACE || f == NOTIFY_KEYEVENT || f == NOTIFY_KEY_MISS;
        /* with 'A', Redis 7.0 prints only K, E and m after it (so 'n' is
         * dropped: "AKEmn" reads back "AKEm") */
        if ((flags & f) && (!all || after_a)) out[o++] = notify_letters[k].ch;
    }
    out[o] = '\0';
    snprintf(buf, len, "%s", out);
}

/* ---- SUBSCRIBE & co. ------------------------------------------------------------------ */

static void cmd_subscribe(client *c)
{
    struct pubsub_state *ps = pstate_of(c);
    for (int i = 1; i < c->argc; i++) {
        channel_add(ps, c->argv[i].p, c->argv[i].n);
        reply_confirm(c, "subscribe", c->argv[i].p, c->argv[i].n);
    }
    publish_nsubs(c);
}

static void cmd_psubscribe(client *c)
{
    struct pubsub_state *ps = pstate_of(c);
    for (int i = 1; i < c->argc; i++) {
        pattern_add(ps, c->argv[i].p, c->argv[i].n);
        reply_confirm(c, "psubscribe", c->argv[i].p, c->argv[i].n);
    }
    publish_nsubs(c);
}

/* Drops the subscription behind entry e of t (ps->chans or ps->pats),
 * replying with kind if reply is set. */
static void unsubscribe_entry(client *c, struct stab *t, struct sentry *e, const char *kind, bool reply)
{
    struct pubsub_state *ps = c->pstate;
    stab_unlink(t, e);
    if (t == &ps->chans) channel_drop(ps, e);
    else pattern_drop(ps, e);
    if (reply) reply_confirm(c, kind, e->key, e->len);
    hf_free(e);
}

/* UNSUBSCRIBE / PUNSUBSCRIBE: the named ones, or all of them (in
 * subscription order); with none at all, one confirmation with a null. */
static void unsubscribe_cmd(client *c, bool patterns)
{
    const char *kind = patterns ? "punsubscribe" : "unsubscribe";
    struct pubsub_state *ps = c->pstate;
    struct stab *t = ps ? (patterns ? &ps->pats : &ps->chans) : NULL;
    if (c->argc == 1) {
        if (!t || t->n == 0) {
            reply_confirm(c, kind, NULL, 0);
            return;
        }
        while (t->ohead) unsubscribe_entry(c, t, t->ohead, kind, true);
    } else {
        for (int i = 1; i < c->argc; i++) {
            const hf_arg *a = &c->argv[i];
            struct sentry *e = t ? stab_find(t, a->p, a->n, hf_hash(a->p, a->n)) : NULL;
            if (e) unsubscribe_entry(c, t, e, kind, true);
            else reply_confirm(c, kind, a->p, a->n);
        }
    }
    publish_nsubs(c);
}

static void cmd_unsubscribe(client *c) { unsubscribe_cmd(c, false); }
static void cmd_punsubscribe(client *c) { unsubscribe_cmd(c, true); }

static void cmd_publish(client *c)
{
    reply_int(c, publish(c, c->argv[1].p, c->argv[1].n, c->argv[2].p, c->argv[2].n));
}

/* ---- PUBSUB ------------------------------------------------------------------------- */

static void cmd_pubsub_channels(client *c)
{
    if (c->argc > 3) { reply_unknown_sub_or_arity(c); return; }
    const hf_arg *pat = c->argc == 3 ? &c->argv[2] : NULL;
    size_t h = reply_defer(c);
    long n = 0;
    pthread_once(&registry_once, registry_init);
    for (int i = 0; i < CHAN_SHARDS; i++) {
        struct chan_shard *s = &chan_shards[i];
        pthread_mutex_lock(&s->mu);
        for (struct sentry *e = s->t.ohead; e; e = e->onext) {
            if (pat && !hf_globmatch(pat->p, pat->n, e->key, e->len, false)) continue;
            reply_bulk(c, e->key, e->len);
            n++;
        }
        pthread_mutex_unlock(&s->mu);
    }
    reply_defer_array(c, h, n);
}

static void cmd_pubsub_numsub(client *c)
{
    reply_array(c, (long)(c->argc - 2) * 2);
    for (int i = 2; i < c->argc; i++) {
        const hf_arg *a = &c->argv[i];
        uint64_t h = hf_hash(a->p, a->n);
        struct chan_shard *s = chan_shard_of(h);
        pthread_mutex_lock(&s->mu);
        struct sentry *e = stab_find(&s->t, a->p, a->n, h);
        long n = e ? (long)((struct subvec *)e->val)->n : 0;
        pthread_mutex_unlock(&s->mu);
        reply_bulk(c, a->p, a->n);
        reply_int(c, n);
    }
}

static void cmd_pubsub_numpat(client *c) { reply_int(c, pubsub_count_patterns()); }

static void cmd_pubsub_help(client *c)
{
    static const char *const lines[] = {
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        NULL,
    };
    reply_help(c, "PUBSUB", lines);
}

/* ---- MONITOR --------------------------------------------------------------------------- */

/* A monitoring client.  The list (and every pending buffer) is under
 * mon_lock; a drain task in flight holds a reference. */
struct monitor {
    int refs;                   /* under mon_lock */
    struct worker *w;
    uint64_t id;
    hf_buf pending;             /* lines not yet appended to the client */
    bool scheduled;             /* a drain task is queued */
    bool gone;                  /* left monitor mode */
};

static pthread_mutex_t mon_lock = PTHREAD_MUTEX_INITIALIZER;
static struct monitor **mons;
static int nmons;

static void monitor_unref(struct monitor *m)
{
    if (--m->refs == 0) {
        hf_buf_free(&m->pending);
        hf_free(m);
    }
}

static void monitor_drain(client *c, void *arg)
{
    struct monitor *m = arg;
    pthread_mutex_lock(&mon_lock);
    hf_buf lines = m->pending;
    memset(&m->pending, 0, sizeof m->pending);
    m->scheduled = false;
    bool live = !m->gone;
    monitor_unref(m);
    pthread_mutex_unlock(&mon_lock);
    if (c && live && (c->flags & CLIENT_MONITOR) && lines.len) {
        reply_raw(c, lines.p, lines.len);
        client_reply_ready(c);
    }
    hf_buf_free(&lines);
}

static void cmd_monitor(client *c)
{
    /* Redis sets CLIENT_DENY_BLOCKING while EXEC runs */
    if (c->flags & CLIENT_IN_EXEC) {
        reply_error(c, "ERR MONITOR isn't allowed for DENY BLOCKING client");
        return;
    }
    if (c->flags & CLIENT_MONITOR) return;   /* ignored, no reply: as Redis */
    struct monitor *m = hf_calloc(1, sizeof *m);
    m->refs = 1;
    m->w = client_worker(c);
    m->id = c->id;
    pthread_mutex_lock(&mon_lock);
    mons = hf_realloc(mons, sizeof *mons * (size_t)(nmons + 1));
    mons[nmons++] = m;
    pthread_mutex_unlock(&mon_lock);
    __atomic_or_fetch(&c->flags, CLIENT_MONITOR, __ATOMIC_RELAXED);
    __atomic_add_fetch(&monitors_active, 1, __ATOMIC_RELAXED);
    reply_ok(c);
}

static void monitor_remove(client *c)
{
    pthread_mutex_lock(&mon_lock);
    for (int i = 0; i < nmons; i++) {
        if (mons[i]->id != c->id) continue;
        mons[i]->gone = true;
        monitor_unref(mons[i]);
        mons[i] = mons[--nmons];
        __atomic_sub_fetch(&monitors_active, 1, __ATOMIC_RELAXED);
        break;
    }
    pthread_mutex_unlock(&mon_lock);
    __atomic_and_fetch(&c->flags, ~(unsigned)CLIENT_MONITOR, __ATOMIC_RELAXED);
}

/* sdscatrepr's quoting: "..." with C escapes, \xNN for the rest. */
static void put_repr(hf_buf *b, const char *p, size_t n)
{
    hf_buf_reserve(b, n * 4 + 2);
    char *o = b->p + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        switch (ch) {
        case '\\': case '"': *o++ = '\\'; *o++ = (char)ch; break;
        case '\n': *o++ = '\\'; *o++ = 'n'; break;
        case '\r': *o++ = '\\'; *o++ = 'r'; break;
        case '\t': *o++ = '\\'; *o++ = 't'; break;
        case '\a': *o++ = '\\'; *o++ = 'a'; break;
        case '\b': *o++ = '\\'; *o++ = 'b'; break;
        default:
            if (ch >= 0x20 && ch <= 0x7e) {
                *o++ = (char)ch;
            } else {
                *o++ = '\\';
                *o++ = 'x';
                *o++ = "0123456789abcdef"[ch >> 4];
                *o++ = "0123456789abcdef"[ch & 15];
            }
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
}

/* Arguments Redis 7.0 replaces with "(redacted)": AUTH's (unless it has
 * too many, a syntax error before redaction) and HELLO's AUTH pairs (after
 * a valid version, up to the first option that fails). */
static void mark_redacted(client *c, const struct command *cmd, bool *red)
{
    if (!strcmp(cmd->name, "auth")) {
        if (c->argc <= 3)
            for (int i = 1; i < c->argc; i++) red[i] = true;
        return;
    }
    if (strcmp(cmd->name, "hello") || c->argc < 2) return;
    long long ver;
    if (!hf_str2ll(c->argv[1].p, c->argv[1].n, &ver) || ver < 2 || ver > 3) return;
    for (int i = 2; i < c->argc; i++) {
        int left = c->argc - i - 1;
        if (arg_is(&c->argv[i], "AUTH") && left >= 2) {
            red[i + 1] = red[i + 2] = true;
            i += 2;
        } else if (arg_is(&c->argv[i], "SETNAME") && left >= 1) {
            const hf_arg *name = &c->argv[i + 1];
            for (size_t k = 0; k < name->n; k++)
                if (name->p[k] < '!' || name->p[k] > '~') return;   /* rejected there */
            i++;
        } else {
            return;
        }
    }
}

/* "+<sec>.<usec> [<db> <addr>] "arg" ...\r\n" */
static void monitor_line(client *c, const struct command *cmd, hf_buf *b)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char head[160];
    int n;
    if (c->flags & CLIENT_UNIX) {
        size_t alen = strlen(c->addr);   /* "<path>:0" */
        if (alen >= 2 && !strcmp(c->addr + alen - 2, ":0")) alen -= 2;
        n = snprintf(head, sizeof head, "+%ld.%06ld [%d unix:%.*s] ", (long)tv.tv_sec, (long)tv.tv_usec,
                     c->db, (int)alen, c->addr);
    } else {
        n = snprintf(head, sizeof head, "+%ld.%06ld [%d %s] ", (long)tv.tv_sec, (long)tv.tv_usec, c->db, c->addr);
    }
    hf_buf_put(b, head, (size_t)(n < (int)sizeof head ? n : (int)sizeof head - 1));
    bool red_small[16] = {false};
    bool *red = c->argc <= 16 ? red_small : hf_calloc((size_t)c->argc, sizeof *red);
    mark_redacted(c, cmd, red);
    for (int i = 0; i < c->argc; i++) {
        if (i) hf_buf_put(b, " ", 1);
        if (red[i]) hf_buf_put(b, "\"(redacted)\"", 12);
        else put_repr(b, c->argv[i].p, c->argv[i].n);
    }
    hf_buf_put(b, "\r\n", 2);
    if (red != red_small) hf_free(red);
}

void monitor_feed(client *c, struct command *cmd)
{
    /* administrative commands are too dangerous to show (Redis's call()) */
    if (cmd->flags & CMD_ADMIN) return;
    hf_buf line = {0};
    monitor_line(c, cmd, &line);
    pthread_mutex_lock(&mon_lock);
    for (int i = 0; i < nmons; i++) {
        struct monitor *m = mons[i];
        hf_buf_put(&m->pending, line.p, line.len);
        if (!m->scheduled) {
            m->scheduled = true;
            m->refs++;
            client_post(m->w, m->id, monitor_drain, m);
        }
    }
    pthread_mutex_unlock(&mon_lock);
    hf_buf_free(&line);
}

/* ---- closing / RESET ------------------------------------------------------------------ */

void pubsub_client_free(client *c)
{
    struct pubsub_state *ps = c->pstate;
    if (ps) {
        while (ps->chans.ohead) unsubscribe_entry(c, &ps->chans, ps->chans.ohead, NULL, false);
        while (ps->pats.ohead) unsubscribe_entry(c, &ps->pats, ps->pats.ohead, NULL, false);
        stab_free(&ps->chans);
        stab_free(&ps->pats);
        ps->sub->c = NULL;      /* messages in flight find it gone */
        sub_release(ps->sub);
        hf_free(ps);
        c->pstate = NULL;
        __atomic_store_n(&c->nsubs, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&c->npsubs, 0, __ATOMIC_RELAXED);
    }
    if (c->flags & CLIENT_MONITOR) monitor_remove(c);
}

const struct binding pubsub_bindings[] = {
    {"subscribe", cmd_subscribe}, {"unsubscribe", cmd_unsubscribe},
    {"psubscribe", cmd_psubscribe}, {"punsubscribe", cmd_punsubscribe},
    {"publish", cmd_publish},
    {"pubsub", NULL}, {"pubsub|channels", cmd_pubsub_channels}, {"pubsub|numsub", cmd_pubsub_numsub},
    {"pubsub|numpat", cmd_pubsub_numpat}, {"pubsub|help", cmd_pubsub_help},
    {"monitor", cmd_monitor},
    {NULL, NULL}
};
