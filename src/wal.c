/* wal.c — write-ahead log.
 *
 * FILES
 *   <dir>/wal/<first-lsn, 20 digits>.log      segments, rolled at wal-segment-bytes
 *
 * SEGMENT = header, then frames back to back: records and batch marks.
 *   header (32 bytes): "HOLDFWAL" | u32 version (3) | u32 reserved | u64 first lsn |
 *                      u32 crc32c(of the 24 bytes before) | u32 reserved
 *   record:  u32 payload length | u32 crc32c(payload + lsn bytes) | u64 lsn | payload
 *   mark (24 bytes): u32 0xffffffff | u32 crc32c(the 16 bytes after) |
 *                    u64 durable lsn | u64 next lsn
 *   payload: u8 type | u8 value type | u8 encoding | u8 0 | u32 db | u32 shard |
 *            i64 expire | u32 key length | key | u32 value length | value
 * All integers little-endian.  LSNs are consecutive across segments: the first
 * record of a segment has the LSN in its name.  A record's length is at most
 * 2^32 - 65, so the tag 0xffffffff tells a mark from a record.
 *
 * VERSION 3 covers the payload first and the LSN last (versions 1 and 2:
 * the LSN first): a writer computes the payload's CRC before it takes the
 * log's mutex, and under it extends that by the 8 LSN bytes (one crc32
 * instruction).  The reader checks each segment by its own version.
 *
 * BATCH MARKS (version 2 on).  Every write(2) of a batch begins with a mark:
 * "every record up to <durable lsn> was on stable storage when this batch was
 * written; the next record is <next lsn>".  The durable LSN is the one the
 * last successful fdatasync published, read by the WAL thread just before
 * the write, so the claim is true when made.  A mark is also written right
 * after a new segment's header (in the same write, before its fdatasync) and
 * at a clean shutdown (after the last fdatasync, then synced itself).  The
 * cost is 24 bytes per batch inside the batch's own write: no extra syscall
 * on the group-commit path.  The committer leaves room for the mark in
 * front of the records it collects and fills it in just before the write.
 *
 * PREALLOCATION.  A segment is created at its full size (wal-segment-bytes,
 * fallocate: unwritten space that reads as zeros) and written from the
 * front, so that the fdatasync of a batch does not also have to journal a
 * new file length (measured on ext4: median 48-50 us against 73-76 us for
 * an append).  The zeros after the last batch are not part of the log: a
 * roll and a clean stop cut the file back to what was written (and sync
 * that before anything follows), and recovery cuts a zero tail off the last
 * segment like any torn tail — nothing in it was ever written, let alone
 * acknowledged.  So every segment but the last is exact, as before.
 *
 * RECORDS are effects, not commands (DESIGN §2): SET carries the resulting
 * value and expiry, EXPIRE an absolute time, DEL a key; FLUSHDB, FLUSHALL and
 * SWAPDB are whole-keyspace records (shard 0xffffffff).  A command with
 * several effects (MSET, RENAME, SET ... EX) logs one GROUP record holding
 * them all (type 7, shard 0xffffffff, expire = member count, value = the
 * members as u32 length | payload): one LSN, one CRC, so a torn write keeps
 * all of them or none.  A collection changed in place (HSET, LPUSH, ZADD...)
 * or a string edited in place (APPEND, SETRANGE, SETBIT) logs a CMD record
 * (type 8: db, key, value = u32 argc | argc x (u32 length | bytes)): a
 * command that, run by the server on the key's state before, gives the
 * state after — recovery runs it through the command's own handler
 * (command_replay), so its effect is one deterministic function of the
 * key's state.  Commands whose outcome is random or reads other keys log
 * what they did instead (SPOP logs SREM; SINTERSTORE a SET of the result).
 *
 * RECOVERY RULES (see recovery.c).  Segments are read in LSN order.  Whether a
 * bad frame (short, bad length, CRC mismatch, malformed payload, LSN out of
 * sequence, a mark that does not match) may be cut off depends on one
 * question: had that part of the log been made durable?  Only bytes written
 * after the last successful fdatasync can be lost by a crash, and they can be
 * lost in any pattern: the kernel writes pages back in any order, so a power
 * cut can leave a page of zeros with later pages intact.  Nothing in that
 * unsynced tail was acknowledged as durable, so dropping all of it keeps the
 * contract; damage to bytes that WERE synced is corruption, and dropping it
 * would lose acknowledged writes silently.
 *  - A bad frame in the LAST segment where LSN b is expected, with no valid
 *    mark after it whose durable LSN is >= b, lies beyond the durable point:
 *    a torn tail.  The segment is truncated there (valid records after it
 *    included: none of them was ever durable) and the server logs how many
 *    bytes it dropped.
 *  - If a valid mark after it records durable LSN >= b, record b had been
 *    fsynced before that later batch was written: corruption.
 *  - A bad frame in any segment but the last is corruption: a segment is
 *    fdatasync'ed whole before its successor is created (wal_start syncs the
 *    last segment it found before writing anything, for the same reason).
 *  - A bad header, an unknown version, a gap in LSNs between segments:
 *    corruption.  A last segment whose header is bad and that holds no more
 *    than header + mark with nothing valid in it never had its creation
 *    synced: a torn tail too (the file is removed).
 * Corruption: the server refuses to start and names the file and offset.
 * Version 1 segments (no marks) are still read, with the rule of that
 * version: in the last segment a bad record with no valid record anywhere
 * after it is a torn tail, anything else corruption.  The server never
 * appends to a segment of an earlier version: it starts a new one.
 *
 * What a mark cannot prove: the last batch written before a crash is fsynced,
 * but no later mark says so until the server writes again (a restart's first
 * batch, or its shutdown mark, records it).  Damage to that one batch before
 * then looks like a torn write and is truncated — the limit of any log whose
 * end is found by checksums.  Under appendfsync everysec or no, the records
 * after a hole were acknowledged but never durable: losing them is what
 * those settings allow on power loss (docs/persistence.md).
 *
 * FAILURES: a failed write or fdatasync is never retried (the 'fsyncgate'
 * lesson: after a failed fsync the kernel may have dropped the dirty pages
 * and a retry can falsely succeed).  The log stops, records what failed, and
 * the acknowledged LSN stops advancing; net.c closes connections whose
 * replies depended on unacknowledged records and the dispatcher refuses
 * writes with -MISCONF until a restart recovers from what is on disk. */
#include "config.h"
#include "wal.h"
#include "conf.h"
#include "crc32c.h"
#include "fsutil.h"
#include "log.h"
#include "net.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SEG_MAGIC "HOLDFWAL"
#define SEG_HEADER 32
#define REC_HEADER 16
#define PAYLOAD_MIN 28
#define MAX_PAYLOAD (UINT32_MAX - 64)
#define SEG_VERSION 3             /* 1: records only; 2: records and batch marks;
                                   * 3: a record's CRC covers payload, then LSN */
#define MARK_TAG 0xffffffffu      /* a mark's first word: longer than any record */
#define MARK_LEN 24
#define BUFFER_HIGH (64u * 1024 * 1024)   /* writers wait above this */

static inline void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static inline uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* The CRC of the record at rec (header, then plen payload bytes), as a
 * segment of this version computes it. */
static uint32_t record_crc(uint32_t version, const uint8_t *rec, size_t plen)
{
    if (version < 3) return crc32c(0, rec + 8, 8 + plen);
    return crc32c(crc32c(0, rec + REC_HEADER, plen), rec + 8, 8);
}

