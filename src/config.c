/* config.c — the directive table, file/argument parsing, CONFIG commands.
 *
 * Syntax is redis.conf's: one directive per line, arguments split with the
 * same quoting rules as inline commands, '#' starts a comment line, names are
 * case-insensitive, a later line overrides an earlier one.  Command-line
 * "--name value ..." pairs are appended after the file, as Redis does. */
#include "config.h"
#include "conf.h"
#include "pubsub.h"
#include "commands.h"
#include "reply.h"
#include "resp.h"
#include "util.h"
#include "fsutil.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct hf_config cfg;
static char *config_file;
static pthread_mutex_t conf_mutex = PTHREAD_MUTEX_INITIALIZER;

void conf_lock(void) { pthread_mutex_lock(&conf_mutex); }
void conf_unlock(void) { pthread_mutex_unlock(&conf_mutex); }
const char *conf_file(void) { return config_file; }

enum ctype { C_BOOL, C_INT, C_LL, C_MEM, C_STR, C_ENUM, C_BIND, C_NOTIFY };
enum { IMMUTABLE = 1, SENSITIVE = 2, ALIAS = 4 };   /* ALIAS: an old name of the entry before it */

struct enumval { const char *name; int val; };

static const struct enumval loglevels[] = {
    {"debug", LOG_DEBUG}, {"verbose", LOG_VERBOSE}, {"notice", LOG_NOTICE}, {"warning", LOG_WARNING}, {NULL, 0}};
/* Only noeviction is implemented: holdfast keeps every acknowledged write,
 * and evicting keys is deliberate data loss (see docs/compatibility.md). */
static const struct enumval policies[] = {{"noeviction", 0}, {NULL, 0}};

struct directive {
    const char *name;
    enum ctype type;
    void *ptr;
    const char *def;
    long long min, max;
    int flags;
    const struct enumval *enums;
};

static char *save_param;       /* accepted for tools; holdfast has no RDB "save" */
static const struct enumval fsyncs[] = {{"always", 0}, {"everysec", 1}, {"no", 2}, {NULL, 0}};

