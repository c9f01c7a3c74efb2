/* crash-loop.c — kill -9 / power-loss / disk-fault test for holdfast.
 *
 *   crash-loop [--cycles N] [--server PATH] [--seed S] [--fsync always|everysec]
 *              [--conns N] [--keys N] [--readers N] [--min-ms N] [--max-ms N] [--keep]
 *              [--recovery-kills PERCENT] [--flip-fsync] [--allow-split] [--no-db-thread]
 *              [--power-loss [--fsync-shim PATH] [--no-page-holes] [--strict-dirs]]
 *              [--fault write|fsync|create --fault-n N --fault-errno EIO|ENOSPC
 *               [--fault-partial] [--fault-drop] [--fault-shim PATH]]
 *              [--server-arg NAME VALUE ...] [--verbose]
 *
 * A temp directory holds the data dir, the unix socket and the server log.
 * Each cycle: start the server, wait until PING answers PONG (not -LOADING),
 * read back EVERY key (GET + TTL, then DBSIZE) and check it against the
 * model, then let --conns threads write (SET, SET EX, INCR, DEL, APPEND,
 * MSET, EXPIRE, RENAME; single and in pipelined batches) on keys partitioned
 * per thread while the controller asks for BGSAVE now and then; after a
 * random 50..1500 ms the server gets SIGKILL.  State carries over from cycle
 * to cycle.
 *
 * One more thread writes in databases 1 and 2 (SELECT, SET, DEL, FLUSHDB,
 * SWAPDB 1 2: whole-keyspace WAL records against fuzzy snapshots) and is
 * checked as a whole; --no-db-thread leaves it out.
 * --readers threads (default 2) GET random keys meanwhile: a value a reader
 * saw must survive even if its writer got no reply (no observed-then-lost),
 * and so must every earlier command of that writer.
 * --recovery-kills: in that percentage of the cycles (default 15) the server
 * is first killed while it recovers (0..restart-time ms after it starts).
 * --flip-fsync switches appendfsync between always and everysec with CONFIG
 * SET at random moments (kill -9 only: neither may lose anything then).
 *
 * The model: every thread logs each command it sent as ACKED (its reply was
 * read), REJECTED (an error reply: it was not executed) or SENT (no reply:
 * the server died or closed the connection).  After a restart a key must
 * hold a state reachable from the state read at the start of the cycle by
 * applying every ACKED command and any subset of the SENT ones, in order.
 * Anything else is a lost acknowledged write (or a rejected one applied) and
 * makes the run fail.  On top of that, the SENT commands of one connection
 * must have survived as a prefix (the WAL is recovered as a prefix of LSN
 * order).  A command that writes several WAL records (MSET, SET EX, RENAME)
 * coming back in part is a failure too ("HALF-RECOVERED COMMAND"), unless
 * --allow-split, which only counts them (to hunt for other bugs meanwhile);
 * a RENAME whose source is gone while its destination did not get the value
 * always fails: that value had been acknowledged.
 *
 * --power-loss runs the server with fsync-shim.so preloaded; after the kill
 * every file is cut back to what the shim saw made durable (see power_cut()),
 * with random zeros, garbage or surviving unsynced bytes after that point,
 * or a zeroed 4 KB page inside the unsynced part with later bytes intact
 * (out-of-order write-back; --no-page-holes leaves that out; --page-holes is
 * accepted and is the default), and the server restarts without the shim.
 * The WAL's batch marks let recovery cut such a hole off as a torn tail
 * (nothing after it was ever durable); the summary counts those cuts.  Under --fsync everysec a power
 * loss may take the writes acknowledged in the last second: those
 * acknowledged within --everysec-window ms (default 2000) of the kill count
 * as unanswered, every older one must be there (and reads are not taken as
 * proof, since everysec replies to them before the fsync).
 *
 * --fault runs one cycle with fault-shim.so preloaded: the n-th write or
 * fsync of a WAL segment, or the n-th creation of one (create: the first is
 * at start-up, the next ones are segment rolls), fails, and every later one.  Checked: no write is
 * acknowledged once the disk failed, writes get -MISCONF, reads of earlier
 * keys are served (or the connection closed if they would expose lost data),
 * INFO shows wal_failed:1 and the reason, the server stops on SIGTERM, and
 * after a restart without the shim every acknowledged write is there.
 *
 * Exit status: 0 all good, 1 a durability failure, 2 a usage or setup error. */
#define _GNU_SOURCE
#include <hiredis/hiredis.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- options and globals ------------------------------------------------------- */

static struct {
    int cycles;
    const char *server;
    uint64_t seed;
    const char *fsync;
    int conns, keys, readers;
    int recovery_kill_pct;
    bool flip_fsync, allow_split, dbthread;
    int window_ms;                  /* power loss under everysec: acks this recent may be lost */
    int min_ms, max_ms;
    bool keep, verbose;
    bool power, page_holes, strict_dirs;
    const char *fsync_shim;
    const char *fault_op;           /* NULL = no fault mode */
    long fault_n;
    const char *fault_errno;
    bool fault_partial, fault_drop;
    const char *fault_shim;
    const char *extra[64];
    int nextra;
} O = {.cycles = 20, .fsync = "always", .conns = 16, .keys = 160, .readers = 2, .recovery_kill_pct = 15, .dbthread = true, .min_ms = 50, .max_ms = 1500,
       .fault_n = 100, .fault_errno = "EIO", .page_holes = true};

static char tmpdir[PATH_MAX], datadir[PATH_MAX], sockpath[PATH_MAX], logpath[PATH_MAX], shimlog[PATH_MAX];
static pid_t server_pid = -1;
static _Atomic int killed;           /* the controller killed the server (connection errors expected) */
static _Atomic int stop_threads;
static int failures;                /* durability failures found */
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void msleep(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rnd(uint64_t *s)   /* xorshift64* */
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static uint64_t rng_init(uint64_t a, uint64_t b)
{
    uint64_t x = a * 1000003ULL + b;
    uint64_t r = splitmix(&x);
    return r ? r : 1;
}

static void say(const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&out_mu);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
    pthread_mutex_unlock(&out_mu);
}

#define MAX_SHOWN_FAILURES 25

static void fail(const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&out_mu);
    failures++;
    if (failures > MAX_SHOWN_FAILURES) {
        if (failures == MAX_SHOWN_FAILURES + 1) printf("FAIL: (more failures: not shown)\n");
        pthread_mutex_unlock(&out_mu);
        return;
    }
    printf("FAIL: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    pthread_mutex_unlock(&out_mu);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) { perror("malloc"); exit(2); }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) { perror("realloc"); exit(2); }
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* ---- the model ---------------------------------------------------------------- */

enum { OP_SET, OP_SETEX, OP_SETNUM, OP_INCR, OP_DEL, OP_APPEND, OP_MSET, OP_EXPIRE, OP_RENAME };
static const char *op_names[] = {"SET", "SET EX", "SET", "INCR", "DEL", "APPEND", "MSET", "EXPIRE", "RENAME"};
enum { ST_SENT, ST_ACKED, ST_REJECTED };
#define MSET_MAX 4
#define FAR_TTL "100000000"          /* ~3 years */

struct kst {                        /* one key's state */
    bool exists, ttl;
    char *val;                      /* NUL-terminated, no NULs inside */
};

struct op {
    uint8_t type, status, nk;
    bool noop;                      /* acknowledged without changing anything (DEL/EXPIRE of a missing key) */
    bool src_ttl;                   /* RENAME: the source's TTL flag when sent (v[1] = its value) */
    bool forced;                    /* no reply, but a reader saw its effect: it must survive */
    uint16_t k[MSET_MAX];
    char *v[MSET_MAX];
    int64_t sent_ns, ack_ns;
};

struct conn {
    int id;
    uint64_t rng;
    int nkeys;
    struct kst *base;               /* read back at the start of the cycle */
    struct kst *cur;                /* base + acknowledged commands */
    struct op *ops;
    size_t nops, cap;
    uint64_t seq;
    uint64_t seq_base;              /* seq at the start of the cycle */
    int64_t *seq_op;                /* seq - seq_base - 1 -> index of the op whose value has it */
    size_t seq_cap;
    bool uncertain;                 /* a command went unanswered: cur is a guess */
    pthread_t th;
    /* cycle statistics */
    uint64_t acked, batches, rejected, reconnects;
};

static struct conn *conns;

/* A reader's observation: key of conn holds a value carrying seq (hash h). */
struct obsv { uint16_t conn, key; uint64_t seq, h; };
struct reader { pthread_t th; uint64_t rng; struct obsv *o; size_t n, cap; uint64_t reads; int id; };
static struct reader *readers;

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}
static int nstatic;                 /* fault mode: keys written before the fault */

static void key_name(char *buf, size_t len, int conn, int k)
{
    snprintf(buf, len, "c%02d:%c%04d", conn, k % 4 == 0 ? 'n' : 's', k);
}
static bool is_counter(int k) { return k % 4 == 0; }

static void kst_free(struct kst *s) { free(s->val); s->val = NULL; }

static struct kst kst_copy(const struct kst *s)
{
    struct kst r = *s;
    if (s->val) r.val = strdup(s->val);
    return r;
}

static bool kst_eq(const struct kst *a, const struct kst *b)
{
    if (a->exists != b->exists) return false;
    if (!a->exists) return true;
    return a->ttl == b->ttl && strcmp(a->val, b->val) == 0;
}

static void kst_fmt(const struct kst *s, char *buf, size_t len)
{
    if (!s->exists) { snprintf(buf, len, "(absent)"); return; }
    size_t vl = strlen(s->val);
    if (vl > 60) snprintf(buf, len, "\"%.28s...%s\" (%zu bytes)%s", s->val, s->val + vl - 24, vl, s->ttl ? " +ttl" : "");
    else snprintf(buf, len, "\"%s\"%s", s->val, s->ttl ? " +ttl" : "");
}

/* Applies op to state s of its slot-th key. */
static void apply(struct kst *s, const struct op *o, int slot)
{
    switch (o->type) {
    case OP_SET: case OP_SETNUM: case OP_MSET: case OP_SETEX:
        free(s->val);
        s->val = strdup(o->v[slot]);
        s->exists = true;
        s->ttl = o->type == OP_SETEX;
        break;
    case OP_INCR: {
        long long n = s->exists ? atoll(s->val) : 0;
        char b[32];
        snprintf(b, sizeof b, "%lld", n + 1);
        if (!s->exists) s->ttl = false;
        free(s->val);
        s->val = strdup(b);
        s->exists = true;
        break;
    }
    case OP_DEL:
        kst_free(s);
        s->exists = s->ttl = false;
        break;
    case OP_APPEND:
        if (s->exists) {
            size_t a = strlen(s->val), b = strlen(o->v[slot]);
            s->val = xrealloc(s->val, a + b + 1);
            memcpy(s->val + a, o->v[slot], b + 1);
        } else {
            s->val = strdup(o->v[slot]);
            s->exists = true;
            s->ttl = false;
        }
        break;
    case OP_EXPIRE:
        if (s->exists) s->ttl = true;
        break;
    case OP_RENAME:                 /* slot 0 = source, slot 1 = destination */
        free(s->val);
        if (slot == 0) {
            s->val = NULL;
            s->exists = s->ttl = false;
        } else {
            s->val = strdup(o->v[1]);
            s->exists = true;
            s->ttl = o->src_ttl;
        }
        break;
    }
}

static void gen_value(struct conn *c, char *buf, size_t cap, bool numeric)
{
    uint64_t r = rnd(&c->rng);
    if (numeric) {
        snprintf(buf, cap, "%" PRIu64, (r >> 8) % 1000000);
        return;
    }
    int n = snprintf(buf, cap, "c%d.%" PRIu64 ".", c->id, ++c->seq);
    size_t si = (size_t)(c->seq - c->seq_base - 1);
    if (si >= c->seq_cap) {
        size_t nc = c->seq_cap ? c->seq_cap * 2 : 4096;
        while (nc <= si) nc *= 2;
        c->seq_op = xrealloc(c->seq_op, nc * sizeof *c->seq_op);
        for (size_t i = c->seq_cap; i < nc; i++) c->seq_op[i] = -1;
        c->seq_cap = nc;
    }
    c->seq_op[si] = (int64_t)c->nops;   /* the op being generated gets this index */
    unsigned pct = (unsigned)(r % 100);
    size_t pad = pct < 90 ? (r >> 8) % 60 : pct < 99 ? 100 + (r >> 8) % 500 : 2000 + (r >> 8) % 7000;
    if (n + pad + 1 > cap) pad = cap - (size_t)n - 1;
    uint64_t x = r | 1;
    for (size_t i = 0; i < pad; i++) buf[n + (int)i] = (char)('a' + rnd(&x) % 26);
    buf[n + (int)pad] = '\0';
}