size_t wal_encode_payload(const struct wal_rec *r, uint8_t *b)
{
    size_t n = PAYLOAD_MIN + r->klen + r->vlen;
    if (!b) return n;
    b[0] = r->type;
    b[1] = r->objtype;
    b[2] = r->enc;
    b[3] = 0;
    put32(b + 4, r->db);
    put32(b + 8, r->shard);
    put64(b + 12, (uint64_t)r->expire);
    put32(b + 20, r->klen);
    if (r->klen) memcpy(b + 24, r->key, r->klen);
    put32(b + 24 + r->klen, r->vlen);
    if (r->vlen) memcpy(b + 28 + r->klen, r->val, r->vlen);
    return n;
}

bool wal_decode_payload(const uint8_t *p, size_t len, struct wal_rec *r)
{
    if (len < PAYLOAD_MIN) return false;
    r->type = p[0];
    r->objtype = p[1];
    r->enc = p[2];
    r->db = get32(p + 4);
    r->shard = get32(p + 8);
    r->expire = (int64_t)get64(p + 12);
    r->klen = get32(p + 20);
    if ((uint64_t)r->klen + PAYLOAD_MIN > len) return false;
    r->key = (const char *)p + 24;
    r->vlen = get32(p + 24 + r->klen);
    if ((uint64_t)r->klen + r->vlen + PAYLOAD_MIN != len) return false;
    r->val = (const char *)p + 28 + r->klen;
    if (r->type == WREC_GROUP) {
        size_t off = 0;
        uint64_t n = 0;
        struct wal_rec m;
        while (off < r->vlen) {
            if (r->vlen - off < 4) return false;
            uint32_t ml = get32((const uint8_t *)r->val + off);
            if (ml > r->vlen - off - 4) return false;
            if (!wal_decode_payload((const uint8_t *)r->val + off + 4, ml, &m) || m.type == WREC_GROUP) return false;
            off += 4 + (size_t)ml;
            n++;
        }
        return n == (uint64_t)r->expire && n >= 2;
    }
    if (r->type == WREC_CMD) {   /* u32 argc | argc x (u32 length | bytes), nothing after */
        const uint8_t *v = (const uint8_t *)r->val, *end = v + r->vlen;
        if (r->vlen < 4) return false;
        uint32_t argc = get32(v);
        v += 4;
        if (argc == 0) return false;
        for (uint32_t i = 0; i < argc; i++) {
            if (end - v < 4) return false;
            uint32_t al = get32(v);
            v += 4;
            if ((size_t)(end - v) < al) return false;
            v += al;
        }
        return v == end;
    }
    return r->type >= WREC_SET && r->type <= WREC_SWAPDB;
}

bool wal_group_next(const struct wal_rec *g, size_t *off, struct wal_rec *m)
{
    if (*off >= g->vlen) return false;
    uint32_t ml = get32((const uint8_t *)g->val + *off);
    wal_decode_payload((const uint8_t *)g->val + *off + 4, ml, m);
    *off += 4 + (size_t)ml;
    return true;
}

static void encode_header(uint8_t *h, uint64_t first_lsn)
{
    memset(h, 0, SEG_HEADER);
    memcpy(h, SEG_MAGIC, 8);
    put32(h + 8, SEG_VERSION);
    put64(h + 16, first_lsn);
    put32(h + 24, crc32c(0, h, 24));
}

/* A batch mark: every record up to durable is on stable storage; the next
 * record in the segment is next. */
static void encode_mark(uint8_t *m, uint64_t durable, uint64_t next)
{
    put32(m, MARK_TAG);
    put64(m + 8, durable);
    put64(m + 16, next);
    put32(m + 4, crc32c(0, m + 8, 16));
}

/* Is there a whole mark with a good CRC at p (left bytes available)? */
static bool mark_ok(const uint8_t *p, size_t left)
{
    return left >= MARK_LEN && get32(p) == MARK_TAG && crc32c(0, p + 8, 16) == get32(p + 4);
}

/* ---- the writer ----------------------------------------------------------------- */


/* Fields are grouped by who writes them, each group on its own cache lines:
 * every command reads the first group, every append writes the LSN
 * counter, every batch writes the last group.  Mixed, the workers' appends
 * made each other's reads miss. */
#define CACHELINE 64
static struct {
    /* read-mostly: set at start and stop, and once per batch if changed */
    bool enabled, running, stop;
    int policy;
    bool worker_leads;           /* workers write their own batches (atomic) */
    bool lingering;              /* the WAL thread waits for linger_target (atomic) */
    pthread_t thread;
    char dir[1024];
    /* the LSN counter: one atomic add per record */
    _Alignas(CACHELINE) uint64_t next_lsn;   /* next LSN to assign */
    /* the WAL thread's conditions, under mu */
    _Alignas(CACHELINE) pthread_mutex_t mu;
    uint64_t linger_target;      /* WAL thread waits for this many records */
    bool sync_requested;         /* wal_sync(): fsync even under everysec/no */
    int space_waiters;           /* appenders waiting for room (atomic) */
    pthread_cond_t work, space, synced;
    /* owned by whoever holds io_mu: the WAL thread or a leading worker
     * (segments also under seg_mu) */
    _Alignas(CACHELINE) pthread_mutex_t io_mu;
    int fd;
    pthread_mutex_t seg_mu;
    struct wal_segment *segs;
    int nsegs;
    int64_t last_fsync_us;
    uint64_t written_unsynced;
    uint64_t wb_from;            /* segment offset from which writeback was not started */
    uint8_t *out;                /* the batch being written */
    size_t out_cap;
    struct wal_stats st;
    /* published once per batch */
    _Alignas(CACHELINE) uint64_t committed;   /* last LSN taken into a batch (atomic) */
    uint64_t carried;            /* bytes of records waiting in carries (atomic) */
    uint64_t durable, written, ack;
    int failed;
    char reason[256];
} W = {.seg_mu = PTHREAD_MUTEX_INITIALIZER, .io_mu = PTHREAD_MUTEX_INITIALIZER, .fd = -1,
       .mu = PTHREAD_MUTEX_INITIALIZER};

/* ---- appending: a buffer per thread --------------------------------------------
 *
 * Each thread that logs has a slot: a buffer of whole records that it alone
 * appends to, under the slot's own mutex (contended only when a committer
 * takes the buffer).  The LSN comes from one atomic counter, taken under
 * the slot mutex while the caller holds the shard locks of what it changes:
 * per shard the LSN order is the order of changes, and within a slot LSNs
 * increase.  A committer reads the counter (X), then takes every slot's
 * buffer in turn.  Every LSN below X is in one of them: a thread that took
 * such an LSN held its slot mutex from before taking it until the record
 * was in place, and the committer locks that mutex after reading X.  So
 * merging the buffers by LSN gives every record from the last batch's end
 * up to X - 1, in order.  Records at X or above that are already there
 * (taken while the committer collected) wait in the committer's carry for
 * the next batch.  Before, one buffer under one mutex took every record:
 * with two workers the mutex and the buffer's last cache line passed
 * between the cores on every append (docs/benchmarks.md). */
static __thread int tl_worker = -1;  /* a worker's index (it runs wal_lead() before it sleeps) */
#define MAX_SLOTS 64
struct slot {
    _Alignas(CACHELINE) pthread_mutex_t mu;
    uint8_t *buf;
    size_t len, cap;             /* len: also read without mu (atomic) */
    int worker;                  /* the worker that appends here, or -1 (atomic) */
};
static struct slot slots[MAX_SLOTS];
static int nslots;               /* registered slots (atomic; grows under W.mu) */
static __thread struct slot *tl_slot;
/* The committer's side of each slot (under io_mu): the buffer it swaps in
 * next, and records at or above the last batch's X. */
struct taken {
    uint8_t *spare;
    size_t scap;
    uint8_t *carry, *carry2;
    size_t clen, ccap, c2cap;
};
static struct taken taken[MAX_SLOTS];

