/* zskiplist.c — see zskiplist.h.
 *
 * Levels are drawn with p = 1/4 (a node has level k+1 with probability
 * 4^-k), Redis's choice: about 1.33 forward links per node on average,
 * and O(log n) expected search.  A node is one allocation: the fixed part
 * and its `level` forward links.
 *
 * Spans: level[i].span of a node is the distance in elements from the
 * node to the one its level-i link reaches.  The search for an insertion
 * point records, per level, the last node before the new one (update[])
 * and its rank (rank[]); the new node's span and its predecessor's are
 * split at the insertion point, and links that pass over it grow by one.
 * Deleting reverses that. */
#include "config.h"
#include "zskiplist.h"
#include "util.h"

static zsl_node *node_new(zskiplist *zsl, int level, double score, const char *ele, size_t len)
{
    zsl_node *n = hf_malloc(sizeof(zsl_node) + (size_t)level * sizeof(struct zsl_level));
    n->ele = ele;
    n->len = (uint32_t)len;
    n->score = score;
    n->backward = NULL;
    zsl->mem += hf_malloc_size(n);
    return n;
}

static void node_free(zskiplist *zsl, zsl_node *n)
{
    zsl->mem -= hf_malloc_size(n);
    hf_free(n);
}

void zsl_init(zskiplist *zsl)
{
    zsl->mem = 0;
    zsl->header = node_new(zsl, ZSL_MAXLEVEL, 0, NULL, 0);
    for (int i = 0; i < ZSL_MAXLEVEL; i++) {
        zsl->header->level[i].forward = NULL;
        zsl->header->level[i].span = 0;
    }
    zsl->tail = NULL;
    zsl->length = 0;
    zsl->level = 1;
}

void zsl_release(zskiplist *zsl)
{
    zsl_node *n = zsl->header->level[0].forward;
    hf_free(zsl->header);
    while (n) {
        zsl_node *next = n->level[0].forward;
        hf_free(n);
        n = next;
    }
    zsl->header = zsl->tail = NULL;
    zsl->length = 0;
    zsl->mem = 0;
}

/* One 64-bit draw gives 32 two-bit trials: level k+1 with probability
 * 4^-k, capped at ZSL_MAXLEVEL. */
static int random_level(void)
{
    uint64_t r = hf_rand64();
    int level = 1;
    while ((r & 3) == 0 && level < ZSL_MAXLEVEL) {
        level++;
        r >>= 2;
    }
    return level;
}

/* Does x sort strictly before (score, ele)? */
static inline bool before(const zsl_node *x, double score, const char *ele, size_t len)
{
    return x->score < score || (x->score == score && zsl_cmp(x->ele, x->len, ele, len) < 0);
}

zsl_node *zsl_insert(zskiplist *zsl, double score, const char *ele, size_t len)
{
    zsl_node *update[ZSL_MAXLEVEL], *x = zsl->header;
    unsigned long rank[ZSL_MAXLEVEL];
    for (int i = zsl->level - 1; i >= 0; i--) {
        rank[i] = i == zsl->level - 1 ? 0 : rank[i + 1];
        while (x->level[i].forward && before(x->level[i].forward, score, ele, len)) {
            rank[i] += x->level[i].span;
            x = x->level[i].forward;
        }
        update[i] = x;
    }
    int level = random_level();
    if (level > zsl->level) {
        /* the header's new levels span the whole list until now */
        for (int i = zsl->level; i < level; i++) {
            rank[i] = 0;
            update[i] = zsl->header;
            update[i]->level[i].span = zsl->length;
        }
        zsl->level = level;
    }
    x = node_new(zsl, level, score, ele, len);
    for (int i = 0; i < level; i++) {
        x->level[i].forward = update[i]->level[i].forward;
        update[i]->level[i].forward = x;
        /* rank[0] - rank[i] elements lie between update[i] and x */
        x->level[i].span = update[i]->level[i].span - (rank[0] - rank[i]);
        update[i]->level[i].span = (rank[0] - rank[i]) + 1;
    }
    for (int i = level; i < zsl->level; i++) update[i]->level[i].span++;
    x->backward = update[0] == zsl->header ? NULL : update[0];
    if (x->level[0].forward) x->level[0].forward->backward = x;
    else zsl->tail = x;
    zsl->length++;
    return x;
}

