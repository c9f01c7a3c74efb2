/* wal.c — write-ahead log.
 *
 * FILES
 *   <dir>/wal/<first-lsn, 20 digits>.log      segments, rolled at wal-segment-bytes
 *
 * SEGMENT = header, then records back to back:
 *   header (32 bytes): "HOLDFWAL" | u32 version (1) | u32 reserved | u64 first lsn |
 *                      u32 crc32c(of the 24 bytes before) | u32 reserved
 *   record:  u32 payload length | u32 crc32c(lsn bytes + payload) | u64 lsn | payload
 *   payload: u8 type | u8 value type | u8 encoding | u8 0 | u32 db | u32 shard |
 *            i64 expire | u32 key length | key | u32 value length | value
 * All integers little-endian.  LSNs are consecutive across segments: the first
 * record of a segment has the LSN in its name.
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
 * RECOVERY RULES (see recovery.c): segments are read in LSN order.  A short
 * record or a bad CRC at the tail of the LAST segment, with no valid record
 * after it, is a torn write: the segment is truncated there and the server
 * logs how many bytes it dropped.  Anything else (a bad record followed by
 * valid ones, a gap in LSNs, a bad header, damage in an earlier segment) is
 * corruption: the server refuses to start and names the file and offset.
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
#define BUFFER_HIGH (64u * 1024 * 1024)   /* writers wait above this */

static inline void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static inline uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

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
    put32(h + 8, 1);
    put64(h + 16, first_lsn);
    put32(h + 24, crc32c(0, h, 24));
}

/* ---- the writer ----------------------------------------------------------------- */


static struct {
    pthread_mutex_t mu;
    pthread_cond_t work, space;
    uint8_t *fill, *spare;
    size_t flen, fcap, scap;
    uint64_t next_lsn;           /* next LSN to assign */
    uint64_t fill_last;          /* last LSN in fill */
    uint64_t frecs;              /* records in fill */
    uint64_t linger_target;      /* WAL thread waits for this many records */
    bool lingering;
    bool stop, running, enabled;
    bool sync_requested;         /* wal_sync(): fsync even under everysec/no */
    pthread_cond_t synced;
    int policy;
    pthread_t thread;
    /* owned by the WAL thread (segments also under seg_mu) */
    int fd;
    char dir[1024];
    pthread_mutex_t seg_mu;
    struct wal_segment *segs;
    int nsegs;
    int64_t last_fsync_us;
    uint64_t written_unsynced;
    /* published */
    uint64_t durable, written, ack;
    int failed;
    char reason[256];
    struct wal_stats st;
} W = {.mu = PTHREAD_MUTEX_INITIALIZER, .seg_mu = PTHREAD_MUTEX_INITIALIZER, .fd = -1};

/* Each statistic has one writer at a time (the WAL thread, or a writer
 * holding W.mu); INFO reads them from other threads. */
#define ST_SET(f, v) __atomic_store_n(&W.st.f, (v), __ATOMIC_RELAXED)
#define ST_GET(f) __atomic_load_n(&W.st.f, __ATOMIC_RELAXED)

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
    pthread_mutex_lock(&W.mu);
    uint64_t v = W.next_lsn - 1;
    pthread_mutex_unlock(&W.mu);
    return v;
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

/* Appends one record whose payload is either encoded from r or copied from
 * raw (plen bytes). */
static uint64_t append_record(const struct wal_rec *r, const uint8_t *raw, size_t plen)
{
    size_t need = REC_HEADER + plen;
    pthread_mutex_lock(&W.mu);
    while (W.flen > BUFFER_HIGH && !W.failed && !W.stop) pthread_cond_wait(&W.space, &W.mu);
    if (W.fcap - W.flen < need) {
        size_t cap = W.fcap ? W.fcap : 1024 * 1024;
        while (cap - W.flen < need) cap *= 2;
        W.fill = hf_realloc(W.fill, cap);
        W.fcap = cap;
    }
    uint64_t lsn = W.next_lsn++;
    uint8_t *h = W.fill + W.flen;
    if (r) wal_encode_payload(r, h + REC_HEADER);
    else memcpy(h + REC_HEADER, raw, plen);
    put32(h, (uint32_t)plen);
    put64(h + 8, lsn);
    put32(h + 4, crc32c(0, h + 8, 8 + plen));
    bool was_empty = W.flen == 0;
    W.flen += need;
    W.fill_last = lsn;
    W.frecs++;
    ST_SET(records, W.st.records + 1);
    if (was_empty || (W.lingering && W.frecs == W.linger_target)) pthread_cond_signal(&W.work);
    pthread_mutex_unlock(&W.mu);
    return lsn;
}

uint64_t wal_log(const struct wal_rec *r)
{
    if (!wal_enabled()) return 0;
    return append_record(r, NULL, wal_encode_payload(r, NULL));
}

uint64_t wal_log_payload(const uint8_t *payload, size_t len)
{
    if (!wal_enabled()) return 0;
    return append_record(NULL, payload, len);
}

static void segment_path(char *buf, size_t len, uint64_t first)   /* len >= 1100 */
{
    snprintf(buf, len, "%s/%020llu.log", W.dir, (unsigned long long)first);
}