static const struct directive table[] = {
    {"port", C_INT, &cfg.port, "6379", 0, 65535, IMMUTABLE, NULL},
    {"bind", C_BIND, NULL, "127.0.0.1 -::1", 0, 0, IMMUTABLE, NULL},
    {"unixsocket", C_STR, &cfg.unixsocket, "", 0, 0, IMMUTABLE, NULL},
    {"unixsocketperm", C_INT, &cfg.unixsocketperm, "0", 0, 0777, IMMUTABLE, NULL},
    {"dir", C_STR, &cfg.dir, "./holdfast-data", 0, 0, IMMUTABLE, NULL},
    {"io-threads", C_INT, &cfg.io_threads, "0", 0, 128, IMMUTABLE, NULL},
    {"shards", C_INT, &cfg.shards, "1024", 1, 1 << 20, IMMUTABLE, NULL},
    {"databases", C_INT, &cfg.databases, "16", 1, INT_MAX, IMMUTABLE, NULL},
    {"requirepass", C_STR, &cfg.requirepass, "", 0, 0, SENSITIVE, NULL},
    {"protected-mode", C_BOOL, &cfg.protected_mode, "yes", 0, 1, 0, NULL},
    {"maxclients", C_INT, &cfg.maxclients, "10000", 1, INT_MAX, 0, NULL},
    {"timeout", C_INT, &cfg.timeout, "0", 0, INT_MAX, 0, NULL},
    {"tcp-keepalive", C_INT, &cfg.tcp_keepalive, "300", 0, INT_MAX, 0, NULL},
    {"tcp-backlog", C_INT, &cfg.tcp_backlog, "511", 0, INT_MAX, IMMUTABLE, NULL},
    {"loglevel", C_ENUM, &cfg.loglevel, "notice", 0, 0, 0, loglevels},
    {"logfile", C_STR, &cfg.logfile, "", 0, 0, IMMUTABLE, NULL},
    {"daemonize", C_BOOL, &cfg.daemonize, "no", 0, 1, IMMUTABLE, NULL},
    {"pidfile", C_STR, &cfg.pidfile, "", 0, 0, IMMUTABLE, NULL},
    {"proto-max-bulk-len", C_MEM, &cfg.proto_max_bulk_len, "536870912", 1024 * 1024, LLONG_MAX, 0, NULL},
    {"client-query-buffer-limit", C_MEM, &cfg.client_query_buffer_limit, "1073741824", 1024 * 1024, LLONG_MAX, 0, NULL},
    {"hz", C_INT, &cfg.hz, "10", 0, INT_MAX, 0, NULL},     /* clamped to 1..500 as Redis */
    {"slowlog-log-slower-than", C_LL, &cfg.slowlog_log_slower_than, "10000", -1, LLONG_MAX, 0, NULL},
    {"slowlog-max-len", C_LL, &cfg.slowlog_max_len, "128", 0, LONG_MAX, 0, NULL},
    {"maxmemory", C_MEM, &cfg.maxmemory, "0", 0, LLONG_MAX, 0, NULL},
    {"maxmemory-policy", C_ENUM, &cfg.maxmemory_policy, "noeviction", 0, 0, 0, policies},
    {"active-expire-effort", C_INT, &cfg.active_expire_effort, "1", 1, 10, 0, NULL},
    {"save", C_STR, &save_param, "", 0, 0, 0, NULL},
    {"appendonly", C_BOOL, &cfg.appendonly, "yes", 0, 1, IMMUTABLE, NULL},
    {"appendfsync", C_ENUM, &cfg.appendfsync, "always", 0, 0, 0, fsyncs},
    {"wal-segment-bytes", C_MEM, &cfg.wal_segment_bytes, "64mb", 1024 * 1024, LLONG_MAX, 0, NULL},
    {"snapshot-interval", C_INT, &cfg.snapshot_interval, "3600", 0, INT_MAX, 0, NULL},
    {"snapshot-wal-bytes", C_MEM, &cfg.snapshot_wal_bytes, "1gb", 0, LLONG_MAX, 0, NULL},
    {"snapshot-keep", C_INT, &cfg.snapshot_keep, "3", 1, 1000, 0, NULL},
    {"snapshot-threads", C_INT, &cfg.snapshot_threads, "0", 0, 256, 0, NULL},
    {"hash-max-listpack-entries", C_LL, &cfg.hash_max_listpack_entries, "512", 0, LONG_MAX, 0, NULL},
    {"hash-max-ziplist-entries", C_LL, &cfg.hash_max_listpack_entries, "512", 0, LONG_MAX, ALIAS, NULL},
    {"hash-max-listpack-value", C_MEM, &cfg.hash_max_listpack_value, "64", 0, LONG_MAX, 0, NULL},
    {"hash-max-ziplist-value", C_MEM, &cfg.hash_max_listpack_value, "64", 0, LONG_MAX, ALIAS, NULL},
    {"list-max-listpack-size", C_INT, &cfg.list_max_listpack_size, "-2", INT_MIN, INT_MAX, 0, NULL},
    {"list-max-ziplist-size", C_INT, &cfg.list_max_listpack_size, "-2", INT_MIN, INT_MAX, ALIAS, NULL},
    {"list-compress-depth", C_INT, &cfg.list_compress_depth, "0", 0, INT_MAX, 0, NULL},
    {"set-max-intset-entries", C_LL, &cfg.set_max_intset_entries, "512", 0, LONG_MAX, 0, NULL},
    {"zset-max-listpack-entries", C_LL, &cfg.zset_max_listpack_entries, "128", 0, LONG_MAX, 0, NULL},
    {"zset-max-ziplist-entries", C_LL, &cfg.zset_max_listpack_entries, "128", 0, LONG_MAX, ALIAS, NULL},
    {"zset-max-listpack-value", C_MEM, &cfg.zset_max_listpack_value, "64", 0, LONG_MAX, 0, NULL},
    {"zset-max-ziplist-value", C_MEM, &cfg.zset_max_listpack_value, "64", 0, LONG_MAX, ALIAS, NULL},
    {"notify-keyspace-events", C_NOTIFY, &cfg.notify_keyspace_events, "", 0, 0, 0, NULL},
};
#define NDIRECTIVES (sizeof table / sizeof table[0])

static const struct directive *find(const char *name, size_t len)
{
    for (size_t i = 0; i < NDIRECTIVES; i++)
        if (hf_streq(name, len, table[i].name)) return &table[i];
    return NULL;
}

