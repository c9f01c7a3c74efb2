/* net.c — listeners, worker threads, connections.
 *
 * Thread hand-off: the main thread accepts, sets the socket options and
 * pushes {fd, address} onto the chosen worker's inbox under its mutex, then
 * activates the worker's inbox event (libevent's thread support wakes that
 * worker's event_base).  The worker creates the client and owns it from
 * then on.  Start-up returns only after every worker is running its loop.
 *
 * Reading: one read per readiness event into the parser's buffer; every
 * complete command in it is executed; replies accumulate in the output
 * buffer and are written once per batch (pipelining costs one write).  If
 * the socket does not take it all, a write event drains the rest, and
 * reading pauses while more than OUTPUT_PAUSE bytes are pending. */
#include "config.h"
#include "net.h"
#include "blocking.h"
#include "multi.h"
#include "pubsub.h"
#include "commands.h"
#include "conf.h"
#include "keyspace.h"
#include "log.h"
#include "reply.h"
#include "server.h"
#include "util.h"
#include "wal.h"
#include "snapshot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define OUTPUT_PAUSE (4 * 1024 * 1024)
#define MAX_LISTENERS 20

struct pending_conn {
    int fd;
    bool is_unix;
    struct pending_conn *next;
};

/* Work another thread hands to a client's owner (client_post). */
struct task {
    uint64_t id;
    client_task_fn *fn;
    void *arg;
    struct task *next;
};

#define ID_BUCKETS 4096

struct worker {
    int id;
    pthread_t thread;
    struct event_base *base;
    struct event *inbox_ev;
    struct event *cron_ev;
    pthread_mutex_t inbox_lock;
    struct pending_conn *inbox;
    struct hf_stats stats;
    uint32_t shard_first, shard_count;
    uint32_t expire_pos;
    struct event *durable_ev;       /* activated by the WAL thread */
    client *parked;                 /* clients holding replies for the WAL */
    int nparked;                    /* shared (atomic) */
    struct task *tasks, *tasks_tail;   /* FIFO, under inbox_lock */
    client *by_id[ID_BUCKETS];      /* this worker's clients by id (owner only) */
    bool stop;                      /* net_stop() asks the loop to end (atomic) */
};

static struct worker *workers;
static int nworkers;
static struct event_base *main_base;
static struct event *shutdown_ev, *main_cron_ev;
static struct event *sig_ev[2];
static struct event *listen_ev[MAX_LISTENERS];
static int listen_fd[MAX_LISTENERS];
static bool listen_unix[MAX_LISTENERS];
static int nlisten;
static int next_worker;
static uint64_t bound_port;

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static client *reg_head;
static int reg_count;
static size_t used_memory_cached, peak_memory;
static int ready_workers;
static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;

static void client_free(client *c);
static void client_flush(client *c);

void clients_lock(void) { pthread_mutex_lock(&reg_lock); }
void clients_unlock(void) { pthread_mutex_unlock(&reg_lock); }
client *clients_first(void) { return reg_head; }
int clients_connected(void) { return __atomic_load_n(&reg_count, __ATOMIC_RELAXED); }
int net_workers(void) { return nworkers; }
uint64_t net_listen_port(void) { return bound_port; }
size_t net_used_memory(void) { return __atomic_load_n(&used_memory_cached, __ATOMIC_RELAXED); }
size_t net_peak_memory(void) { return __atomic_load_n(&peak_memory, __ATOMIC_RELAXED); }

void net_stats(struct hf_stats *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < nworkers; i++) {
        const uint64_t *src = (const uint64_t *)&workers[i].stats;
        uint64_t *dst = (uint64_t *)out;
        for (size_t k = 0; k < sizeof *out / sizeof(uint64_t); k++)
            dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
    }
}

void net_reset_stats(void)
{
    for (int i = 0; i < nworkers; i++) {
        uint64_t *dst = (uint64_t *)&workers[i].stats;
        for (size_t k = 0; k < sizeof(struct hf_stats) / sizeof(uint64_t); k++)
            __atomic_store_n(&dst[k], 0, __ATOMIC_RELAXED);
    }
}

uint64_t clients_max_qbuf(void)
{
    return 0;
}

