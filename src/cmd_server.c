/* cmd_server.c — server introspection and control: COMMAND (COUNT, INFO,
 * DOCS, LIST, GETKEYS, GETKEYSANDFLAGS, HELP), INFO, TIME, LASTSAVE,
 * SHUTDOWN, MEMORY USAGE/HELP and SLOWLOG.
 *
 * Replies, error texts and layouts follow Redis 7.0 (src/server.c
 * commandCommand and friends, genRedisInfoString, src/slowlog.c,
 * src/object.c memoryCommand), checked against a real redis-server 7.0.15.
 *
 * COMMAND's facts all come from cmd->meta (cmdmeta.c, generated from a real
 * redis-server's COMMAND output).  Key specs are stored there as strings,
 * one per spec, separated by ';':
 *
 *     flags|begin|find[|notes:TEXT]
 *     flags  comma separated: "RW,access,update"
 *     begin  "index:N" | "keyword:KW:STARTFROM" | "unknown"
 *     find   "range:LASTKEY:KEYSTEP:LIMIT" | "keynum:KEYNUMIDX:FIRSTKEY:KEYSTEP"
 *            | "unknown"
 *
 * (tools/gen-cmdmeta.py does not escape, so notes may not contain ';').
 *
 * COMMAND DOCS gives summary, since, group, complexity, doc_flags and the
 * subcommands of containers.  It does not give "arguments", "history",
 * "deprecated_since" or "replaced_by": cmdmeta does not record them, and a
 * hand-written copy would drift from the real interface.  redis-cli 7.0
 * uses "arguments" only for its argument hints; without them it falls back
 * to hints built from the command names.
 *
 * Help texts list the subcommands Redis lists, but only those holdfast
 * binds (a Redis line for an unbound subcommand is left out, so HELP never
 * advertises what would fail). */
#include "config.h"
#include "commands.h"
#include "blocking.h"
#include "pubsub.h"
#include "conf.h"
#include "keyspace.h"
#include "net.h"
#include "object.h"
#include "reply.h"
#include "server.h"
#include "stats.h"
#include "util.h"
#include "wal.h"
#include "snapshot.h"

#include <ctype.h>
#include <event2/event.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>


/* ------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------- */

/* A growable text buffer (INFO's body). */
struct sbuf {
    char *p;
    size_t len, cap;
};

static void sb_grow(struct sbuf *b, size_t need)
{
    if (b->cap - b->len > need) return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len <= need) cap *= 2;
    b->p = hf_realloc(b->p, cap);
    b->cap = cap;
}

static void sb_cat(struct sbuf *b, const char *s)
{
    size_t n = strlen(s);
    sb_grow(b, n);
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    sb_grow(b, 256);
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= b->cap - b->len) {
        sb_grow(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

/* Replies a HELP text in Redis 7.0's layout:
 *   "<CMD> <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", the
 *   lines, then "HELP" / "    Prints this help.".
 * A line that starts with a capital letter names a subcommand; that line
 * and the indented lines under it are left out when the subcommand is not
 * bound in the command table.  "(...)" lines are always kept. */
static void reply_help_bound(client *c, const char *cmdname, const char *const *lines)
{
    struct command *parent = command_lookup(cmdname, strlen(cmdname));
    long n = 0;
    bool keep = true;
    const char *kept[64];
    for (long i = 0; lines[i] && n < 62; i++) {
        const char *l = lines[i];
        if (l[0] != ' ' && l[0] != '(') {
            size_t w = strcspn(l, " ");
            char sub[64];
            snprintf(sub, sizeof sub, "%.*s", (int)(w < 63 ? w : 63), l);
            for (char *s = sub; *s; s++) *s = (char)tolower((unsigned char)*s);
            keep = !parent || command_lookup_sub(parent, sub, strlen(sub)) != NULL;
        } else if (l[0] == '(') {
            keep = true;
        }
        if (keep) kept[n++] = l;
    }
    kept[n] = NULL;
    reply_help(c, cmdname, kept);
}


/* Counts the words of s separated by sep (empty words are skipped). */
static long count_words(const char *s, char sep)
{
    long n = 0;
    while (*s) {
        while (*s == sep) s++;
        if (!*s) break;
        n++;
        while (*s && *s != sep) s++;
    }
    return n;
}

/* Replies the words of s[0..len) (separated by sep) as a set of simple
 * strings (status) or of bulk strings. */
static void reply_word_set(client *c, const char *s, size_t len, char sep, bool status)
{
    long n = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && s[i] == sep) i++;
        if (i == len) break;
        n++;
        while (i < len && s[i] != sep) i++;
    }
    reply_set(c, n);
    for (size_t i = 0; i < len;) {
        while (i < len && s[i] == sep) i++;
        if (i == len) break;
        size_t j = i;
        while (j < len && s[j] != sep) j++;
        if (status) {
            char w[128];
            snprintf(w, sizeof w, "%.*s", (int)(j - i), s + i);
            reply_simple(c, w);
        } else {
            reply_bulk(c, s + i, j - i);
        }
        i = j;
    }
}

/* True if the space separated list s holds the word w. */
static bool has_word(const char *s, const char *w, bool nocase)
{
    size_t wl = strlen(w);
    while (*s) {
        while (*s == ' ') s++;
        const char *e = s;
        while (*e && *e != ' ') e++;
        if ((size_t)(e - s) == wl && (nocase ? hf_streq(s, wl, w) : !strncmp(s, w, wl))) return true;
        s = e;
    }
    return false;
}

/* ------------------------------------------------------------------------
 * Key specs (parsed from cmdmeta's strings)
 * ---------------------------------------------------------------------- */

enum { BS_UNKNOWN, BS_INDEX, BS_KEYWORD };
enum { FK_UNKNOWN, FK_RANGE, FK_KEYNUM };

struct kspec {
    const char *flags;
    size_t flen;
    int bs;
    int index;                  /* BS_INDEX */
    const char *kw;             /* BS_KEYWORD */
    size_t kwlen;
    int startfrom;
    int fk;
    int lastkey, keystep, limit;    /* FK_RANGE */
    int keynumidx, firstkey;        /* FK_KEYNUM (and keystep) */
    const char *notes;
    size_t nlen;
};

/* True if flags[0..flen) (comma separated) holds the flag f. */
static bool kspec_has_flag(const struct kspec *k, const char *f)
{
    size_t fl = strlen(f);
    for (size_t i = 0; i < k->flen;) {
        size_t j = i;
        while (j < k->flen && k->flags[j] != ',') j++;
        if (j - i == fl && hf_streq(k->flags + i, fl, f)) return true;
        i = j + 1;
    }
    return false;
}

/* Parses the next spec at *cur (a pointer into a cmdmeta keyspecs string)
 * into k and advances *cur past it.  Returns false when none is left. */
