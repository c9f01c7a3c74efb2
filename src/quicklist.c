/* quicklist.c — see quicklist.h.
 *
 * Invariants: no node is empty (a node whose last entry goes is freed at
 * once), node->count == lp_count(node->lp), ql->count is the sum of the
 * node counts and ql->len the number of nodes.  Pushes start a new node
 * when the end node would outgrow the limit; inserts and replacements in
 * the middle split a node that outgrows it (halving until every part fits
 * or holds one entry, so a single oversized element gets a node alone, as
 * in Redis).  Nodes are not merged after deletions, as Redis 7.0 does not. */
#include "config.h"
#include "quicklist.h"
#include "util.h"

#include <string.h>

/* list-max-listpack-size -1 .. -5: 4 KB .. 64 KB per node */
static const size_t fill_bytes[] = {4096, 8192, 16384, 32768, 65536};
/* With a count limit, a node still stays under this many bytes (Redis's
 * SIZE_SAFETY_LIMIT). */
#define SAFETY_BYTES 8192

void ql_limit_of(int fill, ql_limit *lim)
{
    if (fill < 0) {
        size_t level = (size_t)(-(long long)fill) - 1;
        size_t max = sizeof fill_bytes / sizeof fill_bytes[0] - 1;
        lim->bytes = fill_bytes[level > max ? max : level];
        lim->count = UINT32_MAX;
    } else {
        lim->bytes = SAFETY_BYTES;
        lim->count = fill == 0 ? 1 : (uint32_t)fill;
    }
}

bool ql_exceeds(const ql_limit *lim, size_t bytes, uint64_t count)
{
    return bytes > lim->bytes || count > lim->count;
}

/* ---- nodes ------------------------------------------------------------- */

static qlnode *node_new(lp *l)
{
    qlnode *n = hf_malloc(sizeof *n);
    n->prev = n->next = NULL;
    n->lp = l;
    n->count = lp_count(l);
    n->unused = 0;
    return n;
}

/* Links n after `after` (NULL: at the head). */
static void link_after(quicklist *ql, qlnode *after, qlnode *n)
{
    n->prev = after;
    n->next = after ? after->next : ql->head;
    if (n->next) n->next->prev = n;
    else ql->tail = n;
    if (after) after->next = n;
    else ql->head = n;
    ql->len++;
    ql->count += n->count;
}

/* Unlinks and frees n with its listpack; ql->count drops by its entries. */
static void unlink_free(quicklist *ql, qlnode *n)
{
    if (n->prev) n->prev->next = n->next;
    else ql->head = n->next;
    if (n->next) n->next->prev = n->prev;
    else ql->tail = n->prev;
    ql->len--;
    ql->count -= n->count;
    lp_free(n->lp);
    hf_free(n);
}

static bool node_over(const qlnode *n, const ql_limit *lim)
{
    return ql_exceeds(lim, lp_bytes(n->lp), n->count);
}

/* Moves the entries of n from index `from` on into a new node linked
 * after n. */
static qlnode *split_off(quicklist *ql, qlnode *n, uint32_t from)
{
    lp *right = lp_new();
    uint32_t pos = lp_seek(n->lp, from);
    uint32_t moved = n->count - from;
    for (uint32_t off = pos; off != LP_NONE; off = lp_next(n->lp, off)) {
        lpval v;
        lp_get(n->lp, off, &v);
        if (v.is_int) lp_append_int(&right, v.v);
        else lp_append(&right, v.p, v.n);
    }
    lp_delete(&n->lp, pos, moved);
    n->count = from;
    ql->count -= moved;          /* link_after adds them back */
    qlnode *r = node_new(right);
    link_after(ql, n, r);
    return r;
}

void ql_split_to_fit(quicklist *ql, qlnode *n, const ql_limit *lim)
{
    if (n->count < 2 || !node_over(n, lim)) return;
    qlnode *r = split_off(ql, n, n->count / 2);
    ql_split_to_fit(ql, r, lim);
    ql_split_to_fit(ql, n, lim);
}