/* ---- client lifecycle ----------------------------------------------------- */

static void on_read(evutil_socket_t fd, short what, void *arg);
static void on_write(evutil_socket_t fd, short what, void *arg);

static void fill_addrs(client *c, bool is_unix)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    if (is_unix) {
        snprintf(c->addr, sizeof c->addr, "%s:0", cfg.unixsocket ? cfg.unixsocket : "");
        snprintf(c->laddr, sizeof c->laddr, "%s:0", cfg.unixsocket ? cfg.unixsocket : "");
        return;
    }
    char host[INET6_ADDRSTRLEN];
    for (int which = 0; which < 2; which++) {
        len = sizeof sa;
        int r = which == 0 ? getpeername(c->fd, (struct sockaddr *)&sa, &len)
                           : getsockname(c->fd, (struct sockaddr *)&sa, &len);
        char *out = which == 0 ? c->addr : c->laddr;
        if (r != 0) { snprintf(out, 64, "?:0"); continue; }
        if (sa.ss_family == AF_INET) {
            struct sockaddr_in *s = (struct sockaddr_in *)&sa;
            inet_ntop(AF_INET, &s->sin_addr, host, sizeof host);
            snprintf(out, 64, "%s:%d", host, ntohs(s->sin_port));
        } else {
            struct sockaddr_in6 *s = (struct sockaddr_in6 *)&sa;
            inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof host);
            snprintf(out, 64, "%s:%d", host, ntohs(s->sin6_port));
        }
    }
}

static bool is_local(client *c, bool is_unix)
{
    if (is_unix) return true;
    return strncmp(c->addr, "127.", 4) == 0 || strncmp(c->addr, "::1:", 4) == 0 ||
           strncmp(c->addr, "::ffff:127.", 11) == 0;
}

static void write_and_close(int fd, const char *msg)
{
    ssize_t w = write(fd, msg, strlen(msg));
    (void)w;   /* best effort: the connection is being refused */
    close(fd);
}

static void client_new(struct worker *w, int fd, bool is_unix)
{
    STAT_INC(conns_received, 1);
    if (clients_connected() >= CONF_GET(maxclients)) {
        write_and_close(fd, "-ERR max number of clients reached\r\n");
        STAT_INC(rejected_conns, 1);
        return;
    }
    client *c = hf_calloc(1, sizeof *c);
    c->fd = fd;
    c->w = w;
    c->rp = resp_new();
    c->resp = 2;
    c->id = __atomic_add_fetch(&srv.next_client_id, 1, __ATOMIC_RELAXED);
    c->ctime_ms = hf_mstime();
    c->last_ms = c->ctime_ms;
    if (is_unix) __atomic_or_fetch(&c->flags, CLIENT_UNIX, __ATOMIC_RELAXED);
    fill_addrs(c, is_unix);
    conf_lock();
    c->authed = !(cfg.requirepass && cfg.requirepass[0]);
    bool protected = CONF_GET(protected_mode) && c->authed;
    conf_unlock();
    if (protected && !is_local(c, is_unix)) {
        write_and_close(fd,
            "-DENIED holdfast is running in protected mode because protected mode is enabled "
            "and no password is set for the default user. In this mode connections are only "
            "accepted from the loopback interface and the unix socket. If you want to connect from "
            "external computers, you may: 1) Disable protected mode by sending 'CONFIG SET "
            "protected-mode no' from the loopback interface on the same host, or 2) set a password "
            "with 'CONFIG SET requirepass <password>', or 3) start the server with "
            "'--protected-mode no' or '--requirepass <password>'.\r\n");
        resp_free(c->rp);
        hf_free(c);
        STAT_INC(rejected_conns, 1);
        return;
    }
    resp_set_authenticated(c->rp, c->authed);
    resp_set_max_bulk(c->rp, CONF_GET(proto_max_bulk_len));
    c->rev = event_new(w->base, fd, EV_READ | EV_PERSIST, on_read, c);
    c->wev = event_new(w->base, fd, EV_WRITE | EV_PERSIST, on_write, c);
    client **b = &w->by_id[c->id & (ID_BUCKETS - 1)];
    c->id_next = *b;
    *b = c;
    clients_lock();
    c->next = reg_head;
    if (reg_head) reg_head->prev = c;
    reg_head = c;
    __atomic_add_fetch(&reg_count, 1, __ATOMIC_RELAXED);
    clients_unlock();
    event_add(c->rev, NULL);
}

