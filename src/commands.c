/* commands.c — the command table, lookup and dispatch.
 *
 * The table joins each handler with its interface facts from cmdmeta.c
 * (generated from a real redis-server's COMMAND output).  Lookup is an
 * open-addressing table on the lower-cased name.  Dispatch follows Redis's
 * processCommand order: unknown command, arity, authentication, then run. */
#include "config.h"
#include "commands.h"
#include "conf.h"
#include "keyspace.h"
#include "dict.h"
#include "net.h"
#include "reply.h"
#include "stats.h"
#include "util.h"
#include "wal.h"
#include "log.h"
#include "server.h"
#include "multi.h"
#include "pubsub.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct binding core_bindings[] = {
    {"ping", cmd_ping}, {"echo", cmd_echo}, {"quit", cmd_quit}, {"hello", cmd_hello},
    {"auth", cmd_auth}, {"select", cmd_select}, {"reset", cmd_reset},
    {"client", NULL}, {"client|id", cmd_client_id}, {"client|setname", cmd_client_setname},
    {"client|getname", cmd_client_getname}, {"client|list", cmd_client_list},
    {"client|info", cmd_client_info}, {"client|kill", cmd_client_kill},
    {"client|setinfo", cmd_client_setinfo}, {"client|no-evict", cmd_client_no_evict},
    {"client|help", cmd_client_help}, {"client|unblock", cmd_client_unblock},
    {"command", cmd_command}, {"command|count", cmd_command_count}, {"command|info", cmd_command_info},
    {"command|docs", cmd_command_docs}, {"command|list", cmd_command_list},
    {"command|getkeys", cmd_command_getkeys},
    {"command|getkeysandflags", cmd_command_getkeysandflags}, {"command|help", cmd_command_help},
    {"get", cmd_get}, {"set", cmd_set}, {"setnx", cmd_setnx}, {"setex", cmd_setex},
    {"psetex", cmd_psetex}, {"getset", cmd_getset}, {"getdel", cmd_getdel}, {"getex", cmd_getex},
    {"mget", cmd_mget}, {"mset", cmd_mset}, {"msetnx", cmd_msetnx}, {"append", cmd_append},
    {"strlen", cmd_strlen}, {"getrange", cmd_getrange}, {"setrange", cmd_setrange},
    {"substr", cmd_substr}, {"incr", cmd_incr}, {"decr", cmd_decr}, {"incrby", cmd_incrby},
    {"decrby", cmd_decrby}, {"incrbyfloat", cmd_incrbyfloat},
    {"del", cmd_del}, {"unlink", cmd_unlink}, {"exists", cmd_exists}, {"type", cmd_type},
    {"keys", cmd_keys}, {"scan", cmd_scan}, {"randomkey", cmd_randomkey}, {"rename", cmd_rename},
    {"renamenx", cmd_renamenx}, {"copy", cmd_copy}, {"move", cmd_move}, {"expire", cmd_expire},
    {"pexpire", cmd_pexpire}, {"expireat", cmd_expireat}, {"pexpireat", cmd_pexpireat},
    {"ttl", cmd_ttl}, {"pttl", cmd_pttl}, {"expiretime", cmd_expiretime},
    {"pexpiretime", cmd_pexpiretime}, {"persist", cmd_persist}, {"touch", cmd_touch},
    {"dbsize", cmd_dbsize}, {"flushdb", cmd_flushdb}, {"flushall", cmd_flushall},
    {"swapdb", cmd_swapdb},
    {"object", NULL}, {"object|encoding", cmd_object_encoding}, {"object|idletime", cmd_object_idletime},
    {"object|freq", cmd_object_freq}, {"object|refcount", cmd_object_refcount},
    {"object|help", cmd_object_help},
    {"info", cmd_info},
    {"config", NULL}, {"config|get", cmd_config_get}, {"config|set", cmd_config_set},
    {"config|resetstat", cmd_config_resetstat}, {"config|rewrite", cmd_config_rewrite},
    {"config|help", cmd_config_help},
    {"time", cmd_time}, {"shutdown", cmd_shutdown}, {"lastsave", cmd_lastsave},
    {"memory", NULL}, {"memory|usage", cmd_memory_usage}, {"memory|help", cmd_memory_help},
    {"slowlog", NULL}, {"slowlog|get", cmd_slowlog_get}, {"slowlog|len", cmd_slowlog_len},
    {"slowlog|reset", cmd_slowlog_reset}, {"slowlog|help", cmd_slowlog_help},
    {"save", cmd_save}, {"bgsave", cmd_bgsave}, {"bgrewriteaof", cmd_bgrewriteaof}, {"waitaof", cmd_waitaof},
    {NULL, NULL}
};