static bool kspec_next(const char **cur, struct kspec *k)
{
    const char *s = *cur;
    if (!s || !*s) return false;
    const char *end = strchr(s, ';');
    if (!end) end = s + strlen(s);
    *cur = *end ? end + 1 : end;
    memset(k, 0, sizeof *k);

    const char *f[3];
    size_t fl[3];
    const char *p = s;
    for (int i = 0; i < 3; i++) {
        const char *bar = memchr(p, '|', (size_t)(end - p));
        const char *e = bar ? bar : end;
        f[i] = p;
        fl[i] = (size_t)(e - p);
        p = bar ? bar + 1 : end;
    }
    if (p < end && (size_t)(end - p) >= 6 && !strncmp(p, "notes:", 6)) {
        k->notes = p + 6;
        k->nlen = (size_t)(end - p - 6);
    }
    k->flags = f[0];
    k->flen = fl[0];

    if (fl[1] > 6 && !strncmp(f[1], "index:", 6)) {
        k->bs = BS_INDEX;
        k->index = atoi(f[1] + 6);
    } else if (fl[1] > 8 && !strncmp(f[1], "keyword:", 8)) {
        const char *kw = f[1] + 8, *last = NULL;
        for (const char *q = kw; q < f[1] + fl[1]; q++)
            if (*q == ':') last = q;
        if (last) {
            k->bs = BS_KEYWORD;
            k->kw = kw;
            k->kwlen = (size_t)(last - kw);
            k->startfrom = atoi(last + 1);
        }
    }
    if (fl[2] > 6 && !strncmp(f[2], "range:", 6)) {
        k->fk = FK_RANGE;
        char *q;
        k->lastkey = (int)strtol(f[2] + 6, &q, 10);
        k->keystep = (int)strtol(q + 1, &q, 10);
        k->limit = (int)strtol(q + 1, &q, 10);
    } else if (fl[2] > 7 && !strncmp(f[2], "keynum:", 7)) {
        k->fk = FK_KEYNUM;
        char *q;
        k->keynumidx = (int)strtol(f[2] + 7, &q, 10);
        k->firstkey = (int)strtol(q + 1, &q, 10);
        k->keystep = (int)strtol(q + 1, &q, 10);
    }
    return true;
}

static long kspec_count(const char *specs)
{
    struct kspec k;
    long n = 0;
    while (kspec_next(&specs, &k)) n++;
    return n;
}

static void reply_kv_int(client *c, const char *k, long long v)
{
    reply_bulk_cstr(c, k);
    reply_int(c, v);
}

/* One key spec as Redis's addReplyCommandKeySpecs lays it out. */
static void reply_kspec(client *c, const struct kspec *k)
{
    reply_map(c, k->notes ? 4 : 3);
    if (k->notes) {
        reply_bulk_cstr(c, "notes");
        reply_bulk(c, k->notes, k->nlen);
    }
    reply_bulk_cstr(c, "flags");
    reply_word_set(c, k->flags, k->flen, ',', true);

    reply_bulk_cstr(c, "begin_search");
    reply_map(c, 2);
    reply_bulk_cstr(c, "type");
    reply_bulk_cstr(c, k->bs == BS_INDEX ? "index" : k->bs == BS_KEYWORD ? "keyword" : "unknown");
    reply_bulk_cstr(c, "spec");
    if (k->bs == BS_INDEX) {
        reply_map(c, 1);
        reply_kv_int(c, "index", k->index);
    } else if (k->bs == BS_KEYWORD) {
        reply_map(c, 2);
        reply_bulk_cstr(c, "keyword");
        reply_bulk(c, k->kw, k->kwlen);
        reply_kv_int(c, "startfrom", k->startfrom);
    } else {
        reply_map(c, 0);
    }

    reply_bulk_cstr(c, "find_keys");
    reply_map(c, 2);
    reply_bulk_cstr(c, "type");
    reply_bulk_cstr(c, k->fk == FK_RANGE ? "range" : k->fk == FK_KEYNUM ? "keynum" : "unknown");
    reply_bulk_cstr(c, "spec");
    if (k->fk == FK_RANGE) {
        reply_map(c, 3);
        reply_kv_int(c, "lastkey", k->lastkey);
        reply_kv_int(c, "keystep", k->keystep);
        reply_kv_int(c, "limit", k->limit);
    } else if (k->fk == FK_KEYNUM) {
        reply_map(c, 3);
        reply_kv_int(c, "keynumidx", k->keynumidx);
        reply_kv_int(c, "firstkey", k->firstkey);
        reply_kv_int(c, "keystep", k->keystep);
    } else {
        reply_map(c, 0);
    }
}

/* ------------------------------------------------------------------------
 * COMMAND
 * ---------------------------------------------------------------------- */

static int top_level_count(void)
{
    int n = 0;
    for (int i = 0; i < commands_count(); i++)
        if (!command_at(i)->parent) n++;
    return n;
}

/* Looks a command up by its full name ("get", "client|id"), any case, as
 * Redis's lookupCommandBySds; NULL if unknown. */
static struct command *lookup_fullname(const char *p, size_t n)
{
    const char *bar = memchr(p, '|', n);
    if (!bar) return command_lookup(p, n);
    struct command *parent = command_lookup(p, (size_t)(bar - p));
    if (!parent || !parent->nsubs) return NULL;
    const char *sub = bar + 1;
    size_t sn = n - (size_t)(sub - p);
    if (memchr(sub, '|', sn)) return NULL;
    return command_lookup_sub(parent, sub, sn);
}

/* The Redis 7 ten-element command info entry. */
static void reply_cmd_info(client *c, const struct command *cmd)
{
    const struct cmdmeta *m = cmd->meta;
    reply_array(c, 10);
    reply_bulk_cstr(c, cmd->name);
    reply_int(c, cmd->arity);
    reply_word_set(c, m->flags, strlen(m->flags), ' ', true);
    reply_int(c, m->first);
    reply_int(c, m->last);
    reply_int(c, m->step);
    reply_word_set(c, m->acl, strlen(m->acl), ' ', true);
    reply_word_set(c, m->tips, strlen(m->tips), ' ', false);
    reply_set(c, kspec_count(m->keyspecs));
    const char *cur = m->keyspecs;
    struct kspec k;
    while (kspec_next(&cur, &k)) reply_kspec(c, &k);
    if (cmd->nsubs) {
        reply_array(c, cmd->nsubs);
        for (int i = 0; i < cmd->nsubs; i++) reply_cmd_info(c, cmd->subs[i]);
    } else {
        reply_set(c, 0);        /* as Redis: an empty set when none */
    }
}

static void reply_all_info(client *c)
{
    reply_array(c, top_level_count());
    for (int i = 0; i < commands_count(); i++) {
        struct command *cmd = command_at(i);
        if (!cmd->parent) reply_cmd_info(c, cmd);
    }
}

void cmd_command(client *c)
{
    if (c->argc > 1) {
        reply_unknown_sub(c);
        return;
    }
    reply_all_info(c);
}

void cmd_command_count(client *c)
{
    reply_int(c, top_level_count());
}

void cmd_command_info(client *c)
{
    if (c->argc == 2) {
        reply_all_info(c);
        return;
    }
    reply_array(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        struct command *cmd = lookup_fullname(c->argv[i].p, c->argv[i].n);
        if (cmd) reply_cmd_info(c, cmd);
        else reply_null(c);
    }
}

/* One command's documentation map, as Redis's addReplyCommandDocs, without
 * the fields cmdmeta does not record (see the top of this file). */
static void reply_cmd_docs(client *c, const struct command *cmd)
{
    const struct cmdmeta *m = cmd->meta;
    bool summary = m->summary && *m->summary;
    bool since = m->since && *m->since;
    bool complexity = m->complexity && *m->complexity;
    bool docflags = m->doc_flags && count_words(m->doc_flags, ' ') > 0;
    reply_map(c, 1 + summary + since + complexity + docflags + m->ndocs_extra + (cmd->nsubs > 0));
    if (summary) {
        reply_bulk_cstr(c, "summary");
        reply_bulk_cstr(c, m->summary);
    }
    if (since) {
        reply_bulk_cstr(c, "since");
        reply_bulk_cstr(c, m->since);
    }
    reply_bulk_cstr(c, "group");
    reply_bulk_cstr(c, m->group ? m->group : "");
    if (complexity) {
        reply_bulk_cstr(c, "complexity");
        reply_bulk_cstr(c, m->complexity);
    }
    if (docflags) {
        reply_bulk_cstr(c, "doc_flags");
        reply_word_set(c, m->doc_flags, strlen(m->doc_flags), ' ', true);
    }
    if (m->ndocs_extra) {   /* history, arguments, ...: verbatim from cmdmeta */
        const char *raw = c->resp >= 3 ? m->docs_extra3 : m->docs_extra2;
        reply_raw(c, raw, strlen(raw));
    }
    if (cmd->nsubs) {
        reply_bulk_cstr(c, "subcommands");
        reply_map(c, cmd->nsubs);
        for (int i = 0; i < cmd->nsubs; i++) {
            reply_bulk_cstr(c, cmd->subs[i]->name);
            reply_cmd_docs(c, cmd->subs[i]);
        }
    }
}