static int pick_string_key(struct conn *c)
{
    for (;;) {
        int k = (int)(rnd(&c->rng) % (uint64_t)c->nkeys);
        if (!is_counter(k)) return k;
    }
}

static int pick_counter_key(struct conn *c)
{
    int n = (c->nkeys + 3) / 4;
    return (int)(rnd(&c->rng) % (uint64_t)n) * 4;
}

/* single: the command is sent alone (not in a pipelined batch) and the
 * model is exact, so a RENAME can record its source's state. */
static void gen_op(struct conn *c, struct op *o, bool single)
{
    static __thread char vbuf[10000];
    memset(o, 0, sizeof *o);
    unsigned r = (unsigned)(rnd(&c->rng) % 100);
    if (single && !c->uncertain && r >= 92) {
        /* RENAME an existing string key onto another string key */
        for (int tries = 0; tries < 20; tries++) {
            int a = pick_string_key(c), b = pick_string_key(c);
            if (a == b || !c->cur[a].exists) continue;
            o->type = OP_RENAME;
            o->nk = 2;
            o->k[0] = (uint16_t)a;
            o->k[1] = (uint16_t)b;
            o->v[0] = strdup("");
            o->v[1] = strdup(c->cur[a].val);
            o->src_ttl = c->cur[a].ttl;
            return;
        }
        r = 0;
    }
    if (r < 30 || r >= 88) {
        o->type = OP_SET;
    } else if (r < 40) {
        o->type = OP_APPEND;
    } else if (r < 55) {
        o->type = OP_INCR;
    } else if (r < 63) {
        o->type = OP_DEL;
    } else if (r < 73) {
        o->type = OP_MSET;
    } else if (r < 78) {
        o->type = OP_EXPIRE;
    } else if (r < 83) {
        o->type = OP_SETEX;
    } else {
        o->type = OP_SETNUM;
    }
    switch (o->type) {
    case OP_SET: case OP_SETEX: case OP_APPEND:
        o->nk = 1;
        o->k[0] = (uint16_t)pick_string_key(c);
        gen_value(c, vbuf, o->type == OP_APPEND ? 200 : sizeof vbuf, false);
        if (o->type == OP_APPEND) {   /* keep appended values short-ish: mark + a little */
            char t[64];
            snprintf(t, sizeof t, "|%" PRIu64, ++c->seq);
            o->v[0] = strdup(t);
        } else {
            o->v[0] = strdup(vbuf);
        }
        break;
    case OP_SETNUM:
        o->nk = 1;
        o->k[0] = (uint16_t)pick_counter_key(c);
        gen_value(c, vbuf, sizeof vbuf, true);
        o->v[0] = strdup(vbuf);
        break;
    case OP_INCR:
        o->nk = 1;
        o->k[0] = (uint16_t)pick_counter_key(c);
        break;
    case OP_DEL: case OP_EXPIRE:
        o->nk = 1;
        o->k[0] = (uint16_t)(rnd(&c->rng) % (uint64_t)c->nkeys);
        break;
    case OP_MSET: {
        int n = 2 + (int)(rnd(&c->rng) % (MSET_MAX - 1));
        o->nk = 0;
        for (int tries = 0; o->nk < n && tries < 50; tries++) {
            int k = pick_string_key(c);
            bool dup = false;
            for (int j = 0; j < o->nk; j++) dup |= o->k[j] == k;
            if (dup) continue;
            o->k[o->nk] = (uint16_t)k;
            gen_value(c, vbuf, 400, false);
            o->v[o->nk] = strdup(vbuf);
            o->nk++;
        }
        break;
    }
    }
}

static void append_command(redisContext *ctx, struct conn *c, const struct op *o)
{
    const char *argv[2 + 2 * MSET_MAX + 2];
    size_t argl[2 + 2 * MSET_MAX + 2];
    char names[MSET_MAX][32];
    int n = 0;
    for (int i = 0; i < o->nk; i++) key_name(names[i], sizeof names[i], c->id, o->k[i]);
#define ARG(s) do { argv[n] = (s); argl[n] = strlen(s); n++; } while (0)
    switch (o->type) {
    case OP_SET: case OP_SETNUM: ARG("SET"); ARG(names[0]); ARG(o->v[0]); break;
    case OP_SETEX: ARG("SET"); ARG(names[0]); ARG(o->v[0]); ARG("EX"); ARG(FAR_TTL); break;
    case OP_INCR: ARG("INCR"); ARG(names[0]); break;
    case OP_DEL: ARG("DEL"); ARG(names[0]); break;
    case OP_APPEND: ARG("APPEND"); ARG(names[0]); ARG(o->v[0]); break;
    case OP_EXPIRE: ARG("EXPIRE"); ARG(names[0]); ARG(FAR_TTL); break;
    case OP_RENAME: ARG("RENAME"); ARG(names[0]); ARG(names[1]); break;
    case OP_MSET:
        ARG("MSET");
        for (int i = 0; i < o->nk; i++) { ARG(names[i]); ARG(o->v[i]); }
        break;
    }
#undef ARG
    redisAppendCommandArgv(ctx, n, argv, argl);
}

/* Checks a reply against the model state before the command; returns an
 * error text or NULL.  Sets *noop. */
static const char *check_reply(struct conn *c, const struct op *o, redisReply *r, bool *noop, char *err, size_t errlen)
{
    *noop = false;
    const struct kst *s = &c->cur[o->k[0]];
    switch (o->type) {
    case OP_SET: case OP_SETNUM: case OP_SETEX: case OP_MSET: case OP_RENAME:
        if (r->type != REDIS_REPLY_STATUS || strcmp(r->str, "OK") != 0) {
            snprintf(err, errlen, "%s: expected +OK", op_names[o->type]);
            return err;
        }
        return NULL;
    case OP_INCR: case OP_DEL: case OP_APPEND: case OP_EXPIRE: {
        if (r->type != REDIS_REPLY_INTEGER) {
            snprintf(err, errlen, "%s: expected an integer reply (type %d)", op_names[o->type], r->type);
            return err;
        }
        long long want;
        if (o->type == OP_INCR) want = (s->exists ? atoll(s->val) : 0) + 1;
        else if (o->type == OP_APPEND) want = (long long)((s->exists ? strlen(s->val) : 0) + strlen(o->v[0]));
        else want = s->exists ? 1 : 0;
        if ((o->type == OP_DEL || o->type == OP_EXPIRE) && r->integer == 0) *noop = true;
        if (!c->uncertain && r->integer != want) {
            char k[32];
            key_name(k, sizeof k, c->id, o->k[0]);
            snprintf(err, errlen, "%s %s replied %lld, the model says %lld", op_names[o->type], k, r->integer, want);
            return err;
        }
        return NULL;
    }
    }
    return NULL;
}

static void push_op(struct conn *c, const struct op *o)
{
    if (c->nops == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->ops = xrealloc(c->ops, c->cap * sizeof *c->ops);
    }
    c->ops[c->nops++] = *o;
}

static void clear_ops(struct conn *c)
{
    for (size_t i = 0; i < c->nops; i++)
        for (int j = 0; j < c->ops[i].nk; j++) free(c->ops[i].v[j]);
    c->nops = 0;
    c->seq_base = c->seq;
    for (size_t i = 0; i < c->seq_cap; i++) c->seq_op[i] = -1;
}

/* ---- server process -------------------------------------------------------------- */

static void server_log_note(const char *fmt, ...)
{
    int fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0 && write(fd, buf, (size_t)n) < 0) {}
    close(fd);
}

enum { SHIM_NONE, SHIM_POWER, SHIM_FAULT };

static pid_t start_server(int shim)
{
    const char *argv[64 + 40];
    int n = 0;
    argv[n++] = O.server;
    argv[n++] = "--port"; argv[n++] = "0";
    argv[n++] = "--unixsocket"; argv[n++] = sockpath;
    argv[n++] = "--dir"; argv[n++] = datadir;
    argv[n++] = "--appendfsync"; argv[n++] = O.fsync;
    argv[n++] = "--io-threads"; argv[n++] = "2";
    argv[n++] = "--wal-segment-bytes"; argv[n++] = "1mb";
    argv[n++] = "--snapshot-wal-bytes"; argv[n++] = "3mb";
    argv[n++] = "--loglevel"; argv[n++] = "verbose";
    for (int i = 0; i < O.nextra; i++) argv[n++] = O.extra[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); exit(2); }
    if (pid == 0) {
        int fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT, 0644);
        if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); close(fd); }
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) { dup2(devnull, 0); close(devnull); }
        if (shim == SHIM_POWER) {
            setenv("LD_PRELOAD", O.fsync_shim, 1);
            setenv("HF_SHIM_DIR", datadir, 1);
            setenv("HF_SHIM_LOG", shimlog, 1);
        } else if (shim == SHIM_FAULT) {
            char nbuf[32];
            snprintf(nbuf, sizeof nbuf, "%ld", O.fault_n);
            setenv("LD_PRELOAD", O.fault_shim, 1);
            setenv("HF_FAULT_OP", O.fault_op, 1);
            setenv("HF_FAULT_N", nbuf, 1);
            setenv("HF_FAULT_ERRNO", O.fault_errno, 1);
            setenv("HF_FAULT_PARTIAL", O.fault_partial ? "1" : "0", 1);
            setenv("HF_FAULT_DROP", O.fault_drop ? "1" : "0", 1);
            setenv("HF_SHIM_LOG", shimlog, 1);
        } else {
            unsetenv("LD_PRELOAD");
        }
        if (shim != SHIM_NONE) {
            /* a sanitizer build wants its runtime first in the library list */
            const char *a = getenv("ASAN_OPTIONS");
            char buf[1024];
            snprintf(buf, sizeof buf, "%s%sverify_asan_link_order=0", a ? a : "", a && *a ? ":" : "");
            setenv("ASAN_OPTIONS", buf, 1);
        }
        execv(O.server, (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", O.server, strerror(errno));
        _exit(127);
    }
    server_pid = pid;
    return pid;
}

static void print_log_tail(int lines)
{
    char cmd[PATH_MAX + 64];
    printf("---- last %d lines of %s ----\n", lines, logpath);
    fflush(stdout);
    snprintf(cmd, sizeof cmd, "tail -n %d '%s'", lines, logpath);
    if (system(cmd) != 0) {}
    printf("----\n");
    fflush(stdout);
}

/* Returns the exit status (as from waitpid) if it exited, -1 if still running. */
static int server_exited(void)
{
    if (server_pid <= 0) return 0;
    int st;
    pid_t r = waitpid(server_pid, &st, WNOHANG);
    if (r == server_pid) {
        server_pid = -1;
        return st;
    }
    return -1;
}

static void kill_server(void)
{
    if (server_pid <= 0) return;
    kill(server_pid, SIGKILL);
    int st;
    waitpid(server_pid, &st, 0);
    server_pid = -1;
}

/* SIGTERM and wait up to ms; returns the wait status, or -1 if it had to be killed. */
static int stop_server(int ms)
{
    if (server_pid <= 0) return 0;
    kill(server_pid, SIGTERM);
    int64_t end = now_ns() + (int64_t)ms * 1000000;
    while (now_ns() < end) {
        int st = server_exited();
        if (st >= 0) return st;
        msleep(10);
    }
    kill_server();
    return -1;
}

static void atexit_cleanup(void)
{
    if (server_pid > 0) kill_server();
}

static redisContext *connect_server(int timeout_ms)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisContext *c = redisConnectUnixWithTimeout(sockpath, tv);
    if (!c) return NULL;
    if (c->err) { redisFree(c); return NULL; }
    redisSetTimeout(c, (struct timeval){30, 0});
    return c;
}