/* Unlinks x, whose predecessors per level are update[]. */
static void unlink_node(zskiplist *zsl, zsl_node *x, zsl_node **update)
{
    for (int i = 0; i < zsl->level; i++) {
        if (update[i]->level[i].forward == x) {
            update[i]->level[i].span += x->level[i].span - 1;
            update[i]->level[i].forward = x->level[i].forward;
        } else {
            update[i]->level[i].span -= 1;
        }
    }
    if (x->level[0].forward) x->level[0].forward->backward = x->backward;
    else zsl->tail = x->backward;
    while (zsl->level > 1 && zsl->header->level[zsl->level - 1].forward == NULL) zsl->level--;
    zsl->length--;
}

/* Fills update[] with the last node before (score, ele) on every level;
 * returns the level-0 successor (the element itself if present). */
static zsl_node *seek(const zskiplist *zsl, double score, const char *ele, size_t len, zsl_node **update)
{
    zsl_node *x = zsl->header;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && before(x->level[i].forward, score, ele, len))
            x = x->level[i].forward;
        update[i] = x;
    }
    return x->level[0].forward;
}

static inline bool is_elem(const zsl_node *x, double score, const char *ele, size_t len)
{
    return x && x->score == score && zsl_cmp(x->ele, x->len, ele, len) == 0;
}

bool zsl_delete(zskiplist *zsl, double score, const char *ele, size_t len)
{
    zsl_node *update[ZSL_MAXLEVEL];
    zsl_node *x = seek(zsl, score, ele, len, update);
    if (!is_elem(x, score, ele, len)) return false;
    unlink_node(zsl, x, update);
    node_free(zsl, x);
    return true;
}

zsl_node *zsl_update_score(zskiplist *zsl, double cur, const char *ele, size_t len, double newscore)
{
    zsl_node *update[ZSL_MAXLEVEL];
    zsl_node *x = seek(zsl, cur, ele, len, update);
    if (!is_elem(x, cur, ele, len)) return NULL;   /* caller's bug */
    /* Still between its neighbours: change the score in place. */
    if ((x->backward == NULL || x->backward->score < newscore) &&
        (x->level[0].forward == NULL || x->level[0].forward->score > newscore)) {
        x->score = newscore;
        return x;
    }
    unlink_node(zsl, x, update);
    node_free(zsl, x);
    return zsl_insert(zsl, newscore, ele, len);
}

unsigned long zsl_rank(const zskiplist *zsl, double score, const char *ele, size_t len)
{
    const zsl_node *x = zsl->header;
    unsigned long rank = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward &&
               (x->level[i].forward->score < score ||
                (x->level[i].forward->score == score &&
                 zsl_cmp(x->level[i].forward->ele, x->level[i].forward->len, ele, len) <= 0))) {
            rank += x->level[i].span;
            x = x->level[i].forward;
        }
        if (x != zsl->header && is_elem(x, score, ele, len)) return rank;
    }
    return 0;
}

zsl_node *zsl_by_rank(const zskiplist *zsl, unsigned long rank)
{
    if (rank == 0 || rank > zsl->length) return NULL;
    zsl_node *x = zsl->header;
    unsigned long traversed = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && traversed + x->level[i].span <= rank) {
            traversed += x->level[i].span;
            x = x->level[i].forward;
        }
        if (traversed == rank) return x;
    }
    return NULL;
}

/* ---- ranges --------------------------------------------------------------- */

zsl_node *zsl_first_in_score(const zskiplist *zsl, const zscore_range *r, unsigned long *rank)
{
    if (zscore_range_empty(r) || !zsl->tail || !zscore_gte_min(zsl->tail->score, r) ||
        !zscore_lte_max(zsl->header->level[0].forward->score, r))
        return NULL;
    zsl_node *x = zsl->header;
    unsigned long rk = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && !zscore_gte_min(x->level[i].forward->score, r)) {
            rk += x->level[i].span;
            x = x->level[i].forward;
        }
    }
    x = x->level[0].forward;    /* not NULL: the tail is >= min */
    if (!zscore_lte_max(x->score, r)) return NULL;
    *rank = rk + 1;
    return x;
}

