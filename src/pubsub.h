/* pubsub.h — Pub/Sub, keyspace notifications and MONITOR (pubsub.c). */
#ifndef HF_PUBSUB_H
#define HF_PUBSUB_H

#include <stddef.h>
#include "client.h"

struct command;

/* Keyspace notification classes (notify-keyspace-events letters). */
enum {
    NOTIFY_KEYSPACE = 1 << 0,   /* K */
    NOTIFY_KEYEVENT = 1 << 1,   /* E */
    NOTIFY_GENERIC = 1 << 2,    /* g */
    NOTIFY_STRING = 1 << 3,     /* $ */
    NOTIFY_LIST = 1 << 4,       /* l */
    NOTIFY_SET = 1 << 5,        /* s */
    NOTIFY_HASH = 1 << 6,       /* h */
    NOTIFY_ZSET = 1 << 7,       /* z */
    NOTIFY_EXPIRED = 1 << 8,    /* x */
    NOTIFY_EVICTED = 1 << 9,    /* e */
    NOTIFY_STREAM = 1 << 10,    /* t */
    NOTIFY_KEY_MISS = 1 << 11,  /* m */
    NOTIFY_LOADED = 1 << 12,
    NOTIFY_MODULE = 1 << 13,    /* d */
    NOTIFY_NEW = 1 << 14,       /* n */
};
/* The configured classes (CONFIG notify-keyspace-events), read relaxed. */
extern int notify_flags;

/* Publishes __keyspace@<db>__:<key> <event> and/or __keyevent@<db>__:<event>
 * <key> if class is enabled.  Any thread, shard locks held or not (it takes
 * none); one relaxed load when notifications are off. */
void notify_keyspace_event(int class, const char *event, const char *key, size_t klen, int db);
/* The client whose command this thread is running (NULL otherwise), set
 * by the dispatcher: a notification it causes for itself is appended at
 * once, before its reply, as in Redis (RESP3 clients that subscribe). */
extern __thread client *pubsub_current;
/* notify-keyspace-events: string <-> flags (-1 if the string is invalid). */
int notify_parse(const char *s, size_t n);
void notify_format(int flags, char *buf, size_t len);

/* MONITOR: the dispatcher feeds each command it runs when monitors > 0. */
extern int monitors_active;
void monitor_feed(client *c, struct command *cmd);

/* Connection closing (net.c) or RESET: drop every subscription and leave
 * MONITOR mode; c stays usable (pstate NULL, nsubs 0, no CLIENT_MONITOR). */
void pubsub_client_free(client *c);

/* INFO stats: distinct channels and patterns with subscribers. */
long pubsub_count_channels(void);
long pubsub_count_patterns(void);

#endif