void cmd_command_docs(client *c)
{
    if (c->argc == 2) {
        reply_map(c, top_level_count());
        for (int i = 0; i < commands_count(); i++) {
            struct command *cmd = command_at(i);
            if (cmd->parent) continue;
            reply_bulk_cstr(c, cmd->name);
            reply_cmd_docs(c, cmd);
        }
        return;
    }
    /* Unknown names are left out of the map (as Redis). */
    long found = 0;
    for (int i = 2; i < c->argc; i++)
        if (lookup_fullname(c->argv[i].p, c->argv[i].n)) found++;
    reply_map(c, found);
    for (int i = 2; i < c->argc; i++) {
        struct command *cmd = lookup_fullname(c->argv[i].p, c->argv[i].n);
        if (!cmd) continue;
        reply_bulk_cstr(c, cmd->name);
        reply_cmd_docs(c, cmd);
    }
}

enum { LIST_ALL, LIST_MODULE, LIST_ACLCAT, LIST_PATTERN };

static bool list_match(const struct command *cmd, int how, const hf_arg *arg)
{
    switch (how) {
    case LIST_MODULE:
        return false;           /* holdfast has no modules */
    case LIST_ACLCAT: {
        char cat[80];
        if (arg->n > 64 || memchr(arg->p, ' ', arg->n)) return false;
        snprintf(cat, sizeof cat, "@%.*s", (int)arg->n, arg->p);
        return has_word(cmd->meta->acl, cat, true);
    }
    case LIST_PATTERN:
        return hf_globmatch(arg->p, arg->n, cmd->name, strlen(cmd->name), true);
    default:
        return true;
    }
}

void cmd_command_list(client *c)
{
    int how = LIST_ALL;
    const hf_arg *arg = NULL;
    if (c->argc == 5 && arg_is(&c->argv[2], "filterby")) {
        if (arg_is(&c->argv[3], "module")) how = LIST_MODULE;
        else if (arg_is(&c->argv[3], "aclcat")) how = LIST_ACLCAT;
        else if (arg_is(&c->argv[3], "pattern")) how = LIST_PATTERN;
        else {
            reply_syntax(c);
            return;
        }
        arg = &c->argv[4];
    } else if (c->argc != 2) {
        reply_syntax(c);
        return;
    }
    /* Containers are listed, then their subcommands, as Redis does. */
    long n = 0;
    for (int i = 0; i < commands_count(); i++)
        if (list_match(command_at(i), how, arg)) n++;
    reply_array(c, n);
    for (int i = 0; i < commands_count(); i++) {
        struct command *cmd = command_at(i);
        if (list_match(cmd, how, arg)) reply_bulk_cstr(c, cmd->name);
    }
}

/* The keys of a command line, found from its key specs. */
struct keyref {
    int pos;
    const struct kspec *spec;
};

/* True if the command has a key spec that is not marked not_key (Redis's
 * doesCommandHaveKeys), or, lacking specs, a legacy first key. */
static bool command_has_keys(const struct command *cmd)
{
    const char *cur = cmd->meta->keyspecs;
    struct kspec k;
    bool any = false;
    while (kspec_next(&cur, &k)) {
        any = true;
        if (!kspec_has_flag(&k, "not_key")) return true;
    }
    return !any && cmd->meta->first > 0;
}

/* Finds the keys in argv[0..argc) (argv[0] = the command name) following
 * the key specs as Redis's getKeysUsingKeySpecs.  specs receives the parsed
 * specs (nspecs of room), keys the positions (argc * max(nspecs, 1) of
 * room: each spec yields at most argc keys).  Returns the number of keys,
 * or -1 if the arguments do not fit a spec. */
static int find_keys(const struct command *cmd, const hf_arg *argv, int argc,
                     struct kspec *specs, int nspecs, struct keyref *keys)
{
    int nkeys = 0, ns = 0;
    const char *cur = cmd->meta->keyspecs;
    struct kspec k;
    while (ns < nspecs && kspec_next(&cur, &k)) {
        struct kspec *sp = &specs[ns++];
        *sp = k;
        int first = 0, last, step;
        if (k.bs == BS_INDEX) {
            first = k.index;
        } else if (k.bs == BS_KEYWORD) {
            int start = k.startfrom > 0 ? k.startfrom : argc + k.startfrom;
            int stop = k.startfrom > 0 ? argc - 1 : 1;
            for (int i = start; i != stop; i = start <= stop ? i + 1 : i - 1) {
                if (i >= argc || i < 1) break;
                if (argv[i].n == k.kwlen && !strncasecmp(argv[i].p, k.kw, k.kwlen)) {
                    first = i + 1;
                    break;
                }
            }
            if (!first) continue;       /* keyword absent: no keys from this spec */
        } else {
            return -1;
        }
        if (k.fk == FK_RANGE) {
            step = k.keystep;
            if (k.lastkey >= 0) last = first + k.lastkey;
            else if (!k.limit) last = argc + k.lastkey;
            else last = first + ((argc - first) / k.limit + k.lastkey);
        } else if (k.fk == FK_KEYNUM) {
            step = k.keystep;
            if (k.keynumidx >= argc - first) return -1;
            long long numkeys;
            const hf_arg *a = &argv[first + k.keynumidx];
            if (!hf_str2ll(a->p, a->n, &numkeys) || numkeys < 0 || numkeys > INT_MAX) return -1;
            first += k.firstkey;
            last = first + (int)numkeys - 1;
        } else {
            return -1;
        }
        if (last >= argc || last < first || first >= argc) return -1;
        if (step <= 0) step = 1;
        for (int i = first; i <= last; i += step) {
            keys[nkeys].pos = i;
            keys[nkeys].spec = sp;
            nkeys++;
        }
    }
    if (ns == 0 && cmd->meta->first > 0) {
        /* No key specs: the legacy first/last/step (negative last counts
         * from the end). */
        int first = cmd->meta->first, last = cmd->meta->last, step = cmd->meta->step;
        if (last < 0) last = argc + last;
        if (step <= 0) step = 1;
        for (int i = first; i <= last && i < argc; i += step) {
            keys[nkeys].pos = i;
            keys[nkeys].spec = NULL;
            nkeys++;
        }
    }
    return nkeys;
}

