/* server.h — process-wide state that is neither configuration (conf.h)
 * nor keyspace (keyspace.h): identity, start time, shutdown. */
#ifndef HF_SERVER_H
#define HF_SERVER_H

#include <stdint.h>

#define HF_REDIS_VERSION "7.0.15"   /* the Redis version whose behaviour holdfast follows */

struct hf_server {
    char runid[41];
    int64_t start_us;
    int64_t start_mono_us;
    const char *executable;
    uint64_t next_client_id;    /* atomic */
    int64_t lastsave;           /* unix seconds */
    int shutdown_asap;          /* atomic */
    int loading;                /* atomic: recovery still running */
    int64_t loading_start;      /* unix seconds */
};

extern struct hf_server srv;

#endif
