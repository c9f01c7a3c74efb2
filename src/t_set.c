/* t_set.c — PLACEHOLDER: the set type is being written; nothing creates a
 * set value yet, so these are never called. */
#include "config.h"
#include "commands.h"
#include "types.h"

#include <stdlib.h>

const struct binding set_bindings[] = {{NULL, NULL}};

void set_free(hobj *o) { (void)o; abort(); }
hobj *set_dup(const hobj *o) { (void)o; abort(); }
void set_serialize(const hobj *o, hf_buf *out) { (void)o; (void)out; abort(); }
hobj *set_deserialize(const char *p, size_t n) { (void)p; (void)n; return NULL; }
size_t set_mem(const hobj *o) { (void)o; abort(); }
size_t set_len(const hobj *o) { (void)o; abort(); }
hobj *set_new(void) { abort(); }
void set_foreach(const hobj *o, elem_fn *fn, void *arg) { (void)o; (void)fn; (void)arg; abort(); }
void set_add(hobj *o, const char *m, size_t n) { (void)o; (void)m; (void)n; abort(); }