/* ---- whole list -------------------------------------------------------- */

quicklist *ql_new(void)
{
    quicklist *ql = hf_malloc(sizeof *ql);
    ql->head = ql->tail = NULL;
    ql->count = ql->len = 0;
    return ql;
}

quicklist *ql_from_lp(lp *l)
{
    quicklist *ql = ql_new();
    if (lp_count(l)) link_after(ql, NULL, node_new(l));
    else lp_free(l);
    return ql;
}

lp *ql_to_lp(quicklist *ql)
{
    lp *l;
    if (ql->head) {
        l = ql->head->lp;
        hf_free(ql->head);
    } else {
        l = lp_new();
    }
    hf_free(ql);
    return l;
}

void ql_free(quicklist *ql)
{
    qlnode *n = ql->head;
    while (n) {
        qlnode *next = n->next;
        lp_free(n->lp);
        hf_free(n);
        n = next;
    }
    hf_free(ql);
}

quicklist *ql_dup(const quicklist *ql)
{
    quicklist *c = ql_new();
    for (const qlnode *n = ql->head; n; n = n->next)
        link_after(c, c->tail, node_new(lp_dup(n->lp)));
    return c;
}

size_t ql_mem(const quicklist *ql)
{
    size_t sum = hf_malloc_size((void *)ql);
    for (const qlnode *n = ql->head; n; n = n->next)
        sum += hf_malloc_size((void *)n) + hf_malloc_size(n->lp);
    return sum;
}

/* ---- pushing ----------------------------------------------------------- */

void ql_push(quicklist *ql, int where, const char *p, size_t n, const ql_limit *lim)
{
    bool head = where == 0;
    qlnode *node = head ? ql->head : ql->tail;
    if (!node || ql_exceeds(lim, lp_bytes(node->lp) + lp_entry_size(p, n), node->count + 1ULL)) {
        node = node_new(lp_new());
        link_after(ql, head ? NULL : ql->tail, node);
    }
    if (head) lp_prepend(&node->lp, p, n);
    else lp_append(&node->lp, p, n);
    node->count++;
    ql->count++;
}

/* ---- positions --------------------------------------------------------- */

/* The node holding index i (0 <= i < count) and i's index inside it,
 * walking the node counts from the nearer end. */
static qlnode *locate(const quicklist *ql, uint64_t i, uint64_t *local)
{
    qlnode *n;
    if (i < ql->count / 2) {
        n = ql->head;
        while (i >= n->count) {
            i -= n->count;
            n = n->next;
        }
    } else {
        uint64_t back = ql->count - 1 - i;     /* index counted from the tail */
        n = ql->tail;
        while (back >= n->count) {
            back -= n->count;
            n = n->prev;
        }
        i = n->count - 1 - back;
    }
    *local = i;
    return n;
}

bool ql_index(const quicklist *ql, long long i, qlpos *pos)
{
    if (i < 0) i += (long long)ql->count;
    if (i < 0 || (uint64_t)i >= ql->count) return false;
    uint64_t local;
    pos->node = locate(ql, (uint64_t)i, &local);
    pos->off = lp_seek(pos->node->lp, (long)local);
    return true;
}

bool ql_next(qlpos *pos)
{
    uint32_t off = lp_next(pos->node->lp, pos->off);
    if (off != LP_NONE) {
        pos->off = off;
        return true;
    }
    if (!pos->node->next) return false;
    pos->node = pos->node->next;
    pos->off = lp_first(pos->node->lp);
    return true;
}

bool ql_prev(qlpos *pos)
{
    uint32_t off = lp_prev(pos->node->lp, pos->off);
    if (off != LP_NONE) {
        pos->off = off;
        return true;
    }
    if (!pos->node->prev) return false;
    pos->node = pos->node->prev;
    pos->off = lp_last(pos->node->lp);
    return true;
}