/* Waits until the server answers PING with PONG; returns a context or NULL
 * (the server exited or did not get ready in time: reported). */
static redisContext *wait_ready(int64_t *ready_ms)
{
    int64_t t0 = now_ns();
    int64_t end = t0 + 120LL * 1000000000;
    bool saw_loading = false;
    while (now_ns() < end) {
        int st = server_exited();
        if (st >= 0) {
            fail("the server exited during start-up (%s %d)", WIFEXITED(st) ? "exit status" : "signal",
                 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            print_log_tail(30);
            return NULL;
        }
        redisContext *c = connect_server(1000);
        if (!c) { msleep(5); continue; }
        for (;;) {
            redisReply *r = redisCommand(c, "PING");
            if (!r) break;
            bool pong = r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG");
            bool loading = r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "LOADING", 7);
            if (!pong && !loading) {
                fail("PING answered unexpectedly during start-up: %s", r->str ? r->str : "?");
                freeReplyObject(r);
                redisFree(c);
                return NULL;
            }
            freeReplyObject(r);
            if (pong) {
                if (ready_ms) *ready_ms = (now_ns() - t0) / 1000000;
                (void)saw_loading;
                return c;
            }
            saw_loading = true;
            msleep(5);
        }
        redisFree(c);
        msleep(5);
    }
    fail("the server did not answer PONG within 120 s");
    print_log_tail(30);
    return NULL;
}

static bool info_field(redisContext *c, const char *section, const char *field, char *out, size_t len)
{
    redisReply *r = redisCommand(c, "INFO %s", section);
    if (!r) return false;
    bool ok = false;
    if (r->type == REDIS_REPLY_STRING) {
        size_t fl = strlen(field);
        for (char *p = r->str; p && *p;) {
            char *nl = strchr(p, '\n');
            if (!strncmp(p, field, fl) && p[fl] == ':') {
                size_t vl = (nl ? (size_t)(nl - p) : strlen(p)) - fl - 1;
                if (vl && p[fl + vl] == '\r') vl--;
                if (vl >= len) vl = len - 1;
                memcpy(out, p + fl + 1, vl);
                out[vl] = '\0';
                ok = true;
                break;
            }
            p = nl ? nl + 1 : NULL;
        }
    }
    freeReplyObject(r);
    return ok;
}

/* ---- writer threads -------------------------------------------------------------- */

static bool fault_mode(void) { return O.fault_op != NULL; }

static void *writer(void *arg)
{
    struct conn *c = arg;
    redisContext *ctx = NULL;
    struct op batch[40];
    while (!stop_threads && !killed) {
        if (!ctx) {
            ctx = connect_server(2000);
            if (!ctx) {
                if (killed || stop_threads) break;
                if (!fault_mode()) {
                    fail("thread %d: can't connect while the server should be up", c->id);
                    break;
                }
                msleep(20);
                continue;
            }
        }
        int nb = rnd(&c->rng) % 100 < 30 ? 2 + (int)(rnd(&c->rng) % 31) : 1;
        size_t first = c->nops;
        int64_t t = now_ns();
        for (int i = 0; i < nb; i++) {
            gen_op(c, &batch[i], nb == 1);
            batch[i].sent_ns = t;
            push_op(c, &batch[i]);
            append_command(ctx, c, &batch[i]);
        }
        c->batches++;
        bool broken = false;
        for (int i = 0; i < nb; i++) {
            struct op *o = &c->ops[first + (size_t)i];
            redisReply *r = NULL;
            if (redisGetReply(ctx, (void **)&r) != REDIS_OK || !r) {
                if (!killed && !fault_mode()) {
                    int st = server_exited();
                    fail("thread %d: connection error while the server should be up: %s%s", c->id, ctx->errstr,
                         st >= 0 ? " (the server died!)" : "");
                }
                broken = true;
                break;
            }
            if (r->type == REDIS_REPLY_ERROR) {
                o->status = ST_REJECTED;
                c->rejected++;
                if (!fault_mode() || strncmp(r->str, "MISCONF", 7) != 0) {
                    char k[32];
                    key_name(k, sizeof k, c->id, o->k[0]);
                    fail("thread %d: %s %s got an error reply: %s", c->id, op_names[o->type], k, r->str);
                }
            } else {
                char err[256];
                bool noop;
                const char *e = check_reply(c, o, r, &noop, err, sizeof err);
                if (e) fail("thread %d: wrong reply: %s", c->id, e);
                o->status = ST_ACKED;
                o->ack_ns = now_ns();
                o->noop = noop;
                for (int j = 0; j < o->nk; j++) apply(&c->cur[o->k[j]], o, j);
                c->acked++;
            }
            freeReplyObject(r);
        }
        if (broken) {
            redisFree(ctx);
            ctx = NULL;
            c->uncertain = true;
            if (!fault_mode()) break;
            c->reconnects++;
        }
    }
    if (ctx) redisFree(ctx);
    return NULL;
}

/* Readers GET random keys of every writer; what they see must survive (the
 * server holds a read's reply until what it shows is acknowledged: no
 * observed-then-lost). */
static void *reader_main(void *arg)
{
    struct reader *rd = arg;
    redisContext *ctx = NULL;
    while (!stop_threads && !killed) {
        if (!ctx && !(ctx = connect_server(2000))) {
            if (killed || stop_threads) break;
            if (!fault_mode()) { fail("reader %d: can't connect while the server should be up", rd->id); break; }
            msleep(20);
            continue;
        }
        int ci[8], ki[8];
        for (int i = 0; i < 8; i++) {
            ci[i] = (int)(rnd(&rd->rng) % (uint64_t)O.conns);
            ki[i] = (int)(rnd(&rd->rng) % (uint64_t)O.keys);
            char name[32];
            key_name(name, sizeof name, ci[i], ki[i]);
            redisAppendCommand(ctx, "GET %s", name);
        }
        for (int i = 0; i < 8; i++) {
            redisReply *r = NULL;
            if (redisGetReply(ctx, (void **)&r) != REDIS_OK || !r) {
                if (!killed && !fault_mode()) fail("reader %d: connection error while the server should be up: %s", rd->id, ctx->errstr);
                redisFree(ctx);
                ctx = NULL;
                break;
            }
            rd->reads++;
            int id;
            unsigned long long seq;
            if (r->type == REDIS_REPLY_STRING && !memchr(r->str, '|', r->len) &&
                sscanf(r->str, "c%d.%llu.", &id, &seq) == 2) {
                if (id != ci[i]) {
                    fail("reader %d: key c%02d:...%04d holds a value written for another connection's key: %.60s",
                         rd->id, ci[i], ki[i], r->str);
                } else {
                    if (rd->n == rd->cap) {
                        rd->cap = rd->cap ? rd->cap * 2 : 4096;
                        rd->o = xrealloc(rd->o, rd->cap * sizeof *rd->o);
                    }
                    rd->o[rd->n++] = (struct obsv){(uint16_t)ci[i], (uint16_t)ki[i], seq, hash_str(r->str, r->len)};
                }
            } else if (r->type == REDIS_REPLY_ERROR && !(fault_mode() && !strncmp(r->str, "MISCONF", 7))) {
                fail("reader %d: GET answered %s", rd->id, r->str);
            }
            freeReplyObject(r);
            if (!ctx) break;
        }
    }
    if (ctx) redisFree(ctx);
    return NULL;
}

/* Marks the commands readers saw the effect of; returns how many commands
 * without a reply became required that way. */
static uint64_t apply_observations(void)
{
    uint64_t forced = 0;
    for (int r = 0; r < O.readers; r++) {
        struct reader *rd = &readers[r];
        for (size_t x = 0; x < rd->n; x++) {
            const struct obsv *ob = &rd->o[x];
            struct conn *c = &conns[ob->conn];
            if (ob->seq <= c->seq_base || ob->seq > c->seq) continue;   /* from an earlier cycle */
            int64_t i0 = c->seq_op[ob->seq - c->seq_base - 1];
            if (i0 < 0) continue;
            int64_t found = -1;
            const struct op *o = &c->ops[i0];
            for (int j = 0; j < o->nk && found < 0; j++)
                if (o->k[j] == ob->key && o->type != OP_RENAME && hash_str(o->v[j], strlen(o->v[j])) == ob->h) found = i0;
            for (size_t i = (size_t)i0 + 1; i < c->nops && found < 0; i++) {
                const struct op *q = &c->ops[i];
                if (q->type == OP_RENAME && q->k[1] == ob->key && hash_str(q->v[1], strlen(q->v[1])) == ob->h)
                    found = (int64_t)i;
            }
            if (found < 0) {
                char name[32];
                key_name(name, sizeof name, ob->conn, ob->key);
                fail("a reader saw on %s a value (seq %llu) that no command of this cycle wrote there", name,
                     (unsigned long long)ob->seq);
                continue;
            }
            if (fault_mode()) {
                if (c->ops[found].status == ST_SENT && !c->ops[found].forced) { c->ops[found].forced = true; forced++; }
            } else {
                for (int64_t i = found; i >= 0; i--) {
                    struct op *q = &c->ops[i];
                    if (q->status == ST_ACKED || q->forced) break;
                    if (q->status == ST_SENT) { q->forced = true; forced++; }
                }
            }
        }
        rd->n = 0;
    }
    return forced;
}

static void start_readers(void)
{
    for (int r = 0; r < O.readers; r++) {
        readers[r].id = r;
        pthread_create(&readers[r].th, NULL, reader_main, &readers[r]);
    }
}

static void join_readers(uint64_t *reads)
{
    for (int r = 0; r < O.readers; r++) {
        pthread_join(readers[r].th, NULL);
        if (reads) *reads += readers[r].reads;
        readers[r].reads = 0;
    }
}

/* ---- verification ------------------------------------------------------------------- */

struct cycle_stats {
    uint64_t unacked, survived, split, keys;
};

/* Reads every key (GET + TTL, pipelined); obs[conn][key] is filled. */
static bool read_all(redisContext *ctx, struct kst **obs, struct kst *statics, long long *dbsize)
{
    const int chunk = 500;
    int total = O.conns * O.keys + nstatic;
    for (int start = 0; start < total; start += chunk) {
        int end = start + chunk < total ? start + chunk : total;
        char name[32];
        for (int i = start; i < end; i++) {
            if (i < O.conns * O.keys) key_name(name, sizeof name, i / O.keys, i % O.keys);
            else snprintf(name, sizeof name, "static:%05d", i - O.conns * O.keys);
            redisAppendCommand(ctx, "GET %s", name);
            redisAppendCommand(ctx, "TTL %s", name);
        }
        for (int i = start; i < end; i++) {
            struct kst *s = i < O.conns * O.keys ? &obs[i / O.keys][i % O.keys] : &statics[i - O.conns * O.keys];
            redisReply *g = NULL, *t = NULL;
            if (redisGetReply(ctx, (void **)&g) != REDIS_OK || redisGetReply(ctx, (void **)&t) != REDIS_OK) {
                fail("verification: connection error: %s", ctx->errstr);
                if (g) freeReplyObject(g);
                return false;
            }
            memset(s, 0, sizeof *s);
            if (g->type == REDIS_REPLY_STRING) {
                s->exists = true;
                s->val = xstrndup(g->str, g->len);
            } else if (g->type != REDIS_REPLY_NIL) {
                fail("verification: GET answered type %d %s", g->type, g->type == REDIS_REPLY_ERROR ? g->str : "");
            }
            if (t->type != REDIS_REPLY_INTEGER) {
                fail("verification: TTL answered type %d", t->type);
            } else if (s->exists) {
                if (t->integer == -2) fail("verification: GET found a key TTL says is missing");
                s->ttl = t->integer > 0;
                if (t->integer > 0 && t->integer < 90000000)
                    fail("verification: a key has TTL %lld, all TTLs set are %s s", t->integer, FAR_TTL);
            }
            freeReplyObject(g);
            freeReplyObject(t);
        }
    }
    redisReply *r = redisCommand(ctx, "DBSIZE");
    if (!r || r->type != REDIS_REPLY_INTEGER) {
        fail("verification: DBSIZE failed");
        if (r) freeReplyObject(r);
        return false;
    }
    *dbsize = r->integer;
    freeReplyObject(r);
    return true;
}