static struct slot *my_slot(void)
{
    if (tl_slot) return tl_slot;
    pthread_mutex_lock(&W.mu);
    int n = nslots;
    struct slot *sl;
    if (n < MAX_SLOTS) {
        sl = &slots[n];
        pthread_mutex_init(&sl->mu, NULL);
        __atomic_store_n(&sl->worker, tl_worker, __ATOMIC_RELAXED);
        /* before any LSN this thread takes: a committer that sees such an
         * LSN sees the slot (both sequentially consistent) */
        __atomic_store_n(&nslots, n + 1, __ATOMIC_SEQ_CST);
    } else {
        sl = &slots[MAX_SLOTS - 1];   /* shared: its mutex keeps its LSNs in order */
        __atomic_store_n(&sl->worker, -1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&W.mu);
    tl_slot = sl;
    return sl;
}

/* Records assigned an LSN and not yet taken into a batch. */
static uint64_t pending(void)
{
    /* committed first: it never passes next_lsn - 1, so this cannot wrap */
    uint64_t c = __atomic_load_n(&W.committed, __ATOMIC_SEQ_CST);
    return __atomic_load_n(&W.next_lsn, __ATOMIC_SEQ_CST) - 1 - c;
}

/* Workers (bit i: worker i, i < 64) that found the log busy with records
 * of theirs waiting: the holder wakes them when it lets go, and each
 * commits its own batch while the holder goes back to its clients. */
static uint64_t want_lead;

void wal_thread_can_lead(int worker) { tl_worker = worker; }

/* After letting go of io_mu: wakes the workers that wanted it. */
static void wake_waiting_leaders(void)
{
    if (!__atomic_load_n(&want_lead, __ATOMIC_SEQ_CST)) return;
    uint64_t m = __atomic_exchange_n(&want_lead, 0, __ATOMIC_SEQ_CST);
    for (int i = 0; m; i++, m >>= 1)
        if ((m & 1) && i != tl_worker) net_wake_worker(i);
}

/* Each statistic has one writer at a time (the holder of io_mu, or a
 * writer holding W.mu); INFO reads them from other threads. */
#define ST_SET(f, v) __atomic_store_n(&W.st.f, (v), __ATOMIC_RELAXED)
#define ST_GET(f) __atomic_load_n(&W.st.f, __ATOMIC_RELAXED)
/* set by the holder of io_mu at each batch, read by every writer */
#define POLICY() __atomic_load_n(&W.policy, __ATOMIC_RELAXED)

bool wal_enabled(void) { return __atomic_load_n(&W.enabled, __ATOMIC_ACQUIRE); }
uint64_t wal_ack_lsn(void) { return wal_enabled() ? __atomic_load_n(&W.ack, __ATOMIC_SEQ_CST) : UINT64_MAX; }
uint64_t wal_durable_lsn(void) { return __atomic_load_n(&W.durable, __ATOMIC_SEQ_CST); }
int wal_failed(void) { return __atomic_load_n(&W.failed, __ATOMIC_ACQUIRE); }
const char *wal_fail_reason(void) { return wal_failed() ? W.reason : ""; }

static uint64_t offline_last;   /* holdfast-admin: LSN state without a log */

void wal_set_offline_lsn(uint64_t last)
{
    offline_last = last;
}

uint64_t wal_snapshot_lsn(void)
{
    if (wal_enabled()) return wal_last_lsn();
    return offline_last;
}

uint64_t wal_last_lsn(void)
{
    return __atomic_load_n(&W.next_lsn, __ATOMIC_SEQ_CST) - 1;
}

void wal_get_stats(struct wal_stats *out)
{
    pthread_mutex_lock(&W.seg_mu);
    out->fsyncs = ST_GET(fsyncs);
    out->batches = ST_GET(batches);
    out->records = ST_GET(records);
    out->bytes = ST_GET(bytes);
    out->fsync_usec_total = ST_GET(fsync_usec_total);
    out->fsync_usec_last = ST_GET(fsync_usec_last);
    out->current_size = 0;
    for (int i = 0; i < W.nsegs; i++) out->current_size += W.segs[i].size;
    out->segments = (uint64_t)W.nsegs;
    pthread_mutex_unlock(&W.seg_mu);
}

/* Appends one record whose payload is pre (prelen bytes) followed by body
 * (blen bytes), pcrc being crc32c(0, payload): computed by the caller, so
 * that only the LSN's 8 bytes are added here. */
static uint64_t append_record(const uint8_t *pre, size_t prelen, const uint8_t *body, size_t blen,
                              uint32_t pcrc)
{
    size_t plen = prelen + blen, need = REC_HEADER + plen;
    struct slot *sl = my_slot();
    pthread_mutex_lock(&sl->mu);
    while (sl->len > BUFFER_HIGH && !wal_failed() && !__atomic_load_n(&W.stop, __ATOMIC_ACQUIRE)) {
        /* nobody took the buffer (a slow disk): wait for a committer */
        pthread_mutex_unlock(&sl->mu);
        pthread_mutex_lock(&W.mu);
        __atomic_add_fetch(&W.space_waiters, 1, __ATOMIC_SEQ_CST);
        pthread_cond_signal(&W.work);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 10 * 1000000;
        if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
        pthread_cond_timedwait(&W.space, &W.mu, &ts);
        __atomic_sub_fetch(&W.space_waiters, 1, __ATOMIC_SEQ_CST);
        pthread_mutex_unlock(&W.mu);
        pthread_mutex_lock(&sl->mu);
    }
    if (sl->cap - sl->len < need) {
        size_t cap = sl->cap ? sl->cap : 256 * 1024;
        while (cap - sl->len < need) cap *= 2;
        sl->buf = hf_realloc(sl->buf, cap);
        sl->cap = cap;
    }
    bool was_empty = sl->len == 0;
    uint64_t lsn = __atomic_fetch_add(&W.next_lsn, 1, __ATOMIC_SEQ_CST);
    uint8_t *h = sl->buf + sl->len;
    put32(h, (uint32_t)plen);
    put64(h + 8, lsn);
    put32(h + 4, crc32c(pcrc, h + 8, 8));
    if (prelen) memcpy(h + REC_HEADER, pre, prelen);
    if (blen) memcpy(h + REC_HEADER + prelen, body, blen);
    __atomic_store_n(&sl->len, sl->len + need, __ATOMIC_RELAXED);   /* wal_lead peeks */
    pthread_mutex_unlock(&sl->mu);
    /* A worker that will lead before it sleeps wakes nobody.  A lingering
     * WAL thread (it set `lingering`, then looks at the counter under W.mu;
     * we add to the counter, then look at `lingering`) is woken once its
     * target is here. */
    /* seq_cst, with the committer's store of worker_leads and its look at
     * pending(): if the disk just turned slow, either we see it and wake
     * the WAL thread, or the committer sees our record and does */
    bool leads = tl_worker >= 0 && __atomic_load_n(&W.worker_leads, __ATOMIC_SEQ_CST);
    if ((was_empty && !leads) ||
        (__atomic_load_n(&W.lingering, __ATOMIC_SEQ_CST) &&
         lsn - __atomic_load_n(&W.committed, __ATOMIC_ACQUIRE) == __atomic_load_n(&W.linger_target, __ATOMIC_RELAXED))) {
        pthread_mutex_lock(&W.mu);
        pthread_cond_signal(&W.work);
        pthread_mutex_unlock(&W.mu);
    }
    return lsn;
}

static size_t frame_len(const uint8_t *p) { return REC_HEADER + get32(p); }

static void grow(uint8_t **b, size_t *cap, size_t need)
{
    if (*cap >= need) return;
    size_t c = *cap ? *cap : 64 * 1024;
    while (c < need) c *= 2;
    *b = hf_realloc(*b, c);
    *cap = c;
}

/* Under io_mu: takes every record below the counter's value into W.out,
 * in LSN order, after MARK_LEN bytes left for the batch's mark.  Returns
 * the batch's length (0: nothing to write); *first and *last its LSNs. */
static size_t collect(uint64_t *first, uint64_t *last)
{
    uint64_t x = __atomic_load_n(&W.next_lsn, __ATOMIC_SEQ_CST);
    int ns = __atomic_load_n(&nslots, __ATOMIC_SEQ_CST);
    struct run { uint8_t *p, *end; int slot; } runs[2 * MAX_SLOTS];
    int nr = 0;
    size_t total = 0;
    for (int i = 0; i < ns; i++) {
        struct slot *sl = &slots[i];
        struct taken *t = &taken[i];
        if (t->clen) {   /* older than anything in the slot now */
            runs[nr++] = (struct run){t->carry, t->carry + t->clen, i};
            total += t->clen;
        }
        pthread_mutex_lock(&sl->mu);
        uint8_t *b = sl->buf;
        size_t bl = sl->len, bc = sl->cap;
        if (bl) {
            sl->buf = t->spare;
            sl->cap = t->scap;
            __atomic_store_n(&sl->len, 0, __ATOMIC_RELAXED);
        }
        pthread_mutex_unlock(&sl->mu);
        if (bl) {
            t->spare = b;   /* consumed below, then the slot's next buffer */
            t->scap = bc;
            runs[nr++] = (struct run){b, b + bl, i};
            total += bl;
        }
    }
    if (__atomic_load_n(&W.space_waiters, __ATOMIC_SEQ_CST)) {
        pthread_mutex_lock(&W.mu);
        pthread_cond_broadcast(&W.space);
        pthread_mutex_unlock(&W.mu);
    }
    uint64_t from = __atomic_load_n(&W.committed, __ATOMIC_RELAXED) + 1, expect = from;
    grow(&W.out, &W.out_cap, MARK_LEN + total);
    size_t olen = MARK_LEN;
    while (expect < x) {
        int k = 0;
        while (k < nr && (runs[k].p == runs[k].end || get64(runs[k].p + 8) != expect)) k++;
        if (k == nr) {   /* cannot happen: see the comment on slots */
            hf_log(LOG_WARNING, "BUG: WAL record with LSN %llu missing from every buffer", (unsigned long long)expect);
            abort();
        }
        /* the run's records that follow on without a gap, in one copy */
        uint8_t *p = runs[k].p;
        while (p < runs[k].end && expect < x && get64(p + 8) == expect) {
            p += frame_len(p);
            expect++;
        }
        memcpy(W.out + olen, runs[k].p, (size_t)(p - runs[k].p));
        olen += (size_t)(p - runs[k].p);
        runs[k].p = p;
    }
    /* what is left (LSN x and above) is carried, per slot, oldest first */
    uint64_t carried = 0;
    bool carried_by_other = false;
    for (int i = 0; i < ns; i++) {
        struct taken *t = &taken[i];
        size_t n = 0;
        for (int k = 0; k < nr; k++)
            if (runs[k].slot == i) n += (size_t)(runs[k].end - runs[k].p);
        if (n == 0 && t->clen == 0) continue;
        grow(&t->carry2, &t->c2cap, n);
        size_t o = 0;
        for (int k = 0; k < nr; k++)
            if (runs[k].slot == i && runs[k].end > runs[k].p) {
                memcpy(t->carry2 + o, runs[k].p, (size_t)(runs[k].end - runs[k].p));
                o += (size_t)(runs[k].end - runs[k].p);
            }
        uint8_t *tmp = t->carry;
        size_t tcap = t->ccap;
        t->carry = t->carry2;
        t->ccap = t->c2cap;
        t->carry2 = tmp;
        t->c2cap = tcap;
        t->clen = n;
        carried += n;
        /* Someone must write them even if nothing else happens: their
         * worker may have looked for work before they were carried.  Ask
         * it to lead (woken after io_mu is let go); a thread that is not
         * a worker has the WAL thread do it. */
        if (n) {
            int w = __atomic_load_n(&slots[i].worker, __ATOMIC_RELAXED);
            if (w >= 0 && w < 64) __atomic_or_fetch(&want_lead, 1ull << w, __ATOMIC_SEQ_CST);
            else carried_by_other = true;
        }
    }
    __atomic_store_n(&W.carried, carried, __ATOMIC_SEQ_CST);
    if (carried_by_other) {
        pthread_mutex_lock(&W.mu);
        pthread_cond_signal(&W.work);
        pthread_mutex_unlock(&W.mu);
    }
    if (expect == from) return 0;
    ST_SET(records, W.st.records + (expect - from));
    __atomic_store_n(&W.committed, expect - 1, __ATOMIC_RELEASE);
    *first = from;
    *last = expect - 1;
    return olen;
}

uint64_t wal_log_payload(const uint8_t *payload, size_t len)
{
    if (!wal_enabled()) return 0;
    return append_record(NULL, 0, payload, len, crc32c(0, payload, len));
}

uint64_t wal_log_group(const uint8_t *members, size_t len, uint32_t count)
{
    if (!wal_enabled()) return 0;
    struct wal_rec g = {.type = WREC_GROUP, .shard = 0xffffffffu, .expire = count};
    uint8_t head[PAYLOAD_MIN];
    wal_encode_payload(&g, head);   /* no key, no value: the header alone */
    put32(head + 24, (uint32_t)len);   /* the value (members) follows it */
    return append_record(head, sizeof head, members, len, crc32c(crc32c(0, head, sizeof head), members, len));
}

static void segment_path(char *buf, size_t len, uint64_t first)   /* len >= 1100 */
{
    snprintf(buf, len, "%s/%020llu.log", W.dir, (unsigned long long)first);
}

/* Gives the segment open on fd its full size up front (see PREALLOCATION
 * at the top).  Best effort: where the file system cannot (or the space is
 * short) the segment grows by appends as before. */
static void preallocate(int fd, uint64_t written)
{
#ifdef HAVE_FALLOCATE
    uint64_t want = (uint64_t)CONF_GET(wal_segment_bytes);
    if (want > (1ull << 30)) want = 1ull << 30;
    if (want <= written) return;
    if (fallocate(fd, 0, 0, (off_t)want) != 0) {
        hf_log(LOG_VERBOSE, "WAL: can't preallocate a segment (%s); it grows as it is written", strerror(errno));
        if (ftruncate(fd, (off_t)written) != 0) { /* a failed fallocate may have left a longer file */ }
    }
#else
    (void)fd;
    (void)written;
#endif
}

/* Cuts the preallocated zeros off a segment that will not be written
 * again, and makes the new length durable. */
static int trim_segment(int fd, uint64_t written)
{
    struct stat st;
    if (fstat(fd, &st) != 0) return -1;
    if ((uint64_t)st.st_size == written) return 0;
    if (ftruncate(fd, (off_t)written) != 0) return -1;
    return fdatasync(fd);
}

/* Opens a new segment starting at first (WAL thread or start-up). */
static int open_segment(uint64_t first)
{
    char path[PATH_MAX];
    segment_path(path, sizeof path, first);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    /* the header and a mark: everything before this segment is durable
     * (a roll syncs the segment it closes; wal_start the one it found) */
    uint8_t h[SEG_HEADER + MARK_LEN];
    encode_header(h, first);
    encode_mark(h + SEG_HEADER, __atomic_load_n(&W.durable, __ATOMIC_RELAXED), first);
    /* the header durable first, then the preallocation: a crash must not
     * leave a full-size file whose header never reached the disk (the
     * new length needs no sync of its own: the zeros are no data) */
    bool ok = fs_write_all(fd, h, sizeof h) == 0 && fdatasync(fd) == 0;
    if (ok) preallocate(fd, sizeof h);
    if (!ok || fs_fsync_dir(W.dir) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    pthread_mutex_lock(&W.seg_mu);
    /* a header-only segment recovery found at this very LSN was just
     * replaced (O_TRUNC): one entry, not two for the same file */
    if (W.nsegs && W.segs[W.nsegs - 1].first == first) W.nsegs--;
    W.segs = hf_realloc(W.segs, sizeof(struct wal_segment) * (size_t)(W.nsegs + 1));
    W.segs[W.nsegs].first = first;
    W.segs[W.nsegs].size = sizeof h;
    W.nsegs++;
    pthread_mutex_unlock(&W.seg_mu);
    W.fd = fd;
    W.wb_from = 0;
    return 0;
}

static void fail(const char *what, int err)
{
    pthread_mutex_lock(&W.mu);
    snprintf(W.reason, sizeof W.reason, "%s: %s", what, strerror(err));
    __atomic_store_n(&W.failed, err ? err : EIO, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&W.space);
    pthread_mutex_unlock(&W.mu);
    pthread_cond_broadcast(&W.synced);
    hf_log(LOG_WARNING, "WAL %s failed: %s. Writes are refused from now on; restart to recover from disk.",
           what, strerror(err));
    net_notify_durable();
}

static void publish(uint64_t written, uint64_t durable)
{
    if (written) __atomic_store_n(&W.written, written, __ATOMIC_SEQ_CST);
    if (durable) {
        __atomic_store_n(&W.durable, durable, __ATOMIC_SEQ_CST);
        pthread_mutex_lock(&W.mu);
        pthread_cond_broadcast(&W.synced);
        pthread_mutex_unlock(&W.mu);
    }
    uint64_t ack = POLICY() == FSYNC_ALWAYS ? W.durable : W.written;
    __atomic_store_n(&W.ack, ack, __ATOMIC_SEQ_CST);   /* pairs with park() in net.c */
    net_notify_durable();
}

static int do_sync(void)
{
    int64_t t0 = hf_monotonic_us();
#ifdef HAVE_FDATASYNC
    int r = fdatasync(W.fd);
#else
    int r = fsync(W.fd);
#endif
    int64_t dt = hf_monotonic_us() - t0;
    ST_SET(fsyncs, W.st.fsyncs + 1);
    ST_SET(fsync_usec_total, W.st.fsync_usec_total + (uint64_t)dt);
    ST_SET(fsync_usec_last, (uint64_t)dt);
    W.last_fsync_us = t0 + dt;
    __atomic_store_n(&W.written_unsynced, 0, __ATOMIC_RELAXED);
    return r;
}

/* Under everysec and no, dirty log pages pile up between fsyncs (tens of
 * MB a second under load), and the fdatasync that ends a segment or a
 * second then holds the log for tens of milliseconds.  Every
 * WRITEBACK_CHUNK written, start the kernel's writeback of it without
 * waiting (as Redis's incremental fsync of its rewrite files does): the
 * later fdatasync finds little left to do.  Nothing is claimed durable by
 * this.  Only SYNC_FILE_RANGE_WRITE, never a WAIT flag: waiting would check
 * (and consume) a writeback error that the next fdatasync must report.
 * Called with io_mu held. */
#define WRITEBACK_CHUNK (4u << 20)

static void start_writeback(int policy, uint64_t end)
{
#ifdef HAVE_SYNC_FILE_RANGE
    if (policy == FSYNC_ALWAYS || end < W.wb_from + WRITEBACK_CHUNK) return;
    sync_file_range(W.fd, (off_t)W.wb_from, (off_t)(end - W.wb_from), SYNC_FILE_RANGE_WRITE);
    W.wb_from = end;
#else
    (void)policy;
    (void)end;
#endif
}

/* Fast disks: below this fsync latency a worker writes and syncs its own
 * batch (no hand-off to the WAL thread and back); above it the WAL thread's
 * linger, which gathers the clients one fsync released into the next
 * batch, is worth a wake-up. */
#define LEAD_FSYNC_US 1000

/* One batch: collects the records, writes them, fdatasyncs as the policy
 * (or force) says, publishes, rolls the segment when it is full.  Called
 * with io_mu held (only one writer of the file at a time) and W.mu not
 * held.  Returns 0, or -1 once the log failed. */
static int commit_round(bool force_sync)
{
    int policy = CONF_GET(appendfsync);   /* CONFIG SET takes effect per batch */
    __atomic_store_n(&W.policy, policy, __ATOMIC_RELAXED);
    uint64_t first = 0, last = 0;
    size_t blen = collect(&first, &last);
    uint64_t batch_recs = blen ? last - first + 1 : 0;

    uint64_t unsynced = __atomic_load_n(&W.written_unsynced, __ATOMIC_RELAXED);
    if (blen) {
        /* the mark reserved in front of the batch: what is durable now */
        encode_mark(W.out, __atomic_load_n(&W.durable, __ATOMIC_RELAXED), first);
        if (fs_write_all(W.fd, W.out, blen) != 0) { fail("write", errno); return -1; }
        ST_SET(batches, W.st.batches + 1);
        ST_SET(bytes, W.st.bytes + blen);
        unsynced += blen;
        __atomic_store_n(&W.written_unsynced, unsynced, __ATOMIC_RELAXED);
        pthread_mutex_lock(&W.seg_mu);
        uint64_t end = W.segs[W.nsegs - 1].size += blen;
        pthread_mutex_unlock(&W.seg_mu);
        start_writeback(policy, end);
    }
    bool synced = false;
    if (unsynced && (policy == FSYNC_ALWAYS || force_sync ||
                     (policy == FSYNC_EVERYSEC && hf_monotonic_us() - W.last_fsync_us >= 1000000))) {
        if (do_sync() != 0) { fail("fdatasync", errno); return -1; }
        synced = true;
    }
    __atomic_store_n(&W.worker_leads,
                     policy != FSYNC_ALWAYS || W.st.fsync_usec_last < LEAD_FSYNC_US, __ATOMIC_SEQ_CST);
    if (blen) publish(last, synced ? last : 0);
    else if (synced) publish(0, __atomic_load_n(&W.written, __ATOMIC_RELAXED));
    /* the batch's clients are released now: the next batch should wait
     * for ~90% of them on top of what is already queued */
    pthread_mutex_lock(&W.mu);
    uint64_t queued = pending();
    __atomic_store_n(&W.linger_target, queued + batch_recs - batch_recs / 8, __ATOMIC_RELAXED);
    /* records that came while this batch was written: if workers no longer
     * lead (the disk turned slow), the WAL thread takes them */
    if (queued && !__atomic_load_n(&W.worker_leads, __ATOMIC_RELAXED)) pthread_cond_signal(&W.work);
    pthread_mutex_unlock(&W.mu);
    /* roll the segment between batches (the list is shared with
     * wal_truncate_below, hence the lock) */
    pthread_mutex_lock(&W.seg_mu);
    uint64_t cur_size = W.segs[W.nsegs - 1].size;
    pthread_mutex_unlock(&W.seg_mu);
    if (cur_size >= (uint64_t)CONF_GET(wal_segment_bytes) && blen) {
        if (!synced) {
            if (do_sync() != 0) { fail("fdatasync", errno); return -1; }
            publish(0, last);   /* so the new segment's mark says so */
        }
        /* the next segment may only exist once this one is exact */
        if (trim_segment(W.fd, cur_size) != 0) { fail("segment trim", errno); return -1; }
        close(W.fd);
        W.fd = -1;
        if (open_segment(last + 1) != 0) { fail("segment create", errno); return -1; }
    }
    return 0;
}

static void *wal_thread(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&W.mu);
        while (pending() == 0 && !W.stop && !W.sync_requested) {
            /* under everysec, a tick every second whatever: workers write
             * batches without waking this thread, and someone must sync
             * what they leave once writes stop */
            if (POLICY() == FSYNC_EVERYSEC) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_sec += 1;
                if (pthread_cond_timedwait(&W.work, &W.mu, &ts) != 0) break;
            } else {
                pthread_cond_wait(&W.work, &W.mu);
            }
        }
        if (W.failed || (W.stop && pending() == 0)) {
            pthread_mutex_unlock(&W.mu);
            break;
        }
        /* Adaptive group commit (slow disks; on fast ones workers lead and
         * this thread only drains what they leave): the clients released
         * by the last fsync send their next commands within a few hundred
         * microseconds.  Taking just the first of them would start an
         * fsync the rest must wait behind (and the clients settle into
         * groups that alternate, each waiting two fsyncs); instead wait,
         * bounded by a quarter of the last fsync time and at most 2 ms,
         * until about as many records as the last batch released are here
         * on top of those already queued.  A lone client never waits: its
         * target is its own record. */
        uint64_t target = __atomic_load_n(&W.linger_target, __ATOMIC_RELAXED);
        if (POLICY() == FSYNC_ALWAYS && pending() && pending() < target && !W.stop) {
            int64_t wait_us = (int64_t)ST_GET(fsync_usec_last) / 4;
            if (wait_us > 2000) wait_us = 2000;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += wait_us * 1000;
            if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
            __atomic_store_n(&W.lingering, true, __ATOMIC_SEQ_CST);
            while (pending() < target && !W.stop)
                if (pthread_cond_timedwait(&W.work, &W.mu, &ts) != 0) break;
            __atomic_store_n(&W.lingering, false, __ATOMIC_SEQ_CST);
        }
        bool force_sync = W.sync_requested;
        W.sync_requested = false;
        bool idle = pending() == 0 && !force_sync && !W.stop;   /* a worker took it meanwhile */
        pthread_mutex_unlock(&W.mu);
        if (idle && POLICY() != FSYNC_EVERYSEC) continue;
        pthread_mutex_lock(&W.io_mu);
        int r = W.failed ? -1 : commit_round(force_sync);
        pthread_mutex_unlock(&W.io_mu);
        wake_waiting_leaders();
        if (r != 0) break;
    }
    return NULL;
}