/* Memory units as Redis's memtoull: b, k, kb, m, mb, g, gb (case-insensitive). */
static bool parse_mem(const char *s, long long *out)
{
    size_t len = strlen(s);
    const char *u = s;
    while (*u && (*u == '-' || (*u >= '0' && *u <= '9'))) u++;
    long long mul = 1;
    if (*u == '\0' || !strcasecmp(u, "b")) mul = 1;
    else if (!strcasecmp(u, "k")) mul = 1000;
    else if (!strcasecmp(u, "kb")) mul = 1024;
    else if (!strcasecmp(u, "m")) mul = 1000 * 1000;
    else if (!strcasecmp(u, "mb")) mul = 1024 * 1024;
    else if (!strcasecmp(u, "g")) mul = 1000LL * 1000 * 1000;
    else if (!strcasecmp(u, "gb")) mul = 1024LL * 1024 * 1024;
    else return false;
    long long v;
    if (len == 0) { *out = 0; return true; }   /* as Redis's memtoull: "" is 0 */
    if (!hf_str2ll(s, (size_t)(u - s), &v)) return false;
    if (v < 0) return false;
    if (mul > 1 && v > LLONG_MAX / mul) return false;
    *out = v * mul;
    return true;
}

/* Applies argv[0..argc) to d.  Returns NULL on success or an error text. */
static const char *apply(const struct directive *d, int argc, char **argv, char *errbuf, size_t errlen)
{
    if (d->type != C_BIND && argc != 1) return "wrong number of arguments";
    switch (d->type) {
    case C_BOOL:
        if (!strcasecmp(argv[0], "yes")) __atomic_store_n((int *)d->ptr, 1, __ATOMIC_RELAXED);
        else if (!strcasecmp(argv[0], "no")) __atomic_store_n((int *)d->ptr, 0, __ATOMIC_RELAXED);
        else return "argument must be 'yes' or 'no'";
        return NULL;
    case C_INT:
    case C_LL:
    case C_MEM: {
        long long v;
        bool ok = d->type == C_MEM ? parse_mem(argv[0], &v) : hf_str2ll(argv[0], strlen(argv[0]), &v);
        if (!ok) return d->type == C_MEM ? "argument must be a memory value" : "argument couldn't be parsed into an integer";
        if (v < d->min || v > d->max) {
            snprintf(errbuf, errlen, "argument must be between %lld and %lld inclusive", d->min, d->max);
            return errbuf;
        }
        if (d->ptr == &cfg.hz) v = v < 1 ? 1 : v > 500 ? 500 : v;
        if (d->type == C_INT) __atomic_store_n((int *)d->ptr, (int)v, __ATOMIC_RELAXED);
        else __atomic_store_n((long long *)d->ptr, v, __ATOMIC_RELAXED);
        return NULL;
    }
    case C_STR: {
        conf_lock();
        char **p = d->ptr;
        hf_free(*p);
        *p = hf_strdup(argv[0]);
        conf_unlock();
        return NULL;
    }
    case C_ENUM:
        for (const struct enumval *e = d->enums; e->name; e++)
            if (!strcasecmp(argv[0], e->name)) {
                __atomic_store_n((int *)d->ptr, e->val, __ATOMIC_RELAXED);
                if (d->ptr == &cfg.loglevel) hf_log_set_level(e->val);
                return NULL;
            }
        return "argument(s) must be one of the following: ...";
    case C_BIND:
        if (argc < 1) return "wrong number of arguments";
        if (argc > CONF_MAX_BIND) return "Too many bind addresses specified.";
        for (int i = 0; i < cfg.nbind; i++) hf_free(cfg.bind[i]);
        cfg.nbind = 0;
        for (int i = 0; i < argc; i++) cfg.bind[cfg.nbind++] = hf_strdup(argv[i]);
        return NULL;
    case C_NOTIFY: {
        int f = notify_parse(argv[0], strlen(argv[0]));
        if (f < 0) return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
        __atomic_store_n((int *)d->ptr, f, __ATOMIC_RELAXED);
        __atomic_store_n(&notify_flags, f, __ATOMIC_RELAXED);
        return NULL;
    }
    }
    return "unknown type";
}