/* States of key k reachable from base through the conn's ops. */
struct cand { struct kst *s; int n, cap; };

static void cand_add(struct cand *c, struct kst s)
{
    for (int i = 0; i < c->n; i++)
        if (kst_eq(&c->s[i], &s)) { kst_free(&s); return; }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->s = xrealloc(c->s, (size_t)c->cap * sizeof *c->s);
    }
    c->s[c->n++] = s;
}

static void cand_free(struct cand *c)
{
    for (int i = 0; i < c->n; i++) kst_free(&c->s[i]);
    free(c->s);
    c->s = NULL;
    c->n = c->cap = 0;
}

static void print_key_history(const struct conn *c, int k, size_t *list, size_t nl)
{
    size_t from = nl > 12 ? nl - 12 : 0;
    printf("      last commands on the key (of %zu this cycle):\n", nl);
    for (size_t i = from; i < nl; i++) {
        const struct op *o = &c->ops[list[i]];
        int slot = 0;
        for (int j = 0; j < o->nk; j++) if (o->k[j] == k) slot = j;
        const char *v = o->v[slot] ? o->v[slot] : "";
        printf("        #%zu %-7s %.40s%s  [%s]\n", list[i], op_names[o->type], v, strlen(v) > 40 ? "..." : "",
               o->status == ST_ACKED ? "acked" : o->status == ST_REJECTED ? "rejected" :
               o->forced ? "no reply, but a reader saw its effect" : "no reply");
    }
}

static void check_conn(struct conn *c, struct kst *obs, struct cycle_stats *cs, int cycle)
{
    /* per-key op lists */
    size_t **lists = xmalloc(sizeof(size_t *) * (size_t)c->nkeys);
    size_t *nl = calloc((size_t)c->nkeys, sizeof(size_t)), *cap = calloc((size_t)c->nkeys, sizeof(size_t));
    for (int k = 0; k < c->nkeys; k++) lists[k] = NULL;
    for (size_t i = 0; i < c->nops; i++) {
        const struct op *o = &c->ops[i];
        for (int j = 0; j < o->nk; j++) {
            int k = o->k[j];
            if (nl[k] == cap[k]) {
                cap[k] = cap[k] ? cap[k] * 2 : 8;
                lists[k] = xrealloc(lists[k], cap[k] * sizeof(size_t));
            }
            lists[k][nl[k]++] = i;
        }
    }
    size_t L = 0;   /* number of ops up to and including the last acknowledged one */
    for (size_t i = 0; i < c->nops; i++)
        if (c->ops[i].status == ST_ACKED || c->ops[i].forced) L = i + 1;
    size_t U = 0;
    bool clean_tail = true;   /* every op after L is unanswered: the usual case */
    for (size_t i = L; i < c->nops; i++) {
        if (c->ops[i].status != ST_SENT) clean_tail = false;
        U++;
    }
    bool key_failed = false;
    for (int k = 0; k < c->nkeys; k++) {
        struct cand cd = {0};
        cand_add(&cd, kst_copy(&c->base[k]));
        struct kst chain = {0};     /* clean tail: the state after the key's unanswered ops so far */
        bool in_tail = false;
        struct kst expect = kst_copy(&c->base[k]);
        struct cand hist = {0};     /* states the acknowledged commands went through */
        cand_add(&hist, kst_copy(&expect));
        for (size_t x = 0; x < nl[k]; x++) {
            const struct op *o = &c->ops[lists[k][x]];
            int slot = 0;
            for (int j = 0; j < o->nk; j++) if (o->k[j] == k) slot = j;
            if (o->status == ST_REJECTED) continue;
            if (o->status == ST_ACKED || o->forced) {
                apply(&expect, o, slot);
                cand_add(&hist, kst_copy(&expect));
                for (int i = 0; i < cd.n; i++) apply(&cd.s[i], o, slot);
                /* applying may make candidates equal: dedupe */
                struct cand d2 = {0};
                for (int i = 0; i < cd.n; i++) cand_add(&d2, cd.s[i]);
                free(cd.s);
                cd = d2;
            } else if (clean_tail) {
                /* the unanswered ops are a tail: the key shows a prefix of
                 * its own (linear, not every subset) */
                if (!in_tail) { chain = kst_copy(&expect); in_tail = true; }
                apply(&chain, o, slot);
                if (O.allow_split && o->type == OP_SETEX) {
                    struct kst t2 = kst_copy(&chain);
                    t2.ttl = false;
                    cand_add(&cd, t2);
                }
                cand_add(&cd, kst_copy(&chain));
            } else {
                int n0 = cd.n;
                for (int i = 0; i < n0 && cd.n < 512; i++) {
                    struct kst t = kst_copy(&cd.s[i]);
                    apply(&t, o, slot);
                    if (O.allow_split && o->type == OP_SETEX) {
                        struct kst t2 = kst_copy(&t);
                        t2.ttl = false;
                        cand_add(&cd, t2);
                    }
                    cand_add(&cd, t);
                }
            }
        }
        bool ok = false;
        for (int i = 0; i < cd.n && !ok; i++) ok = kst_eq(&cd.s[i], &obs[k]);
        if (!ok) {
            char name[32], e[200], a[200];
            key_name(name, sizeof name, c->id, k);
            kst_fmt(&expect, e, sizeof e);
            kst_fmt(&obs[k], a, sizeof a);
            /* what kind of wrong is it? */
            bool older = false, ttl_only = false;
            for (int i = 0; i < hist.n; i++) older |= kst_eq(&hist.s[i], &obs[k]);
            for (int i = 0; i < cd.n; i++)
                ttl_only |= cd.s[i].exists && obs[k].exists && !strcmp(cd.s[i].val, obs[k].val);
            if (older || !ttl_only)
                fail("cycle %d: %s on key %s: expected %s (last acknowledged), actual %s", cycle,
                     older ? "LOST ACKNOWLEDGED WRITE (an older state came back)" : "LOST ACKNOWLEDGED WRITE / WRONG VALUE",
                     name, e, a);
            else
                fail("cycle %d: HALF-RECOVERED COMMAND on key %s: the value is one a command set, but its TTL is not "
                     "(a SET EX / EXPIRE recovered in part?): expected %s (last acknowledged), actual %s", cycle, name, e, a);
            pthread_mutex_lock(&out_mu);
            if (cd.n > 1) {
                printf("      %d states were acceptable (unacknowledged commands may or may not be applied):\n", cd.n);
                for (int i = 0; i < cd.n && i < 6; i++) {
                    kst_fmt(&cd.s[i], e, sizeof e);
                    printf("        %s\n", e);
                }
            }
            print_key_history(c, k, lists[k], nl[k]);
            fflush(stdout);
            pthread_mutex_unlock(&out_mu);
            key_failed = true;
        }
        kst_free(&expect);
        kst_free(&chain);
        cand_free(&cd);
        cand_free(&hist);
    }

    /* prefix check: the SENT commands after the last ACKED one must have
     * survived as a prefix (an MSET at the cut may be partial) */
    for (size_t i = 0; i < c->nops; i++) cs->unacked += c->ops[i].status == ST_SENT && !c->ops[i].forced;
    if (!key_failed && U && clean_tail && !fault_mode()) {
        /* state at L for the keys the tail touches */
        struct kst *atl = calloc((size_t)c->nkeys, sizeof(struct kst));
        bool *touched = calloc((size_t)c->nkeys, sizeof(bool));
        for (size_t i = L; i < c->nops; i++)
            for (int j = 0; j < c->ops[i].nk; j++) touched[c->ops[i].k[j]] = true;
        for (int k = 0; k < c->nkeys; k++) {
            if (!touched[k]) continue;
            atl[k] = kst_copy(&c->base[k]);
            for (size_t x = 0; x < nl[k] && lists[k][x] < L; x++) {
                const struct op *o = &c->ops[lists[k][x]];
                int slot = 0;
                for (int j = 0; j < o->nk; j++) if (o->k[j] == k) slot = j;
                if (o->status != ST_REJECTED) apply(&atl[k], o, slot);
            }
        }
        /* advance P = number of tail ops applied; keep the mismatching
         * keys counted so each step costs only the op's keys */
        long best = -1;
        bool partial = false;
        bool *mis = calloc((size_t)(c->nkeys > 0 ? c->nkeys : 1), sizeof(bool));
        long nmis = 0;
        for (int k = 0; k < c->nkeys; k++)
            if (touched[k] && !kst_eq(&atl[k], &obs[k])) { mis[k] = true; nmis++; }
        for (size_t P = 0; P <= U && best < 0; P++) {
            if (P) {
                const struct op *o = &c->ops[L + P - 1];
                for (int j = 0; j < o->nk; j++) {
                    int k = o->k[j];
                    apply(&atl[k], o, j);
                    bool m = !kst_eq(&atl[k], &obs[k]);
                    nmis += (long)m - (long)mis[k];
                    mis[k] = m;
                }
            }
            long fixed = 0;
            int n_with = 0, n_without = 0, n_split = 0;
            if (L + P < c->nops) {
                /* the command at the cut, if it has several effects, may
                 * show up in part: that is a bug (a command must be
                 * recovered whole or not at all), told apart from a broken
                 * prefix */
                const struct op *o = &c->ops[L + P];
                if (o->type == OP_MSET || o->type == OP_RENAME || o->type == OP_SETEX)
                    for (int j = 0; j < o->nk; j++) {
                        int k = o->k[j];
                        bool ok = !mis[k];
                        struct kst w = kst_copy(&atl[k]);
                        apply(&w, o, j);
                        bool with = kst_eq(&w, &obs[k]), split = false;
                        if (o->type == OP_SETEX && !with && !ok) {
                            w.ttl = false;          /* the SET without its EXPIRE */
                            split = kst_eq(&w, &obs[k]);
                        }
                        if (with && !ok) n_with++;
                        if (ok && !with) n_without++;
                        if (split) n_split++;
                        if (!ok && (with || split)) fixed++;
                        kst_free(&w);
                    }
            }
            if (nmis - fixed == 0) {
                best = (long)P;
                partial = (n_with && n_without) || n_split;
            }
        }
        free(mis);
        if (best < 0) {
            fail("cycle %d: thread %d: the %zu unanswered commands did not survive as a prefix "
                 "(a later write survived while an earlier one of the same connection was lost)", cycle, c->id, U);
            pthread_mutex_lock(&out_mu);
            for (size_t i = L; i < c->nops; i++) {
                const struct op *o = &c->ops[i];
                char name[32], a[200];
                key_name(name, sizeof name, c->id, o->k[0]);
                kst_fmt(&obs[o->k[0]], a, sizeof a);
                printf("      #%zu %-7s %s %.30s -> now %s\n", i, op_names[o->type], name, o->v[0] ? o->v[0] : "", a);
            }
            fflush(stdout);
            pthread_mutex_unlock(&out_mu);
        } else {
            cs->survived += (uint64_t)best;
            if (partial) {
                const struct op *o = &c->ops[L + (size_t)best];
                char names[80] = "";
                for (int j = 0; j < o->nk; j++) {
                    char nm[32];
                    key_name(nm, sizeof nm, c->id, o->k[j]);
                    snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", j ? " " : "", nm);
                }
                cs->split++;
                bool lost = o->type == OP_RENAME && !obs[o->k[0]].exists &&
                            !(obs[o->k[1]].exists && !strcmp(obs[o->k[1]].val, o->v[1]));
                if (lost) {
                    fail("cycle %d: LOST ACKNOWLEDGED WRITE: RENAME %s got no reply and came back in part: the source "
                         "is gone and the destination does not hold its value \"%.40s\" (which had been acknowledged)",
                         cycle, names, o->v[1]);
                } else if (!O.allow_split) {
                    fail("cycle %d: HALF-RECOVERED COMMAND: %s %s got no reply and came back only in part "
                         "(a command that writes several WAL records must be recovered whole or not at all)",
                         cycle, op_names[o->type], names);
                    pthread_mutex_lock(&out_mu);
                    for (int j = 0; j < o->nk; j++) {
                        char a[200], w[200];
                        struct kst t = kst_copy(&obs[o->k[j]]);
                        kst_fmt(&t, a, sizeof a);
                        kst_free(&t);
                        snprintf(w, sizeof w, "%s", o->v[j] ? o->v[j] : "");
                        printf("      key %d of the command: now %s (the command wrote %.40s)\n", j + 1, a, w);
                    }
                    fflush(stdout);
                    pthread_mutex_unlock(&out_mu);
                } else if (O.verbose) {
                    say("  cycle %d: %s %s without reply survived only in part\n", cycle, op_names[o->type], names);
                }
            }
        }
        for (int k = 0; k < c->nkeys; k++) kst_free(&atl[k]);
        free(atl);
        free(touched);
    }
    for (int k = 0; k < c->nkeys; k++) free(lists[k]);
    free(lists);
    free(nl);
    free(cap);
}