static void unpark(client *c)
{
    struct worker *w = c->w;
    if (c->park_prev) c->park_prev->park_next = c->park_next; else w->parked = c->park_next;
    if (c->park_next) c->park_next->park_prev = c->park_prev;
    c->park_prev = c->park_next = NULL;
    c->parked = false;
    __atomic_sub_fetch(&w->nparked, 1, __ATOMIC_RELAXED);
}

static void park(client *c)
{
    struct worker *w = c->w;
    c->parked = true;
    c->park_prev = NULL;
    c->park_next = w->parked;
    if (w->parked) w->parked->park_prev = c;
    w->parked = c;
    __atomic_add_fetch(&w->nparked, 1, __ATOMIC_SEQ_CST);
}

void net_wake_worker(int i)
{
    if (i >= 0 && i < nworkers) event_active(workers[i].durable_ev, EV_READ, 1);
}

void net_notify_durable(void)
{
    for (int i = 0; i < nworkers; i++)
        if (__atomic_load_n(&workers[i].nparked, __ATOMIC_SEQ_CST) > 0) event_active(workers[i].durable_ev, EV_READ, 1);
}

static bool must_wait(const client *c)
{
    return c->wait_lsn > wal_ack_lsn() || (c->wait_durable && c->wait_durable > wal_durable_lsn());
}

/* The WAL acknowledged more (or failed): release what it covers.  A client
 * whose replies depend on records the failed log will never acknowledge is
 * disconnected: its writes were not acknowledged, and it must not see them. */
static void on_durable(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    bool failed = wal_failed() != 0;
    client *c = w->parked;
    while (c) {
        client *next = c->park_next;
        if (!must_wait(c)) {
            c->wait_durable = 0;
            unpark(c);
            client_flush(c);
        } else if (failed) {
            unpark(c);
            hf_log(LOG_VERBOSE, "Closing client id=%llu: its replies depend on writes the failed WAL did not make durable",
                   (unsigned long long)c->id);
            client_free(c);
        }
        c = next;
    }
}

static void client_free(client *c)
{
    if (c->parked) unpark(c);
    /* other modules first: they may still look c up by id */
    if (c->mstate) multi_client_free(c);
    if (c->bstate) block_client_free(c);
    if (c->pstate || (c->flags & CLIENT_MONITOR)) pubsub_client_free(c);
    client **b = &c->w->by_id[c->id & (ID_BUCKETS - 1)];
    while (*b != c) b = &(*b)->id_next;
    *b = c->id_next;
    clients_lock();
    if (c->prev) c->prev->next = c->next; else reg_head = c->next;
    if (c->next) c->next->prev = c->prev;
    __atomic_sub_fetch(&reg_count, 1, __ATOMIC_RELAXED);
    hf_free(c->name);
    hf_free(c->lib_name);
    hf_free(c->lib_ver);
    c->name = c->lib_name = c->lib_ver = NULL;
    clients_unlock();
    event_free(c->rev);
    event_free(c->wev);
    close(c->fd);
    resp_free(c->rp);
    hf_free(c->obuf);
    hf_free(c);
}

void client_kill_async(client *c)
{
    __atomic_store_n(&c->close_asap, 1, __ATOMIC_RELAXED);
    event_active(c->rev, EV_READ, 1);
}

