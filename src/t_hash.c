/* t_hash.c — PLACEHOLDER: the hash type is being written; nothing creates a
 * hash value yet, so these are never called. */
#include "config.h"
#include "commands.h"
#include "types.h"

#include <stdlib.h>

const struct binding hash_bindings[] = {{NULL, NULL}};

void hash_free(hobj *o) { (void)o; abort(); }
hobj *hash_dup(const hobj *o) { (void)o; abort(); }
void hash_serialize(const hobj *o, hf_buf *out) { (void)o; (void)out; abort(); }
hobj *hash_deserialize(const char *p, size_t n) { (void)p; (void)n; return NULL; }
size_t hash_mem(const hobj *o) { (void)o; abort(); }
size_t hash_len(const hobj *o) { (void)o; abort(); }
hobj *hash_new(void) { abort(); }
void hash_foreach(const hobj *o, pair_fn *fn, void *arg) { (void)o; (void)fn; (void)arg; abort(); }
const char *hash_get(const hobj *o, const char *f, size_t fn, char *scratch, size_t *vn)
{ (void)o; (void)f; (void)fn; (void)scratch; (void)vn; abort(); }
void hash_set(hobj *o, const char *f, size_t fn, const char *v, size_t vn) { (void)o; (void)f; (void)fn; (void)v; (void)vn; abort(); }
