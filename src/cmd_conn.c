/* cmd_conn.c — connection commands: PING ECHO QUIT HELLO AUTH SELECT RESET
 * and CLIENT. */
#include "config.h"
#include "commands.h"
#include "multi.h"
#include "blocking.h"
#include "pubsub.h"
#include "conf.h"
#include "net.h"
#include "reply.h"
#include "server.h"
#include "util.h"
#include "keyspace.h"

#include <stdio.h>
#include <string.h>

void cmd_ping(client *c)
{
    if (c->argc > 2) { reply_arity(c, "ping"); return; }
    if (c->nsubs > 0 && c->resp == 2) {    /* subscribed: a message-shaped reply */
        reply_array(c, 2);
        reply_bulk(c, "pong", 4);
        if (c->argc == 1) reply_bulk(c, "", 0);
        else reply_bulk(c, c->argv[1].p, c->argv[1].n);
        return;
    }
    if (c->argc == 1) reply_raw(c, "+PONG\r\n", 7);
    else reply_bulk(c, c->argv[1].p, c->argv[1].n);
}

void cmd_echo(client *c) { reply_bulk(c, c->argv[1].p, c->argv[1].n); }

void cmd_quit(client *c)
{
    reply_ok(c);
    __atomic_or_fetch(&c->flags, CLIENT_CLOSE_AFTER_REPLY, __ATOMIC_RELAXED);
}

/* Checks a password for user (NULL = "default").  Holdfast has one user,
 * "default", guarded by requirepass (no ACL yet). */
static bool check_password(const hf_arg *user, const hf_arg *pass)
{
    if (user && !arg_is(user, "default")) return false;
    conf_lock();
    const char *rp = cfg.requirepass;
    bool ok = !rp || !rp[0] || (strlen(rp) == pass->n && memcmp(rp, pass->p, pass->n) == 0);
    conf_unlock();
    return ok;
}

static bool password_set(void)
{
    conf_lock();
    bool set = cfg.requirepass && cfg.requirepass[0];
    conf_unlock();
    return set;
}

static void set_authed(client *c, bool authed)
{
    c->authed = authed;
    resp_set_authenticated(c->rp, authed);
}

void cmd_auth(client *c)
{
    if (c->argc > 3) { reply_syntax(c); return; }
    if (c->argc == 2 && !password_set()) {
        reply_error(c, "ERR AUTH <password> called without any password configured for the default user. "
                       "Are you sure your configuration is correct?");
        return;
    }
    const hf_arg *user = c->argc == 3 ? &c->argv[1] : NULL;
    const hf_arg *pass = &c->argv[c->argc - 1];
    if (!check_password(user, pass)) {
        reply_error(c, "WRONGPASS invalid username-password pair or user is disabled.");
        return;
    }
    set_authed(c, true);
    reply_ok(c);
}

/* Client and library names: printable ASCII without spaces. */
static bool valid_name(const hf_arg *a)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->p[i] < '!' || a->p[i] > '~') return false;
    return true;
}

static void set_name(client *c, char **field, const hf_arg *a)
{
    char *v = a->n ? hf_memdup(a->p, a->n) : NULL;
    clients_lock();
    char *old = *field;
    *field = v;
    clients_unlock();
    hf_free(old);
}