/* Runs every complete command buffered; returns false if c was freed. */
static bool process_input(client *c)
{
    int argc;
    hf_arg *argv;
    int rc;
    while (!(c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_BLOCKED)) &&
           (rc = resp_next(c->rp, &argc, &argv)) == RESP_CMD) {
        c->argc = argc;
        c->argv = argv;
        command_dispatch(c);
        c->tot_cmds++;
        if (__atomic_load_n(&c->close_asap, __ATOMIC_RELAXED)) {
            client_free(c);
            return false;
        }
    }
    if (!(c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_BLOCKED)) && resp_error(c->rp)) {
        reply_errorf(c, "ERR %s", resp_error(c->rp));
        hf_log(LOG_VERBOSE, "Protocol error (%s) from client: id=%llu addr=%s",
               resp_error(c->rp), (unsigned long long)c->id, c->addr);
        __atomic_or_fetch(&c->flags, CLIENT_CLOSE_AFTER_REPLY, __ATOMIC_RELAXED);
    }
    return true;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    client *c = arg;
    if (__atomic_load_n(&c->close_asap, __ATOMIC_RELAXED)) {
        client_free(c);
        return;
    }
    size_t room;
    char *dst = resp_space(c->rp, &room);
    ssize_t n = read(fd, dst, room);
    if (n == 0) { client_free(c); return; }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            hf_log(LOG_VERBOSE, "Reading from client: %s", strerror(errno));
            client_free(c);
            return;
        }
        /* nothing new, but commands may be buffered from before a pause */
        if (resp_pending(c->rp) == 0) return;
    } else {
        resp_commit(c->rp, (size_t)n);
        STAT_INC(net_input, (uint64_t)n);
        STAT_INC(io_reads, 1);
        __atomic_store_n(&c->last_ms, hf_mstime(), __ATOMIC_RELAXED);
    }
    if (!process_input(c)) return;
    if (resp_pending(c->rp) > (size_t)CONF_GET(client_query_buffer_limit)) {
        hf_log(LOG_WARNING, "Closing client that reached max query buffer length: id=%llu addr=%s",
               (unsigned long long)c->id, c->addr);
        client_free(c);
        return;
    }
    client_flush(c);
}

/* Writes pending output; frees the client when it should close.  Replies
 * wait (the client is parked) until the WAL acknowledges c->wait_lsn. */
static void client_flush(client *c)
{
    if (must_wait(c)) {
        /* Park, then look again: the WAL thread publishes the LSN and then
         * looks for parked clients, we count ourselves parked and then look
         * at the LSN (both sequentially consistent), so one of the two sees
         * the other and no wake-up is lost. */
        if (!c->parked) park(c);
        if (must_wait(c)) {
            if (wal_failed()) event_active(c->w->durable_ev, EV_READ, 1);
            return;
        }
        unpark(c);
    }
    while (c->osent < c->olen) {
        ssize_t n = write(c->fd, c->obuf + c->osent, c->olen - c->osent);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            client_free(c);
            return;
        }
        c->osent += (size_t)n;
        STAT_INC(net_output, (uint64_t)n);
        STAT_INC(io_writes, 1);
    }
    if (c->osent == c->olen) {
        c->osent = c->olen = 0;
        /* give back a large buffer once it drained */
        if (c->ocap > 1024 * 1024) { hf_free(c->obuf); c->obuf = NULL; c->ocap = 0; }
        if (c->flags & CLIENT_CLOSE_AFTER_REPLY) { client_free(c); return; }
        if (c->flags & CLIENT_WRITE_WAIT) {
            event_del(c->wev);
            __atomic_and_fetch(&c->flags, ~(unsigned)CLIENT_WRITE_WAIT, __ATOMIC_RELAXED);
        }
        if (c->flags & CLIENT_READ_PAUSED) {
            event_add(c->rev, NULL);
            __atomic_and_fetch(&c->flags, ~(unsigned)CLIENT_READ_PAUSED, __ATOMIC_RELAXED);
            /* commands may be waiting in the buffer */
            if (resp_pending(c->rp)) event_active(c->rev, EV_READ, 1);
        }
        return;
    }
    if (!(c->flags & CLIENT_WRITE_WAIT)) {
        event_add(c->wev, NULL);
        __atomic_or_fetch(&c->flags, CLIENT_WRITE_WAIT, __ATOMIC_RELAXED);
    }
    if (!(c->flags & CLIENT_READ_PAUSED) &&
        (c->olen - c->osent > OUTPUT_PAUSE || (c->flags & CLIENT_CLOSE_AFTER_REPLY))) {
        event_del(c->rev);
        __atomic_or_fetch(&c->flags, CLIENT_READ_PAUSED, __ATOMIC_RELAXED);
    }
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    client_flush(arg);
}

