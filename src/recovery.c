/* recovery.c — what start-up does with the data directory.
 *
 *  1. LOCK is flock()ed: one server per directory.
 *  2. SEED holds the SipHash key (16 random bytes, hex), created durably on
 *     first start: shard = f(hash(key)) must not change across restarts,
 *     since snapshot shard LSNs and WAL records refer to shards.
 *  3. The newest snapshot with a valid MANIFEST is loaded (its part files in
 *     parallel, every CRC checked); folders without a MANIFEST are deleted.
 *  4. The WAL is replayed in LSN order.  A key record for shard s is applied
 *     only if its LSN is above s's snapshot LSN; a whole-keyspace record only
 *     to the shards whose snapshot LSN is below it.  A torn tail — a bad
 *     frame in the last segment that no later batch mark records as durable,
 *     even with valid records after it (a page of the unsynced tail lost
 *     while later ones survived) — is truncated, logged with the number of
 *     bytes; damage to what had been made durable, or any other damage,
 *     stops the server with the file and offset named (rules at the top of
 *     wal.c).  wal_start() then syncs the last segment before the server
 *     builds on what was replayed.
 *  5. The WAL must reach back to the snapshot: if its first record is above
 *     the snapshot's smallest shard LSN + 1 (or above 1 with no snapshot),
 *     records are missing and the server refuses to start. */
#include "config.h"
#include "recovery.h"
#include "commands.h"
#include "conf.h"
#include "fsutil.h"
#include "keyspace.h"
#include "log.h"
#include "snapshot.h"
#include "util.h"
#include "wal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static int lock_fd = -1;
uint64_t wal_replayed;
static struct snapshot_info newest;
static bool have_snapshot;

void recovery_lock(const char *dirname)
{
    lock_fd = open("LOCK", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd < 0) {
        hf_log(LOG_WARNING, "Can't open %s/LOCK: %s", dirname, strerror(errno));
        exit(1);
    }
    if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        hf_log(LOG_WARNING, "Another holdfast server is using the data directory '%s' (its LOCK is held). Exiting.",
               dirname);
        fprintf(stderr, "Another holdfast server is using the data directory '%s' (its LOCK is held). Exiting.\n",
                dirname);
        exit(1);
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    if (ftruncate(lock_fd, 0) == 0 && pwrite(lock_fd, pid, (size_t)n, 0) != n)
        hf_log(LOG_VERBOSE, "Could not write the pid into LOCK");
}

static bool dir_has_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return false;
    struct dirent *de;
    bool any = false;
    while (!any && (de = readdir(d))) any = de->d_name[0] != '.';
    closedir(d);
    return any;
}

int recovery_read_seed(const char *path, uint8_t seed[16])
{
    size_t len;
    char *text = fs_read_file(path, &len);
    if (!text) return errno == ENOENT ? 1 : -2;
    bool ok = len >= 32;
    for (int i = 0; ok && i < 16; i++) {
        unsigned v;
        if (sscanf(text + 2 * i, "%2x", &v) != 1) ok = false;
        seed[i] = (uint8_t)v;
    }
    hf_free(text);
    return ok ? 0 : -1;
}

void recovery_seed(void)
{
    uint8_t seed[16];
    int r = recovery_read_seed("SEED", seed);
    if (r == -2) {
        hf_log(LOG_WARNING, "Can't read SEED: %s", strerror(errno));
        exit(1);
    }
    if (r == -1) {
        hf_log(LOG_WARNING, "The data directory's SEED file is damaged; refusing to start "
                            "(keys would map to different shards than the snapshots say)");
        exit(1);
    }
    if (r == 1) {
        if (dir_has_entries("snapshots") || dir_has_entries("wal")) {
            hf_log(LOG_WARNING, "Refusing to start: the data directory has snapshots or WAL segments but no SEED "
                                "file; without it keys map to other shards than the files say. Restore SEED from "
                                "the backup this directory came from.");
            exit(1);
        }
        hf_random_bytes(seed, sizeof seed);
        char hex[40];
        for (int i = 0; i < 16; i++) snprintf(hex + 2 * i, 3, "%02x", seed[i]);
        hex[32] = '\n';
        if (fs_replace_file("SEED", hex, 33) != 0) {   /* fsyncs the directory too */
            hf_log(LOG_WARNING, "Can't write SEED: %s", strerror(errno));
            exit(1);
        }
    }
    hf_hash_seed(seed);
}

static void drop_incomplete(const char *path)
{
    hf_log(LOG_NOTICE, "Removing incomplete snapshot %s (no MANIFEST: it was being written when the server stopped)",
           path);
    fs_remove_tree(path);
}

uint32_t recovery_shards(uint32_t configured)
{
    struct snapshot_info *list;
    int n = snapshot_list(".", &list, drop_incomplete);
    if (n > 0) {
        newest = list[0];
        have_snapshot = true;
        for (int i = 1; i < n; i++) snapshot_info_free(&list[i]);
    }
    hf_free(list);
    if (have_snapshot && newest.nshards != configured) {
        hf_log(LOG_WARNING, "The newest snapshot has %u shards; using %u instead of the configured %u until it is replaced",
               newest.nshards, newest.nshards, configured);
        return newest.nshards;
    }
    return configured;
}

static void refuse(const char *what)
{
    hf_log(LOG_WARNING, "Refusing to start: %s", what);
    hf_log(LOG_WARNING, "Run 'holdfast-admin check %s' for details; nothing was changed on disk.", cfg.dir);
    fprintf(stderr, "holdfast: refusing to start: %s\n", what);
    exit(1);
}