static void getkeys(client *c, bool with_flags)
{
    const hf_arg *argv = c->argv + 2;
    int argc = c->argc - 2;
    struct command *cmd = command_lookup(argv[0].p, argv[0].n);
    if (cmd && cmd->nsubs && argc > 1) cmd = command_lookup_sub(cmd, argv[1].p, argv[1].n);
    if (!cmd) {
        reply_error(c, "ERR Invalid command specified");
        return;
    }
    if (!command_has_keys(cmd)) {
        reply_error(c, "ERR The command has no key arguments");
        return;
    }
    if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity) {
        reply_error(c, "ERR Invalid number of arguments specified for command");
        return;
    }
    struct kspec specs[16];
    struct keyref small[32];
    long nspecs = kspec_count(cmd->meta->keyspecs);
    if (nspecs > 16) nspecs = 16;
    size_t room = (size_t)argc * (size_t)(nspecs > 0 ? nspecs : 1);
    struct keyref *keys = room <= 32 ? small : hf_malloc(sizeof *keys * room);
    int n = find_keys(cmd, argv, argc, specs, (int)nspecs, keys);
    if (n <= 0) {
        if (has_word(cmd->meta->flags, "no_mandatory_keys", false)) reply_array(c, 0);
        else reply_error(c, "ERR Invalid arguments specified for command");
    } else {
        reply_array(c, n);
        for (int i = 0; i < n; i++) {
            const hf_arg *a = &argv[keys[i].pos];
            if (!with_flags) {
                reply_bulk(c, a->p, a->n);
                continue;
            }
            reply_array(c, 2);
            reply_bulk(c, a->p, a->n);
            const struct kspec *sp = keys[i].spec;
            if (sp && kspec_has_flag(sp, "variable_flags") && !strcmp(cmd->name, "set")) {
                /* What Redis's setGetKeys reports: the flags depend on GET. */
                const char *fl = "OW,update";
                for (int j = 3; j < argc; j++)
                    if (arg_is(&argv[j], "get")) fl = "RW,access,update";
                reply_word_set(c, fl, strlen(fl), ',', true);
            } else if (sp) {
                reply_word_set(c, sp->flags, sp->flen, ',', true);
            } else {
                reply_set(c, 0);
            }
        }
    }
    if (keys != small) hf_free(keys);
}

void cmd_command_getkeys(client *c) { getkeys(c, false); }
void cmd_command_getkeysandflags(client *c) { getkeys(c, true); }

void cmd_command_help(client *c)
{
    static const char *const help[] = {
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        NULL,
    };
    reply_help_bound(c, "COMMAND", help);
}

/* ------------------------------------------------------------------------
 * INFO
 * ---------------------------------------------------------------------- */

/* INFO prints Redis 7.0's field names in Redis's order.  A field whose
 * value is fixed by what holdfast is (it never forks, has no replication,
 * scripting, eviction, defragmentation or tracking) is printed with that
 * value so that exporters find it; a field holdfast does not measure
 * (allocator_*, used_memory_overhead/dataset, lru_clock, the *_main_thread
 * CPU times, expire-cycle figures, ...) is left out rather than invented. */

/* Redis's bytesToHuman: B below 1024, then K M G T P with two decimals,
 * B again from 1024^6 up. */
static void bytes_human(char *s, size_t len, unsigned long long n)
{
    static const char units[] = "KMGTP";
    unsigned long long unit = 1024;
    int u = 0;
    while (u < 4 && n >= unit * 1024) {
        unit *= 1024;
        u++;
    }
    if (n < 1024 || n >= unit * 1024) snprintf(s, len, "%lluB", n);
    else snprintf(s, len, "%.2f%c", (double)n / (double)unit, units[u]);
}

/* Instantaneous rates.  Redis samples every 100 ms in its cron; holdfast
 * samples when INFO runs: the rate is measured from the newest sample at
 * least one second old (else the oldest one, else from start-up) to now.
 * With INFO every second (redis-cli --stat) that is the last second's rate;
 * with rarer calls it is the average since the previous call. */
#define INST_SAMPLES 16
struct inst_sample {
    int64_t t;
    uint64_t cmds, in, out;
};
static struct {
    pthread_mutex_t mu;
    struct inst_sample s[INST_SAMPLES];
    int n, next;
    bool had_reset;
} inst = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void inst_rates(const struct hf_stats *st, long long *ops, double *in_kbps, double *out_kbps)
{
    int64_t now = hf_monotonic_us();
    struct inst_sample cur = {now, st->commands, st->net_input, st->net_output};
    struct inst_sample ref = {0, 0, 0, 0};
    bool have = false;
    pthread_mutex_lock(&inst.mu);
    for (int i = 0; i < inst.n; i++) {
        const struct inst_sample *s = &inst.s[i];
        if (s->cmds > cur.cmds || s->in > cur.in || s->out > cur.out) {
            inst.n = inst.next = 0;     /* CONFIG RESETSTAT: start over */
            inst.had_reset = true;
            break;
        }
    }
    for (int k = 1; k <= inst.n; k++) {     /* newest first */
        const struct inst_sample *s = &inst.s[(inst.next - k + INST_SAMPLES) % INST_SAMPLES];
        if (now - s->t >= 1000000) { ref = *s; have = true; break; }
    }
    if (!have && inst.n) {
        ref = inst.s[inst.n < INST_SAMPLES ? 0 : inst.next];
        have = true;
    }
    if (!have && !inst.had_reset) {
        ref.t = srv.start_mono_us;
        have = true;
    }
    const struct inst_sample *newest = inst.n ? &inst.s[(inst.next - 1 + INST_SAMPLES) % INST_SAMPLES] : NULL;
    if (!newest || now - newest->t >= 100000) {
        inst.s[inst.next] = cur;
        inst.next = (inst.next + 1) % INST_SAMPLES;
        if (inst.n < INST_SAMPLES) inst.n++;
    }
    pthread_mutex_unlock(&inst.mu);
    *ops = 0;
    *in_kbps = *out_kbps = 0;
    if (!have || now <= ref.t) return;
    double secs = (double)(now - ref.t) / 1e6;
    *ops = (long long)((double)(cur.cmds - ref.cmds) / secs + 0.5);
    *in_kbps = (double)(cur.in - ref.in) / secs / 1024;
    *out_kbps = (double)(cur.out - ref.out) / secs / 1024;
}

static const char *executable_path(char *buf, size_t len)
{
    if (srv.executable && srv.executable[0] == '/') return srv.executable;
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);   /* we chdir'ed to dir */
    if (n <= 0) return srv.executable ? srv.executable : "";
    buf[n] = '\0';
    return buf;
}

/* master_replid: holdfast has no replication, but the field is a random id
 * distinct from run_id, made once per process, as in Redis. */
static char replid[41];
static pthread_once_t replid_once = PTHREAD_ONCE_INIT;
static void make_replid(void)
{
    uint8_t r[20];
    hf_random_bytes(r, sizeof r);
    for (int i = 0; i < 20; i++) snprintf(replid + 2 * i, 3, "%02x", r[i]);
}

/* libevent's preferred back end (the one event_base_new() picks).
 * event_get_supported_methods() frees and rebuilds its array on every call,
 * so it is called once, under pthread_once, and the name kept. */
static char mux_name[32];
static pthread_once_t mux_once = PTHREAD_ONCE_INIT;
static void find_mux(void)
{
    const char **m = event_get_supported_methods();
    snprintf(mux_name, sizeof mux_name, "%s", m && m[0] ? m[0] : "unknown");
}
static const char *mux_api(void)
{
    pthread_once(&mux_once, find_mux);
    return mux_name;
}