static struct kst *static_expect;   /* fault mode */
static bool db_thread_on(void);
static void db_verify(redisContext *ctx, int cycle, struct cycle_stats *cs);

/* Verifies every key; on return base = observed for every conn. */
static bool verify_all(redisContext *ctx, int cycle, struct cycle_stats *cs)
{
    struct kst **obs = xmalloc(sizeof(struct kst *) * (size_t)O.conns);
    for (int i = 0; i < O.conns; i++) obs[i] = calloc((size_t)O.keys, sizeof(struct kst));
    struct kst *statics = nstatic ? calloc((size_t)nstatic, sizeof(struct kst)) : NULL;
    long long dbsize = -1;
    int f0 = failures;
    if (!read_all(ctx, obs, statics, &dbsize)) return false;
    long long want = 0;
    for (int i = 0; i < O.conns; i++) {
        check_conn(&conns[i], obs[i], cs, cycle);
        for (int k = 0; k < O.keys; k++) want += obs[i][k].exists;
    }
    for (int i = 0; i < nstatic; i++) {
        want += statics[i].exists;
        if (!kst_eq(&statics[i], &static_expect[i])) {
            char e[200], a[200];
            kst_fmt(&static_expect[i], e, sizeof e);
            kst_fmt(&statics[i], a, sizeof a);
            fail("LOST ACKNOWLEDGED WRITE on key static:%05d: expected %s, actual %s", i, e, a);
        }
        kst_free(&statics[i]);
    }
    free(statics);
    if (dbsize != want) fail("cycle %d: DBSIZE is %lld but %lld of the test's keys exist (unexpected keys?)", cycle, dbsize, want);
    cs->keys = (uint64_t)(O.conns * O.keys + nstatic);
    if (db_thread_on()) db_verify(ctx, cycle, cs);
    for (int i = 0; i < O.conns; i++) {
        struct conn *c = &conns[i];
        for (int k = 0; k < O.keys; k++) {
            kst_free(&c->base[k]);
            kst_free(&c->cur[k]);
            c->base[k] = obs[i][k];
            c->cur[k] = kst_copy(&obs[i][k]);
        }
        free(obs[i]);
        clear_ops(c);
        c->uncertain = false;
        c->acked = c->batches = c->rejected = c->reconnects = 0;
    }
    free(obs);
    return failures == f0;
}

/* ---- the databases thread ----------------------------------------------------------
 * One more writer works in databases 1 and 2 (the others use 0): SET and DEL
 * on its keys, FLUSHDB of one of them and SWAPDB 1 2, which the WAL logs as
 * whole-keyspace records that recovery applies per shard against a fuzzy
 * snapshot.  Its state is checked as a whole: it must equal the state after
 * every acknowledged command plus some prefix of the unanswered ones. */

#define DBK 48
enum { D_SET, D_DEL, D_FLUSH, D_SWAP };
static const char *dop_names[] = {"SET", "DEL", "FLUSHDB", "SWAPDB"};

struct dbop { uint8_t type, status, db; uint16_t k; char *v; };
struct dbst { struct kst s[2][DBK]; };

static struct {
    pthread_t th;
    uint64_t rng, seq;
    struct dbop *ops;
    size_t n, cap;
    struct dbst base;
    uint64_t acked;
} DB;

static bool db_thread_on(void) { return !fault_mode() && O.dbthread; }

static void dbst_free(struct dbst *d)
{
    for (int x = 0; x < 2; x++)
        for (int k = 0; k < DBK; k++) kst_free(&d->s[x][k]);
}

static void dbst_copy(struct dbst *to, const struct dbst *from)
{
    for (int x = 0; x < 2; x++)
        for (int k = 0; k < DBK; k++) to->s[x][k] = kst_copy(&from->s[x][k]);
}

static bool dbst_eq(const struct dbst *a, const struct dbst *b)
{
    for (int x = 0; x < 2; x++)
        for (int k = 0; k < DBK; k++)
            if (!kst_eq(&a->s[x][k], &b->s[x][k])) return false;
    return true;
}

static void db_apply(struct dbst *d, const struct dbop *o)
{
    switch (o->type) {
    case D_SET:
        free(d->s[o->db][o->k].val);
        d->s[o->db][o->k] = (struct kst){.exists = true, .val = strdup(o->v)};
        break;
    case D_DEL:
        kst_free(&d->s[o->db][o->k]);
        d->s[o->db][o->k].exists = false;
        break;
    case D_FLUSH:
        for (int k = 0; k < DBK; k++) {
            kst_free(&d->s[o->db][k]);
            d->s[o->db][k].exists = false;
        }
        break;
    case D_SWAP:
        for (int k = 0; k < DBK; k++) {
            struct kst t = d->s[0][k];
            d->s[0][k] = d->s[1][k];
            d->s[1][k] = t;
        }
        break;
    }
}

static void *db_writer(void *arg)
{
    (void)arg;
    redisContext *ctx = connect_server(2000);
    if (!ctx) {
        if (!killed) fail("databases thread: can't connect");
        return NULL;
    }
    while (!stop_threads && !killed) {
        unsigned r = (unsigned)(rnd(&DB.rng) % 100);
        int nb = r < 30 ? 2 + (int)(rnd(&DB.rng) % 10) : 1;
        size_t first = DB.n;
        for (int i = 0; i < nb; i++) {
            struct dbop o = {0};
            unsigned t = (unsigned)(rnd(&DB.rng) % 100);
            o.db = (uint8_t)(rnd(&DB.rng) % 2);
            o.k = (uint16_t)(rnd(&DB.rng) % DBK);
            if (nb == 1 && t < 2) o.type = D_FLUSH;
            else if (nb == 1 && t < 7) o.type = D_SWAP;
            else if (t < 30) o.type = D_DEL;
            else o.type = D_SET;
            if (o.type == D_SET) {
                char v[64];
                snprintf(v, sizeof v, "db.%" PRIu64 ".%u", ++DB.seq, (unsigned)(rnd(&DB.rng) % 100000));
                o.v = strdup(v);
            }
            if (DB.n == DB.cap) {
                DB.cap = DB.cap ? DB.cap * 2 : 1024;
                DB.ops = xrealloc(DB.ops, DB.cap * sizeof *DB.ops);
            }
            DB.ops[DB.n++] = o;
            char key[16];
            snprintf(key, sizeof key, "dbk:%03d", o.k);
            redisAppendCommand(ctx, "SELECT %d", o.db + 1);
            switch (o.type) {
            case D_SET: redisAppendCommand(ctx, "SET %s %s", key, o.v); break;
            case D_DEL: redisAppendCommand(ctx, "DEL %s", key); break;
            case D_FLUSH: redisAppendCommand(ctx, "FLUSHDB"); break;
            case D_SWAP: redisAppendCommand(ctx, "SWAPDB 1 2"); break;
            }
        }
        bool broken = false;
        for (int i = 0; i < nb && !broken; i++) {
            for (int j = 0; j < 2; j++) {
                redisReply *rep = NULL;
                if (redisGetReply(ctx, (void **)&rep) != REDIS_OK || !rep) {
                    if (!killed) fail("databases thread: connection error while the server should be up: %s", ctx->errstr);
                    broken = true;
                    break;
                }
                if (rep->type == REDIS_REPLY_ERROR) {
                    fail("databases thread: %s answered %s", j ? dop_names[DB.ops[first + (size_t)i].type] : "SELECT",
                         rep->str);
                    broken = true;
                } else if (j == 1) {
                    DB.ops[first + (size_t)i].status = ST_ACKED;
                    DB.acked++;
                }
                freeReplyObject(rep);
                if (broken) break;
            }
        }
        if (broken) break;
    }
    redisFree(ctx);
    return NULL;
}

/* Reads databases 1 and 2 and checks them; the observed state becomes the base. */
static void db_verify(redisContext *ctx, int cycle, struct cycle_stats *cs)
{
    struct dbst obs;
    memset(&obs, 0, sizeof obs);
    long long sizes[2] = {-1, -1};
    for (int x = 0; x < 2; x++) {
        redisAppendCommand(ctx, "SELECT %d", x + 1);
        for (int k = 0; k < DBK; k++) redisAppendCommand(ctx, "GET dbk:%03d", k);
        redisAppendCommand(ctx, "DBSIZE");
    }
    redisAppendCommand(ctx, "SELECT 0");
    for (int x = 0; x < 2; x++) {
        for (int i = 0; i < DBK + 2; i++) {
            redisReply *r = NULL;
            if (redisGetReply(ctx, (void **)&r) != REDIS_OK || !r) { fail("databases check: %s", ctx->errstr); return; }
            if (i > 0 && i <= DBK && r->type == REDIS_REPLY_STRING)
                obs.s[x][i - 1] = (struct kst){.exists = true, .val = xstrndup(r->str, r->len)};
            if (i == DBK + 1 && r->type == REDIS_REPLY_INTEGER) sizes[x] = r->integer;
            freeReplyObject(r);
        }
    }
    redisReply *r = NULL;
    if (redisGetReply(ctx, (void **)&r) == REDIS_OK && r) freeReplyObject(r);
    for (int x = 0; x < 2; x++) {
        long long n = 0;
        for (int k = 0; k < DBK; k++) n += obs.s[x][k].exists;
        if (sizes[x] != n) fail("cycle %d: DBSIZE of database %d is %lld, %lld of the test's keys exist there", cycle, x + 1, sizes[x], n);
    }
    size_t L = 0;
    for (size_t i = 0; i < DB.n; i++)
        if (DB.ops[i].status == ST_ACKED) L = i + 1;
    struct dbst st;
    dbst_copy(&st, &DB.base);
    for (size_t i = 0; i < L; i++) db_apply(&st, &DB.ops[i]);
    bool ok = false;
    size_t P;
    struct dbst t;
    dbst_copy(&t, &st);
    for (P = 0; L + P <= DB.n; P++) {
        if (P) db_apply(&t, &DB.ops[L + P - 1]);
        if (dbst_eq(&t, &obs)) { ok = true; break; }
    }
    dbst_free(&t);
    cs->unacked += DB.n - L;
    if (ok) {
        cs->survived += P;
    } else {
        fail("cycle %d: databases 1-2 do not hold the state after their acknowledged commands (plus a prefix of the "
             "%zu unanswered ones): LOST ACKNOWLEDGED WRITE", cycle, DB.n - L);
        pthread_mutex_lock(&out_mu);
        int shown = 0;
        for (int x = 0; x < 2; x++)
            for (int k = 0; k < DBK && shown < 8; k++)
                if (!kst_eq(&st.s[x][k], &obs.s[x][k])) {
                    char e[200], a[200];
                    kst_fmt(&st.s[x][k], e, sizeof e);
                    kst_fmt(&obs.s[x][k], a, sizeof a);
                    printf("      db %d dbk:%03d: expected %s, actual %s\n", x + 1, k, e, a);
                    shown++;
                }
        size_t from = L > 10 ? L - 10 : 0;
        printf("      the last commands:\n");
        for (size_t i = from; i < DB.n && i < L + 10; i++)
            printf("        #%zu db %d %-7s dbk:%03d %s [%s]\n", i, DB.ops[i].db + 1, dop_names[DB.ops[i].type],
                   DB.ops[i].k, DB.ops[i].v ? DB.ops[i].v : "", DB.ops[i].status == ST_ACKED ? "acked" : "no reply");
        fflush(stdout);
        pthread_mutex_unlock(&out_mu);
    }
    dbst_free(&st);
    dbst_free(&DB.base);
    DB.base = obs;
    for (size_t i = 0; i < DB.n; i++) free(DB.ops[i].v);
    DB.n = 0;
    cs->keys += 2 * DBK;
}

