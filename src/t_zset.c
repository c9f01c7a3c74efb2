/* t_zset.c — PLACEHOLDER: the zset type is being written; nothing creates a
 * zset value yet, so these are never called. */
#include "config.h"
#include "commands.h"
#include "types.h"

#include <stdlib.h>

const struct binding zset_bindings[] = {{NULL, NULL}};

void zset_free(hobj *o) { (void)o; abort(); }
hobj *zset_dup(const hobj *o) { (void)o; abort(); }
void zset_serialize(const hobj *o, hf_buf *out) { (void)o; (void)out; abort(); }
hobj *zset_deserialize(const char *p, size_t n) { (void)p; (void)n; return NULL; }
size_t zset_mem(const hobj *o) { (void)o; abort(); }
size_t zset_len(const hobj *o) { (void)o; abort(); }
hobj *zset_new(void) { abort(); }
void zset_foreach(const hobj *o, scored_fn *fn, void *arg) { (void)o; (void)fn; (void)arg; abort(); }
bool zset_pop(hobj *o, bool min, hf_buf *out, double *score) { (void)o; (void)min; (void)out; (void)score; abort(); }
void zset_add(hobj *o, const char *m, size_t n, double score) { (void)o; (void)m; (void)n; (void)score; abort(); }