static const struct binding *const families[] = {
    core_bindings, hash_bindings, list_bindings, set_bindings, zset_bindings, bitmap_bindings,
    sort_bindings, multi_bindings, pubsub_bindings, blocking_bindings,
};

#define MAX_COMMANDS 512
static struct command cmds[MAX_COMMANDS];
static int ncmds;               /* top-level and subcommands */
static struct command *htab[1024];   /* top-level commands by name */

static __thread struct cmdstat *tl_cmdstats;

static const struct { const char *name; uint32_t flag; } flagnames[] = {
    {"write", CMD_WRITE}, {"readonly", CMD_READONLY}, {"denyoom", CMD_DENYOOM},
    {"admin", CMD_ADMIN}, {"noscript", CMD_NOSCRIPT}, {"loading", CMD_LOADING},
    {"stale", CMD_STALE}, {"fast", CMD_FAST}, {"no_auth", CMD_NO_AUTH},
    {"blocking", CMD_BLOCKING}, {"pubsub", CMD_PUBSUB},
};

static uint32_t parse_flags(const char *s)
{
    uint32_t f = 0;
    while (*s) {
        while (*s == ' ') s++;
        const char *e = s;
        while (*e && *e != ' ') e++;
        for (size_t i = 0; i < sizeof flagnames / sizeof flagnames[0]; i++)
            if (strlen(flagnames[i].name) == (size_t)(e - s) && !strncmp(s, flagnames[i].name, (size_t)(e - s)))
                f |= flagnames[i].flag;
        s = e;
    }
    return f;
}

static uint64_t name_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a: the table is fixed, not attacker-fed */
    for (size_t i = 0; i < n; i++) { h ^= (uint64_t)tolower((unsigned char)s[i]); h *= 1099511628211ULL; }
    return h;
}

static const struct cmdmeta *meta_for(const char *name)
{
    for (const struct cmdmeta *m = cmdmeta_table; m->name; m++)
        if (!strcmp(m->name, name)) return m;
    return NULL;
}

static void build_table(void)
{
    ncmds = 0;
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
    for (const struct binding *b = families[f]; b->name; b++) {
        if (ncmds == MAX_COMMANDS) { fprintf(stderr, "too many commands\n"); abort(); }
        struct command *c = &cmds[ncmds];
        c->name = b->name;
        c->fn = b->fn;
        c->meta = meta_for(c->name);
        if (!c->meta) { fprintf(stderr, "no metadata for command %s\n", c->name); abort(); }
        c->arity = c->meta->arity;
        c->flags = parse_flags(c->meta->flags);
        c->idx = ncmds++;
        const char *bar = strchr(c->name, '|');
        if (bar) {
            struct command *parent = command_lookup(c->name, (size_t)(bar - c->name));
            c->parent = parent;
            parent->subs = hf_realloc(parent->subs, sizeof(struct command *) * (size_t)(parent->nsubs + 2));
            parent->subs[parent->nsubs++] = c;
            parent->subs[parent->nsubs] = NULL;
        } else {
            uint64_t h = name_hash(c->name, strlen(c->name)) & 1023;
            while (htab[h]) h = (h + 1) & 1023;
            htab[h] = c;
        }
    }
}