int client_describe(client *c, char *buf, size_t len)
{
    int64_t now = hf_mstime();
    int64_t last = __atomic_load_n(&c->last_ms, __ATOMIC_RELAXED);
    const struct command *cmd = __atomic_load_n(&c->lastcmd, __ATOMIC_RELAXED);
    unsigned fl = __atomic_load_n(&c->flags, __ATOMIC_RELAXED);
    char flags[16];
    int fi = 0;
    int nsubs = __atomic_load_n(&c->nsubs, __ATOMIC_RELAXED);
    if (fl & CLIENT_MONITOR) flags[fi++] = 'O';
    if (nsubs > 0) flags[fi++] = 'P';
    if (fl & CLIENT_MULTI) flags[fi++] = 'x';
    if (fl & CLIENT_BLOCKED) flags[fi++] = 'b';
    if (__atomic_load_n(&c->close_asap, __ATOMIC_RELAXED)) flags[fi++] = 'A';
    if (fl & CLIENT_UNIX) flags[fi++] = 'U';
    if (fl & CLIENT_NO_EVICT) flags[fi++] = 'e';
    if (fi == 0) flags[fi++] = 'N';
    flags[fi] = '\0';
    return snprintf(buf, len,
        "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d sub=%d psub=%d "
        "ssub=0 multi=%d qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 "
        "tot-mem=0 events=r cmd=%s user=default redir=-1 resp=%d lib-name=%s lib-ver=%s",
        (unsigned long long)c->id, c->addr, c->laddr, c->fd, c->name ? c->name : "",
        (long long)((now - c->ctime_ms) / 1000), (long long)((now - last) / 1000), flags,
        __atomic_load_n(&c->db, __ATOMIC_RELAXED), nsubs - __atomic_load_n(&c->npsubs, __ATOMIC_RELAXED),
        __atomic_load_n(&c->npsubs, __ATOMIC_RELAXED),
        (fl & CLIENT_MULTI) ? __atomic_load_n(&c->mqueued, __ATOMIC_RELAXED) : -1, cmd ? cmd->name : "NULL",
        __atomic_load_n(&c->resp, __ATOMIC_RELAXED),
        c->lib_name ? c->lib_name : "", c->lib_ver ? c->lib_ver : "");
}

/* ---- work for a client from other threads -------------------------------------- */

struct worker *client_worker(client *c) { return c->w; }
struct event_base *client_base(client *c) { return c->w->base; }

void client_post(struct worker *w, uint64_t id, client_task_fn *fn, void *arg)
{
    struct task *t = hf_malloc(sizeof *t);
    t->id = id;
    t->fn = fn;
    t->arg = arg;
    t->next = NULL;
    pthread_mutex_lock(&w->inbox_lock);
    if (w->tasks_tail) w->tasks_tail->next = t; else w->tasks = t;
    w->tasks_tail = t;
    pthread_mutex_unlock(&w->inbox_lock);
    event_active(w->inbox_ev, EV_READ, 1);
}

static client *client_by_id(struct worker *w, uint64_t id)
{
    client *c = w->by_id[id & (ID_BUCKETS - 1)];
    while (c && c->id != id) c = c->id_next;
    return c;
}

/* The owner changes c->flags with relaxed atomics: CLIENT LIST reads them
 * from other threads. */
void client_block(client *c) { __atomic_or_fetch(&c->flags, CLIENT_BLOCKED, __ATOMIC_RELAXED); }

void client_unblock(client *c)
{
    __atomic_and_fetch(&c->flags, ~(unsigned)CLIENT_BLOCKED, __ATOMIC_RELAXED);
    /* commands that arrived meanwhile wait in the buffer */
    if (resp_pending(c->rp)) event_active(c->rev, EV_READ, 1);
}

void client_reply_ready(client *c) { client_flush(c); }

/* ---- workers ---------------------------------------------------------------- */

static void on_inbox(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    pthread_mutex_lock(&w->inbox_lock);
    struct pending_conn *list = w->inbox;
    w->inbox = NULL;
    struct task *tasks = w->tasks;
    w->tasks = w->tasks_tail = NULL;
    pthread_mutex_unlock(&w->inbox_lock);
    while (tasks) {
        struct task *next = tasks->next;
        ks_now = hf_mstime();
        tasks->fn(client_by_id(w, tasks->id), tasks->arg);
        hf_free(tasks);
        tasks = next;
    }
    while (list) {
        struct pending_conn *next = list->next;
        client_new(w, list->fd, list->is_unix);
        hf_free(list);
        list = next;
    }
}