zsl_node *zsl_last_in_score(const zskiplist *zsl, const zscore_range *r, unsigned long *rank)
{
    if (zscore_range_empty(r) || !zsl->tail || !zscore_gte_min(zsl->tail->score, r) ||
        !zscore_lte_max(zsl->header->level[0].forward->score, r))
        return NULL;
    zsl_node *x = zsl->header;
    unsigned long rk = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && zscore_lte_max(x->level[i].forward->score, r)) {
            rk += x->level[i].span;
            x = x->level[i].forward;
        }
    }
    if (x == zsl->header || !zscore_gte_min(x->score, r)) return NULL;
    *rank = rk;
    return x;
}

static bool lex_overlaps(const zskiplist *zsl, const zlex_range *r)
{
    if (zlex_range_empty(r) || !zsl->tail) return false;
    const zsl_node *first = zsl->header->level[0].forward;
    return zlex_gte_min(zsl->tail->ele, zsl->tail->len, r) && zlex_lte_max(first->ele, first->len, r);
}

zsl_node *zsl_first_in_lex(const zskiplist *zsl, const zlex_range *r, unsigned long *rank)
{
    if (!lex_overlaps(zsl, r)) return NULL;
    zsl_node *x = zsl->header;
    unsigned long rk = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward &&
               !zlex_gte_min(x->level[i].forward->ele, x->level[i].forward->len, r)) {
            rk += x->level[i].span;
            x = x->level[i].forward;
        }
    }
    x = x->level[0].forward;
    if (!x || !zlex_lte_max(x->ele, x->len, r)) return NULL;
    *rank = rk + 1;
    return x;
}

zsl_node *zsl_last_in_lex(const zskiplist *zsl, const zlex_range *r, unsigned long *rank)
{
    if (!lex_overlaps(zsl, r)) return NULL;
    zsl_node *x = zsl->header;
    unsigned long rk = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward &&
               zlex_lte_max(x->level[i].forward->ele, x->level[i].forward->len, r)) {
            rk += x->level[i].span;
            x = x->level[i].forward;
        }
    }
    if (x == zsl->header || !zlex_gte_min(x->ele, x->len, r)) return NULL;
    *rank = rk;
    return x;
}

unsigned long zsl_delete_ranks(zskiplist *zsl, unsigned long start, unsigned long end,
                               zsl_node_fn *fn, void *arg)
{
    if (start == 0) start = 1;
    if (end > zsl->length) end = zsl->length;
    if (start > end) return 0;
    zsl_node *update[ZSL_MAXLEVEL], *x = zsl->header;
    unsigned long traversed = 0, removed = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && traversed + x->level[i].span < start) {
            traversed += x->level[i].span;
            x = x->level[i].forward;
        }
        update[i] = x;
    }
    traversed++;
    x = x->level[0].forward;
    while (x && traversed <= end) {
        zsl_node *next = x->level[0].forward;
        unlink_node(zsl, x, update);
        if (fn) fn(arg, x);
        node_free(zsl, x);
        removed++;
        traversed++;
        x = next;
    }
    return removed;
}

/* ---- checking (tests) ----------------------------------------------------- */

bool zsl_check(const zskiplist *zsl)
{
    /* level 0: order, backward links, tail, length */
    unsigned long n = 0;
    const zsl_node *prev = NULL;
    for (const zsl_node *x = zsl->header->level[0].forward; x; x = x->level[0].forward) {
        if (x->backward != prev) return false;
        if (prev && !before(prev, x->score, x->ele, x->len)) return false;
        prev = x;
        n++;
    }
    if (n != zsl->length || zsl->tail != prev) return false;
    if (zsl->level < 1 || zsl->level > ZSL_MAXLEVEL) return false;
    /* every link at every level skips exactly `span` level-0 steps */
    for (int i = 0; i < zsl->level; i++) {
        const zsl_node *x = zsl->header;
        while (x->level[i].forward) {
            const zsl_node *y = x->level[i].forward;
            unsigned long steps = 0;
            for (const zsl_node *z = x; z != y; z = z->level[0].forward) {
                if (!z) return false;
                steps++;
            }
            if (steps != x->level[i].span) return false;
            x = y;
        }
    }
    for (int i = zsl->level; i < ZSL_MAXLEVEL; i++)
        if (zsl->header->level[i].forward) return false;
    return true;
}