static void info_server(struct sbuf *b)
{
    struct utsname un;
    if (uname(&un) != 0) memset(&un, 0, sizeof un);
    char exe[4096];
    const char *conf = conf_file();
    int64_t uptime = (hf_monotonic_us() - srv.start_mono_us) / 1000000;
    sb_printf(b,
        "# Server\r\n"
        "redis_version:%s\r\n"
        "holdfast_version:%s\r\n"
        "redis_git_sha1:00000000\r\n"
        "redis_git_dirty:0\r\n"
        "redis_mode:standalone\r\n"
        "os:%s %s %s\r\n"
        "arch_bits:%d\r\n"
        "monotonic_clock:POSIX clock_gettime\r\n"
        "multiplexing_api:%s\r\n"
        "atomicvar_api:atomic-builtin\r\n"
#ifdef __GNUC__
        "gcc_version:%d.%d.%d\r\n"
#endif
        "process_id:%ld\r\n"
        "process_supervised:no\r\n"
        "run_id:%s\r\n"
        "tcp_port:%llu\r\n"
        "server_time_usec:%lld\r\n"
        "uptime_in_seconds:%lld\r\n"
        "uptime_in_days:%lld\r\n"
        "hz:%d\r\n"
        "configured_hz:%d\r\n"
        "executable:%s\r\n"
        "config_file:%s\r\n"
        "io_threads_active:0\r\n",
        HF_REDIS_VERSION, PACKAGE_VERSION,
        un.sysname, un.release, un.machine,
        (int)(sizeof(long) * 8),
        mux_api(),
#ifdef __GNUC__
        __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__,
#endif
        (long)getpid(), srv.runid, (unsigned long long)net_listen_port(),
        (long long)hf_ustime(), (long long)uptime, (long long)(uptime / 86400),
        CONF_GET(hz), CONF_GET(hz), executable_path(exe, sizeof exe), conf ? conf : "");
}

static void info_clients(struct sbuf *b)
{
    sb_printf(b,
        "# Clients\r\n"
        "connected_clients:%d\r\n"
        "cluster_connections:0\r\n"
        "maxclients:%d\r\n"
        "client_recent_max_input_buffer:%llu\r\n"
        "blocked_clients:%ld\r\n"
        "tracking_clients:0\r\n"
        "clients_in_timeout_table:0\r\n",
        clients_connected(), CONF_GET(maxclients), (unsigned long long)clients_max_qbuf(),
        block_blocked_clients());
}

static void info_memory(struct sbuf *b)
{
    size_t used = net_used_memory(), peak = net_peak_memory(), rss = hf_rss_memory();
    if (peak < used) peak = used;
    long long maxmem = CONF_GET(maxmemory);
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    unsigned long long sysmem = pages > 0 && psize > 0 ? (unsigned long long)pages * (unsigned long long)psize : 0;
    char h_used[32], h_rss[32], h_peak[32], h_max[32], h_sys[32];
    bytes_human(h_used, sizeof h_used, used);
    bytes_human(h_rss, sizeof h_rss, rss);
    bytes_human(h_peak, sizeof h_peak, peak);
    bytes_human(h_max, sizeof h_max, (unsigned long long)maxmem);
    bytes_human(h_sys, sizeof h_sys, sysmem);
    /* Only noeviction exists (config.c): holdfast does not drop data. */
    const char *policy = CONF_GET(maxmemory_policy) == 0 ? "noeviction" : "unknown";
    sb_printf(b,
        "# Memory\r\n"
        "used_memory:%zu\r\n"
        "used_memory_human:%s\r\n"
        "used_memory_rss:%zu\r\n"
        "used_memory_rss_human:%s\r\n"
        "used_memory_peak:%zu\r\n"
        "used_memory_peak_human:%s\r\n"
        "used_memory_peak_perc:%.2f%%\r\n"
        "total_system_memory:%llu\r\n"
        "total_system_memory_human:%s\r\n"
        "number_of_cached_scripts:0\r\n"
        "number_of_functions:0\r\n"
        "number_of_libraries:0\r\n"
        "maxmemory:%lld\r\n"
        "maxmemory_human:%s\r\n"
        "maxmemory_policy:%s\r\n"
        "mem_fragmentation_ratio:%.2f\r\n"
        "mem_fragmentation_bytes:%lld\r\n"
        "mem_not_counted_for_evict:0\r\n"
        "mem_replication_backlog:0\r\n"
        "mem_total_replication_buffers:0\r\n"
        "mem_clients_slaves:0\r\n"
        "mem_cluster_links:0\r\n"
        "mem_aof_buffer:0\r\n"
        "mem_allocator:%s\r\n"
        "active_defrag_running:0\r\n"
        "lazyfree_pending_objects:0\r\n",
        used, h_used, rss, h_rss, peak, h_peak,
        peak ? (double)used * 100 / (double)peak : 0.0,
        sysmem, h_sys, maxmem, h_max, policy,
        used ? (double)rss / (double)used : 0.0, (long long)rss - (long long)used,
        hf_allocator_name());
}

/* Redis's field names, filled from the WAL (aof_*) and the snapshots
 * (rdb_*): exporters and dashboards read these. */
static void info_persistence(struct sbuf *b)
{
    struct snapshot_stats ss;
    snapshot_get_stats(&ss);
    struct wal_stats ws;
    wal_get_stats(&ws);
    bool loading = __atomic_load_n(&srv.loading, __ATOMIC_ACQUIRE) != 0;
    bool inprog = snapshot_in_progress();
    int failed = wal_failed();
    sb_printf(b,
        "# Persistence\r\n"
        "loading:%d\r\n"
        "async_loading:0\r\n"
        "current_cow_peak:0\r\n"
        "current_cow_size:0\r\n"
        "current_cow_size_age:0\r\n"
        "current_fork_perc:0.00\r\n"
        "current_save_keys_processed:0\r\n"
        "current_save_keys_total:0\r\n"
        "rdb_changes_since_last_save:%llu\r\n"
        "rdb_bgsave_in_progress:%d\r\n"
        "rdb_last_save_time:%lld\r\n"
        "rdb_last_bgsave_status:%s\r\n"
        "rdb_last_bgsave_time_sec:%lld\r\n"
        "rdb_current_bgsave_time_sec:%lld\r\n"
        "rdb_saves:%llu\r\n"
        "rdb_last_cow_size:0\r\n"
        "aof_enabled:%d\r\n"
        "aof_rewrite_in_progress:%d\r\n"
        "aof_rewrite_scheduled:0\r\n"
        "aof_last_rewrite_time_sec:%lld\r\n"
        "aof_current_rewrite_time_sec:-1\r\n"
        "aof_last_bgrewrite_status:%s\r\n"
        "aof_rewrites:%llu\r\n"
        "aof_rewrites_consecutive_failures:0\r\n"
        "aof_last_write_status:%s\r\n"
        "aof_last_cow_size:0\r\n"
        "module_fork_in_progress:0\r\n"
        "module_fork_last_cow_size:0\r\n",
        loading ? 1 : 0,
        (unsigned long long)ss.changes_since, inprog ? 1 : 0,
        (long long)(ss.last_ok_time ? ss.last_ok_time : __atomic_load_n(&srv.lastsave, __ATOMIC_RELAXED)),
        ss.last_status == 0 ? "ok" : "err",
        ss.count || ss.last_status ? (long long)(ss.last_duration_ms / 1000) : -1LL,
        inprog ? (long long)(hf_mstime() - ss.last_start_ms) / 1000 : -1LL,
        (unsigned long long)ss.count,
        wal_enabled() ? 1 : 0, inprog ? 1 : 0,
        ss.count || ss.last_status ? (long long)(ss.last_duration_ms / 1000) : -1LL,
        ss.last_status == 0 ? "ok" : "err", (unsigned long long)ss.count,
        failed ? "err" : "ok");
    if (wal_enabled())
        sb_printf(b,
            "aof_current_size:%llu\r\n"
            "aof_base_size:0\r\n"
            "aof_pending_rewrite:0\r\n"
            "aof_buffer_length:0\r\n"
            "aof_pending_bio_fsync:0\r\n"
            "aof_delayed_fsync:0\r\n",
            (unsigned long long)ws.current_size);
    if (loading) {
        int64_t now = hf_mstime() / 1000;
        sb_printf(b,
            "loading_start_time:%lld\r\n"
            "loading_total_bytes:0\r\n"
            "loading_rdb_used_mem:0\r\n"
            "loading_loaded_bytes:0\r\n"
            "loading_loaded_perc:0.00\r\n"
            "loading_eta_seconds:1\r\n",
            (long long)srv.loading_start);
        (void)now;
    }
}