void cmd_hello(client *c)
{
    long long ver = 0;
    int i = 1;
    if (c->argc >= 2) {
        if (!hf_str2ll(c->argv[1].p, c->argv[1].n, &ver)) {
            reply_error(c, "ERR Protocol version is not an integer or out of range");
            return;
        }
        if (ver < 2 || ver > 3) {
            reply_error(c, "NOPROTO unsupported protocol version");
            return;
        }
        i = 2;
    }
    /* options take effect one by one, and the first bad one ends the
     * command with the earlier ones applied, as in Redis 7.0 */
    for (; i < c->argc; i++) {
        int left = c->argc - i - 1;
        if (arg_is(&c->argv[i], "AUTH") && left >= 2) {
            if (!check_password(&c->argv[i + 1], &c->argv[i + 2])) {
                reply_error(c, "WRONGPASS invalid username-password pair or user is disabled.");
                return;
            }
            set_authed(c, true);
            i += 2;
        } else if (arg_is(&c->argv[i], "SETNAME") && left >= 1) {
            const hf_arg *name = &c->argv[i + 1];
            if (!valid_name(name)) {
                reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
                return;
            }
            set_name(c, &c->name, name);
            i += 1;
        } else {
            reply_errorf(c, "ERR Syntax error in HELLO option '%.*s'", (int)c->argv[i].n, c->argv[i].p);
            return;
        }
    }
    if (!c->authed) {
        reply_error(c, "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                       "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
                       "select the RESP protocol version at the same time");
        return;
    }
    if (ver) __atomic_store_n(&c->resp, (int)ver, __ATOMIC_RELAXED);
    reply_map(c, 7);
    /* "redis" as Redis answers: some client libraries key behaviour on it;
     * INFO server names holdfast and its own version. */
    reply_bulk_cstr(c, "server");
    reply_bulk_cstr(c, "redis");
    reply_bulk_cstr(c, "version");
    reply_bulk_cstr(c, HF_REDIS_VERSION);
    reply_bulk_cstr(c, "proto");
    reply_int(c, c->resp);
    reply_bulk_cstr(c, "id");
    reply_int(c, (long long)c->id);
    reply_bulk_cstr(c, "mode");
    reply_bulk_cstr(c, "standalone");
    reply_bulk_cstr(c, "role");
    reply_bulk_cstr(c, "master");
    reply_bulk_cstr(c, "modules");
    reply_array(c, 0);
}

void cmd_select(client *c)
{
    int db;
    if (!arg_db(c, &c->argv[1], &db)) return;
    __atomic_store_n(&c->db, db, __ATOMIC_RELAXED);
    reply_ok(c);
}

void cmd_reset(client *c)
{
    /* out of MULTI (and WATCH), subscriptions and MONITOR, as Redis's
     * clearClientConnectionState */
    if (c->mstate) multi_client_free(c);
    if (c->pstate || (c->flags & CLIENT_MONITOR)) pubsub_client_free(c);
    __atomic_and_fetch(&c->flags, ~(unsigned)(CLIENT_MULTI | CLIENT_MONITOR), __ATOMIC_RELAXED);
    __atomic_store_n(&c->db, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&c->resp, 2, __ATOMIC_RELAXED);
    __atomic_and_fetch(&c->flags, ~(unsigned)CLIENT_NO_EVICT, __ATOMIC_RELAXED);
    hf_arg empty = {"", 0};
    set_name(c, &c->name, &empty);
    set_authed(c, !password_set());
    reply_simple(c, "RESET");
}

/* ---- CLIENT ------------------------------------------------------------------ */

void cmd_client_id(client *c) { reply_int(c, (long long)c->id); }