void wal_lead(bool waiting)
{
    if (!wal_enabled() || !__atomic_load_n(&W.worker_leads, __ATOMIC_SEQ_CST) ||
        __atomic_load_n(&W.failed, __ATOMIC_RELAXED))
        return;
    /* a peek without a mutex: this thread sees its own appends; another
     * worker's records are that worker's to commit, unless a committer
     * left them in its carry (then anyone takes them) or this worker has
     * clients waiting (a read of a key another worker just wrote waits for
     * that write: do not make it wait for the end of the writer's round) */
    if ((!tl_slot || __atomic_load_n(&tl_slot->len, __ATOMIC_RELAXED) == 0) &&
        __atomic_load_n(&W.carried, __ATOMIC_RELAXED) == 0 && !(waiting && pending() > 0))
        return;
    if (pthread_mutex_trylock(&W.io_mu) != 0) {
        /* Someone is writing the log.  Rather than have the holder write
         * this worker's records too (its own clients would wait for a
         * second fsync), ask to be woken when it lets go, then look once
         * more: if it let go before seeing the request, the lock is free
         * now (else the next holder sees the request). */
        if (tl_worker < 0 || tl_worker >= 64) {   /* no bit for it: the WAL thread takes them */
            pthread_mutex_lock(&W.mu);
            pthread_cond_signal(&W.work);
            pthread_mutex_unlock(&W.mu);
            return;
        }
        __atomic_or_fetch(&want_lead, 1ull << tl_worker, __ATOMIC_SEQ_CST);
        if (pthread_mutex_trylock(&W.io_mu) != 0) return;
        __atomic_and_fetch(&want_lead, ~(1ull << tl_worker), __ATOMIC_SEQ_CST);
    }
    if (!W.failed) commit_round(false);
    pthread_mutex_unlock(&W.io_mu);
    wake_waiting_leaders();
}