/* holdfast's own figures: the WAL and snapshots in detail. */
static void info_holdfast(struct sbuf *b)
{
    struct snapshot_stats ss;
    snapshot_get_stats(&ss);
    struct wal_stats ws;
    wal_get_stats(&ws);
    static const char *const policies[] = {"always", "everysec", "no"};
    int pol = CONF_GET(appendfsync);
    sb_printf(b,
        "# Holdfast\r\n"
        "holdfast_version:%s\r\n"
        "wal_enabled:%d\r\n"
        "wal_appendfsync:%s\r\n"
        "wal_last_lsn:%llu\r\n"
        "wal_durable_lsn:%llu\r\n"
        "wal_failed:%d\r\n"
        "wal_fail_reason:%s\r\n"
        "wal_records:%llu\r\n"
        "wal_batches:%llu\r\n"
        "wal_avg_batch_records:%.2f\r\n"
        "wal_bytes_written:%llu\r\n"
        "wal_fsyncs:%llu\r\n"
        "wal_fsync_avg_usec:%.1f\r\n"
        "wal_fsync_last_usec:%llu\r\n"
        "wal_segments:%llu\r\n"
        "wal_size:%llu\r\n"
        "snapshot_in_progress:%d\r\n"
        "snapshot_count:%llu\r\n"
        "snapshot_last_status:%s\r\n"
        "snapshot_last_duration_ms:%lld\r\n"
        "snapshot_last_max_stall_us:%lld\r\n"
        "snapshot_last_keys:%llu\r\n"
        "snapshot_last_bytes:%llu\r\n"
        "snapshot_last_lsn:%llu\r\n"
        "snapshot_peak_shard_buffer:%llu\r\n"
        "snapshot_wal_bytes_since:%llu\r\n",
        PACKAGE_VERSION, wal_enabled() ? 1 : 0, policies[pol < 0 || pol > 2 ? 0 : pol],
        (unsigned long long)(wal_enabled() ? wal_last_lsn() : 0), (unsigned long long)wal_durable_lsn(),
        wal_failed() ? 1 : 0, wal_fail_reason(),
        (unsigned long long)ws.records, (unsigned long long)ws.batches,
        ws.batches ? (double)ws.records / (double)ws.batches : 0.0,
        (unsigned long long)ws.bytes, (unsigned long long)ws.fsyncs,
        ws.fsyncs ? (double)ws.fsync_usec_total / (double)ws.fsyncs : 0.0,
        (unsigned long long)ws.fsync_usec_last, (unsigned long long)ws.segments,
        (unsigned long long)ws.current_size,
        snapshot_in_progress() ? 1 : 0, (unsigned long long)ss.count, ss.last_status == 0 ? "ok" : "err",
        (long long)ss.last_duration_ms, (long long)ss.last_max_stall_us, (unsigned long long)ss.last_keys,
        (unsigned long long)ss.last_bytes, (unsigned long long)ss.last_lsn, (unsigned long long)ss.peak_buffer,
        (unsigned long long)ss.changes_since);
}

static void info_stats(struct sbuf *b, const struct hf_stats *st)
{
    long long ops;
    double in_kbps, out_kbps;
    inst_rates(st, &ops, &in_kbps, &out_kbps);
    sb_printf(b,
        "# Stats\r\n"
        "total_connections_received:%llu\r\n"
        "total_commands_processed:%llu\r\n"
        "instantaneous_ops_per_sec:%lld\r\n"
        "total_net_input_bytes:%llu\r\n"
        "total_net_output_bytes:%llu\r\n"
        "total_net_repl_input_bytes:0\r\n"
        "total_net_repl_output_bytes:0\r\n"
        "instantaneous_input_kbps:%.2f\r\n"
        "instantaneous_output_kbps:%.2f\r\n"
        "instantaneous_input_repl_kbps:0.00\r\n"
        "instantaneous_output_repl_kbps:0.00\r\n"
        "rejected_connections:%llu\r\n"
        "sync_full:0\r\n"
        "sync_partial_ok:0\r\n"
        "sync_partial_err:0\r\n"
        "expired_keys:%llu\r\n"
        "evicted_keys:0\r\n"
        "evicted_clients:0\r\n"
        "keyspace_hits:%llu\r\n"
        "keyspace_misses:%llu\r\n"
        "pubsub_channels:%ld\r\n"
        "pubsub_patterns:%ld\r\n"
        "pubsubshard_channels:0\r\n"
        "latest_fork_usec:0\r\n"
        "total_forks:0\r\n"
        "migrate_cached_sockets:0\r\n"
        "slave_expires_tracked_keys:0\r\n"
        "active_defrag_hits:0\r\n"
        "active_defrag_misses:0\r\n"
        "active_defrag_key_hits:0\r\n"
        "active_defrag_key_misses:0\r\n"
        "total_active_defrag_time:0\r\n"
        "current_active_defrag_time:0\r\n"
        "tracking_total_keys:0\r\n"
        "tracking_total_items:0\r\n"
        "tracking_total_prefixes:0\r\n"
        "unexpected_error_replies:%llu\r\n"
        "total_error_replies:%llu\r\n"
        "dump_payload_sanitizations:0\r\n"
        "total_reads_processed:%llu\r\n"
        "total_writes_processed:%llu\r\n",
        (unsigned long long)st->conns_received, (unsigned long long)st->commands, ops,
        (unsigned long long)st->net_input, (unsigned long long)st->net_output,
        in_kbps, out_kbps, (unsigned long long)st->rejected_conns,
        (unsigned long long)st->expired_keys, (unsigned long long)st->hits,
        (unsigned long long)st->misses, pubsub_count_channels(), pubsub_count_patterns(),
        (unsigned long long)st->unexpected_errors,
        (unsigned long long)st->errors, (unsigned long long)st->io_reads,
        (unsigned long long)st->io_writes);
}

static void info_replication(struct sbuf *b)
{
    pthread_once(&replid_once, make_replid);
    sb_printf(b,
        "# Replication\r\n"
        "role:master\r\n"
        "connected_slaves:0\r\n"
        "master_failover_state:no-failover\r\n"
        "master_replid:%s\r\n"
        "master_replid2:0000000000000000000000000000000000000000\r\n"
        "master_repl_offset:0\r\n"
        "second_repl_offset:-1\r\n"
        "repl_backlog_active:0\r\n"
        "repl_backlog_first_byte_offset:0\r\n"
        "repl_backlog_histlen:0\r\n",
        replid);
}

