/* net.h — listeners, worker threads and the client registry.
 *
 * The main thread accepts connections and hands each to a worker once
 * (round robin, through a locked queue plus a libevent wake-up, as
 * memcached's thread.c); the worker owns it until it closes. */
#ifndef HF_NET_H
#define HF_NET_H

#include <stdint.h>
#include "client.h"
#include "stats.h"

/* Starts nworkers worker threads and opens the listeners from cfg; returns
 * 0, or -1 after logging why (e.g. the port is in use). */
int net_start(int nworkers);
/* Runs the main thread's loop (accept, signals, cron) until shutdown. */
void net_run(void);
/* Stops the workers, closes every client and listener. */
void net_stop(void);
/* Asks the server to shut down; safe from any thread or signal context. */
void net_request_shutdown(void);
int net_workers(void);
uint64_t net_listen_port(void);

/* Client registry (every connected client, all workers) */
void clients_lock(void);
void clients_unlock(void);
client *clients_first(void);            /* iterate under clients_lock() */
int clients_connected(void);
uint64_t clients_max_qbuf(void);
/* Asks the owning worker to close c; call with clients_lock() held. */
void client_kill_async(client *c);
/* Formats one CLIENT LIST line for c into buf (under clients_lock()). */
int client_describe(client *c, char *buf, size_t len);
/* Sums the per-worker statistics into out. */
void net_stats(struct hf_stats *out);
void net_reset_stats(void);
/* Called by the WAL thread when the acknowledged LSN advanced (or the log
 * failed): wakes the workers that hold replies. */
void net_notify_durable(void);
/* Wakes worker i's loop (its durable event): it then commits what it left
 * in the WAL buffer (wal_lead). */
void net_wake_worker(int i);
/* ---- work for a client from another thread (blocking pops, Pub/Sub) ----
 * client_post queues fn(c, arg) to run on worker w, the owner of client id,
 * in the order posted; c is NULL if that client has closed meanwhile (fn
 * must then just free arg).  Any thread. */
struct worker;
struct event_base;
typedef void client_task_fn(client *c, void *arg);
void client_post(struct worker *w, uint64_t id, client_task_fn *fn, void *arg);
/* The rest: the owning worker's thread only. */
struct worker *client_worker(client *c);
struct event_base *client_base(client *c);
/* A blocking command without a reply yet: no further command of c runs
 * until client_unblock (after the reply was written). */
void client_block(client *c);
void client_unblock(client *c);
/* Sends what was appended to c's output outside command processing
 * (served pops, published messages).  May free c (a write error): do not
 * touch c afterwards. */
void client_reply_ready(client *c);

/* Cached figures refreshed by the main thread's cron */
size_t net_used_memory(void);
size_t net_peak_memory(void);

#endif