/* ---- power loss ------------------------------------------------------------------ */

struct fent {
    char *path;
    long long synced;        /* -1: never synced */
    bool durable_name, is_dir, created, gone;
    char *renamed_from;
};

static struct fent *fents;
static int nfents, capfents;

static struct fent *fent_find(const char *p)
{
    for (int i = nfents - 1; i >= 0; i--)
        if (!fents[i].gone && !strcmp(fents[i].path, p)) return &fents[i];
    return NULL;
}

static struct fent *fent_add(const char *p)
{
    if (nfents == capfents) {
        capfents = capfents ? capfents * 2 : 64;
        fents = xrealloc(fents, (size_t)capfents * sizeof *fents);
    }
    struct fent *e = &fents[nfents++];
    memset(e, 0, sizeof *e);
    e->path = strdup(p);
    e->synced = -1;
    return e;
}

static void fents_free(void)
{
    for (int i = 0; i < nfents; i++) { free(fents[i].path); free(fents[i].renamed_from); }
    nfents = 0;
}

static bool parent_is(const char *path, const char *dir)
{
    size_t l = strlen(dir);
    return !strncmp(path, dir, l) && path[l] == '/' && !strchr(path + l + 1, '/');
}

static bool under(const char *path, const char *dir)
{
    size_t l = strlen(dir);
    return !strncmp(path, dir, l) && path[l] == '/';
}

static void rm_tree(const char *path)
{
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) {}
}

struct cut_stats { int cut, kept, zeros, garbage, holes, removed, undone, vanished_dirs; };

/* Replays the shim log and makes the data dir look like a machine that lost
 * power at the moment of the kill:
 *  - a file is cut back to its length at its last successful fsync; beyond
 *    that, at random: nothing, some of the real unsynced bytes, zeros, or
 *    random garbage (never longer than what had been written);
 *    and (unless --no-page-holes) a 4 KB page inside the unsynced part
 *    that reads back as zeros while later pages survive (out-of-order
 *    write-back)
 *  - a file never synced is emptied, or removed if its name was not durable
 *  - a created file whose directory was not fsynced afterwards may vanish
 *  - a rename not followed by an fsync of the directory may be undone (the
 *    MANIFEST rule: a MANIFEST whose directory was not fsynced may vanish)
 *  - with --strict-dirs, a directory whose creation was never made durable
 *    by an fsync of its parent may vanish with everything in it */
static void power_cut(uint64_t *rng, struct cut_stats *st)
{
    fents_free();
    FILE *f = fopen(shimlog, "r");
    if (!f) {
        /* killed before its first file call: it changed nothing */
        if (errno != ENOENT) fail("power loss: can't read the shim log %s: %s", shimlog, strerror(errno));
        return;
    }
    char line[3 * PATH_MAX];
    char real[PATH_MAX];
    if (!realpath(datadir, real)) snprintf(real, sizeof real, "%s", datadir);
    while (fgets(line, sizeof line, f)) {
        size_t l = strlen(line);
        if (l && line[l - 1] == '\n') line[--l] = '\0';
        long long sz;
        int off = 0;
        if (!strncmp(line, "BD ", 3)) {
            struct fent *e = fent_find(line + 3);
            if (!e) e = fent_add(line + 3);
            e->is_dir = e->durable_name = true;
        } else if (sscanf(line, "B %lld %n", &sz, &off) == 1 && off) {
            struct fent *e = fent_add(line + off);
            e->synced = sz;
            e->durable_name = true;
        } else if (!strncmp(line, "C ", 2)) {
            struct fent *e = fent_find(line + 2);
            if (e) e->gone = true;
            e = fent_add(line + 2);
            e->created = true;
        } else if (sscanf(line, "T %lld %n", &sz, &off) == 1 && off) {
            struct fent *e = fent_find(line + off);
            if (e && e->synced > sz) e->synced = sz;
        } else if (sscanf(line, "S %lld %n", &sz, &off) == 1 && off) {
            struct fent *e = fent_find(line + off);
            if (!e) { e = fent_add(line + off); e->durable_name = true; }
            e->synced = sz;
        } else if (!strncmp(line, "D ", 2)) {
            const char *d = line + 2;
            for (int i = 0; i < nfents; i++)
                if (!fents[i].gone && parent_is(fents[i].path, d)) {
                    fents[i].durable_name = true;
                    free(fents[i].renamed_from);
                    fents[i].renamed_from = NULL;
                }
        } else if (!strncmp(line, "R ", 2)) {
            char *tab = strchr(line + 2, '\t');
            if (!tab) continue;
            *tab = '\0';
            const char *from = line + 2, *to = tab + 1;
            struct fent *old = fent_find(to);
            if (old) old->gone = true;
            struct fent *e = fent_find(from);
            if (!e) { e = fent_add(from); e->durable_name = true; }
            free(e->path);
            e->path = strdup(to);
            free(e->renamed_from);
            e->renamed_from = strdup(from);
            e->durable_name = false;
        } else if (!strncmp(line, "U ", 2)) {
            for (int i = 0; i < nfents; i++)
                if (!fents[i].gone && (!strcmp(fents[i].path, line + 2) || under(fents[i].path, line + 2)))
                    fents[i].gone = true;
        } else if (!strncmp(line, "M ", 2)) {
            struct fent *e = fent_add(line + 2);
            e->is_dir = true;
        }
    }
    fclose(f);
    /* directories first (strict mode), then files */
    for (int i = 0; i < nfents; i++) {
        struct fent *e = &fents[i];
        if (e->gone || !e->is_dir || e->durable_name || !O.strict_dirs) continue;
        if (rnd(rng) % 2) {
            if (O.verbose) say("  power loss: directory %s was never made durable: it vanishes\n", e->path);
            rm_tree(e->path);
            st->vanished_dirs++;
            for (int j = 0; j < nfents; j++)
                if (under(fents[j].path, e->path) || j == i) fents[j].gone = true;
        }
    }
    for (int i = 0; i < nfents; i++) {
        struct fent *e = &fents[i];
        if (e->gone || e->is_dir) continue;
        struct stat sb;
        if (stat(e->path, &sb) != 0) continue;
        if (!e->durable_name) {
            if (e->renamed_from && rnd(rng) % 2) {
                if (O.verbose) say("  power loss: rename to %s undone\n", e->path);
                if (rename(e->path, e->renamed_from) == 0) {
                    st->undone++;
                    free(e->path);
                    e->path = strdup(e->renamed_from);
                }
            } else if (!e->renamed_from && e->created && rnd(rng) % 2) {
                if (O.verbose) say("  power loss: %s (created, directory not synced) vanishes\n", e->path);
                unlink(e->path);
                st->removed++;
                continue;
            }
        }
        long long cur = (long long)sb.st_size;
        if (e->synced < 0) {
            if (cur == 0) continue;
            if (O.verbose) say("  power loss: %s was never synced: emptied\n", e->path);
            if (truncate(e->path, 0) != 0) fail("power loss: truncate %s: %s", e->path, strerror(errno));
            st->cut++;
            continue;
        }
        if (cur <= e->synced) continue;
        long long extra = cur - e->synced;
        unsigned r = (unsigned)(rnd(rng) % 100);
        int fd = open(e->path, O_RDWR);
        if (fd < 0) { fail("power loss: open %s: %s", e->path, strerror(errno)); continue; }
        const char *what;
        if (O.page_holes && r >= 70) r = 95;   /* a third of the cuts make a hole when there is room */
        if (r < 40) {
            if (ftruncate(fd, e->synced) != 0) {}
            st->cut++;
            what = "cut at the synced length";
        } else if (r < 60) {
            long long keep = (long long)(rnd(rng) % (uint64_t)(extra + 1));
            if (ftruncate(fd, e->synced + keep) != 0) {}
            st->kept++;
            what = "kept part of the unsynced bytes";
        } else if (r < 75 || (r >= 90 && !O.page_holes)) {
            long long n = 1 + (long long)(rnd(rng) % (uint64_t)extra);
            if (ftruncate(fd, e->synced) != 0 || ftruncate(fd, e->synced + n) != 0) {}
            st->zeros++;
            what = "zeros after the synced length";
        } else if (r < 90) {
            long long n = 1 + (long long)(rnd(rng) % (uint64_t)(extra < 8192 ? extra : 8192));
            if (ftruncate(fd, e->synced) != 0) {}
            char *g = xmalloc((size_t)n);
            for (long long j = 0; j < n; j++) g[j] = (char)rnd(rng);
            if (pwrite(fd, g, (size_t)n, e->synced) != n) {}
            free(g);
            st->garbage++;
            what = "garbage after the synced length";
        } else {
            /* a zeroed 4 KB page inside the unsynced part, later bytes
             * intact: any whole page there with at least one byte after it */
            long long pg0 = (e->synced + 4095) / 4096 * 4096;
            if (pg0 + 4096 < cur) {
                pg0 += (long long)(rnd(rng) % (uint64_t)((cur - 1 - pg0) / 4096)) * 4096;
                static const char z[4096];
                if (pwrite(fd, z, 4096, pg0) != 4096) {}
                st->holes++;
                what = "a zeroed page in the unsynced part";
            } else {
                if (ftruncate(fd, e->synced) != 0) {}
                st->cut++;
                what = "cut at the synced length";
            }
        }
        close(fd);
        if (O.verbose) say("  power loss: %s: synced %lld of %lld bytes: %s\n", e->path, e->synced, cur, what);
    }
    fents_free();
}

/* ---- the cycles ----------------------------------------------------------------- */

static void setup_conns(void)
{
    readers = calloc((size_t)(O.readers > 0 ? O.readers : 1), sizeof *readers);
    for (int r = 0; r < O.readers; r++) readers[r].rng = rng_init(O.seed, 1000 + (uint64_t)r);
    conns = calloc((size_t)O.conns, sizeof *conns);
    for (int i = 0; i < O.conns; i++) {
        struct conn *c = &conns[i];
        c->id = i;
        c->nkeys = O.keys;
        c->base = calloc((size_t)O.keys, sizeof(struct kst));
        c->cur = calloc((size_t)O.keys, sizeof(struct kst));
        c->rng = rng_init(O.seed, (uint64_t)i + 1);
    }
    DB.rng = rng_init(O.seed, 777);
}

static void start_threads(void)
{
    stop_threads = 0;
    killed = 0;
    for (int i = 0; i < O.conns; i++) pthread_create(&conns[i].th, NULL, writer, &conns[i]);
    if (db_thread_on()) pthread_create(&DB.th, NULL, db_writer, NULL);
    start_readers();
}

static void join_threads(void)
{
    for (int i = 0; i < O.conns; i++) pthread_join(conns[i].th, NULL);
    if (db_thread_on()) pthread_join(DB.th, NULL);
}

static uint64_t tot_reads, tot_forced;

/* joins writers and readers and folds what the readers saw into the log */
static void join_all(void)
{
    join_threads();
    join_readers(&tot_reads);
    tot_forced += apply_observations();
}

static long long info_ll(redisContext *c, const char *section, const char *field)
{
    char v[128];
    if (!c || !info_field(c, section, field, v, sizeof v)) return -1;
    return atoll(v);
}

static int count_log(const char *needle, long from)
{
    FILE *f = fopen(logpath, "r");
    if (!f) return 0;
    if (from > 0) fseek(f, from, SEEK_SET);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f)) n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

static long log_size(void)
{
    struct stat st;
    return stat(logpath, &st) == 0 ? (long)st.st_size : 0;
}

static void print_log_matches(const char *needle, long from)
{
    FILE *f = fopen(logpath, "r");
    if (!f) return;
    if (from > 0) fseek(f, from, SEEK_SET);
    char line[4096];
    while (fgets(line, sizeof line, f))
        if (strstr(line, needle)) printf("      log: %s", line);
    fclose(f);
    fflush(stdout);
}

/* Power loss under everysec: the acknowledgements after `since` may be lost
 * (they become unanswered, and so does what the readers saw). */