static double tv_secs(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

static void info_cpu(struct sbuf *b)
{
    struct rusage self, children;
    if (getrusage(RUSAGE_SELF, &self) != 0) memset(&self, 0, sizeof self);
    if (getrusage(RUSAGE_CHILDREN, &children) != 0) memset(&children, 0, sizeof children);
    sb_printf(b,
        "# CPU\r\n"
        "used_cpu_sys:%.6f\r\n"
        "used_cpu_user:%.6f\r\n"
        "used_cpu_sys_children:%.6f\r\n"
        "used_cpu_user_children:%.6f\r\n",
        tv_secs(self.ru_stime), tv_secs(self.ru_utime),
        tv_secs(children.ru_stime), tv_secs(children.ru_utime));
}

static void info_commandstats(struct sbuf *b)
{
    sb_cat(b, "# Commandstats\r\n");
    for (int i = 0; i < commands_count(); i++) {
        const struct command *cmd = command_at(i);
        struct cmdstat s;
        command_stats(cmd, &s);
        if (!s.calls && !s.failed && !s.rejected) continue;
        sb_printf(b, "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu\r\n",
                  cmd->name, (unsigned long long)s.calls, (unsigned long long)s.usec,
                  s.calls ? (double)s.usec / (double)s.calls : 0.0,
                  (unsigned long long)s.rejected, (unsigned long long)s.failed);
    }
}

static void info_keyspace(struct sbuf *b)
{
    sb_cat(b, "# Keyspace\r\n");
    for (int db = 0; db < ks_ndbs(); db++) {
        /* ks_db_expires() takes every shard lock: ask only for databases
         * that hold keys (a key with an expiry is a key). */
        unsigned long long keys = ks_dbsize(db);
        if (!keys) continue;
        unsigned long long expires = ks_db_expires(db);
        sb_printf(b, "db%d:keys=%llu,expires=%llu,avg_ttl=0\r\n", db, keys, expires);
    }
}

/* Sections in Redis 7.0's order; "dflt" ones make up "default" (and an
 * INFO without arguments); "all" is every one ("everything" adds module
 * generated sections, of which holdfast has none). */
enum {
    S_SERVER, S_CLIENTS, S_MEMORY, S_PERSISTENCE, S_STATS, S_REPLICATION, S_CPU,
    S_MODULES, S_COMMANDSTATS, S_ERRORSTATS, S_LATENCYSTATS, S_CLUSTER, S_KEYSPACE, S_HOLDFAST, S_COUNT
};
static const struct { const char *name; bool dflt; } sections[S_COUNT] = {
    {"server", true}, {"clients", true}, {"memory", true}, {"persistence", true},
    {"stats", true}, {"replication", true}, {"cpu", true}, {"modules", true},
    {"commandstats", false}, {"errorstats", true}, {"latencystats", false},
    {"cluster", true}, {"keyspace", true}, {"holdfast", true},
};

void cmd_info(client *c)
{
    bool want[S_COUNT] = {false};
    if (c->argc == 1) {
        for (int s = 0; s < S_COUNT; s++) want[s] = sections[s].dflt;
    }
    for (int i = 1; i < c->argc; i++) {
        const hf_arg *a = &c->argv[i];
        if (arg_is(a, "default")) {
            for (int s = 0; s < S_COUNT; s++) want[s] |= sections[s].dflt;
        } else if (arg_is(a, "all") || arg_is(a, "everything")) {
            for (int s = 0; s < S_COUNT; s++) want[s] = true;
        } else {
            for (int s = 0; s < S_COUNT; s++)
                if (arg_is(a, sections[s].name)) want[s] = true;
        }
    }
    struct hf_stats st;
    net_stats(&st);
    struct sbuf b = {NULL, 0, 0};
    sb_grow(&b, 1);
    b.p[0] = '\0';
    for (int s = 0; s < S_COUNT; s++) {
        if (!want[s]) continue;
        if (b.len) sb_cat(&b, "\r\n");
        switch (s) {
        case S_SERVER: info_server(&b); break;
        case S_CLIENTS: info_clients(&b); break;
        case S_MEMORY: info_memory(&b); break;
        case S_PERSISTENCE: info_persistence(&b); break;
        case S_STATS: info_stats(&b, &st); break;
        case S_REPLICATION: info_replication(&b); break;
        case S_CPU: info_cpu(&b); break;
        case S_MODULES: sb_cat(&b, "# Modules\r\n"); break;
        case S_COMMANDSTATS: info_commandstats(&b); break;
        /* latency histograms are not kept: latencystats stays empty */
        case S_ERRORSTATS: {
            char eb[8192];
            int n = reply_errorstats(eb, sizeof eb);
            sb_cat(&b, "# Errorstats\r\n");
            eb[n < (int)sizeof eb ? n : (int)sizeof eb - 1] = '\0';
            sb_cat(&b, eb);
            break;
        }
        case S_LATENCYSTATS: sb_cat(&b, "# Latencystats\r\n"); break;
        case S_CLUSTER: sb_cat(&b, "# Cluster\r\ncluster_enabled:0\r\n"); break;
        case S_KEYSPACE: info_keyspace(&b); break;
        case S_HOLDFAST: info_holdfast(&b); break;
        }
    }
    reply_verbatim(c, b.p, b.len, "txt");
    hf_free(b.p);
}

/* ------------------------------------------------------------------------
 * TIME LASTSAVE SHUTDOWN
 * ---------------------------------------------------------------------- */

void cmd_time(client *c)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    reply_array(c, 2);
    reply_bulk_ll(c, (long long)tv.tv_sec);
    reply_bulk_ll(c, (long long)tv.tv_usec);
}

void cmd_lastsave(client *c)
{
    reply_int(c, (long long)__atomic_load_n(&srv.lastsave, __ATOMIC_RELAXED));
}

/* SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], parsed as Redis 7.0.
 * holdfast's shutdown is immediate: every acknowledged write is already in
 * the WAL, so SAVE/NOSAVE change nothing, NOW and FORCE have nothing to
 * skip, and there is never a shutdown in progress to ABORT. */
void cmd_shutdown(client *c)
{
    bool nosave = false, save = false, now = false, force = false, abort_ = false;
    for (int i = 1; i < c->argc; i++) {
        const hf_arg *a = &c->argv[i];
        if (arg_is(a, "nosave")) nosave = true;
        else if (arg_is(a, "save")) save = true;
        else if (arg_is(a, "now")) now = true;
        else if (arg_is(a, "force")) force = true;
        else if (arg_is(a, "abort")) abort_ = true;
        else {
            reply_syntax(c);
            return;
        }
    }
    if ((abort_ && (nosave || save || now || force)) || (nosave && save)) {
        reply_syntax(c);
        return;
    }
    if (abort_) {
        reply_error(c, "ERR No shutdown in progress.");
        return;
    }
    __atomic_or_fetch(&c->flags, CLIENT_CLOSE_AFTER_REPLY, __ATOMIC_RELAXED);
    net_request_shutdown();
}

/* ------------------------------------------------------------------------
 * MEMORY
 * ---------------------------------------------------------------------- */

/* MEMORY USAGE key [SAMPLES count]: the entry (with its inline key) plus
 * the value.  Like Redis it looks the key up without touching statistics
 * or the access time; unlike Redis a logically expired key is reported as
 * missing (it is not deleted here).  SAMPLES is parsed as Redis does; it
 * has no effect while every value is a string. */
void cmd_memory_usage(client *c)
{
    long long samples = 5;
    for (int j = 3; j < c->argc; j++) {
        if (arg_is(&c->argv[j], "samples") && j + 1 < c->argc) {
            if (!arg_ll(c, &c->argv[j + 1], &samples, NULL)) return;
            if (samples < 0) {
                reply_syntax(c);
                return;
            }
            if (samples == 0) samples = LLONG_MAX;
            j++;
        } else {
            reply_syntax(c);
            return;
        }
    }
    (void)samples;
    kref k;
    ks_ref_arg(&k, &c->argv[2]);
    ks_lock(k.s);
    size_t usage = 0;
    bool found = false;
    kdict *d = do_ks_dict(k.s, c->db);
    kentry *e = d ? kd_find(d, k.p, k.n, k.hash) : NULL;
    if (e && !(e->expire && ks_now > e->expire)) {
        usage = hf_malloc_size(e) + obj_memory_usage(e->val);
        found = true;
    }
    ks_unlock(k.s);
    if (found) reply_int(c, (long long)usage);
    else reply_null(c);
}

void cmd_memory_help(client *c)
{
    static const char *const help[] = {
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        NULL,
    };
    reply_help_bound(c, "MEMORY", help);
}