static void worker_cron(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    if (__atomic_load_n(&srv.loading, __ATOMIC_ACQUIRE)) return;   /* recovery owns the keyspace */
    int hz = CONF_GET(hz);
    /* active expiry: this worker's share of shards, a slice per tick,
     * at most ~25% of the tick's time, as Redis's slow cycle */
    int64_t budget = 250000 / hz * CONF_GET(active_expire_effort);
    if (w->shard_count) {
        uint32_t slice = w->shard_count / 4 + 1;
        if (slice > w->shard_count) slice = w->shard_count;
        ks_active_expire(w->shard_first + w->expire_pos, slice, budget);
        ks_cron_rehash(w->shard_first + w->expire_pos, slice);
        w->expire_pos = (w->expire_pos + slice) % w->shard_count;
    }
    /* idle timeout */
    int timeout = CONF_GET(timeout);
    if (timeout > 0) {
        int64_t now = hf_mstime();
        clients_lock();
        for (client *c = reg_head; c; c = c->next)
            if (c->w == w && now - __atomic_load_n(&c->last_ms, __ATOMIC_RELAXED) > (int64_t)timeout * 1000) {
                hf_log(LOG_VERBOSE, "Closing idle client");
                client_kill_async(c);
            }
        clients_unlock();
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    tl_stats = &w->stats;
    pthread_mutex_lock(&ready_lock);
    ready_workers++;
    pthread_cond_broadcast(&ready_cond);
    pthread_mutex_unlock(&ready_lock);
    wal_thread_can_lead(w->id);
    /* libevent's loop one round at a time, so that the worker can do what
     * a round's commands left for it before it sleeps (Redis's
     * beforeSleep): write the round's WAL records itself, when the disk is
     * fast, and release the replies they hold without a thread hand-off. */
    while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
        event_base_loop(w->base, EVLOOP_ONCE | EVLOOP_NO_EXIT_ON_EMPTY);
        /* its publish activates durable_ev: the next round releases the replies */
        wal_lead(__atomic_load_n(&w->nparked, __ATOMIC_RELAXED) > 0);
    }
    ks_thread_exit();
    return NULL;
}

/* ---- listening ---------------------------------------------------------- */

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
    bool is_unix = (bool)(intptr_t)arg;
    for (int i = 0; i < 64; i++) {
        int fd;
#ifdef HAVE_ACCEPT4
        fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
        fd = accept(lfd, NULL, NULL);
        if (fd >= 0) { set_nonblock(fd); fcntl(fd, F_SETFD, FD_CLOEXEC); }
#endif
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                hf_log(LOG_WARNING, "Accepting client connection: %s", strerror(errno));
            return;
        }
        if (!is_unix) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            int ka = CONF_GET(tcp_keepalive);
            if (ka > 0) {
                setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
                setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &ka, sizeof ka);
                int intvl = ka / 3 ? ka / 3 : 1, cnt = 3;
                setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
                setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
            }
        }
        struct worker *w = &workers[next_worker];
        next_worker = (next_worker + 1) % nworkers;
        struct pending_conn *pc = hf_malloc(sizeof *pc);
        pc->fd = fd;
        pc->is_unix = is_unix;
        pthread_mutex_lock(&w->inbox_lock);
        pc->next = w->inbox;
        w->inbox = pc;
        pthread_mutex_unlock(&w->inbox_lock);
        event_active(w->inbox_ev, EV_READ, 1);
    }
}

static int add_listener(int fd, bool is_unix)
{
    if (nlisten == MAX_LISTENERS) { close(fd); return -1; }
    set_nonblock(fd);
    listen_fd[nlisten] = fd;
    listen_unix[nlisten] = is_unix;
    listen_ev[nlisten] = event_new(main_base, fd, EV_READ | EV_PERSIST, on_accept, (void *)(intptr_t)is_unix);
    event_add(listen_ev[nlisten], NULL);
    nlisten++;
    return 0;
}