int wal_list_segments(const char *dir, struct wal_segment **out)
{
    DIR *d = opendir(dir);
    *out = NULL;
    if (!d) return errno == ENOENT ? 0 : -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l != 24 || strcmp(de->d_name + 20, ".log") != 0) continue;
        char *end;
        unsigned long long first = strtoull(de->d_name, &end, 10);
        if (end != de->d_name + 20) continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        *out = hf_realloc(*out, sizeof(struct wal_segment) * (size_t)(n + 1));
        (*out)[n].first = first;
        (*out)[n].size = (uint64_t)st.st_size;
        n++;
    }
    closedir(d);
    for (int i = 1; i < n; i++)   /* insertion sort: few segments */
        for (int j = i; j > 0 && (*out)[j - 1].first > (*out)[j].first; j--) {
            struct wal_segment t = (*out)[j];
            (*out)[j] = (*out)[j - 1];
            (*out)[j - 1] = t;
        }
    return n;
}

int wal_start(const char *dir, uint64_t next_lsn, bool append_last)
{
    W.policy = CONF_GET(appendfsync);
    snprintf(W.dir, sizeof W.dir, "%s/wal", dir);
    if (fs_mkdirs(W.dir, 0755) != 0 || fs_fsync_dir(dir) != 0) {   /* the wal/ entry itself durable */
        hf_log(LOG_WARNING, "Can't create %s: %s", W.dir, strerror(errno));
        return -1;
    }
    __atomic_store_n(&W.next_lsn, next_lsn, __ATOMIC_SEQ_CST);
    __atomic_store_n(&W.committed, next_lsn - 1, __ATOMIC_SEQ_CST);
    W.durable = W.written = W.ack = next_lsn - 1;
    struct wal_segment *segs;
    int n = wal_list_segments(W.dir, &segs);
    if (n < 0) return -1;
    W.segs = segs;
    W.nsegs = n;
    /* Recovery may have read the last segment's records from the page cache
     * alone (after a kill -9): sync it before anything is built on them,
     * since replies, snapshots and batch marks will take everything up to
     * next_lsn - 1 as durable.  (Earlier segments were synced when they
     * were closed.)  Then append to it if it ends exactly at next_lsn
     * (recovery checked it) and is of this format version, else start a
     * new segment. */
    int fd = -1;
    if (n > 0) {
        char path[PATH_MAX];
        segment_path(path, sizeof path, segs[n - 1].first);
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0 || fdatasync(fd) != 0) {
            hf_log(LOG_WARNING, "Can't %s %s: %s", fd < 0 ? "open" : "fsync", path, strerror(errno));
            if (fd >= 0) close(fd);
            return -1;
        }
        uint8_t h[SEG_HEADER];
        if (!append_last || pread(fd, h, SEG_HEADER, 0) != SEG_HEADER || get32(h + 8) != SEG_VERSION) {
            close(fd);
            fd = -1;
        } else {
            /* written from where recovery found its end (it cut off any
             * zeros a crash left after it), then room ahead again */
            off_t end = lseek(fd, 0, SEEK_END);
            if (end < 0) {
                hf_log(LOG_WARNING, "Can't seek in %s: %s", path, strerror(errno));
                close(fd);
                return -1;
            }
            preallocate(fd, (uint64_t)end);
            W.wb_from = (uint64_t)end;   /* synced above */
        }
    }
    if (fd >= 0) {
        W.fd = fd;
    } else if (open_segment(next_lsn) != 0) {
        hf_log(LOG_WARNING, "Can't create a WAL segment in %s: %s", W.dir, strerror(errno));
        return -1;
    }
    W.last_fsync_us = hf_monotonic_us();
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_cond_init(&W.work, &ca);
    pthread_cond_init(&W.space, &ca);
    pthread_cond_init(&W.synced, &ca);
    pthread_condattr_destroy(&ca);
    W.worker_leads = true;   /* until an fsync says the disk is slow */
    __atomic_store_n(&W.stop, false, __ATOMIC_RELEASE);
    __atomic_store_n(&W.enabled, true, __ATOMIC_RELEASE);
    W.running = true;
    pthread_create(&W.thread, NULL, wal_thread, NULL);
    return 0;
}