/* Current value as CONFIG GET shows it, into buf. */
static const char *value_of(const struct directive *d, char *buf, size_t len)
{
    switch (d->type) {
    case C_BOOL: return __atomic_load_n((int *)d->ptr, __ATOMIC_RELAXED) ? "yes" : "no";
    case C_INT: snprintf(buf, len, "%d", __atomic_load_n((int *)d->ptr, __ATOMIC_RELAXED)); return buf;
    case C_LL:
    case C_MEM: snprintf(buf, len, "%lld", __atomic_load_n((long long *)d->ptr, __ATOMIC_RELAXED)); return buf;
    case C_STR: {
        conf_lock();
        const char *s = *(char **)d->ptr;
        snprintf(buf, len, "%s", s ? s : "");
        conf_unlock();
        return buf;
    }
    case C_ENUM: {
        int v = __atomic_load_n((int *)d->ptr, __ATOMIC_RELAXED);
        for (const struct enumval *e = d->enums; e->name; e++)
            if (e->val == v) return e->name;
        return "";
    }
    case C_NOTIFY:
        notify_format(__atomic_load_n((int *)d->ptr, __ATOMIC_RELAXED), buf, len);
        return buf;
    case C_BIND: {
        size_t o = 0;
        buf[0] = '\0';
        for (int i = 0; i < cfg.nbind && o < len; i++)
            o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? " " : "", cfg.bind[i]);
        return buf;
    }
    }
    return "";
}

static void split_free(char **v, int n)
{
    for (int i = 0; i < n; i++) hf_free(v[i]);
    hf_free(v);
}

/* Splits a config line into NUL-terminated args; returns count, -1 on
 * unbalanced quotes. */
static int split_line(const char *line, size_t len, char ***out)
{
    int n = resp_split_inline(line, len, NULL, NULL, 0);
    if (n < 0) return -1;
    char *scratch = hf_malloc(len + 1);
    hf_arg *a = hf_malloc(sizeof(hf_arg) * (size_t)(n ? n : 1));
    resp_split_inline(line, len, scratch, a, n);
    char **v = hf_malloc(sizeof(char *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) v[i] = hf_memdup(a[i].p, a[i].n);
    hf_free(a);
    hf_free(scratch);
    *out = v;
    return n;
}

static void fatal(int lineno, const char *line, const char *err)
{
    fprintf(stderr, "\n*** FATAL CONFIG FILE ERROR (holdfast %s) ***\n", PACKAGE_VERSION);
    fprintf(stderr, "Reading the configuration file, at line %d\n", lineno);
    fprintf(stderr, ">>> '%s'\n", line);
    fprintf(stderr, "%s\n", err);
    exit(1);
}

static void load_text(const char *text)
{
    int lineno = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        char *line = hf_memdup(p, len);
        p += len + (nl ? 1 : 0);
        char *t = line;
        while (*t == ' ' || *t == '\t' || *t == '\r') t++;
        size_t tl = strlen(t);
        while (tl && (t[tl - 1] == ' ' || t[tl - 1] == '\t' || t[tl - 1] == '\r')) t[--tl] = '\0';
        if (*t == '#' || *t == '\0') { hf_free(line); continue; }
        char **argv;
        int argc = split_line(t, tl, &argv);
        if (argc < 0) fatal(lineno, t, "Unbalanced quotes in configuration line");
        if (argc == 0) { hf_free(argv); hf_free(line); continue; }
        const struct directive *d = find(argv[0], strlen(argv[0]));
        if (!d) fatal(lineno, t, "Bad directive or wrong number of arguments");
        char errbuf[128];
        const char *err = apply(d, argc - 1, argv + 1, errbuf, sizeof errbuf);
        if (err) fatal(lineno, t, err);
        split_free(argv, argc);
        hf_free(line);
    }
}

void conf_defaults(void)
{
    for (size_t i = 0; i < NDIRECTIVES; i++) {
        char **argv;
        int argc = split_line(table[i].def, strlen(table[i].def), &argv);
        char *empty = "";
        char errbuf[128];
        const char *err = apply(&table[i], argc ? argc : 1, argc ? argv : &empty, errbuf, sizeof errbuf);
        if (err) { fprintf(stderr, "bad default for %s: %s\n", table[i].name, err); exit(1); }
        split_free(argv, argc);
    }
}

static char *read_file(const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!f) {
        fprintf(stderr, "Fatal error, can't open config file '%s': %s\n", path, strerror(errno));
        exit(1);
    }
    size_t cap = 4096, len = 0;
    char *buf = hf_malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) { cap *= 2; buf = hf_realloc(buf, cap); }
    }
    buf[len] = '\0';
    if (f != stdin) fclose(f);
    return buf;
}