/* ---- changing in the middle -------------------------------------------- */

void ql_replace(quicklist *ql, const qlpos *pos, const char *p, size_t n, const ql_limit *lim)
{
    lp_replace(&pos->node->lp, pos->off, p, n);
    ql_split_to_fit(ql, pos->node, lim);
}

void ql_insert(quicklist *ql, const qlpos *pos, int where, const char *p, size_t n,
               const ql_limit *lim)
{
    qlnode *node = pos->node;
    size_t esz = lp_entry_size(p, n);
    bool full = ql_exceeds(lim, lp_bytes(node->lp) + esz, node->count + 1ULL);
    if (full) {
        /* At the node's edge: the neighbour, or a new node between them,
         * takes the entry; the full node stays as it is. */
        bool after_last = where == LP_AFTER && lp_next(node->lp, pos->off) == LP_NONE;
        bool before_first = where == LP_BEFORE && lp_prev(node->lp, pos->off) == LP_NONE;
        if (after_last || before_first) {
            qlnode *nb = after_last ? node->next : node->prev;
            if (!nb || ql_exceeds(lim, lp_bytes(nb->lp) + esz, nb->count + 1ULL)) {
                nb = node_new(lp_new());
                link_after(ql, after_last ? node : node->prev, nb);
            }
            if (after_last) lp_prepend(&nb->lp, p, n);
            else lp_append(&nb->lp, p, n);
            nb->count++;
            ql->count++;
            return;
        }
    }
    lp_insert(&node->lp, pos->off, where, p, n);
    node->count++;
    ql->count++;
    if (full) ql_split_to_fit(ql, node, lim);
}

bool ql_delete_at(quicklist *ql, qlpos *pos, bool forward)
{
    qlnode *node = pos->node;
    if (node->count == 1) {
        qlnode *to = forward ? node->next : node->prev;
        unlink_free(ql, node);
        if (!to) return false;
        pos->node = to;
        pos->off = forward ? lp_first(to->lp) : lp_last(to->lp);
        return true;
    }
    /* entries before the deleted one keep their offsets */
    uint32_t prev = forward ? LP_NONE : lp_prev(node->lp, pos->off);
    uint32_t next = lp_delete(&node->lp, pos->off, 1);
    node->count--;
    ql->count--;
    uint32_t off = forward ? next : prev;
    if (off != LP_NONE) {
        pos->off = off;
        return true;
    }
    qlnode *to = forward ? node->next : node->prev;
    if (!to) return false;
    pos->node = to;
    pos->off = forward ? lp_first(to->lp) : lp_last(to->lp);
    return true;
}

void ql_del_range(quicklist *ql, uint64_t start, uint64_t count)
{
    if (start >= ql->count || count == 0) return;
    uint64_t local;
    qlnode *n = locate(ql, start, &local);
    while (count && n) {
        qlnode *next = n->next;
        uint64_t k = n->count - local;
        if (k > count) k = count;
        if (local == 0 && k == n->count) {
            unlink_free(ql, n);
        } else {
            lp_delete_range(&n->lp, (long)local, (uint32_t)k);
            n->count -= (uint32_t)k;
            ql->count -= k;
        }
        count -= k;
        local = 0;
        n = next;
    }
}

/* ---- checking ---------------------------------------------------------- */

bool ql_check(const quicklist *ql)
{
    uint64_t count = 0, len = 0;
    const qlnode *prev = NULL;
    for (const qlnode *n = ql->head; n; n = n->next) {
        if (n->prev != prev || n->count == 0 || n->count != lp_count(n->lp)) return false;
        if (!lp_validate(n->lp, lp_bytes(n->lp))) return false;
        count += n->count;
        len++;
        prev = n;
    }
    return prev == ql->tail && count == ql->count && len == ql->len;
}