void wal_stop(void)
{
    if (!W.running) return;
    pthread_mutex_lock(&W.mu);
    __atomic_store_n(&W.stop, true, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&W.work);
    pthread_mutex_unlock(&W.mu);
    pthread_join(W.thread, NULL);
    W.running = false;
    if (W.fd >= 0 && !W.failed) {
        uint64_t last = __atomic_load_n(&W.written, __ATOMIC_RELAXED);
        if (do_sync() != 0) {
            hf_log(LOG_WARNING, "WAL fsync at shutdown failed: %s", strerror(errno));
        } else {
            publish(0, last);
            /* the shutdown mark: records the last batch as durable, which
             * no later batch will (see the top of this file) */
            uint8_t m[MARK_LEN];
            encode_mark(m, last, last + 1);
            if (fs_write_all(W.fd, m, MARK_LEN) != 0 || fdatasync(W.fd) != 0)
                hf_log(LOG_WARNING, "Can't write the WAL's shutdown mark: %s", strerror(errno));
            else if (trim_segment(W.fd, W.segs[W.nsegs - 1].size + MARK_LEN) != 0)
                hf_log(LOG_WARNING, "Can't cut the WAL segment's unused space: %s", strerror(errno));
        }
    }
    if (W.fd >= 0) close(W.fd);
    W.fd = -1;
    hf_free(W.segs);
    W.segs = NULL;
    /* nothing is pending after the drain above; an append that raced the
     * stop was never acknowledged and must not reach the next start */
    for (int i = 0; i < __atomic_load_n(&nslots, __ATOMIC_SEQ_CST); i++) {
        pthread_mutex_lock(&slots[i].mu);
        __atomic_store_n(&slots[i].len, 0, __ATOMIC_RELAXED);
        pthread_mutex_unlock(&slots[i].mu);
        taken[i].clen = 0;
    }
    __atomic_store_n(&W.carried, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&want_lead, 0, __ATOMIC_SEQ_CST);
    W.nsegs = 0;
    __atomic_store_n(&W.enabled, false, __ATOMIC_RELEASE);
}