/* Opens a new segment starting at first (WAL thread or start-up). */
static int open_segment(uint64_t first)
{
    char path[PATH_MAX];
    segment_path(path, sizeof path, first);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    uint8_t h[SEG_HEADER];
    encode_header(h, first);
    if (fs_write_all(fd, h, SEG_HEADER) != 0 || fdatasync(fd) != 0 || fs_fsync_dir(W.dir) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    pthread_mutex_lock(&W.seg_mu);
    W.segs = hf_realloc(W.segs, sizeof(struct wal_segment) * (size_t)(W.nsegs + 1));
    W.segs[W.nsegs].first = first;
    W.segs[W.nsegs].size = SEG_HEADER;
    W.nsegs++;
    pthread_mutex_unlock(&W.seg_mu);
    W.fd = fd;
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
    uint64_t ack = W.policy == FSYNC_ALWAYS ? W.durable : W.written;
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
    W.written_unsynced = 0;
    return r;
}

static void *wal_thread(void *arg)
{
    (void)arg;
    for (;;) {
        W.policy = CONF_GET(appendfsync);    /* CONFIG SET takes effect per batch */
        pthread_mutex_lock(&W.mu);
        while (W.flen == 0 && !W.stop && !W.sync_requested) {
            if (W.policy == FSYNC_EVERYSEC && W.written_unsynced) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_sec += 1;
                if (pthread_cond_timedwait(&W.work, &W.mu, &ts) != 0) break;
            } else {
                pthread_cond_wait(&W.work, &W.mu);
            }
        }
        if (W.failed || (W.stop && W.flen == 0)) {
            pthread_mutex_unlock(&W.mu);
            break;
        }
        /* Adaptive group commit: the clients released by the last fsync
         * send their next commands within a few hundred microseconds.
         * Taking just the first of them would start an fsync the rest must
         * wait behind (and the clients settle into groups that alternate,
         * each waiting two fsyncs); instead wait, bounded by a quarter of the
         * last fsync time and at most 2 ms, until about as many records as
         * the last batch released are here on top of those already queued.
         * A lone client never waits: its target is its own record. */
        if (W.policy == FSYNC_ALWAYS && W.frecs && W.frecs < W.linger_target && !W.stop) {
            int64_t wait_us = (int64_t)W.st.fsync_usec_last / 4;
            if (wait_us > 2000) wait_us = 2000;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += wait_us * 1000;
            if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
            W.lingering = true;
            while (W.frecs < W.linger_target && !W.stop)
                if (pthread_cond_timedwait(&W.work, &W.mu, &ts) != 0) break;
            W.lingering = false;
        }
        bool force_sync = W.sync_requested;
        W.sync_requested = false;
        uint64_t batch_recs = W.frecs;
        W.frecs = 0;
        uint8_t *batch = W.fill;
        size_t blen = W.flen, bcap = W.fcap;
        uint64_t last = W.fill_last;
        W.fill = W.spare;
        W.fcap = W.scap;
        W.flen = 0;
        W.spare = batch;
        W.scap = bcap;
        pthread_cond_broadcast(&W.space);
        pthread_mutex_unlock(&W.mu);

        if (blen) {
            if (fs_write_all(W.fd, batch, blen) != 0) { fail("write", errno); break; }
            ST_SET(batches, W.st.batches + 1);
            ST_SET(bytes, W.st.bytes + blen);
            W.written_unsynced += blen;
            pthread_mutex_lock(&W.seg_mu);
            W.segs[W.nsegs - 1].size += blen;
            pthread_mutex_unlock(&W.seg_mu);
        }
        bool synced = false;
        if (W.policy == FSYNC_ALWAYS || (force_sync && W.written_unsynced) ||
            (W.policy == FSYNC_EVERYSEC && W.written_unsynced && hf_monotonic_us() - W.last_fsync_us >= 1000000)) {
            if (do_sync() != 0) { fail("fdatasync", errno); break; }
            synced = true;
        }
        if (blen) publish(last, synced ? last : 0);
        else if (synced) publish(0, __atomic_load_n(&W.written, __ATOMIC_RELAXED));
        /* the batch's clients are released now: the next batch should wait
         * for ~90% of them on top of what is already queued */
        pthread_mutex_lock(&W.mu);
        W.linger_target = W.frecs + batch_recs - batch_recs / 8;
        pthread_mutex_unlock(&W.mu);
        /* roll the segment between batches (the list is shared with
         * wal_truncate_below, hence the lock) */
        pthread_mutex_lock(&W.seg_mu);
        uint64_t cur_size = W.segs[W.nsegs - 1].size;
        pthread_mutex_unlock(&W.seg_mu);
        if (cur_size >= (uint64_t)CONF_GET(wal_segment_bytes) && blen) {
            if (!synced && do_sync() != 0) { fail("fdatasync", errno); break; }
            close(W.fd);
            W.fd = -1;
            if (open_segment(last + 1) != 0) { fail("segment create", errno); break; }
        }
    }
    return NULL;
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
    W.next_lsn = next_lsn;
    W.durable = W.written = W.ack = next_lsn - 1;
    struct wal_segment *segs;
    int n = wal_list_segments(W.dir, &segs);
    if (n < 0) return -1;
    W.segs = segs;
    W.nsegs = n;
    /* append to the last segment if it ends exactly at next_lsn (recovery
     * checked it), else start a new one */
    int fd = -1;
    if (n > 0 && append_last) {
        char path[PATH_MAX];
        segment_path(path, sizeof path, segs[n - 1].first);
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd < 0) {
            hf_log(LOG_WARNING, "Can't open %s: %s", path, strerror(errno));
            return -1;
        }
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
    __atomic_store_n(&W.enabled, true, __ATOMIC_RELEASE);
    W.running = true;
    pthread_create(&W.thread, NULL, wal_thread, NULL);
    return 0;
}

