/* types.h — the collection types, as the rest of the server sees them.
 *
 * One file per type (t_list.c, t_set.c, t_hash.c, t_zset.c) owns the
 * type's encodings, its commands and the functions below.  object.c calls
 * the first group for every value (free, copy, serialise, memory); the
 * others serve SORT, blocking pops, holdfast-admin and recovery.
 *
 * Canonical serialised forms (the WAL and snapshot payload of a value; all
 * integers little-endian u32, scores IEEE 754 binary64 little-endian),
 * independent of the encoding in memory:
 *   list: count | count x (len | bytes)                 head to tail
 *   set:  count | count x (len | bytes)                 any order
 *   hash: count | count x (len | field | len | value)   any order
 *   zset: count | count x (len | member | score)        score order
 * _deserialize validates everything (the bytes may come from a damaged
 * disk: never crash, return NULL) and picks the encoding the thresholds
 * call for now (as Redis does when it loads an RDB file). */
#ifndef HF_TYPES_H
#define HF_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "object.h"
#include "util.h"

/* ---- per-type basics (object.c dispatches to these) ---- */
void list_free(hobj *o);                /* frees the structure and o */
hobj *list_dup(const hobj *o);
void list_serialize(const hobj *o, hf_buf *out);   /* appends */
hobj *list_deserialize(const char *p, size_t n);
size_t list_mem(const hobj *o);         /* bytes, for MEMORY USAGE */
size_t list_len(const hobj *o);

void set_free(hobj *o);
hobj *set_dup(const hobj *o);
void set_serialize(const hobj *o, hf_buf *out);
hobj *set_deserialize(const char *p, size_t n);
size_t set_mem(const hobj *o);
size_t set_len(const hobj *o);

void hash_free(hobj *o);
hobj *hash_dup(const hobj *o);
void hash_serialize(const hobj *o, hf_buf *out);
hobj *hash_deserialize(const char *p, size_t n);
size_t hash_mem(const hobj *o);
size_t hash_len(const hobj *o);

void zset_free(hobj *o);
hobj *zset_dup(const hobj *o);
void zset_serialize(const hobj *o, hf_buf *out);
hobj *zset_deserialize(const char *p, size_t n);
size_t zset_mem(const hobj *o);
size_t zset_len(const hobj *o);

/* ---- element access for SORT, blocking pops and holdfast-admin ---- */
/* Visits every element in order (lists head to tail, zsets by score).
 * The callback gets bytes valid only during the call. */
typedef void elem_fn(void *arg, const char *p, size_t n);
void list_foreach(const hobj *o, elem_fn *fn, void *arg);
void set_foreach(const hobj *o, elem_fn *fn, void *arg);
typedef void pair_fn(void *arg, const char *f, size_t fn, const char *v, size_t vn);
void hash_foreach(const hobj *o, pair_fn *fn, void *arg);
typedef void scored_fn(void *arg, const char *m, size_t n, double score);
void zset_foreach(const hobj *o, scored_fn *fn, void *arg);

/* Hash field lookup (SORT BY/GET *->field): the value's bytes (scratch >=
 * 24 bytes for integers), NULL if the field is missing. */
const char *hash_get(const hobj *o, const char *f, size_t fn, char *scratch, size_t *vn);

/* New empty values (callers add elements, then the key). */
hobj *list_new(void);
hobj *zset_new(void);
hobj *set_new(void);
hobj *hash_new(void);
/* Lists: push at the head (LIST_HEAD) or tail; pop into out (its contents
 * replaced); false if empty.  The caller deletes an emptied key. */
enum { LIST_HEAD = 0, LIST_TAIL = 1 };
void list_push(hobj *o, int where, const char *p, size_t n);
bool list_pop(hobj *o, int where, hf_buf *out);
/* Sorted sets: pop the lowest (min) or highest member into out (contents
 * replaced) and *score; false if empty. */
bool zset_pop(hobj *o, bool min, hf_buf *out, double *score);
/* Sorted sets: add or update (holdfast-admin import, ZADD-like stores). */
void zset_add(hobj *o, const char *m, size_t n, double score);
void set_add(hobj *o, const char *m, size_t n);
void hash_set(hobj *o, const char *f, size_t fn, const char *v, size_t vn);

#endif