void conf_load(const char *path, int argc, char **argv)
{
    size_t cap = 1024, len = 0;
    char *text = hf_malloc(cap);
    text[0] = '\0';
    if (path) {
        char *file = read_file(path);
        size_t fl = strlen(file);
        if (fl + 2 > cap) { cap = fl + 1024; text = hf_realloc(text, cap); }
        memcpy(text, file, fl);
        len = fl;
        text[len++] = '\n';
        text[len] = '\0';
        hf_free(file);
        if (strcmp(path, "-")) {
            char *abs = realpath(path, NULL);
            config_file = abs ? hf_strdup(abs) : hf_strdup(path);
            free(abs);
        }
    }
    /* "--port 6380 --bind a b" becomes "port 6380\nbind a b\n" */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        size_t al = strlen(a);
        while (len + al * 4 + 8 > cap) { cap *= 2; text = hf_realloc(text, cap); }
        if (a[0] == '-' && a[1] == '-' && a[2]) {
            if (len && text[len - 1] != '\n') text[len++] = '\n';
            memcpy(text + len, a + 2, al - 2);
            len += al - 2;
        } else {
            /* quote the argument so spaces and quotes survive */
            text[len++] = ' ';
            text[len++] = '"';
            for (size_t k = 0; k < al; k++) {
                if (a[k] == '"' || a[k] == '\\') text[len++] = '\\';
                text[len++] = a[k];
            }
            text[len++] = '"';
        }
        text[len] = '\0';
    }
    load_text(text);
    hf_free(text);
}

/* ---- CONFIG commands ---------------------------------------------------- */

void cmd_config_get(client *c)
{
    /* collect matches first: a directive matching several patterns is
     * reported once */
    bool *hit = hf_calloc(NDIRECTIVES, sizeof(bool));
    long n = 0;
    for (int i = 2; i < c->argc; i++)
        for (size_t k = 0; k < NDIRECTIVES; k++)
            if (!hit[k] && hf_globmatch(c->argv[i].p, c->argv[i].n, table[k].name, strlen(table[k].name), true)) {
                hit[k] = true;
                n++;
            }
    reply_map(c, n);
    for (size_t k = 0; k < NDIRECTIVES; k++) {
        if (!hit[k]) continue;
        char buf[1024];
        reply_bulk_cstr(c, table[k].name);
        reply_bulk_cstr(c, value_of(&table[k], buf, sizeof buf));
    }
    hf_free(hit);
}

void cmd_config_set(client *c)
{
    if ((c->argc - 2) % 2 != 0 || c->argc < 4) {
        reply_arity(c, "config|set");
        return;
    }
    int npairs = (c->argc - 2) / 2;
    const struct directive **ds = hf_calloc((size_t)npairs, sizeof *ds);
    char **olds = hf_calloc((size_t)npairs, sizeof(char *));
    int applied = 0;
    /* validate names first */
    for (int i = 0; i < npairs; i++) {
        const hf_arg *name = &c->argv[2 + 2 * i];
        const struct directive *d = find(name->p, name->n);
        if (!d) {
            reply_errorf(c, "ERR Unknown option or number of arguments for CONFIG SET - '%.*s'", (int)name->n, name->p);
            goto out;
        }
        for (int j = 0; j < i; j++)
            if (ds[j] == d) {
                reply_errorf(c, "ERR CONFIG SET failed (possibly related to argument '%.*s') - duplicate parameter", (int)name->n, name->p);
                goto out;
            }
        if (d->flags & IMMUTABLE) {
            reply_errorf(c, "ERR CONFIG SET failed (possibly related to argument '%.*s') - can't set immutable config", (int)name->n, name->p);
            goto out;
        }
        ds[i] = d;
    }
    /* apply, remembering old values so a failure restores them all */
    for (int i = 0; i < npairs; i++) {
        char buf[1024];
        olds[i] = hf_strdup(value_of(ds[i], buf, sizeof buf));
        char *v = hf_memdup(c->argv[3 + 2 * i].p, c->argv[3 + 2 * i].n);
        char errbuf[128];
        const char *err = apply(ds[i], 1, &v, errbuf, sizeof errbuf);
        hf_free(v);
        if (err) {
            for (int j = i - 1; j >= 0; j--) apply(ds[j], 1, &olds[j], errbuf, sizeof errbuf);
            reply_errorf(c, "ERR CONFIG SET failed (possibly related to argument '%s') - %s", ds[i]->name, err);
            goto out;
        }
        applied++;
    }
    reply_ok(c);
out:
    for (int i = 0; i < npairs; i++) hf_free(olds[i]);
    hf_free(olds);
    hf_free(ds);
}

