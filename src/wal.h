/* wal.h — the write-ahead log: effect records, group commit, durable LSN.
 *
 * Writers (worker threads, holding the shard lock of what they change) call
 * wal_log_payload(), which assigns the next LSN and copies the record into the
 * in-memory log buffer.  A committer — a worker about to sleep (wal_lead)
 * while the disk is fast, else the WAL thread — swaps the buffer, writes it
 * with one write(2) and, under appendfsync always, one fdatasync(2); then it
 * publishes the LSN that is now acknowledged-safe and wakes the workers that
 * hold replies (net.c).  While one batch is being written the next fills.
 * Each batch's write begins with a mark recording the LSN that was durable
 * then, which lets recovery tell a hole in the unsynced tail (cut off) from
 * damage to synced records (refuse to start).
 *
 * The file format and the recovery rules are at the top of wal.c. */
#ifndef HF_WAL_H
#define HF_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum wal_rec_type {
    WREC_SET = 1,       /* db, key, value (type, encoding, bytes), expire */
    WREC_DEL = 2,       /* db, key */
    WREC_EXPIRE = 3,    /* db, key, absolute ms (0 = persist) */
    WREC_FLUSHDB = 4,   /* db */
    WREC_FLUSHALL = 5,
    WREC_SWAPDB = 6,    /* db = a, expire = b */
    WREC_GROUP = 7,     /* several effects of one command, applied whole or
                         * not at all: expire = count, val = count x
                         * (u32 length | payload) */
    WREC_CMD = 8,       /* db, key, val = a command that, run on the key's
                         * state before, gives its state after: u32 argc |
                         * argc x (u32 length | bytes) (collections changed
                         * in place: HSET, LPUSH, ZADD ...) */
};

enum { FSYNC_ALWAYS = 0, FSYNC_EVERYSEC = 1, FSYNC_NO = 2 };

/* One effect, as the keyspace produces it and recovery reads it back. */
struct wal_rec {
    uint8_t type;
    uint8_t objtype, enc;
    uint32_t db;
    uint32_t shard;         /* shard at write time; 0xffffffff = all */
    int64_t expire;         /* SET: expiry (0 none); EXPIRE: when; SWAPDB: b */
    const char *key;
    uint32_t klen;
    const char *val;
    uint32_t vlen;
};

/* Opens the log in dir/wal for writing from next_lsn (recovery has read and
 * trimmed what was there): appends to the last segment if append_last (it
 * ends right before next_lsn), else starts a segment named next_lsn.
 * Starts the WAL thread.  Returns 0 or -1 (logged). */
int wal_start(const char *dir, uint64_t next_lsn, bool append_last);
void wal_stop(void);
bool wal_enabled(void);
/* Called once by each worker thread: its appends do not wake the WAL
 * thread while workers lead (see wal_lead). */
void wal_thread_can_lead(int worker);
/* A worker about to sleep: if records of its own are waiting (or records
 * a committer carried over, or anyone's while `waiting`: it holds replies
 * for the WAL), the disk is fast
 * enough (or appendfsync is not always) and nobody else is writing the
 * log, writes them itself (one write, one fdatasync under always) and
 * publishes (which wakes, through net_notify_durable, every worker holding
 * replies: this one too).  If another thread is writing, asks it for a
 * wake-up (net_wake_worker) when it is done. */
void wal_lead(bool waiting);
/* Appends an effect encoded by wal_encode_payload(); returns its LSN (0 if
 * the WAL is disabled).  Call with the shard lock(s) of what the record
 * changes held. */
uint64_t wal_log_payload(const uint8_t *payload, size_t len);
/* Appends a WREC_GROUP of count members, given as count x (u32 length |
 * payload); returns its LSN as wal_log_payload. */
uint64_t wal_log_group(const uint8_t *members, size_t len, uint32_t count);
/* The LSN up to which replies may be released: durable (always) or written
 * to the kernel (everysec, no). */
uint64_t wal_ack_lsn(void);
uint64_t wal_durable_lsn(void);
uint64_t wal_last_lsn(void);        /* last assigned */
/* The LSN a snapshot records for a shard it serialises: wal_last_lsn()
 * while the log runs, else what wal_set_offline_lsn() set (0 by default). */
