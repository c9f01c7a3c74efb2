/* snapshot.h — parallel, fork-free snapshots of the keyspace, and loading
 * them back.  Formats and rules at the top of snapshot.c. */
#ifndef HF_SNAPSHOT_H
#define HF_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>

/* Takes a snapshot now in the calling thread (SAVE); returns 0 or -1 with
 * the reason logged.  Only one snapshot runs at a time: -2 if one is. */
int snapshot_save(void);
/* Starts a snapshot in the background (BGSAVE, periodic); returns 0, or -2
 * if one is already running. */
int snapshot_start_background(void);
/* Called from the main thread's cron: starts periodic snapshots per
 * snapshot-interval and snapshot-wal-bytes. */
void snapshot_cron(void);
void snapshot_wait(void);           /* waits for a background snapshot */
bool snapshot_in_progress(void);

struct snapshot_stats {
    int64_t last_start_ms, last_duration_ms;
    int64_t last_max_stall_us;      /* longest a shard was locked */
    uint64_t last_keys, last_bytes;
    uint64_t last_lsn;
    int last_status;                /* 0 ok, -1 failed */
    uint64_t count;
    int64_t last_ok_time;           /* unix seconds of the last good one */
    uint64_t changes_since;         /* WAL bytes since the last one */
    uint64_t peak_buffer;           /* largest per-shard buffer (bytes) */
};
void snapshot_get_stats(struct snapshot_stats *out);

/* ---- reading (recovery, holdfast-admin) ----------------------------------- */

struct snapshot_info {
    char path[PATH_MAX + 300];      /* the snapshot folder */
    uint64_t name_lsn;
    uint32_t nshards;
    uint64_t *shard_lsn;            /* nshards entries (hf_free) */
    uint64_t min_lsn, max_lsn;
    uint64_t keys;
    int64_t created_ms;
    int nfiles;
    char (*files)[64];
    uint64_t *file_size;
    uint32_t *file_crc;
};
void snapshot_info_free(struct snapshot_info *si);
/* Lists complete snapshots (with a valid MANIFEST) newest first; returns
 * the count and an array in *out (free each, then the array).  Folders
 * without a MANIFEST are reported through incomplete (may be NULL). */
int snapshot_list(const char *dir, struct snapshot_info **out, void (*incomplete)(const char *path));
/* Reads one snapshot into the keyspace (ks_init done) with nthreads.
 * Returns 0, or -1 with a message in err naming the file and offset. */
typedef void snapshot_entry_fn(void *arg, uint32_t shard, int type, int enc, uint32_t db,
                               int64_t expire, const char *key, uint32_t klen,
                               const char *val, uint32_t vlen);
int snapshot_load(const struct snapshot_info *si, int nthreads, char *err, size_t errlen);
/* Verifies every CRC of a snapshot, calling fn for each entry (NULL ok). */
int snapshot_scan(const struct snapshot_info *si, snapshot_entry_fn *fn, void *arg, char *err, size_t errlen);
/* Deletes complete snapshots beyond the newest keep; returns how many. */
int snapshot_prune(const char *dir, int keep);

#endif