static int listen_tcp(const char *addr, int port)
{
    bool optional = addr[0] == '-';
    if (optional) addr++;
    const char *host = addr;
    if (!strcmp(addr, "*")) host = "0.0.0.0";
    else if (!strcmp(addr, "::*")) host = "::";
    struct addrinfo hints = {0}, *res, *ai;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
    char ports[16];
    snprintf(ports, sizeof ports, "%d", port);
    int rv = getaddrinfo(host, ports, &hints, &res);
    if (rv != 0) {
        if (optional) return 0;
        hf_log(LOG_WARNING, "Could not create server TCP listening socket %s:%d: %s", host, port, gai_strerror(rv));
        return -1;
    }
    int ret = -1;
    for (ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            /* e.g. IPv6 disabled in the kernel: an optional address may be missing */
            if (optional && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT)) ret = 0;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ai->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, CONF_GET(tcp_backlog)) != 0) {
            int e = errno;
            close(fd);
            if (optional && (e == EADDRNOTAVAIL || e == EAFNOSUPPORT || e == EPROTONOSUPPORT)) { ret = 0; continue; }
            hf_log(LOG_WARNING, "Could not create server TCP listening socket %s:%d: bind: %s", addr, port, strerror(e));
            ret = -1;
            break;
        }
        if (port == 0) {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof ss;
            getsockname(fd, (struct sockaddr *)&ss, &sl);
            bound_port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                      : ((struct sockaddr_in6 *)&ss)->sin6_port);
        }
        add_listener(fd, false);
        ret = 0;
    }
    freeaddrinfo(res);
    return ret;
}

