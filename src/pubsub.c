/* pubsub.c — PLACEHOLDER: being written. */
#include "config.h"
#include "commands.h"
#include "pubsub.h"

#include <string.h>

const struct binding pubsub_bindings[] = {{NULL, NULL}};
int notify_flags;
int monitors_active;
void notify_keyspace_event(int class, const char *event, const char *key, size_t klen, int db)
{ (void)class; (void)event; (void)key; (void)klen; (void)db; }
int notify_parse(const char *s, size_t n) { (void)s; return n ? -1 : 0; }
void notify_format(int flags, char *buf, size_t len) { (void)flags; if (len) buf[0] = '\0'; }
void monitor_feed(client *c, struct command *cmd) { (void)c; (void)cmd; }
void pubsub_client_free(client *c) { (void)c; }