/* Once per process, whoever asks first: the server at start-up, or
 * recovery replaying a CMD record in holdfast-admin. */
void commands_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, build_table);
}

struct command *command_lookup(const char *name, size_t len)
{
    uint64_t h = name_hash(name, len) & 1023;
    while (htab[h]) {
        if (hf_streq(name, len, htab[h]->name)) return htab[h];
        h = (h + 1) & 1023;
    }
    return NULL;
}

struct command *command_lookup_sub(struct command *parent, const char *name, size_t len)
{
    size_t plen = strlen(parent->name);
    for (int i = 0; i < parent->nsubs; i++) {
        const char *sub = parent->subs[i]->name + plen + 1;
        if (hf_streq(name, len, sub)) return parent->subs[i];
    }
    return NULL;
}

int commands_count(void) { return ncmds; }
struct command *command_at(int i) { return &cmds[i]; }

/* Every worker registers its statistics array so INFO can sum them. */
#define MAX_STAT_THREADS 256
static struct cmdstat *all_stats[MAX_STAT_THREADS];
static int nstat_threads;

static struct cmdstat *my_stats(void)
{
    if (!tl_cmdstats) {
        tl_cmdstats = hf_calloc((size_t)ncmds, sizeof(struct cmdstat));
        int i = __atomic_fetch_add(&nstat_threads, 1, __ATOMIC_RELAXED);
        if (i < MAX_STAT_THREADS) __atomic_store_n(&all_stats[i], tl_cmdstats, __ATOMIC_RELEASE);
    }
    return tl_cmdstats;
}

void command_stats(const struct command *cmd, struct cmdstat *out)
{
    memset(out, 0, sizeof *out);
    int n = __atomic_load_n(&nstat_threads, __ATOMIC_RELAXED);
    for (int i = 0; i < n && i < MAX_STAT_THREADS; i++) {
        struct cmdstat *s = __atomic_load_n(&all_stats[i], __ATOMIC_ACQUIRE);
        if (!s) continue;
        out->calls += __atomic_load_n(&s[cmd->idx].calls, __ATOMIC_RELAXED);
        out->usec += __atomic_load_n(&s[cmd->idx].usec, __ATOMIC_RELAXED);
        out->rejected += __atomic_load_n(&s[cmd->idx].rejected, __ATOMIC_RELAXED);
        out->failed += __atomic_load_n(&s[cmd->idx].failed, __ATOMIC_RELAXED);
    }
}

void commands_reset_stats(void)
{
    int n = __atomic_load_n(&nstat_threads, __ATOMIC_RELAXED);
    for (int i = 0; i < n && i < MAX_STAT_THREADS; i++) {
        struct cmdstat *s = __atomic_load_n(&all_stats[i], __ATOMIC_ACQUIRE);
        if (!s) continue;
        for (int k = 0; k < ncmds; k++) {
            __atomic_store_n(&s[k].calls, 0, __ATOMIC_RELAXED);
            __atomic_store_n(&s[k].usec, 0, __ATOMIC_RELAXED);
            __atomic_store_n(&s[k].rejected, 0, __ATOMIC_RELAXED);
            __atomic_store_n(&s[k].failed, 0, __ATOMIC_RELAXED);
        }
    }
    net_reset_stats();
    reply_errorstats_reset();
}

#define BUMP(field, n) __atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)