uint64_t recovery_run(int *append_last)
{
    char err[4096];
    uint64_t next = 1;
    *append_last = 0;
    if (have_snapshot) {
        int threads = CONF_GET(snapshot_threads) > 0 ? CONF_GET(snapshot_threads) : (int)sysconf(_SC_NPROCESSORS_ONLN);
        hf_log(LOG_NOTICE, "Loading snapshot %s (%llu keys)", newest.path, (unsigned long long)newest.keys);
        if (snapshot_load(&newest, threads, err, sizeof err) != 0) refuse(err);
        next = newest.max_lsn + 1;
    }
    wal_reader *rd = wal_reader_open(".");
    uint64_t lsn, applied = 0, skipped = 0, first = 0;
    struct wal_rec r;
    int rc;
    int64_t t0 = hf_monotonic_us(), last_log = t0;
    const uint64_t *snap = have_snapshot ? newest.shard_lsn : NULL;
    while ((rc = wal_reader_next(rd, &lsn, &r)) == WAL_READ_OK) {
        if (!first) {
            first = lsn;
            uint64_t need = have_snapshot ? newest.min_lsn + 1 : 1;
            if (first > need) {
                snprintf(err, sizeof err, "the WAL starts at LSN %llu but %s LSN %llu: records are missing (%s)",
                         (unsigned long long)first, have_snapshot ? "the snapshot needs records from" : "nothing covers",
                         (unsigned long long)need, wal_reader_file(rd));
                refuse(err);
            }
        }
        int a = ks_replay_record(&r, lsn, snap);
        if (a < 0) {
            snprintf(err, sizeof err, "%s: record at offset %llu cannot be applied (type %d, db %u)",
                     wal_reader_file(rd), (unsigned long long)wal_reader_offset(rd), r.type, r.db);
            refuse(err);
        }
        if (a) applied++;
        else skipped++;
        if (((applied + skipped) & 0xffff) == 0) {
            int64_t now = hf_monotonic_us();
            if (now - last_log >= 1000000) {
                hf_log(LOG_NOTICE, "Replaying WAL: %llu records applied, at LSN %llu", (unsigned long long)applied,
                       (unsigned long long)lsn);
                last_log = now;
            }
        }
    }
    if (rc == WAL_READ_TORN) {
        char where[2048], note[600];
        snprintf(where, sizeof where, "%s", wal_reader_error(rd));
        snprintf(note, sizeof note, "%s", wal_reader_note(rd));
        bool unwritten = wal_reader_tail_zero(rd);
        int64_t dropped = wal_reader_truncate_tail(rd);
        if (dropped < 0) {
            snprintf(err, sizeof err, "can't truncate the torn WAL tail (%s): %s", where, strerror(errno));
            refuse(err);
        }
        /* nothing dropped had been made durable; under appendfsync always
         * nothing dropped had been acknowledged either */
        hf_log(unwritten ? LOG_NOTICE : LOG_WARNING, "WAL tail was torn (%s): truncated %lld bytes, none of which had been made durable%s%s",
               where, (long long)dropped, note[0] ? "; " : "", note);
    } else if (rc == WAL_READ_CORRUPT) {
        snprintf(err, sizeof err, "WAL damaged: %s", wal_reader_error(rd));
        if (wal_reader_note(rd)[0]) hf_log(LOG_WARNING, "WAL damage: %s", wal_reader_note(rd));
        refuse(err);
    }
    uint64_t wal_last = wal_reader_last_lsn(rd);
    wal_reader_close(rd);
    command_replay_end();
    if (have_snapshot && wal_last && wal_last < newest.max_lsn) {
        /* The WAL ends below LSNs the snapshot already holds (e.g. it was
         * restored from an older copy).  If every shard of the snapshot is
         * at the same LSN, nothing after the WAL's end is missing: set the
         * old segments aside.  Otherwise records the snapshot did not hold
         * for some shards may be gone: refuse. */
        if (newest.min_lsn != newest.max_lsn) {
            snprintf(err, sizeof err, "the WAL ends at LSN %llu, below the snapshot's LSN %llu, and the snapshot's "
                     "shards are at different LSNs (%llu..%llu): writes may be missing",
                     (unsigned long long)wal_last, (unsigned long long)newest.max_lsn,
                     (unsigned long long)newest.min_lsn, (unsigned long long)newest.max_lsn);
            refuse(err);
        }
        char aside[64];
        snprintf(aside, sizeof aside, "wal.superseded-%lld", (long long)hf_mstime());
        if (rename("wal", aside) != 0 || fs_fsync_dir(".") != 0) {
            snprintf(err, sizeof err, "can't move the old WAL aside: %s", strerror(errno));
            refuse(err);
        }
        hf_log(LOG_WARNING, "The WAL ended at LSN %llu, below snapshot %s (LSN %llu): moved it to %s",
               (unsigned long long)wal_last, newest.path, (unsigned long long)newest.max_lsn, aside);
        wal_last = 0;
    }
    wal_replayed = applied;
    if (wal_last + 1 > next) next = wal_last + 1;
    *append_last = wal_last != 0 && wal_last + 1 == next;
    double secs = (double)(hf_monotonic_us() - t0) / 1e6;
    hf_log(LOG_NOTICE, "WAL replayed: %llu records applied, %llu already in the snapshot, %.2f s; next LSN %llu",
           (unsigned long long)applied, (unsigned long long)skipped, secs, (unsigned long long)next);
    ks_set_all_lsn(next - 1);
    return next;
}