void cmd_config_resetstat(client *c)
{
    commands_reset_stats();
    reply_ok(c);
}

void cmd_config_rewrite(client *c)
{
    if (!config_file) {
        reply_error(c, "ERR The server is running without a config file");
        return;
    }
    char *old = NULL;
    FILE *f = fopen(config_file, "r");
    if (f) { fclose(f); old = read_file(config_file); }
    size_t cap = 4096, len = 0;
    char *out = hf_malloc(cap);
    bool *done = hf_calloc(NDIRECTIVES, sizeof(bool));
#define APPEND(s, n) do { size_t n_ = (n); while (len + n_ + 2 > cap) { cap *= 2; out = hf_realloc(out, cap); } \
                          memcpy(out + len, (s), n_); len += n_; } while (0)
    /* keep comments and unknown lines; rewrite each known directive in place
     * (first occurrence), drop later duplicates */
    const char *p = old ? old : "";
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        const char *t = p;
        while (t < p + l && (*t == ' ' || *t == '\t')) t++;
        const char *w = t;
        while (w < p + l && *w != ' ' && *w != '\t' && *w != '\r') w++;
        const struct directive *d = (*t != '#' && w > t) ? find(t, (size_t)(w - t)) : NULL;
        if (d) {
            size_t k = (size_t)(d - table);
            if (!done[k]) {
                char buf[1024], line[1200];
                const char *v = value_of(d, buf, sizeof buf);
                int m = d->type == C_BIND ? snprintf(line, sizeof line, "%s %s\n", d->name, v)
                                          : snprintf(line, sizeof line, "%s \"%s\"\n", d->name, v);
                APPEND(line, (size_t)m);
                for (size_t a = 0; a < NDIRECTIVES; a++)   /* the name and its aliases */
                    if (table[a].ptr == d->ptr) done[a] = true;
            }
        } else {
            APPEND(p, l);
            APPEND("\n", 1);
        }
        p += l + (nl ? 1 : 0);
    }
    bool header = false;
    for (size_t k = 0; k < NDIRECTIVES; k++) {
        if (done[k] || (table[k].flags & ALIAS)) continue;
        char buf[1024], line[1200];
        const char *v = value_of(&table[k], buf, sizeof buf);
        /* only values that differ from the default are written */
        char **dv;
        int dn = split_line(table[k].def, strlen(table[k].def), &dv);
        char defbuf[1024];
        size_t o = 0;
        defbuf[0] = '\0';
        for (int i = 0; i < dn; i++) o += (size_t)snprintf(defbuf + o, sizeof defbuf - o, "%s%s", i ? " " : "", dv[i]);
        split_free(dv, dn);
        bool isdefault = !strcmp(v, defbuf);
        if (!isdefault && table[k].type == C_MEM) {
            long long dvv;
            isdefault = parse_mem(table[k].def, &dvv) && strtoll(v, NULL, 10) == dvv;
        }
        if (!isdefault && table[k].type == C_ENUM) isdefault = !strcasecmp(v, table[k].def);
        if (isdefault) continue;
        if (!header) {
            const char *h = "# Generated by CONFIG REWRITE\n";
            APPEND(h, strlen(h));
            header = true;
        }
        int m = table[k].type == C_BIND ? snprintf(line, sizeof line, "%s %s\n", table[k].name, v)
                                        : snprintf(line, sizeof line, "%s \"%s\"\n", table[k].name, v);
        APPEND(line, (size_t)m);
    }
#undef APPEND
    if (fs_replace_file(config_file, out, len) != 0) {
        hf_log(LOG_WARNING, "CONFIG REWRITE failed: %s", strerror(errno));
        reply_errorf(c, "ERR Rewriting config file: %s", strerror(errno));
    } else {
        hf_log(LOG_NOTICE, "CONFIG REWRITE executed with success.");
        reply_ok(c);
    }
    hf_free(done);
    hf_free(out);
    hf_free(old);
}

void cmd_config_help(client *c)
{
    static const char *const lines[] = {
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        NULL};
    reply_help(c, "CONFIG", lines);
}