/* ------------------------------------------------------------------------
 * SLOWLOG
 *
 * A list of entries, newest first, under one mutex.  slowlog_record() runs
 * after every command on its worker thread: it returns after one relaxed
 * load unless the command was slow enough, builds the entry outside the
 * lock, and holds the lock only to link it and unlink what max-len drops.
 * ---------------------------------------------------------------------- */

#define SLOWLOG_MAX_ARGC 32
#define SLOWLOG_MAX_STRING 128

struct slowentry {
    struct slowentry *next, *prev;
    long long id;
    long long time;             /* unix seconds */
    long long duration;         /* microseconds */
    int argc;
    hf_arg *argv;               /* each p owned */
    char *peer, *name;
};

static struct {
    pthread_mutex_t mu;
    struct slowentry *head, *tail;  /* head = newest */
    long long len;
    long long next_id;
} slowlog = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void slowentry_free(struct slowentry *e)
{
    for (int i = 0; i < e->argc; i++) hf_free((void *)e->argv[i].p);
    hf_free(e->argv);
    hf_free(e->peer);
    hf_free(e->name);
    hf_free(e);
}

/* Arguments that hold secrets are logged as "(redacted)", as the Redis 7.0
 * commands do (AUTH, HELLO ... AUTH, CONFIG SET of sensitive directives,
 * MIGRATE ... AUTH/AUTH2, ACL SETUSER rules). */
static bool redacted(const hf_arg *argv, int argc, int j)
{
    const hf_arg *cmd = &argv[0];
    if (arg_is(cmd, "auth")) return j >= 1;
    if (arg_is(cmd, "hello")) {
        for (int i = 2; i + 2 < argc; i++)
            if (arg_is(&argv[i], "auth") && (j == i + 1 || j == i + 2)) return true;
        return false;
    }
    if (arg_is(cmd, "config") && argc >= 2 && arg_is(&argv[1], "set")) {
        for (int i = 2; i + 1 < argc; i += 2) {
            if (j != i + 1) continue;
            return arg_is(&argv[i], "requirepass") || arg_is(&argv[i], "masterauth") ||
                   arg_is(&argv[i], "masteruser");
        }
        return false;
    }
    if (arg_is(cmd, "migrate")) {
        for (int i = 6; i < argc; i++) {
            if (arg_is(&argv[i], "auth") && j == i + 1) return true;
            if (arg_is(&argv[i], "auth2") && (j == i + 1 || j == i + 2)) return true;
            if (arg_is(&argv[i], "keys")) break;
        }
        return false;
    }
    if (arg_is(cmd, "acl") && argc >= 2 && arg_is(&argv[1], "setuser")) return j >= 3;
    return false;
}

static hf_arg arg_copy(const char *p, size_t n)
{
    hf_arg a = {hf_memdup(p, n), n};
    return a;
}

static hf_arg arg_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static hf_arg arg_printf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof buf) n = (int)sizeof buf - 1;
    return arg_copy(buf, (size_t)n);
}

void slowlog_record(client *c, int64_t duration_us)
{
    long long thr = CONF_GET(slowlog_log_slower_than);
    if (thr < 0 || duration_us < thr) return;
    if (CONF_GET(slowlog_max_len) == 0) return;
    const struct command *cmd = c->lastcmd;
    if (cmd && has_word(cmd->meta->flags, "skip_slowlog", false)) return;
    if (c->argc <= 0) return;

    struct slowentry *e = hf_calloc(1, sizeof *e);
    e->time = (long long)time(NULL);
    e->duration = (long long)duration_us;
    e->argc = c->argc > SLOWLOG_MAX_ARGC ? SLOWLOG_MAX_ARGC : c->argc;
    e->argv = hf_malloc(sizeof(hf_arg) * (size_t)e->argc);
    for (int j = 0; j < e->argc; j++) {
        const hf_arg *a = &c->argv[j];
        if (e->argc != c->argc && j == e->argc - 1) {
            e->argv[j] = arg_printf("... (%d more arguments)", c->argc - e->argc + 1);
        } else if (redacted(c->argv, c->argc, j)) {
            e->argv[j] = arg_copy("(redacted)", 10);
        } else if (a->n > SLOWLOG_MAX_STRING) {
            char tail[64];
            int tn = snprintf(tail, sizeof tail, "... (%lu more bytes)",
                              (unsigned long)(a->n - SLOWLOG_MAX_STRING));
            char *p = hf_malloc(SLOWLOG_MAX_STRING + (size_t)tn + 1);
            memcpy(p, a->p, SLOWLOG_MAX_STRING);
            memcpy(p + SLOWLOG_MAX_STRING, tail, (size_t)tn + 1);
            e->argv[j].p = p;
            e->argv[j].n = SLOWLOG_MAX_STRING + (size_t)tn;
        } else {
            e->argv[j] = arg_copy(a->p, a->n);
        }
    }
    e->peer = hf_strdup(c->addr);
    clients_lock();
    e->name = hf_strdup(c->name ? c->name : "");
    clients_unlock();

    struct slowentry *drop = NULL;
    pthread_mutex_lock(&slowlog.mu);
    e->id = slowlog.next_id++;
    e->next = slowlog.head;
    if (slowlog.head) slowlog.head->prev = e;
    slowlog.head = e;
    if (!slowlog.tail) slowlog.tail = e;
    slowlog.len++;
    long long max = CONF_GET(slowlog_max_len);
    while (slowlog.len > max && slowlog.tail) {
        struct slowentry *t = slowlog.tail;
        slowlog.tail = t->prev;
        if (slowlog.tail) slowlog.tail->next = NULL;
        else slowlog.head = NULL;
        slowlog.len--;
        t->next = drop;
        drop = t;
    }
    pthread_mutex_unlock(&slowlog.mu);
    while (drop) {
        struct slowentry *n = drop->next;
        slowentry_free(drop);
        drop = n;
    }
}

void cmd_slowlog_get(client *c)
{
    if (c->argc > 3) {
        reply_unknown_sub_or_arity(c);
        return;
    }
    long long count = 10;
    if (c->argc == 3) {
        static const char msg[] = "ERR count should be greater than or equal to -1";
        if (!hf_str2ll(c->argv[2].p, c->argv[2].n, &count) || count < -1 || count > LONG_MAX) {
            reply_error(c, msg);
            return;
        }
    }
    pthread_mutex_lock(&slowlog.mu);
    if (count == -1 || count > slowlog.len) count = slowlog.len;
    reply_array(c, (long)count);
    struct slowentry *e = slowlog.head;
    for (long long i = 0; i < count && e; i++, e = e->next) {
        reply_array(c, 6);
        reply_int(c, e->id);
        reply_int(c, e->time);
        reply_int(c, e->duration);
        reply_array(c, e->argc);
        for (int j = 0; j < e->argc; j++) reply_bulk(c, e->argv[j].p, e->argv[j].n);
        reply_bulk_cstr(c, e->peer);
        reply_bulk_cstr(c, e->name);
    }
    pthread_mutex_unlock(&slowlog.mu);
}

void cmd_slowlog_len(client *c)
{
    pthread_mutex_lock(&slowlog.mu);
    long long n = slowlog.len;
    pthread_mutex_unlock(&slowlog.mu);
    reply_int(c, n);
}

void cmd_slowlog_reset(client *c)
{
    pthread_mutex_lock(&slowlog.mu);
    struct slowentry *e = slowlog.head;
    slowlog.head = slowlog.tail = NULL;
    slowlog.len = 0;
    pthread_mutex_unlock(&slowlog.mu);
    while (e) {
        struct slowentry *n = e->next;
        slowentry_free(e);
        e = n;
    }
    reply_ok(c);
}

void cmd_slowlog_help(client *c)
{
    static const char *const help[] = {
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        NULL,
    };
    reply_help_bound(c, "SLOWLOG", help);
}
