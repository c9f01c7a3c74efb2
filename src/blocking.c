/* blocking.c — PLACEHOLDER: being written. */
#include "config.h"
#include "commands.h"
#include "blocking.h"

const struct binding blocking_bindings[] = {{NULL, NULL}};
__thread int block_nready;
void block_key_ready(struct shard *s, int db, const char *key, size_t n) { (void)s; (void)db; (void)key; (void)n; }
void block_serve_ready(void) {}
void block_after_commit(uint64_t lsn) { (void)lsn; }
void block_client_free(client *c) { (void)c; }
