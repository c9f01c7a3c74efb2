/* quicklist.h — a doubly linked list of listpack nodes (large lists).
 *
 * A list too big for one listpack (list-max-listpack-size) is kept as a
 * chain of listpacks, each bounded by the same limit, as Redis does: pushes
 * and pops touch only the end nodes, and finding index i walks the nodes by
 * their cached element counts from the nearer end, then one listpack.
 * Nodes are never compressed (list-compress-depth is accepted and ignored).
 *
 * Positions (qlpos) name an entry as {node, byte offset in its listpack};
 * a change to a node invalidates positions in it, except as documented.
 * The caller owns the quicklist; every function here is single-threaded
 * (the key's shard lock serialises access). */
#ifndef HF_QUICKLIST_H
#define HF_QUICKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "listpack.h"

typedef struct qlnode {
    struct qlnode *prev, *next;
    lp *lp;
    uint32_t count;             /* entries in lp, cached: index walks read
                                 * only the nodes, not the listpacks */
    uint32_t unused;
} qlnode;

typedef struct quicklist {
    qlnode *head, *tail;
    uint64_t count;             /* entries in all nodes */
    uint64_t len;               /* nodes */
} quicklist;

/* A node's limit, from list-max-listpack-size ("fill"): a negative fill
 * bounds the listpack's bytes (-1 = 4 KB ... -5 and below = 64 KB); a
 * positive one the entries (with an 8 KB safety bound on bytes); 0 means
 * one entry per node. */
typedef struct ql_limit {
    size_t bytes;
    uint32_t count;
} ql_limit;

void ql_limit_of(int fill, ql_limit *lim);
/* Whether a listpack of bytes and count entries is over the limit. */
bool ql_exceeds(const ql_limit *lim, size_t bytes, uint64_t count);

/* Returns a new empty quicklist; the caller owns it. */
quicklist *ql_new(void);
/* Returns a quicklist whose one node is l (it takes l; an empty l is freed
 * and the quicklist has no node). */
quicklist *ql_from_lp(lp *l);
/* Frees ql, which has at most one node, and returns that node's listpack
 * (a new empty one if none): the caller owns it. */
lp *ql_to_lp(quicklist *ql);
void ql_free(quicklist *ql);
/* Returns a deep copy. */
quicklist *ql_dup(const quicklist *ql);
/* Bytes allocated for ql, its nodes and their listpacks. */
size_t ql_mem(const quicklist *ql);

/* Pushes (p, n) at the head (where = 0) or tail (1): into the end node if
 * it stays within lim, else into a new node. */
void ql_push(quicklist *ql, int where, const char *p, size_t n, const ql_limit *lim);

typedef struct qlpos {
    qlnode *node;
    uint32_t off;               /* the entry's offset in node->lp */
} qlpos;

/* The entry at index i (negative counts from the tail).  Returns false if
 * out of range.  O(nodes) by counts, then O(entries of one node). */
bool ql_index(const quicklist *ql, long long i, qlpos *pos);
/* Moves to the following (ql_next) or preceding entry, crossing nodes;
 * false (pos unchanged) at the end. */
bool ql_next(qlpos *pos);
bool ql_prev(qlpos *pos);
static inline void ql_get(const qlpos *pos, lpval *v) { lp_get(pos->node->lp, pos->off, v); }

/* Replaces the entry at pos; splits its node if it outgrows lim.  pos is
 * invalid afterwards. */
void ql_replace(quicklist *ql, const qlpos *pos, const char *p, size_t n, const ql_limit *lim);
/* Inserts (p, n) before (where = LP_BEFORE) or after the entry at pos: at
 * a node's edge into the neighbour if that one has room, else into the
 * node, splitting it if it outgrows lim.  pos is invalid afterwards. */
void ql_insert(quicklist *ql, const qlpos *pos, int where, const char *p, size_t n,
               const ql_limit *lim);
/* Splits node in halves until every part fits lim or holds one entry
 * (after the node's listpack was changed from outside, e.g. when a bare
 * listpack that outgrew the limit became the node of a new quicklist). */
void ql_split_to_fit(quicklist *ql, qlnode *node, const ql_limit *lim);
/* Deletes the entry at *pos and moves *pos to the entry that followed it
 * (forward) or preceded it (!forward).  Returns false if there is none
 * (then *pos is invalid). */
bool ql_delete_at(quicklist *ql, qlpos *pos, bool forward);
/* Deletes the entries with indexes [start, start + count), start >= 0
 * (fewer if the end comes first).  Whole nodes go without being read. */
void ql_del_range(quicklist *ql, uint64_t start, uint64_t count);

/* Checks the invariants (counts, links, limits are not checked): for the
 * unit tests.  Returns false if broken. */
bool ql_check(const quicklist *ql);

#endif
