/* multi.c — PLACEHOLDER: being written. */
#include "config.h"
#include "commands.h"
#include "multi.h"

const struct binding multi_bindings[] = {{NULL, NULL}};
bool multi_intercept(client *c, struct command *cmd) { (void)c; (void)cmd; return false; }
void multi_flag_error(client *c) { (void)c; }
void multi_client_free(client *c) { (void)c; }
void multi_touch_key(struct shard *s, int db, const char *key, size_t n) { (void)s; (void)db; (void)key; (void)n; }
void multi_touch_db(int db) { (void)db; }
void multi_touch_all(void) {}