void cmd_client_setname(client *c)
{
    if (!valid_name(&c->argv[2])) {
        reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    set_name(c, &c->name, &c->argv[2]);
    reply_ok(c);
}

void cmd_client_getname(client *c)
{
    clients_lock();
    char *n = c->name ? hf_strdup(c->name) : NULL;
    clients_unlock();
    if (n) reply_bulk_cstr(c, n);
    else reply_null(c);
    hf_free(n);
}

/* Builds the text of CLIENT LIST for the clients accepted by filter. */
struct textbuf { char *p; size_t len, cap; };

static void tb_append(struct textbuf *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->p = hf_realloc(t->p, t->cap);
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
}

/* Redis's getClientType: a client with subscriptions is "pubsub" (2),
 * every other one (monitors included) "normal" (0). */
static int client_type(client *o)
{
    return __atomic_load_n(&o->nsubs, __ATOMIC_RELAXED) > 0 ? 2 : 0;
}

void cmd_client_list(client *c)
{
    uint64_t *ids = NULL;
    int nids = 0, want_type = -1;
    for (int i = 2; i < c->argc; i++) {
        if (arg_is(&c->argv[i], "TYPE") && i + 1 < c->argc) {
            const hf_arg *t = &c->argv[i + 1];
            if (!arg_is(t, "normal") && !arg_is(t, "master") && !arg_is(t, "replica") &&
                !arg_is(t, "slave") && !arg_is(t, "pubsub")) {
                reply_errorf(c, "ERR Unknown client type '%.*s'", (int)t->n, t->p);
                hf_free(ids);
                return;
            }
            /* holdfast has no replicas: those types match nothing */
            if (arg_is(t, "normal")) want_type = 0;
            else if (arg_is(t, "pubsub")) want_type = 2;
            else nids = -1;
            i++;
        } else if (arg_is(&c->argv[i], "ID") && i + 1 < c->argc) {
            for (i = i + 1; i < c->argc; i++) {
                long long id;
                if (!hf_str2ll(c->argv[i].p, c->argv[i].n, &id)) {
                    reply_error(c, "ERR Invalid client ID");
                    hf_free(ids);
                    return;
                }
                /* ids that cannot exist (<= 0) are ignored, as Redis does;
                 * a list of only those matches nothing */
                ids = hf_realloc(ids, sizeof(uint64_t) * (size_t)(nids + 2));
                if (nids >= 0) ids[nids++] = id > 0 ? (uint64_t)id : 0;
            }
        } else {
            reply_syntax(c);
            hf_free(ids);
            return;
        }
    }
    struct textbuf t = {0};
    if (nids >= 0) {
        clients_lock();
        for (client *o = clients_first(); o; o = o->next) {
            if (want_type >= 0 && client_type(o) != want_type) continue;
            if (ids) {
                bool want = false;
                for (int k = 0; k < nids; k++) if (ids[k] == o->id) want = true;
                if (!want) continue;
            }
            char line[1024];
            int n = client_describe(o, line, sizeof line);
            tb_append(&t, line, (size_t)n);
            tb_append(&t, "\n", 1);
        }
        clients_unlock();
    }
    reply_verbatim(c, t.p ? t.p : "", t.len, "txt");
    hf_free(t.p);
    hf_free(ids);
}

void cmd_client_info(client *c)
{
    char line[1024];
    clients_lock();
    int n = client_describe(c, line, sizeof line - 1);
    clients_unlock();
    line[n++] = '\n';
    reply_verbatim(c, line, (size_t)n, "txt");
}

void cmd_client_kill(client *c)
{
    const hf_arg *addr = NULL, *laddr = NULL;
    long long id = 0, maxage = -1;
    int type = -1;   /* -1 any, 0 normal, 1 replica or master (none exist), 2 pubsub */
    bool skipme = true, old_form = c->argc == 3;
    if (old_form) {
        addr = &c->argv[2];
        skipme = false;
    } else {
        for (int i = 2; i < c->argc; i += 2) {
            if (i + 1 >= c->argc) { reply_syntax(c); return; }
            const hf_arg *o = &c->argv[i], *v = &c->argv[i + 1];
            if (arg_is(o, "ID")) {
                if (!hf_str2ll(v->p, v->n, &id) || id <= 0) {
                    reply_error(c, "ERR client-id should be greater than 0");
                    return;
                }
            } else if (arg_is(o, "TYPE")) {
                if (arg_is(v, "normal")) type = 0;
                else if (arg_is(v, "pubsub")) type = 2;
                else if (arg_is(v, "master") || arg_is(v, "replica") || arg_is(v, "slave")) type = 1;
                else { reply_errorf(c, "ERR Unknown client type '%.*s'", (int)v->n, v->p); return; }
            } else if (arg_is(o, "ADDR")) {
                addr = v;
            } else if (arg_is(o, "LADDR")) {
                laddr = v;
            } else if (arg_is(o, "USER")) {
                if (!arg_is(v, "default")) {
                    reply_errorf(c, "ERR No such user '%.*s'", (int)v->n, v->p);
                    return;
                }
            } else if (arg_is(o, "SKIPME")) {
                if (arg_is(v, "yes")) skipme = true;
                else if (arg_is(v, "no")) skipme = false;
                else { reply_syntax(c); return; }
            } else if (arg_is(o, "MAXAGE")) {
                if (!hf_str2ll(v->p, v->n, &maxage)) { reply_not_int(c); return; }
            } else {
                reply_syntax(c);
                return;
            }
        }
    }
    long killed = 0;
    bool kill_self = false;
    int64_t now = hf_mstime();
    clients_lock();
    for (client *o = clients_first(); o; o = o->next) {
        if (addr && !(strlen(o->addr) == addr->n && !memcmp(o->addr, addr->p, addr->n))) continue;
        if (laddr && !(strlen(o->laddr) == laddr->n && !memcmp(o->laddr, laddr->p, laddr->n))) continue;
        if (id && o->id != (uint64_t)id) continue;
        if (type == 1) continue;     /* no replicas or masters here */
        if (type >= 0 && client_type(o) != type) continue;
        if (maxage >= 0 && (now - o->ctime_ms) / 1000 < maxage) continue;
        if (o == c) {
            if (skipme) continue;
            kill_self = true;
        } else {
            client_kill_async(o);
        }
        killed++;
    }
    clients_unlock();
    if (old_form) {
        if (killed == 0) reply_error(c, "ERR No such client");
        else reply_ok(c);
    } else {
        reply_int(c, killed);
    }
    if (kill_self) __atomic_or_fetch(&c->flags, CLIENT_CLOSE_AFTER_REPLY, __ATOMIC_RELAXED);
}

void cmd_client_setinfo(client *c)
{
    const hf_arg *attr = &c->argv[2], *val = &c->argv[3];
    char **field;
    const char *label;
    if (arg_is(attr, "lib-name")) { field = &c->lib_name; label = "lib-name"; }
    else if (arg_is(attr, "lib-ver")) { field = &c->lib_ver; label = "lib-ver"; }
    else {
        reply_errorf(c, "ERR Unrecognized option '%.*s'", (int)attr->n, attr->p);
        return;
    }
    if (!valid_name(val)) {
        reply_errorf(c, "ERR %s cannot contain spaces, newlines or special characters.", label);
        return;
    }
    set_name(c, field, val);
    reply_ok(c);
}

void cmd_client_no_evict(client *c)
{
    if (arg_is(&c->argv[2], "on")) __atomic_or_fetch(&c->flags, CLIENT_NO_EVICT, __ATOMIC_RELAXED);
    else if (arg_is(&c->argv[2], "off")) __atomic_and_fetch(&c->flags, ~(unsigned)CLIENT_NO_EVICT, __ATOMIC_RELAXED);
    else { reply_syntax(c); return; }
    reply_ok(c);
}

/* CLIENT UNBLOCK id [TIMEOUT|ERROR]: a client waiting in a blocking command
 * gets the timeout reply (or an UNBLOCKED error) at once. */
void cmd_client_unblock(client *c)
{
    long long id;
    if (!arg_ll(c, &c->argv[2], &id, NULL)) return;
    bool error = false;
    if (c->argc == 4) {
        if (arg_is(&c->argv[3], "error")) error = true;
        else if (!arg_is(&c->argv[3], "timeout")) {
            reply_error(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    } else if (c->argc > 4) {
        reply_syntax(c);
        return;
    }
    int done = 0;
    clients_lock();
    for (client *o = clients_first(); o; o = o->next)
        if (o->id == (uint64_t)id) {
            if (__atomic_load_n(&o->flags, __ATOMIC_RELAXED) & CLIENT_BLOCKED) {
                block_unblock_async(client_worker(o), o->id, error);
                done = 1;
            }
            break;
        }
    clients_unlock();
    reply_int(c, done);
}

void cmd_client_help(client *c)
{
    static const char *const lines[] = {
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "    * ID <client-id>",
        "      Kill connections by client id.",
        "    * MAXAGE <maxage>",
        "      Kill connections older than the specified age.",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <option> <value>",
        "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.",
        "    * LIB-VER: the client lib version.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        NULL};
    reply_help(c, "CLIENT", lines);
}
