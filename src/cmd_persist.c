/* cmd_persist.c — SAVE BGSAVE BGREWRITEAOF WAITAOF.
 *
 * holdfast has no RDB file and no AOF rewrite: both are its snapshot, which
 * also compacts the WAL (segments below it are deleted). */
#include "config.h"
#include "commands.h"
#include "conf.h"
#include "reply.h"
#include "snapshot.h"
#include "wal.h"

void cmd_save(client *c)
{
    int r = snapshot_save();
    if (r == -2) reply_error(c, "ERR Background save already in progress");
    else if (r != 0) reply_error(c, "ERR snapshot failed: see the server log");
    else reply_ok(c);
}

void cmd_bgsave(client *c)
{
    bool schedule = false;
    if (c->argc == 2) {
        if (!arg_is(&c->argv[1], "SCHEDULE")) {
            reply_syntax(c);
            return;
        }
        schedule = true;
    } else if (c->argc > 2) {
        reply_syntax(c);
        return;
    }
    if (snapshot_start_background() == -2) {
        if (schedule) reply_simple(c, "Background saving scheduled");
        else reply_error(c, "ERR Background save already in progress");
        return;
    }
    reply_simple(c, "Background saving started");
}

void cmd_bgrewriteaof(client *c)
{
    if (snapshot_start_background() == -2) {
        reply_error(c, "ERR Background append only file rewriting already in progress");
        return;
    }
    reply_simple(c, "Background append only file rewriting started");
}

/* WAITAOF numlocal numreplicas timeout (Redis 7.2): the reply leaves once
 * every write this connection made is fsynced (held like any reply, see
 * net.c).  holdfast has no replicas, so the second count is always 0 and
 * the reply does not wait for the timeout (docs/compatibility.md). */
void cmd_waitaof(client *c)
{
    long long numlocal, numreplicas, timeout;
    if (!arg_ll(c, &c->argv[1], &numlocal, NULL) || !arg_ll(c, &c->argv[2], &numreplicas, NULL)) return;
    if (!arg_ll(c, &c->argv[3], &timeout, "ERR timeout is not an integer or out of range")) return;
    if (timeout < 0) {
        reply_error(c, "ERR timeout is negative");
        return;
    }
    if (numlocal && !wal_enabled()) {
        reply_error(c, "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.");
        return;
    }
    if (wal_enabled() && c->last_write_lsn > wal_durable_lsn()) {
        c->wait_durable = c->last_write_lsn;
        wal_request_sync();
    }
    reply_array(c, 2);
    reply_int(c, wal_enabled() ? 1 : 0);
    reply_int(c, 0);
}
