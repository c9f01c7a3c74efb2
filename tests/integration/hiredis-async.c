/* hiredis-async.c — hiredis's asynchronous API on libevent against a running
 * server, the way an event-driven C application uses it.
 *
 *   hiredis-async HOST PORT
 *
 * One event loop, three async connections:
 *   - a writer that pipelines 1,000 INCRs and a SET/GET/HSET/HGETALL chain,
 *     each callback checking its reply and issuing the next step;
 *   - a subscriber (SUBSCRIBE + PSUBSCRIBE) that must receive every message
 *     the writer publishes, in order;
 *   - a consumer blocked in BRPOP that the writer's LPUSH must wake.
 * A timer stops the loop after 10 s if something never answered.  Prints
 * "ok"/"not ok" lines and "N passed, N failed"; exit 0 iff none failed. */
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <event2/event.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NINCR 1000
#define NMSG 200

static struct event_base *base;
static redisAsyncContext *wr, *sub, *cons;
static int passed, failed;
static int incr_seen, messages, pmessages, steps_done;
static long long last_incr;
static bool consumer_done, publishing_done, finished;

static void check(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s - ", ok ? "ok" : "not ok");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (ok) passed++;
    else failed++;
}

static bool is_str(const redisReply *r, const char *s)
{
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) && strlen(s) == r->len &&
           !memcmp(r->str, s, r->len);
}

static void maybe_finish(void)
{
    if (!finished && incr_seen == NINCR && steps_done && consumer_done && messages == NMSG &&
        pmessages == NMSG) {
        finished = true;
        event_base_loopbreak(base);
    }
}

static void on_incr(redisAsyncContext *c, void *r_, void *priv)
{
    (void)c; (void)priv;
    redisReply *r = r_;
    if (r && r->type == REDIS_REPLY_INTEGER && r->integer == last_incr + 1) last_incr = r->integer;
    if (++incr_seen == NINCR) {
        check(last_incr == NINCR, "1,000 pipelined INCRs answered in order (last %lld)", last_incr);
        maybe_finish();
    }
}

static void on_hgetall(redisAsyncContext *c, void *r_, void *priv)
{
    (void)c; (void)priv;
    redisReply *r = r_;
    check(r && r->type == REDIS_REPLY_ARRAY && r->elements == 4 && is_str(r->element[0], "name") &&
              is_str(r->element[1], "ada") && is_str(r->element[2], "visits") && is_str(r->element[3], "2"),
          "HSET then HINCRBY then HGETALL reads the hash back");
    steps_done = 1;
    maybe_finish();
}

static void on_get(redisAsyncContext *c, void *r_, void *priv)
{
    (void)priv;
    redisReply *r = r_;
    check(is_str(r, "hello async"), "GET in a callback reads what SET wrote");
    redisAsyncCommand(c, NULL, NULL, "DEL async:h");
    redisAsyncCommand(c, NULL, NULL, "HSET async:h name ada visits 1");
    redisAsyncCommand(c, NULL, NULL, "HINCRBY async:h visits 1");
    redisAsyncCommand(c, on_hgetall, NULL, "HGETALL async:h");
}

static void on_set(redisAsyncContext *c, void *r_, void *priv)
{
    (void)priv;
    check(is_str(r_, "OK"), "SET answers OK");
    redisAsyncCommand(c, on_get, NULL, "GET async:k");
}

static void on_brpop(redisAsyncContext *c, void *r_, void *priv)
{
    (void)c; (void)priv;
    redisReply *r = r_;
    check(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && is_str(r->element[0], "async:q") &&
              is_str(r->element[1], "job-1"),
          "BRPOP on its own connection is woken by another connection's LPUSH");
    consumer_done = true;
    maybe_finish();
}

static void publish_all(void)
{
    if (publishing_done) return;
    publishing_done = true;
    for (int i = 0; i < NMSG; i++) redisAsyncCommand(wr, NULL, NULL, "PUBLISH async.ch m%d", i);
    /* the consumer's BRPOP was sent before the subscriptions were even
     * confirmed: normally it waits by now and this push wakes it (if the
     * server reads its connection later, it pops at once) */
    redisAsyncCommand(wr, NULL, NULL, "LPUSH async:q job-1");
}

/* Subscriber: confirmations first, then "message" and "pmessage" pushes. */
static void on_sub(redisAsyncContext *c, void *r_, void *priv)
{
    (void)c; (void)priv;
    redisReply *r = r_;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
    if (is_str(r->element[0], "psubscribe")) {
        check(r->element[2]->integer == 2, "SUBSCRIBE + PSUBSCRIBE confirmed with count 2");
        publish_all();
    } else if (is_str(r->element[0], "message")) {
        char want[32];
        snprintf(want, sizeof want, "m%d", messages);
        if (is_str(r->element[2], want)) messages++;
        if (messages == NMSG) {
            check(true, "%d messages received in order on the channel", NMSG);
            maybe_finish();
        }
    } else if (is_str(r->element[0], "pmessage") && r->elements == 4) {
        char want[32];
        snprintf(want, sizeof want, "m%d", pmessages);
        if (is_str(r->element[3], want)) pmessages++;
        if (pmessages == NMSG) {
            check(true, "%d messages received in order through the pattern", NMSG);
            maybe_finish();
        }
    }
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what; (void)arg;
    check(false, "everything answered within 10 s (incr %d/%d, steps %d, consumer %d, messages %d/%d, %d/%d)",
          incr_seen, NINCR, steps_done, consumer_done, messages, NMSG, pmessages, NMSG);
    event_base_loopbreak(base);
}

static redisAsyncContext *connect_async(const char *host, int port)
{
    redisAsyncContext *c = redisAsyncConnect(host, port);
    if (!c || c->err) {
        printf("Bail out! can't connect to %s:%d: %s\n", host, port, c ? c->errstr : "out of memory");
        exit(1);
    }
    redisLibeventAttach(c, base);
    return c;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: hiredis-async HOST PORT\n");
        return 2;
    }
    const char *host = argv[1];
    int port = atoi(argv[2]);
    base = event_base_new();
    wr = connect_async(host, port);
    sub = connect_async(host, port);
    cons = connect_async(host, port);

    /* the DEL goes through the writer, so it is ordered before the LPUSH
     * whatever order the server reads the connections in */
    redisAsyncCommand(wr, NULL, NULL, "DEL async:q");
    redisAsyncCommand(cons, on_brpop, NULL, "BRPOP async:q 0");
    redisAsyncCommand(sub, on_sub, NULL, "SUBSCRIBE async.ch");
    redisAsyncCommand(sub, on_sub, NULL, "PSUBSCRIBE async.*");
    redisAsyncCommand(wr, NULL, NULL, "DEL async:n");
    for (int i = 0; i < NINCR; i++) redisAsyncCommand(wr, on_incr, NULL, "INCR async:n");
    redisAsyncCommand(wr, on_set, NULL, "SET async:k %s", "hello async");

    struct event *t = evtimer_new(base, on_timeout, NULL);
    struct timeval tv = {10, 0};
    evtimer_add(t, &tv);
    event_base_dispatch(base);
    redisAsyncFree(sub);
    redisAsyncFree(cons);
    redisAsyncFree(wr);
    event_free(t);
    event_base_free(base);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && finished ? 0 : 1;
}