void wal_stop(void)
{
    if (!W.running) return;
    pthread_mutex_lock(&W.mu);
    W.stop = true;
    pthread_cond_broadcast(&W.work);
    pthread_mutex_unlock(&W.mu);
    pthread_join(W.thread, NULL);
    W.running = false;
    if (W.fd >= 0 && !W.failed) {
        if (do_sync() != 0) hf_log(LOG_WARNING, "WAL fsync at shutdown failed: %s", strerror(errno));
        publish(0, __atomic_load_n(&W.written, __ATOMIC_RELAXED));
    }
    if (W.fd >= 0) close(W.fd);
    W.fd = -1;
    hf_free(W.fill);
    hf_free(W.spare);
    hf_free(W.segs);
    W.fill = W.spare = NULL;
    W.segs = NULL;
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
    char path[1100];
    uint64_t expect;        /* next LSN expected (0 = any) */
    uint64_t last;
    char err[2048];
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
uint64_t wal_reader_last_lsn(const wal_reader *rd) { return rd->last; }

static bool is_last(const wal_reader *rd) { return rd->cur == rd->nsegs - 1; }

/* Is there a valid record expecting LSN lsn anywhere after off?  (Tells a
 * torn tail from damage in the middle.) */
static bool valid_record_after(const wal_reader *rd, size_t off)
{
    for (size_t o = off; o + REC_HEADER + PAYLOAD_MIN <= rd->len; o++) {
        uint32_t plen = get32(rd->data + o);
        if (plen < PAYLOAD_MIN || o + REC_HEADER + (size_t)plen > rd->len) continue;
        if (crc32c(0, rd->data + o + 8, 8 + (size_t)plen) == get32(rd->data + o + 4)) return true;
    }
    return false;
}

static int load_segment(wal_reader *rd, int i)
{
    hf_free(rd->data);
    rd->data = NULL;
    snprintf(rd->path, sizeof rd->path, "%s/%020llu.log", rd->dir, (unsigned long long)rd->segs[i].first);
    rd->data = (uint8_t *)fs_read_file(rd->path, &rd->len);
    rd->rec_off = 0;
    if (!rd->data) {
        snprintf(rd->err, sizeof rd->err, "can't read %s: %s", rd->path, strerror(errno));
        return WAL_READ_CORRUPT;
    }
    if (rd->len < SEG_HEADER || memcmp(rd->data, SEG_MAGIC, 8) != 0 ||
        get32(rd->data + 24) != crc32c(0, rd->data, 24) || get64(rd->data + 16) != rd->segs[i].first) {
        /* a segment whose header never became durable is a torn tail too */
        if (i == rd->nsegs - 1 && rd->len < SEG_HEADER + REC_HEADER && !valid_record_after(rd, 0)) {
            rd->off = 0;
            snprintf(rd->err, sizeof rd->err, "%s: incomplete segment header", rd->path);
            return WAL_READ_TORN;
        }
        snprintf(rd->err, sizeof rd->err, "%s: bad segment header at offset 0", rd->path);
        return WAL_READ_CORRUPT;
    }
    if (get32(rd->data + 8) != 1) {
        snprintf(rd->err, sizeof rd->err, "%s: unsupported WAL format version %u", rd->path, get32(rd->data + 8));
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
        if (left < REC_HEADER) why = "short record header";
        else {
            plen = get32(p);
            if (plen < PAYLOAD_MIN || plen > MAX_PAYLOAD) why = "bad record length";
            else if ((size_t)plen + REC_HEADER > left) why = "short record";
            else if (crc32c(0, p + 8, 8 + (size_t)plen) != get32(p + 4)) why = "CRC mismatch";
            else if (get64(p + 8) != rd->expect) why = "unexpected LSN";
            else if (!wal_decode_payload(p + REC_HEADER, plen, r)) why = "malformed payload";
        }
        if (why) {
            snprintf(rd->err, sizeof rd->err, "%s: %s at offset %zu", rd->path, why, rd->off);
            if (is_last(rd) && strcmp(why, "unexpected LSN") != 0 && !valid_record_after(rd, rd->off + 1))
                return WAL_READ_TORN;
            return WAL_READ_CORRUPT;
        }
        *lsn = get64(p + 8);
        rd->last = *lsn;
        rd->expect = *lsn + 1;
        rd->off += REC_HEADER + plen;
        return WAL_READ_OK;
    }
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