uint64_t wal_snapshot_lsn(void);
/* Offline tools (holdfast-admin import): the LSN the data directory has
 * reached, so a snapshot written without a running log supersedes it. */
void wal_set_offline_lsn(uint64_t last);
/* Non-zero errno once a write or fsync failed: the log accepts nothing more
 * and the server refuses writes until restarted. */
int wal_failed(void);
const char *wal_fail_reason(void);
/* Waits until every record up to lsn is on stable storage, forcing an
 * fdatasync whatever appendfsync says.  Returns 0, or -1 if the log failed. */
int wal_sync(uint64_t lsn);
/* Asks the WAL thread for an fsync soon, without waiting (WAITAOF). */
void wal_request_sync(void);
/* Deletes segments wholly below lsn (after a snapshot made them redundant). */
void wal_truncate_below(uint64_t lsn);
uint64_t wal_total_bytes(void);     /* bytes written since start (monotonic) */

struct wal_stats {
    uint64_t fsyncs, batches, records, bytes;
    uint64_t fsync_usec_total, fsync_usec_last;
    uint64_t current_size;       /* bytes in all live segments */
    uint64_t segments;
};
void wal_get_stats(struct wal_stats *out);

/* ---- reading (recovery, holdfast-admin) -------------------------------------- */

/* A segment file: its first LSN (from its name) and its size in bytes. */
struct wal_segment { uint64_t first; uint64_t size; };
/* Lists the segments in waldir (e.g. "<dir>/wal") sorted by first LSN;
 * returns the count and an array in *out (hf_free it), 0 if waldir does
 * not exist, -1 on error. */
int wal_list_segments(const char *waldir, struct wal_segment **out);

/* Serialises r (payload only) into buf; returns its length (buf may be NULL
 * to measure). */
size_t wal_encode_payload(const struct wal_rec *r, uint8_t *buf);
/* Parses a payload; pointers refer into p.  Returns false if malformed
 * (a group's members are checked too). */
bool wal_decode_payload(const uint8_t *p, size_t len, struct wal_rec *r);
/* Iterates a WREC_GROUP's members: *off starts at 0; returns false at the
 * end.  Members of a decoded group are well formed. */
bool wal_group_next(const struct wal_rec *g, size_t *off, struct wal_rec *member);

typedef struct wal_reader wal_reader;
/* Opens every segment of dir/wal in LSN order. */
wal_reader *wal_reader_open(const char *dir);
void wal_reader_close(wal_reader *rd);
enum { WAL_READ_OK = 1, WAL_READ_END = 0, WAL_READ_TORN = -1, WAL_READ_CORRUPT = -2 };
/* Next record: WAL_READ_OK with *lsn and *r (valid until the next call),
 * WAL_READ_END at the clean end, WAL_READ_TORN for a bad frame in the last
 * segment that lies beyond the durable point (nothing after it says it had
 * been synced: everything from it on may go), WAL_READ_CORRUPT for damage
 * to what had been made durable, or anywhere else (rules at the top of
 * wal.c).  Batch marks are checked and stepped over, never returned. */
int wal_reader_next(wal_reader *rd, uint64_t *lsn, struct wal_rec *r);
/* File and offset of the record last looked at (for messages). */
const char *wal_reader_file(const wal_reader *rd);
uint64_t wal_reader_offset(const wal_reader *rd);
/* After TORN or CORRUPT: "<file>: <what> at offset N". */
const char *wal_reader_error(const wal_reader *rd);
/* After TORN or CORRUPT: how it was told, e.g. which batch mark shows the
 * bad record had been durable, or that valid records after a hole were
 * never synced; "" when there is nothing to add.  Owned by rd. */
const char *wal_reader_note(const wal_reader *rd);
/* After TORN: is everything from the torn frame (past the segment's
 * header) to the end of the file zero (a preallocated segment's unused
 * space, as after a kill -9)? */
bool wal_reader_tail_zero(const wal_reader *rd);
/* Truncates the last segment at the torn frame (removes it if its header
 * was torn), fsyncs; returns the bytes dropped, -1 on error (errno). */
int64_t wal_reader_truncate_tail(wal_reader *rd);
uint64_t wal_reader_last_lsn(const wal_reader *rd);

#endif