void wal_request_sync(void)
{
    if (!wal_enabled()) return;
    pthread_mutex_lock(&W.mu);
    W.sync_requested = true;
    pthread_cond_signal(&W.work);
    pthread_mutex_unlock(&W.mu);
}

int wal_sync(uint64_t lsn)
{
    if (!wal_enabled()) return 0;
    pthread_mutex_lock(&W.mu);
    while (__atomic_load_n(&W.durable, __ATOMIC_ACQUIRE) < lsn && !W.failed && !W.stop) {
        W.sync_requested = true;
        pthread_cond_signal(&W.work);
        pthread_cond_wait(&W.synced, &W.mu);
    }
    int r = W.failed ? -1 : 0;
    pthread_mutex_unlock(&W.mu);
    return r;
}

void wal_truncate_below(uint64_t lsn)
{
    pthread_mutex_lock(&W.seg_mu);
    int keep_from = 0;
    /* segment i holds [first_i, first_{i+1}); delete while that is all <= lsn */
    while (keep_from + 1 < W.nsegs && W.segs[keep_from + 1].first <= lsn + 1) keep_from++;
    for (int i = 0; i < keep_from; i++) {
        char path[PATH_MAX];
        segment_path(path, sizeof path, W.segs[i].first);
        if (unlink(path) != 0) hf_log(LOG_WARNING, "Can't delete %s: %s", path, strerror(errno));
        else hf_log(LOG_VERBOSE, "Deleted WAL segment %s (below snapshot LSN %llu)", path, (unsigned long long)lsn);
    }
    if (keep_from) {
        memmove(W.segs, W.segs + keep_from, sizeof(struct wal_segment) * (size_t)(W.nsegs - keep_from));
        W.nsegs -= keep_from;
        fs_fsync_dir(W.dir);
    }
    pthread_mutex_unlock(&W.seg_mu);
}

uint64_t wal_total_bytes(void)
{
    return __atomic_load_n(&W.st.bytes, __ATOMIC_RELAXED);
}

/* ---- the reader --------------------------------------------------------------- */

struct wal_reader {
    char dir[1024];
    struct wal_segment *segs;
    int nsegs, cur;
    uint8_t *data;          /* current segment's bytes */
    size_t len, off, rec_off;
    uint32_t version;       /* current segment's format version */
    char path[1100];
    uint64_t expect;        /* next LSN expected */
    uint64_t last;
    char err[2048];
    char note[512];         /* why a bad frame was judged torn or corrupt */
};

wal_reader *wal_reader_open(const char *dir)
{
    wal_reader *rd = hf_calloc(1, sizeof *rd);
    snprintf(rd->dir, sizeof rd->dir, "%s/wal", dir);
    rd->nsegs = wal_list_segments(rd->dir, &rd->segs);
    if (rd->nsegs < 0) rd->nsegs = 0;
    rd->cur = -1;
    return rd;
}

void wal_reader_close(wal_reader *rd)
{
    if (!rd) return;
    hf_free(rd->segs);
    hf_free(rd->data);
    hf_free(rd);
}

const char *wal_reader_file(const wal_reader *rd) { return rd->path; }
uint64_t wal_reader_offset(const wal_reader *rd) { return rd->rec_off; }
const char *wal_reader_error(const wal_reader *rd) { return rd->err; }
const char *wal_reader_note(const wal_reader *rd) { return rd->note; }
uint64_t wal_reader_last_lsn(const wal_reader *rd) { return rd->last; }

static bool is_last(const wal_reader *rd) { return rd->cur == rd->nsegs - 1; }

/* Is there a record with a good CRC anywhere from off on?  (Version 1's
 * test of a torn tail.) */
static bool valid_record_after(const wal_reader *rd, size_t off)
{
    for (size_t o = off; o + REC_HEADER + PAYLOAD_MIN <= rd->len; o++) {
        uint32_t plen = get32(rd->data + o);
        if (plen < PAYLOAD_MIN || o + REC_HEADER + (size_t)plen > rd->len) continue;
        if (record_crc(rd->version, rd->data + o, plen) == get32(rd->data + o + 4)) return true;
    }
    return false;
}

/* The first well-formed mark from off on whose durable LSN is >= lsn: its
 * offset in *at and its durable LSN in *durable.  Returns false if there is
 * none. */
static bool durable_mark_after(const wal_reader *rd, size_t off, uint64_t lsn, size_t *at, uint64_t *durable)
{
    for (size_t o = off; o + MARK_LEN <= rd->len; o++) {
        const uint8_t *p = rd->data + o;
        if (get32(p) != MARK_TAG || get64(p + 8) < lsn || get64(p + 8) >= get64(p + 16) || !mark_ok(p, rd->len - o))
            continue;
        *at = o;
        *durable = get64(p + 8);
        return true;
    }
    return false;
}