static void demote_recent(int64_t since)
{
    for (int i = 0; i < O.conns; i++) {
        struct conn *c = &conns[i];
        for (size_t j = 0; j < c->nops; j++) {
            struct op *o = &c->ops[j];
            o->forced = false;
            if (o->status == ST_ACKED && o->ack_ns > since) o->status = ST_SENT;
        }
    }
    /* the databases thread has no times: all of its acks of this cycle may go */
    for (size_t j = 0; j < DB.n; j++)
        if (DB.ops[j].status == ST_ACKED) DB.ops[j].status = ST_SENT;
}

static int run_cycles(void)
{
    uint64_t crng = rng_init(O.seed, 0xc0ffee);
    uint64_t tot_acked = 0, tot_batches = 0, tot_unacked = 0, tot_survived = 0, tot_partial = 0, tot_snaps = 0;
    int tot_torn = 0, tot_torn_holes = 0, recovery_kills = 0;
    int64_t last_ready = 20;
    struct cut_stats cut = {0};
    int cycle;
    for (cycle = 1; cycle <= O.cycles && !failures; cycle++) {
        if (cycle > 1 && (int)(rnd(&crng) % 100) < O.recovery_kill_pct) {
            server_log_note("\n==== crash-loop: cycle %d, a start to be killed during recovery ====\n", cycle);
            if (O.power) unlink(shimlog);
            start_server(O.power ? SHIM_POWER : SHIM_NONE);
            int d = (int)(rnd(&crng) % (uint64_t)(last_ready + 5));
            msleep(d);
            int st = server_exited();
            if (st >= 0) {
                fail("cycle %d: the server exited during start-up (status %d)", cycle, st);
                print_log_tail(30);
                break;
            }
            kill_server();
            recovery_kills++;
            if (O.verbose) say("  cycle %d: killed the server %d ms into its start\n", cycle, d);
            if (O.power) {
                struct cut_stats cst = {0};
                power_cut(&crng, &cst);
            }
        }
        server_log_note("\n==== crash-loop: cycle %d, starting the server%s ====\n", cycle, O.power ? " with fsync-shim" : "");
        long log0 = log_size();
        if (O.power) unlink(shimlog);
        start_server(O.power ? SHIM_POWER : SHIM_NONE);
        int64_t ready_ms = 0;
        redisContext *ctl = wait_ready(&ready_ms);
        if (!ctl) break;
        last_ready = ready_ms;
        int torn = count_log("WAL tail was torn", log0);
        tot_torn += torn;
        tot_torn_holes += count_log("valid frames follow it", log0);
        int incomplete = count_log("Removing incomplete snapshot", log0);
        struct cycle_stats cs = {0};
        if (!verify_all(ctl, cycle, &cs)) {
            print_log_matches("torn", log0);
            print_log_matches("Loading snapshot", log0);
            print_log_matches("WAL replayed", log0);
            break;
        }
        /* the previous cycle's unanswered commands were judged in verify_all */
        start_threads();
        int delay = O.min_ms + (int)(rnd(&crng) % (uint64_t)(O.max_ms - O.min_ms + 1));
        int64_t t_end = now_ns() + (int64_t)delay * 1000000;
        int64_t next_bg = now_ns() + (int64_t)(50 + rnd(&crng) % 400) * 1000000;
        int bgsaves = 0, flips = 0;
        while (now_ns() < t_end && !failures) {
            if (now_ns() >= next_bg) {
                redisReply *r = redisCommand(ctl, "BGSAVE");
                if (!r) { fail("BGSAVE: connection error: %s", ctl->errstr); break; }
                if (r->type == REDIS_REPLY_STATUS) bgsaves++;
                else if (r->type != REDIS_REPLY_ERROR || !strstr(r->str, "in progress"))
                    fail("BGSAVE answered unexpectedly: %s", r->str ? r->str : "?");
                freeReplyObject(r);
                next_bg = now_ns() + (int64_t)(100 + rnd(&crng) % 500) * 1000000;
            }
            if (O.flip_fsync && rnd(&crng) % 8 == 0) {
                const char *pol = rnd(&crng) % 2 ? "always" : "everysec";
                redisReply *r = redisCommand(ctl, "CONFIG SET appendfsync %s", pol);
                if (!r || r->type != REDIS_REPLY_STATUS) fail("CONFIG SET appendfsync %s failed", pol);
                if (r) freeReplyObject(r);
                flips++;
            }
            int64_t left = (t_end - now_ns()) / 1000000;
            msleep(left < 10 ? (left > 0 ? (int)left : 0) : 10);
        }
        if (count_log("Sanitizer", log0) || count_log("runtime error:", log0)) {
            fail("cycle %d: the sanitizer reported an error (see the server log)", cycle);
            print_log_matches("Sanitizer", log0);
            print_log_matches("runtime error:", log0);
        }
        long long snaps = info_ll(ctl, "holdfast", "snapshot_count");
        long long lsn = info_ll(ctl, "holdfast", "wal_last_lsn");
        redisFree(ctl);
        killed = 1;
        int64_t kill_ns = now_ns();
        kill_server();
        join_all();
        if (O.power && O.window_ms > 0) demote_recent(kill_ns - (int64_t)O.window_ms * 1000000);
        uint64_t acked = 0, batches = 0;
        for (int i = 0; i < O.conns; i++) { acked += conns[i].acked; batches += conns[i].batches; }
        acked += DB.acked;
        DB.acked = 0;
        tot_acked += acked;
        tot_batches += batches;
        if (snaps > 0) tot_snaps += (uint64_t)snaps;
        char prev[128] = "";
        if (cycle > 1)
            snprintf(prev, sizeof prev, " (last kill: %llu unanswered, %llu survived)", (unsigned long long)cs.unacked,
                     (unsigned long long)cs.survived);
        say("cycle %d/%d: restart %lld ms, %s%s, %llu keys OK%s; %llu acked in %llu batches, %d BGSAVE, "
            "%lld snapshots, LSN %lld; SIGKILL at %d ms%s\n",
            cycle, O.cycles, (long long)ready_ms, torn ? "torn tail truncated" : "clean tail",
            incomplete ? ", incomplete snapshot removed" : "", (unsigned long long)cs.keys, prev,
            (unsigned long long)acked, (unsigned long long)batches, bgsaves, snaps, lsn, delay,
            O.power ? ", power cut" : flips ? ", appendfsync flipped" : "");
        if (O.power) {
            struct cut_stats cst = {0};
            power_cut(&crng, &cst);
            cut.cut += cst.cut; cut.kept += cst.kept; cut.zeros += cst.zeros; cut.garbage += cst.garbage;
            cut.holes += cst.holes; cut.removed += cst.removed; cut.undone += cst.undone;
            cut.vanished_dirs += cst.vanished_dirs;
        }
        if (cycle > 1 || cs.unacked) {
            tot_unacked += cs.unacked;
            tot_survived += cs.survived;
            tot_partial += cs.split;
        }
    }
    /* final round: restart and verify, then a clean shutdown and again */
    if (!failures) {
        server_log_note("\n==== crash-loop: final verification ====\n");
        long log0 = log_size();
        start_server(SHIM_NONE);
        redisContext *ctl = wait_ready(NULL);
        struct cycle_stats cs = {0};
        if (ctl && verify_all(ctl, cycle, &cs)) {
            tot_unacked += cs.unacked;
            tot_survived += cs.survived;
            tot_partial += cs.split;
            tot_torn += count_log("WAL tail was torn", log0);
            tot_torn_holes += count_log("valid frames follow it", log0);
            redisFree(ctl);
            int st = stop_server(20000);
            if (st < 0) fail("the server did not stop within 20 s of SIGTERM");
            else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) fail("the server exited with status %d on SIGTERM", st);
            start_server(SHIM_NONE);
            ctl = wait_ready(NULL);
            if (ctl) {
                struct cycle_stats cs2 = {0};
                verify_all(ctl, cycle + 1, &cs2);
                redisFree(ctl);
            }
            stop_server(20000);
        } else if (ctl) {
            redisFree(ctl);
        }
    }
    printf("summary: %d cycles (fsync %s%s), %llu acknowledged commands in %llu batches, %llu snapshots; "
           "%llu commands unanswered at a kill, %llu of them survived (%llu came back in part); "
           "%d torn WAL tails truncated (%d of them at a hole with valid records after it); %d kills during recovery; ",
           cycle - 1, O.fsync, O.power ? ", power loss" : "", (unsigned long long)tot_acked,
           (unsigned long long)tot_batches, (unsigned long long)tot_snaps, (unsigned long long)tot_unacked,
           (unsigned long long)tot_survived, (unsigned long long)tot_partial, tot_torn, tot_torn_holes, recovery_kills);
    if (O.power)
        printf("power cuts: %d files cut back, %d kept unsynced bytes, %d zero tails, %d garbage tails, %d page holes, "
               "%d files vanished, %d renames undone, %d directories vanished; ",
               cut.cut, cut.kept, cut.zeros, cut.garbage, cut.holes, cut.removed, cut.undone, cut.vanished_dirs);
    printf("%llu reads, which required %llu unanswered commands to survive; %s\n", (unsigned long long)tot_reads,
           (unsigned long long)tot_forced, failures ? "FAILED" : "no acknowledged write lost");
    return failures ? 1 : 0;
}

/* ---- fault mode ---------------------------------------------------------------- */

static int64_t read_fault_time(char *desc, size_t len)
{
    FILE *f = fopen(shimlog, "r");
    if (!f) return -1;
    char line[PATH_MAX + 128];
    int64_t t = -1;
    while (fgets(line, sizeof line, f)) {
        long long ns;
        int n = 0;
        if (sscanf(line, "FAULT %lld %n", &ns, &n) == 1) {
            t = ns;
            line[strcspn(line, "\n")] = '\0';
            snprintf(desc, len, "%s", line + n);
            break;
        }
    }
    fclose(f);
    return t;
}