static void reject(client *c, struct command *cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void reject(client *c, struct command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (cmd && !strcmp(cmd->name, "exec")) {
        /* Redis (execCommandAbort): a rejected EXEC ends any transaction
         * and answers EXECABORT, even outside MULTI */
        char msg[1024];
        vsnprintf(msg, sizeof msg, fmt, ap);
        multi_exec_abort(c, msg);
    } else {
        reply_verrorf(c, fmt, ap);
        if (c->flags & CLIENT_MULTI) multi_flag_error(c);
    }
    va_end(ap);
    if (cmd) BUMP(my_stats()[cmd->idx].rejected, 1);
}

static void unknown_command(client *c)
{
    char args[512];
    size_t o = 0;
    args[0] = '\0';
    for (int i = 1; i < c->argc && o < 128; i++) {
        int room = 128 - (int)o;
        size_t n = c->argv[i].n;
        const char *nul = memchr(c->argv[i].p, '\0', n);
        if (nul) n = (size_t)(nul - c->argv[i].p);
        int w = snprintf(args + o, sizeof args - o, "'%.*s' ", (int)(n < (size_t)room ? n : (size_t)room), c->argv[i].p);
        if (w > 0) o += (size_t)w;
    }
    size_t n0 = c->argv[0].n;
    const char *nul = memchr(c->argv[0].p, '\0', n0);
    if (nul) n0 = (size_t)(nul - c->argv[0].p);
    reject(c, NULL, "ERR unknown command '%.*s', with args beginning with: %s",
           (int)(n0 < 128 ? n0 : 128), c->argv[0].p, args);
}

/* "ERR unknown subcommand ['...'|or wrong number of arguments for '...']. Try CMD HELP." */
static void sub_error(client *c, const char *what)
{
    char up[130];
    size_t n = c->argv[0].n < 128 ? c->argv[0].n : 128;
    for (size_t i = 0; i < n; i++) up[i] = (char)toupper((unsigned char)c->argv[0].p[i]);
    up[n] = '\0';
    reply_errorf(c, "ERR unknown subcommand %s'%.*s'. Try %s HELP.", what,
                 (int)(c->argv[1].n < 128 ? c->argv[1].n : 128), c->argv[1].p, up);
}

void reply_unknown_sub(client *c) { sub_error(c, ""); }
void reply_unknown_sub_or_arity(client *c) { sub_error(c, "or wrong number of arguments for "); }

/* What a RESP2 client with subscriptions may still run (Redis's list). */
static bool allowed_subscribed(const struct command *cmd)
{
    static const char *const ok[] = {"ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe",
                                     "psubscribe", "punsubscribe", "quit", "reset", NULL};
    const char *name = cmd->parent ? cmd->parent->name : cmd->name;
    for (int i = 0; ok[i]; i++)
        if (!strcmp(ok[i], name)) return true;
    return false;
}

void command_dispatch(client *c)
{
    int64_t start = hf_ustime();
    ks_now = start / 1000;
    struct command *cmd = command_lookup(c->argv[0].p, c->argv[0].n);
    if (!cmd) { unknown_command(c); return; }
    if (cmd->nsubs && c->argc >= 2) {
        struct command *sub = command_lookup_sub(cmd, c->argv[1].p, c->argv[1].n);
        if (!sub) {
            if (!cmd->fn) {
                reply_unknown_sub(c);
                BUMP(my_stats()[cmd->idx].rejected, 1);
                if (c->flags & CLIENT_MULTI) multi_flag_error(c);
                return;
            }
        } else {
            cmd = sub;
        }
    }
    if ((cmd->arity > 0 && c->argc != cmd->arity) || (c->argc < -cmd->arity)) {
        reject(c, cmd, "ERR wrong number of arguments for '%s' command", cmd->name);
        return;
    }
    if (!cmd->fn) {   /* a container called without a subcommand */
        reject(c, cmd, "ERR wrong number of arguments for '%s' command", cmd->name);
        return;
    }
    if (!c->authed && !(cmd->flags & CMD_NO_AUTH)) {
        reject(c, cmd, "NOAUTH Authentication required.");
        return;
    }
    if (__atomic_load_n(&srv.loading, __ATOMIC_ACQUIRE) && !(cmd->flags & CMD_LOADING)) {
        reject(c, cmd, "LOADING holdfast is loading the dataset in memory");
        return;
    }
    if ((cmd->flags & CMD_WRITE) && wal_failed()) {
        reject(c, cmd, "MISCONF Errors writing to the AOF file: %s", wal_fail_reason());
        return;
    }
    long long maxmem = CONF_GET(maxmemory);
    if (maxmem && (cmd->flags & CMD_DENYOOM) && net_used_memory() > (size_t)maxmem) {
        reject(c, cmd, "OOM command not allowed when used memory > 'maxmemory'.");
        return;
    }
    if (c->nsubs > 0 && c->resp == 2 && !allowed_subscribed(cmd)) {
        reject(c, cmd, "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
               "are allowed in this context", cmd->name);
        return;
    }
    if ((c->flags & CLIENT_MONITOR) &&
        ((cmd->flags & (CMD_WRITE | CMD_READONLY)) || !strcmp(cmd->name, "publish"))) {
        reject(c, cmd, "ERR Replica can't interact with the keyspace");   /* Redis's words */
        return;
    }
    if ((c->flags & CLIENT_MULTI) && multi_intercept(c, cmd)) return;
    __atomic_store_n(&c->lastcmd, cmd, __ATOMIC_RELAXED);
    uint64_t errors_before = tl_reply_errors;
    ks_wait_lsn = ks_write_lsn = 0;
    client *prev = pubsub_current;   /* its own keyspace events come before its reply */
    pubsub_current = c;
    cmd->fn(c);
    pubsub_current = prev;
    if (ks_wait_lsn > c->wait_lsn) c->wait_lsn = ks_wait_lsn;
    if (ks_write_lsn) c->last_write_lsn = ks_write_lsn;
    int64_t dur = hf_ustime() - start;
    struct cmdstat *st = &my_stats()[cmd->idx];
    BUMP(st->calls, 1);
    BUMP(st->usec, (uint64_t)(dur > 0 ? dur : 0));
    if (tl_reply_errors != errors_before) BUMP(st->failed, 1);
    STAT_INC(commands, 1);
    slowlog_record(c, dur);
    if (__atomic_load_n(&monitors_active, __ATOMIC_RELAXED) > 0) monitor_feed(c, cmd);
}

/* Runs a command from EXEC's queue: the checks were made when it was
 * queued.  Statistics and MONITOR as for any command. */
void command_call(client *c, struct command *cmd)
{
    int64_t start = hf_ustime();
    uint64_t errors_before = tl_reply_errors;
    __atomic_store_n(&c->lastcmd, cmd, __ATOMIC_RELAXED);
    client *prev = pubsub_current;
    pubsub_current = c;
    cmd->fn(c);
    pubsub_current = prev;
    int64_t dur = hf_ustime() - start;
    struct cmdstat *st = &my_stats()[cmd->idx];
    BUMP(st->calls, 1);
    BUMP(st->usec, (uint64_t)(dur > 0 ? dur : 0));
    if (tl_reply_errors != errors_before) BUMP(st->failed, 1);
    STAT_INC(commands, 1);
    slowlog_record(c, dur);
    if (__atomic_load_n(&monitors_active, __ATOMIC_RELAXED) > 0) monitor_feed(c, cmd);
}

/* The replaying client and its argument vector, kept from record to record
 * (recovery replays on one thread); command_replay_end() frees them. */
static __thread client rc;
static __thread hf_arg *rc_argv;
static __thread int rc_argv_cap;

void command_replay_end(void)
{
    hf_free(rc.obuf);
    hf_free(rc_argv);
    memset(&rc, 0, sizeof rc);
    rc_argv = NULL;
    rc_argv_cap = 0;
}

bool command_replay(int db, const char *p, size_t n)
{
    hf_arg *argv;
    const char *end = p + n;
    commands_init();
    uint32_t argc;
    if (!hf_get32(&p, end, &argc) || argc == 0 || argc > n) return false;
    if ((int)argc > rc_argv_cap) {
        rc_argv_cap = (int)argc;
        rc_argv = hf_realloc(rc_argv, sizeof(hf_arg) * argc);
    }
    argv = rc_argv;
    for (uint32_t i = 0; i < argc; i++) {
        uint32_t len;
        if (!hf_getstr(&p, end, &argv[i].p, &len)) return false;
        argv[i].n = len;
    }
    struct command *cmd = command_lookup(argv[0].p, argv[0].n);
    if (cmd && cmd->nsubs && argc >= 2) cmd = command_lookup_sub(cmd, argv[1].p, argv[1].n);
    if (!cmd || !cmd->fn) return false;
    rc.flags = CLIENT_REPLAY;
    rc.resp = 2;
    rc.authed = true;
    rc.db = db;
    rc.argc = (int)argc;
    rc.argv = argv;
    rc.olen = rc.osent = 0;
    ks_now = hf_mstime();
    ks_replaying = true;
    cmd->fn(&rc);
    ks_replaying = false;
    bool ok = !(rc.olen > 0 && rc.obuf[0] == '-');
    if (!ok)
        hf_log(LOG_WARNING, "Replaying '%.*s' from the WAL failed: %.*s", (int)argv[0].n, argv[0].p,
               (int)(rc.olen > 200 ? 200 : rc.olen - 2), rc.obuf);
    rc.olen = 0;
    if (rc.ocap > 1024 * 1024) { hf_free(rc.obuf); rc.obuf = NULL; rc.ocap = 0; }
    return ok;
}

/* ---- argument helpers ------------------------------------------------------- */

bool arg_ll(client *c, const hf_arg *a, long long *out, const char *msg)
{
    if (hf_str2ll(a->p, a->n, out)) return true;
    reply_error(c, msg ? msg : "ERR value is not an integer or out of range");
    return false;
}

bool arg_db(client *c, const hf_arg *a, int *db)
{
    long long v;
    if (!hf_str2ll(a->p, a->n, &v)) {
        reply_error(c, "ERR value is not an integer or out of range");
        return false;
    }
    if (v < INT32_MIN || v > INT32_MAX) {
        reply_error(c, "ERR value is out of range, value must between -2147483648 and 2147483647");
        return false;
    }
    if (v < 0 || v >= ks_ndbs()) {
        reply_error(c, "ERR DB index is out of range");
        return false;
    }
    *db = (int)v;
    return true;
}

bool arg_is(const hf_arg *a, const char *lit) { return hf_streq(a->p, a->n, lit); }

bool arg_opt(const hf_arg *a, const char *lit)
{
    const char *nul = memchr(a->p, '\0', a->n);
    return hf_streq(a->p, nul ? (size_t)(nul - a->p) : a->n, lit);
}

bool arg_cursor(const hf_arg *a, uint64_t *out)
{
    size_t n = strnlen(a->p, a->n), i = 0;
    *out = 0;
    if (n == 0) return true;
    unsigned char first = (unsigned char)a->p[0];
    if (first == ' ' || (first >= '\t' && first <= '\r')) return false;
    bool neg = false;
    if (a->p[0] == '+' || a->p[0] == '-') neg = a->p[i++] == '-';
    if (i == n) return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        char ch = a->p[i];
        if (ch < '0' || ch > '9') return false;
        uint64_t d = (uint64_t)(ch - '0');
        if (v > (UINT64_MAX - d) / 10) return false;    /* ERANGE */
        v = v * 10 + d;
    }
    *out = neg ? (uint64_t)0 - v : v;
    return true;
}

bool reply_wrongtype_if(client *c, int type, const struct kentry *e)
{
    if (e && e->val->type != type) {
        reply_wrongtype(c);
        return true;
    }
    return false;
}

void reply_help(client *c, const char *cmdname, const char *const *lines)
{
    long n = 0;
    while (lines[n]) n++;
    reply_array(c, n + 3);
    char head[256];
    snprintf(head, sizeof head, "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", cmdname);
    reply_simple(c, head);
    for (long i = 0; i < n; i++) reply_simple(c, lines[i]);
    reply_simple(c, "HELP");
    reply_simple(c, "    Prints this help.");
}