static bool valid_frame_after(const wal_reader *rd, size_t off)
{
    size_t at;
    uint64_t d;
    return valid_record_after(rd, off) || durable_mark_after(rd, off, 0, &at, &d);
}

static bool zeros_to_end(const wal_reader *rd, size_t from)
{
    for (size_t i = from; i < rd->len; i++)
        if (rd->data[i]) return false;
    return true;
}

static int load_segment(wal_reader *rd, int i)
{
    hf_free(rd->data);
    rd->data = NULL;
    snprintf(rd->path, sizeof rd->path, "%s/%020llu.log", rd->dir, (unsigned long long)rd->segs[i].first);
    rd->data = (uint8_t *)fs_read_file(rd->path, &rd->len);
    rd->rec_off = 0;
    rd->note[0] = '\0';
    if (!rd->data) {
        snprintf(rd->err, sizeof rd->err, "can't read %s: %s", rd->path, strerror(errno));
        return WAL_READ_CORRUPT;
    }
    if (rd->len < SEG_HEADER || memcmp(rd->data, SEG_MAGIC, 8) != 0 ||
        get32(rd->data + 24) != crc32c(0, rd->data, 24) || get64(rd->data + 16) != rd->segs[i].first) {
        /* a segment whose creation never became durable: no more than its
         * header and first mark were written, and nothing valid is there */
        if (i == rd->nsegs - 1 &&
            ((rd->len <= SEG_HEADER + MARK_LEN && !valid_frame_after(rd, 0)) || zeros_to_end(rd, 0))) {
            rd->off = 0;
            snprintf(rd->err, sizeof rd->err, "%s: incomplete segment header", rd->path);
            snprintf(rd->note, sizeof rd->note, "the segment's creation was never synced");
            return WAL_READ_TORN;
        }
        snprintf(rd->err, sizeof rd->err, "%s: bad segment header at offset 0", rd->path);
        return WAL_READ_CORRUPT;
    }
    rd->version = get32(rd->data + 8);
    if (rd->version < 1 || rd->version > SEG_VERSION) {
        snprintf(rd->err, sizeof rd->err, "%s: unsupported WAL format version %u", rd->path, rd->version);
        return WAL_READ_CORRUPT;
    }
    if (rd->expect && rd->segs[i].first != rd->expect) {
        snprintf(rd->err, sizeof rd->err, "%s: segment starts at LSN %llu, expected %llu (a segment is missing)",
                 rd->path, (unsigned long long)rd->segs[i].first, (unsigned long long)rd->expect);
        return WAL_READ_CORRUPT;
    }
    rd->expect = rd->segs[i].first;
    rd->off = SEG_HEADER;
    return WAL_READ_OK;
}

/* A bad frame at rd->off, where LSN rd->expect was due: a torn tail or
 * corruption, by the rules at the top of this file. */
static int bad_frame(wal_reader *rd, const char *why)
{
    uint64_t lsn = rd->expect;
    size_t at;
    uint64_t durable;
    snprintf(rd->err, sizeof rd->err, "%s: %s at offset %zu", rd->path, why, rd->off);
    if (!is_last(rd)) {
        snprintf(rd->note, sizeof rd->note, "damage in a segment that is not the last one (a segment is synced "
                 "whole before the next one is created)");
        return WAL_READ_CORRUPT;
    }
    if (zeros_to_end(rd, rd->off)) {
        /* no mark or record can be in it: the segment's preallocated
         * space after the last batch (see PREALLOCATION at the top) */
        snprintf(rd->note, sizeof rd->note, "only zeros from there to the end of the file: space preallocated for "
                 "the segment that was never written");
        return WAL_READ_TORN;
    }
    if (rd->version < 2) {
        if (strcmp(why, "unexpected LSN") != 0 && !valid_record_after(rd, rd->off + 1)) return WAL_READ_TORN;
        snprintf(rd->note, sizeof rd->note, "valid records follow it (a format 1 segment has no batch marks)");
        return WAL_READ_CORRUPT;
    }
    if (durable_mark_after(rd, rd->off + 1, lsn, &at, &durable)) {
        snprintf(rd->note, sizeof rd->note, "LSN %llu had been made durable: the batch mark at offset %zu records "
                 "every LSN up to %llu as synced", (unsigned long long)lsn, at, (unsigned long long)durable);
        return WAL_READ_CORRUPT;
    }
    if (valid_frame_after(rd, rd->off + 1))
        snprintf(rd->note, sizeof rd->note, "valid frames follow it, but no batch mark after it records LSN %llu "
                 "as durable: everything from there on was written after the last fsync",
                 (unsigned long long)lsn);
    return WAL_READ_TORN;
}

/* The frame at rd->off is a mark (version 2): checks it and steps over it.
 * Returns NULL, or what is wrong with it. */
static const char *take_mark(wal_reader *rd)
{
    const uint8_t *p = rd->data + rd->off;
    if (rd->len - rd->off < MARK_LEN) return "short batch mark";
    if (!mark_ok(p, rd->len - rd->off)) return "batch mark CRC mismatch";
    if (get64(p + 16) != rd->expect) return "batch mark out of sequence";
    if (get64(p + 8) >= rd->expect) return "batch mark past the end of the log";
    rd->off += MARK_LEN;
    return NULL;
}

int wal_reader_next(wal_reader *rd, uint64_t *lsn, struct wal_rec *r)
{
    for (;;) {
        if (rd->cur < 0 || rd->off >= rd->len) {
            if (rd->cur + 1 >= rd->nsegs) return WAL_READ_END;
            rd->cur++;
            int s = load_segment(rd, rd->cur);
            if (s != WAL_READ_OK) return s;
            continue;
        }
        rd->rec_off = rd->off;
        size_t left = rd->len - rd->off;
        const uint8_t *p = rd->data + rd->off;
        const char *why = NULL;
        uint32_t plen = 0;
        if (rd->version >= 2 && left >= 4 && get32(p) == MARK_TAG) {
            if (!(why = take_mark(rd))) continue;
        } else if (left < REC_HEADER) {
            why = "short record header";
        } else {
            plen = get32(p);
            if (plen < PAYLOAD_MIN || plen > MAX_PAYLOAD) why = "bad record length";
            else if ((size_t)plen + REC_HEADER > left) why = "short record";
            else if (record_crc(rd->version, p, plen) != get32(p + 4)) why = "CRC mismatch";
            else if (get64(p + 8) != rd->expect) why = "unexpected LSN";
            else if (!wal_decode_payload(p + REC_HEADER, plen, r)) why = "malformed payload";
        }
        if (why) return bad_frame(rd, why);
        *lsn = get64(p + 8);
        rd->last = *lsn;
        rd->expect = *lsn + 1;
        rd->off += REC_HEADER + plen;
        return WAL_READ_OK;
    }
}

bool wal_reader_tail_zero(const wal_reader *rd)
{
    /* past a whole header: a torn header is no preallocated space */
    return rd->data && rd->off >= SEG_HEADER && zeros_to_end(rd, rd->off);
}

int64_t wal_reader_truncate_tail(wal_reader *rd)
{
    int64_t dropped = (int64_t)(rd->len - rd->off);
    if (rd->off < SEG_HEADER) {
        /* the segment's header itself was torn: remove the segment */
        if (unlink(rd->path) != 0) return -1;
        rd->nsegs--;
    } else if (truncate(rd->path, (off_t)rd->off) != 0) {
        return -1;
    } else {
        int fd = open(rd->path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) { fdatasync(fd); close(fd); }
    }
    fs_fsync_dir(rd->dir);
    rd->len = rd->off;
    return dropped;
}