static int run_fault(void)
{
    uint64_t crng = rng_init(O.seed, 0xfa17);
    const char *want_reason = !strcmp(O.fault_errno, "ENOSPC") ? "No space left on device" : "Input/output error";
    unlink(shimlog);
    server_log_note("\n==== crash-loop: fault run: %s #%ld fails with %s%s%s ====\n", O.fault_op, O.fault_n,
                    O.fault_errno, O.fault_partial ? " (partial write first)" : "",
                    O.fault_drop ? " (dirty pages dropped)" : "");
    long log0 = log_size();
    start_server(SHIM_FAULT);
    redisContext *ctl = wait_ready(NULL);
    if (!ctl) return 1;
    /* keys written before the fault, read back after it */
    nstatic = 300;
    static_expect = calloc((size_t)nstatic, sizeof(struct kst));
    for (int i = 0; i < nstatic; i++) redisAppendCommand(ctl, "SET static:%05d before-the-fault-%d", i, i);
    for (int i = 0; i < nstatic; i++) {
        redisReply *r = NULL;
        if (redisGetReply(ctl, (void **)&r) != REDIS_OK) { fail("writing the static keys: %s", ctl->errstr); return 1; }
        if (r->type == REDIS_REPLY_STATUS) {
            char v[64];
            snprintf(v, sizeof v, "before-the-fault-%d", i);
            static_expect[i].exists = true;
            static_expect[i].val = strdup(v);
        } else {
            fail("the fault triggered while the static keys were written (raise --fault-n): %s", r->str);
        }
        freeReplyObject(r);
    }
    if (failures) return 1;
    start_threads();
    int64_t t0 = now_ns(), seen = 0;
    while (now_ns() - t0 < 30LL * 1000000000) {
        if (info_ll(ctl, "holdfast", "wal_failed") == 1) { seen = now_ns(); break; }
        msleep(10);
    }
    if (!seen) {
        fail("the WAL did not report a failure within 30 s (did the fault trigger?)");
        stop_threads = 1;
        join_all();
        return 1;
    }
    msleep(300 + (int)(rnd(&crng) % 300));   /* clients go on meeting the failed log */
    stop_threads = 1;
    join_all();
    char desc[PATH_MAX + 64] = "?";
    int64_t fault_ns = read_fault_time(desc, sizeof desc);
    uint64_t acked = 0, rejected = 0, reconnects = 0;
    for (int i = 0; i < O.conns; i++) {
        acked += conns[i].acked;
        rejected += conns[i].rejected;
        reconnects += conns[i].reconnects;
    }
    /* no write sent after the fault may have been acknowledged */
    int late = 0;
    for (int i = 0; i < O.conns; i++)
        for (size_t j = 0; j < conns[i].nops; j++) {
            const struct op *o = &conns[i].ops[j];
            if (o->status == ST_ACKED && !o->noop && fault_ns > 0 && o->sent_ns > fault_ns) {
                if (late++ < 5) {
                    char k[32];
                    key_name(k, sizeof k, i, o->k[0]);
                    fail("%s %s was sent %.1f ms after the disk failed and acknowledged", op_names[o->type], k,
                         (double)(o->sent_ns - fault_ns) / 1e6);
                }
            }
        }
    /* writes are refused with MISCONF */
    redisReply *r = redisCommand(ctl, "SET after-the-fault x");
    if (!r) fail("SET after the fault: connection closed");
    else if (r->type != REDIS_REPLY_ERROR || strncmp(r->str, "MISCONF Errors writing to the AOF file", 38) != 0)
        fail("SET after the fault answered %s (expected -MISCONF Errors writing to the AOF file: ...)",
             r->str ? r->str : "an integer");
    else if (!strstr(r->str, want_reason))
        fail("the MISCONF error does not name the cause (%s): %s", want_reason, r->str);
    if (r) freeReplyObject(r);
    r = redisCommand(ctl, "INCR after-the-fault-n");
    if (!r || r->type != REDIS_REPLY_ERROR || strncmp(r->str, "MISCONF", 7) != 0) fail("INCR after the fault was not refused with MISCONF");
    if (r) freeReplyObject(r);
    /* INFO */
    char reason[512] = "";
    if (info_ll(ctl, "holdfast", "wal_failed") != 1) fail("INFO holdfast: wal_failed is not 1");
    if (!info_field(ctl, "holdfast", "wal_fail_reason", reason, sizeof reason) || !strstr(reason, want_reason))
        fail("INFO holdfast: wal_fail_reason '%s' does not name %s", reason, want_reason);
    char aofst[64] = "";
    info_field(ctl, "persistence", "aof_last_write_status", aofst, sizeof aofst);
    /* reads of keys written before the fault */
    int answered = 0, closed = 0;
    redisContext *rc = NULL;
    for (int i = 0; i < nstatic; i++) {
        if (!rc && !(rc = connect_server(2000))) { fail("can't connect after the fault"); break; }
        r = redisCommand(rc, "GET static:%05d", i);
        if (!r) { closed++; redisFree(rc); rc = NULL; continue; }
        if (r->type == REDIS_REPLY_STRING && static_expect[i].exists && !strcmp(r->str, static_expect[i].val)) answered++;
        else fail("GET static:%05d after the fault answered %s", i, r->type == REDIS_REPLY_ERROR ? r->str : "a wrong value");
        freeReplyObject(r);
    }
    if (rc) redisFree(rc);
    if (answered == 0) fail("no read was answered after the fault");
    /* a snapshot must not pretend to succeed over a failed log (it may be refused) */
    r = redisCommand(ctl, "PING");
    if (!r || r->type != REDIS_REPLY_STATUS) fail("PING after the fault failed");
    if (r) freeReplyObject(r);
    redisFree(ctl);
    int st = stop_server(15000);
    if (st < 0) fail("the server with a failed WAL did not stop within 15 s of SIGTERM");
    int failed_closes = count_log("failed WAL did not make durable", log0);
    say("fault %s #%ld %s%s%s: %s; %llu commands acknowledged, %llu refused, %d connections closed by the server; "
        "reads after the fault: %d answered, %d connections closed; reason \"%s\"; aof_last_write_status:%s; "
        "SIGTERM exit %s\n",
        O.fault_op, O.fault_n, O.fault_errno, O.fault_partial ? " partial" : "", O.fault_drop ? " drop" : "", desc,
        (unsigned long long)acked, (unsigned long long)rejected, failed_closes, answered, closed, reason, aofst,
        st < 0 ? "hung" : WIFEXITED(st) ? (WEXITSTATUS(st) == 0 ? "0" : "non-zero") : "by signal");
    /* restart without the shim: everything acknowledged is there */
    server_log_note("\n==== crash-loop: restart without the fault shim ====\n");
    long log1 = log_size();
    start_server(SHIM_NONE);
    ctl = wait_ready(NULL);
    if (!ctl) return 1;
    struct cycle_stats cs = {0};
    verify_all(ctl, 1, &cs);
    int torn = count_log("WAL tail was torn", log1);
    redisFree(ctl);
    stop_server(15000);
    say("after restart: %llu keys verified, %llu commands had no reply (%s)%s\n", (unsigned long long)cs.keys,
        (unsigned long long)cs.unacked, torn ? "a torn tail was truncated" : "no torn tail",
        failures ? ": FAILED" : ": every acknowledged write is there");
    return failures ? 1 : 0;
}

/* ---- main ----------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: crash-loop [--cycles N] [--server PATH] [--seed S] [--fsync always|everysec]\n"
            "                  [--conns N] [--keys N] [--readers N] [--min-ms N] [--max-ms N] [--keep] [--verbose]\n"
            "                  [--recovery-kills PERCENT] [--flip-fsync] [--allow-split] [--no-db-thread]\n"
            "                  [--everysec-window MS]\n"
            "                  [--power-loss [--fsync-shim PATH] [--no-page-holes] [--strict-dirs]]\n"
            "                  [--fault write|fsync|create [--fault-n N] [--fault-errno EIO|ENOSPC] [--fault-partial]\n"
            "                   [--fault-drop] [--fault-shim PATH]]\n"
            "                  [--server-arg NAME VALUE]...\n");
    exit(2);
}

static char *sibling(const char *argv0, const char *name)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", argv0);
    char *d = dirname(buf);
    char *out = xmalloc(PATH_MAX);
    snprintf(out, PATH_MAX, "%s/%s", d, name);
    char *abs = realpath(out, NULL);
    if (abs) { free(out); return abs; }
    return out;
}

int main(int argc, char **argv)
{
    bool seeded = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define NEXT() (i + 1 < argc ? argv[++i] : (usage(), ""))
        if (!strcmp(a, "--cycles")) O.cycles = atoi(NEXT());
        else if (!strcmp(a, "--server")) O.server = NEXT();
        else if (!strcmp(a, "--seed")) { O.seed = strtoull(NEXT(), NULL, 0); seeded = true; }
        else if (!strcmp(a, "--fsync")) O.fsync = NEXT();
        else if (!strcmp(a, "--conns")) O.conns = atoi(NEXT());
        else if (!strcmp(a, "--keys")) O.keys = atoi(NEXT());
        else if (!strcmp(a, "--readers")) O.readers = atoi(NEXT());
        else if (!strcmp(a, "--recovery-kills")) O.recovery_kill_pct = atoi(NEXT());
        else if (!strcmp(a, "--flip-fsync")) O.flip_fsync = true;
        else if (!strcmp(a, "--allow-split")) O.allow_split = true;
        else if (!strcmp(a, "--no-db-thread")) O.dbthread = false;
        else if (!strcmp(a, "--everysec-window")) O.window_ms = atoi(NEXT());
        else if (!strcmp(a, "--min-ms")) O.min_ms = atoi(NEXT());
        else if (!strcmp(a, "--max-ms")) O.max_ms = atoi(NEXT());
        else if (!strcmp(a, "--keep")) O.keep = true;
        else if (!strcmp(a, "--verbose")) O.verbose = true;
        else if (!strcmp(a, "--power-loss")) O.power = true;
        else if (!strcmp(a, "--page-holes")) O.page_holes = true;
        else if (!strcmp(a, "--no-page-holes")) O.page_holes = false;
        else if (!strcmp(a, "--strict-dirs")) O.strict_dirs = true;
        else if (!strcmp(a, "--fsync-shim")) O.fsync_shim = NEXT();
        else if (!strcmp(a, "--fault")) O.fault_op = NEXT();
        else if (!strcmp(a, "--fault-n")) O.fault_n = atol(NEXT());
        else if (!strcmp(a, "--fault-errno")) O.fault_errno = NEXT();
        else if (!strcmp(a, "--fault-partial")) O.fault_partial = true;
        else if (!strcmp(a, "--fault-drop")) O.fault_drop = true;
        else if (!strcmp(a, "--fault-shim")) O.fault_shim = NEXT();
        else if (!strcmp(a, "--server-arg")) {
            if (O.nextra + 2 > 64) usage();
            char *n = NEXT();
            char *v = NEXT();
            char *dash = xmalloc(strlen(n) + 3);
            sprintf(dash, "--%s", n[0] == '-' && n[1] == '-' ? n + 2 : n);
            O.extra[O.nextra++] = dash;
            O.extra[O.nextra++] = v;
        } else usage();
#undef NEXT
    }
    if (O.cycles < 1 || O.conns < 1 || O.conns > 256 || O.keys < 4 || O.keys > 9999 || O.min_ms < 0 ||
        O.max_ms < O.min_ms)
        usage();
    if (strcmp(O.fsync, "always") && strcmp(O.fsync, "everysec")) usage();
    if (O.fault_op && strcmp(O.fault_op, "write") && strcmp(O.fault_op, "fsync") && strcmp(O.fault_op, "create")) usage();
    if (O.power && O.flip_fsync) {
        fprintf(stderr, "crash-loop: --flip-fsync goes with kill -9 cycles only\n");
        return 2;
    }
    if (O.power && strcmp(O.fsync, "always") && O.window_ms <= 0) O.window_ms = 2000;
    if (!seeded) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        O.seed = ((uint64_t)ts.tv_sec * 1000003ULL) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 20);
        O.seed %= 1000000000ULL;
    }
    if (!O.server) {
        const char *b = getenv("abs_top_builddir");
        if (b) {
            char *p = xmalloc(PATH_MAX);
            snprintf(p, PATH_MAX, "%s/src/holdfast-server", b);
            O.server = p;
        } else {
            O.server = sibling(argv[0], "../../src/holdfast-server");
        }
    }
    if (access(O.server, X_OK) != 0) {
        fprintf(stderr, "crash-loop: no server binary at %s (use --server)\n", O.server);
        return 2;
    }
    if (O.power && !O.fsync_shim) O.fsync_shim = sibling(argv[0], "fsync-shim.so");
    if (O.fault_op && !O.fault_shim) O.fault_shim = sibling(argv[0], "fault-shim.so");
    if (O.power && access(O.fsync_shim, R_OK) != 0) {
        fprintf(stderr, "crash-loop: no shim at %s (use --fsync-shim)\n", O.fsync_shim);
        return 2;
    }
    if (O.fault_op && access(O.fault_shim, R_OK) != 0) {
        fprintf(stderr, "crash-loop: no shim at %s (use --fault-shim)\n", O.fault_shim);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/hf-crash-XXXXXX", t && *t && strlen(t) < 60 ? t : "/tmp");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 2; }
    snprintf(datadir, sizeof datadir, "%.4000s/data", tmpdir);
    snprintf(sockpath, sizeof sockpath, "%.4000s/s.sock", tmpdir);
    snprintf(logpath, sizeof logpath, "%.4000s/server.log", tmpdir);
    snprintf(shimlog, sizeof shimlog, "%.4000s/shim.log", tmpdir);
    if (mkdir(datadir, 0755) != 0) { perror("mkdir"); return 2; }
    atexit(atexit_cleanup);
    printf("crash-loop: seed %" PRIu64 ", %s, %d connections x %d keys, server %s, work dir %s\n", O.seed,
           O.fault_op ? "fault injection" : O.power ? "power-loss cycles" : "kill -9 cycles", O.conns, O.keys,
           O.server, tmpdir);
    fflush(stdout);
    setup_conns();
    int rc = O.fault_op ? run_fault() : run_cycles();
    if (server_pid > 0) kill_server();
    if (rc == 0 && !O.keep) {
        rm_tree(tmpdir);
    } else {
        printf("crash-loop: kept %s (server.log, data/)%s; reproduce with --seed %" PRIu64 "\n", tmpdir,
               rc ? "" : "", O.seed);
    }
    return rc;
}