static int listen_unix_socket(const char *path, int perm)
{
    struct sockaddr_un sa = {0};
    if (strlen(path) >= sizeof sa.sun_path) {
        hf_log(LOG_WARNING, "unixsocket path too long: %s", path);
        return -1;
    }
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, CONF_GET(tcp_backlog)) != 0) {
        hf_log(LOG_WARNING, "Failed opening Unix socket %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (perm) chmod(path, (mode_t)perm);
    return add_listener(fd, true);
}

/* ---- main thread ---------------------------------------------------------- */

static void on_shutdown(evutil_socket_t fd, short what, void *arg)
{
    event_base_loopbreak(main_base);
}

void net_request_shutdown(void)
{
    __atomic_store_n(&srv.shutdown_asap, 1, __ATOMIC_RELAXED);
    if (shutdown_ev) event_active(shutdown_ev, EV_READ, 1);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    hf_log(LOG_WARNING, "Received %s scheduling shutdown...", sig == SIGINT ? "SIGINT" : "SIGTERM");
    net_request_shutdown();
}

static void main_cron(evutil_socket_t fd, short what, void *arg)
{
    if (!__atomic_load_n(&srv.loading, __ATOMIC_ACQUIRE)) snapshot_cron();
    size_t used = hf_used_memory();
    __atomic_store_n(&used_memory_cached, used, __ATOMIC_RELAXED);
    if (used > __atomic_load_n(&peak_memory, __ATOMIC_RELAXED)) __atomic_store_n(&peak_memory, used, __ATOMIC_RELAXED);
}

int net_start(int n)
{
    evthread_use_pthreads();
    main_base = event_base_new();
    nworkers = n;
    workers = hf_calloc((size_t)n, sizeof *workers);
    uint32_t S = ks_nshards();
    for (int i = 0; i < n; i++) {
        struct worker *w = &workers[i];
        w->id = i;
        w->base = event_base_new();
        pthread_mutex_init(&w->inbox_lock, NULL);
        w->inbox_ev = event_new(w->base, -1, EV_PERSIST, on_inbox, w);
        event_add(w->inbox_ev, NULL);
        /* each worker expires a contiguous range of shards */
        w->shard_first = (uint32_t)((uint64_t)S * (uint64_t)i / (uint64_t)n);
        w->shard_count = (uint32_t)((uint64_t)S * (uint64_t)(i + 1) / (uint64_t)n) - w->shard_first;
        w->cron_ev = event_new(w->base, -1, EV_PERSIST, worker_cron, w);
        w->durable_ev = event_new(w->base, -1, EV_PERSIST, on_durable, w);
        event_add(w->durable_ev, NULL);
        struct timeval tv = {0, 1000000 / CONF_GET(hz)};
        event_add(w->cron_ev, &tv);
    }
    int port = CONF_GET(port);
    bound_port = (uint64_t)port;
    if (port != 0) {
        for (int i = 0; i < cfg.nbind; i++)
            if (listen_tcp(cfg.bind[i], port) != 0) return -1;
        if (nlisten == 0) {
            hf_log(LOG_WARNING, "Failed listening on port %d (tcp), aborting.", port);
            return -1;
        }
    }
    if (cfg.unixsocket && cfg.unixsocket[0])
        if (listen_unix_socket(cfg.unixsocket, cfg.unixsocketperm) != 0) return -1;
    if (nlisten == 0) {
        hf_log(LOG_WARNING, "Configured to not listen anywhere, exiting.");
        return -1;
    }
    shutdown_ev = event_new(main_base, -1, EV_PERSIST, on_shutdown, NULL);
    event_add(shutdown_ev, NULL);
    sig_ev[0] = evsignal_new(main_base, SIGTERM, on_signal, NULL);
    sig_ev[1] = evsignal_new(main_base, SIGINT, on_signal, NULL);
    event_add(sig_ev[0], NULL);
    event_add(sig_ev[1], NULL);
    main_cron_ev = event_new(main_base, -1, EV_PERSIST, main_cron, NULL);
    struct timeval tv = {0, 100000};
    event_add(main_cron_ev, &tv);
    main_cron(-1, 0, NULL);
    for (int i = 0; i < n; i++) pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
    pthread_mutex_lock(&ready_lock);
    while (ready_workers < n) pthread_cond_wait(&ready_cond, &ready_lock);
    pthread_mutex_unlock(&ready_lock);
    return 0;
}

void net_run(void)
{
    if (!__atomic_load_n(&srv.shutdown_asap, __ATOMIC_RELAXED))
        event_base_loop(main_base, EVLOOP_NO_EXIT_ON_EMPTY);
}

void net_stop(void)
{
    for (int i = 0; i < nlisten; i++) {
        event_free(listen_ev[i]);
        close(listen_fd[i]);
    }
    if (cfg.unixsocket && cfg.unixsocket[0]) unlink(cfg.unixsocket);
    nlisten = 0;
    for (int i = 0; i < nworkers; i++) {
        /* an active event ends the round even if the worker is between
         * rounds (event_base_loopbreak would be forgotten then) */
        __atomic_store_n(&workers[i].stop, true, __ATOMIC_RELEASE);
        event_active(workers[i].inbox_ev, EV_READ, 1);
    }
    for (int i = 0; i < nworkers; i++) pthread_join(workers[i].thread, NULL);
    /* no more writes: make the log durable so held replies can go out */
    wal_stop();
    /* the workers are stopped: free their clients from this thread */
    while (reg_head) {
        client *c = reg_head;
        client_flush(c);
        if (reg_head == c) client_free(c);
    }
    /* work posted to clients that will never run it: each task frees its
     * argument when told its client is gone (and may post again) */
    for (int i = 0; i < nworkers; i++) {
        struct worker *w = &workers[i];
        while (w->tasks) {
            struct task *t = w->tasks;
            w->tasks = t->next;
            if (!w->tasks) w->tasks_tail = NULL;
            t->fn(NULL, t->arg);
            hf_free(t);
        }
    }
    for (int i = 0; i < nworkers; i++) {
        struct worker *w = &workers[i];
        event_free(w->inbox_ev);
        event_free(w->cron_ev);
        event_free(w->durable_ev);
        while (w->inbox) { struct pending_conn *p = w->inbox; w->inbox = p->next; close(p->fd); hf_free(p); }
        event_base_free(w->base);
        pthread_mutex_destroy(&w->inbox_lock);
    }
    hf_free(workers);
    workers = NULL;
    nworkers = 0;
    event_free(shutdown_ev);
    shutdown_ev = NULL;
    event_free(main_cron_ev);
    event_free(sig_ev[0]);
    event_free(sig_ev[1]);
    event_base_free(main_base);
}
