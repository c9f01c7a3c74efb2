/* t_list.c — PLACEHOLDER: the list type is being written; nothing creates a
 * list value yet, so these are never called. */
#include "config.h"
#include "commands.h"
#include "types.h"

#include <stdlib.h>

const struct binding list_bindings[] = {{NULL, NULL}};

void list_free(hobj *o) { (void)o; abort(); }
hobj *list_dup(const hobj *o) { (void)o; abort(); }
void list_serialize(const hobj *o, hf_buf *out) { (void)o; (void)out; abort(); }
hobj *list_deserialize(const char *p, size_t n) { (void)p; (void)n; return NULL; }
size_t list_mem(const hobj *o) { (void)o; abort(); }
size_t list_len(const hobj *o) { (void)o; abort(); }
hobj *list_new(void) { abort(); }
void list_foreach(const hobj *o, elem_fn *fn, void *arg) { (void)o; (void)fn; (void)arg; abort(); }
void list_push(hobj *o, int where, const char *p, size_t n) { (void)o; (void)where; (void)p; (void)n; abort(); }
bool list_pop(hobj *o, int where, hf_buf *out) { (void)o; (void)where; (void)out; abort(); }
