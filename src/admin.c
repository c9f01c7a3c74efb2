/* admin.c — holdfast-admin: looks at, checks, exports and imports a data
 * directory (the server's `dir`: LOCK, SEED, wal/, snapshots/; DESIGN §3).
 *
 * COMMANDS (usage() has the full text; docs/operations.md the reference)
 *   info DIR                    what is there, and whether a server holds LOCK
 *   snapshots list DIR          complete snapshots, newest first
 *   snapshots prune DIR --keep N    offline only: snapshot_prune()
 *   check DIR                   every CRC of every snapshot and WAL record
 *   export DIR [--format json|csv] [--db N] [-o FILE]
 *   import DIR [--format json|csv] FILE [--replace]   offline only
 *
 * READ-ONLY RECOVERY.  export, import and info rebuild the state the server's
 * next start would recover, by the rules at the top of recovery.c: the newest
 * snapshot with a valid MANIFEST is loaded (snapshot_load), then the WAL is
 * replayed with ks_apply_record(), a key record only above its shard's
 * snapshot LSN.  recovery_run() itself cannot be used: it truncates a torn
 * tail and exits on damage.  Here nothing on disk changes: a torn tail is
 * reported with the bytes the server would drop, damage is reported with the
 * file and offset from wal_reader_error() — the very text the server's
 * refusal names — and folders without a MANIFEST are left alone.
 *
 * IMPORT writes its result as a new snapshot (snapshot_save(), run inside
 * DIR as the server does) whose every shard LSN is the LSN the directory has
 * reached (wal_set_offline_lsn()), so the next start loads it and replays no
 * WAL record over it.  A complete snapshot already named by that LSN (a SAVE
 * with no write since) is renamed aside first: snapshot_save() would
 * otherwise find it and write nothing; it stays a complete, older snapshot
 * until pruned.
 *
 * EXPORT FORMATS.  Every live key (expired ones are left out), sorted by db,
 * then key bytes, so two exports of the same data are byte-identical whatever
 * each directory's SEED.  Fields: db, key, type (the TYPE name), expire
 * (absolute unix ms, 0 = none), value.
 *   json: JSON Lines, one object per line:
 *         {"db":0,"key":"k","type":"string","expire":0,"value":"v"}
 *         Strings map bytes to code points one to one (latin-1): '"' and '\'
 *         are escaped, bytes below 0x20 and from 0x7f up are written \u00XX,
 *         so the file is ASCII and any bytes round-trip exactly.  On import,
 *         \u00XX is byte XX, raw bytes (UTF-8 text written by hand) are taken
 *         as they are, and \uXXXX above 00ff is refused.
 *   csv:  RFC 4180: a header line "db,key,type,expire,value", then one
 *         record per key; key and value are always quoted with '"' doubled,
 *         so any bytes (NUL, CR, LF included) are safe.  Lines end with LF;
 *         import accepts LF or CRLF and the columns in any order.
 * Values are written by a codec per type (valcodec.c): a string is a JSON
 * string; a list or set an array of strings, a hash an object of strings,
 * a sorted set an array of [member, score] pairs with the scores as
 * strings ("1.5", "inf"); in CSV a collection's value field holds that JSON
 * text.
 *
 * EXIT STATUS
 *   0  done (check: clean, or only a torn tail the server will truncate)
 *   1  damage in the data directory, or a malformed import file
 *   2  usage error, or an I/O error (a file that cannot be read or written)
 *   3  the data directory is in use by a running server (prune, import) */
#include "config.h"
#include "conf.h"
void command_replay_end(void);   /* commands.h: its cmd_dir_info clashes with ours */
#include "dict.h"
#include "fsutil.h"
#include "keyspace.h"
#include "log.h"
#include "valcodec.h"
#include "object.h"
#include "server.h"
#include "recovery.h"
#include "snapshot.h"
#include "util.h"
#include "wal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { EX_OK = 0, EX_DAMAGE = 1, EX_USAGE = 2, EX_IO = 2, EX_BUSY = 3 };

#define DEFAULT_SHARDS 1024
#define DEFAULT_DATABASES 16

static FILE *std_out;      /* the real standard output (see main) */
static bool verbose;

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: holdfast-admin COMMAND DIR [options]\n"
        "\n"
        "DIR is a holdfast data directory (the server's 'dir': LOCK, SEED, wal/, snapshots/).\n"
        "\n"
        "Commands:\n"
        "  info DIR                 snapshots, WAL segments, last LSN, and whether a\n"
        "                           server holds the directory's LOCK\n"
        "  snapshots list DIR       complete snapshots, newest first\n"
        "  snapshots prune DIR --keep N\n"
        "                           delete all but the newest N complete snapshots\n"
        "                           (only while no server runs on DIR)\n"
        "  check DIR                verify every CRC of every snapshot and WAL record;\n"
        "                           name the first damaged file and offset\n"
        "  export DIR [--format json|csv] [--db N] [-o FILE]\n"
        "                           write every live key of the state the next server\n"
        "                           start would recover (read-only; default json to stdout)\n"
        "  import DIR [--format json|csv] FILE [--replace]\n"
        "                           add the keys of FILE ('-' = stdin) to the directory's\n"
        "                           state and write the result as a new snapshot that the\n"
        "                           next start loads; existing keys are kept unless\n"
        "                           --replace (only while no server runs on DIR; DIR is\n"
        "                           created if missing)\n"
        "\n"
        "Options:\n"
        "  --format json|csv        export/import format (default json: JSON Lines)\n"
        "  --db N                   export only database N\n"
        "  -o, --output FILE        export into FILE (written to a temp file, fsynced,\n"
        "                           renamed) instead of stdout\n"
        "  --replace                import: imported keys replace existing ones\n"
        "  --keep N                 prune: how many complete snapshots to keep (>= 1)\n"
        "  --databases N            the server's 'databases' setting (default 16)\n"
        "  --shards N               import into a directory without a snapshot: shard\n"
        "                           count of the new snapshot (default 1024)\n"
        "  --no-wal                 ignore the WAL, as a server with appendonly no does\n"
        "  -v, --verbose            show the library's progress messages on stderr\n"
        "  -h, --help               this text\n"
        "\n"
        "Exit status: 0 done (check: clean, or only a torn WAL tail, which the server\n"
        "truncates at start); 1 damage found, or a malformed import file; 2 usage or\n"
        "I/O error; 3 the directory is in use by a running server.\n");
}

static void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void errmsg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("holdfast-admin: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("holdfast-admin: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\nTry 'holdfast-admin -h' for help.\n", stderr);
    va_end(ap);
    exit(EX_USAGE);
}

static bool is_dir(const char *path);

/* ---- options ------------------------------------------------------------------ */

enum {
    OPT_FORMAT = 1 << 0, OPT_DB = 1 << 1, OPT_OUTPUT = 1 << 2, OPT_REPLACE = 1 << 3,
    OPT_KEEP = 1 << 4, OPT_DATABASES = 1 << 5, OPT_SHARDS = 1 << 6, OPT_NOWAL = 1 << 7,
};

struct opts {
    const char *cmd;
    const char *dir;
    const char *file;       /* import input */
    const char *output;     /* export -o */
    bool csv;
    int db;                 /* -1 = every database */
    int keep;               /* -1 = not given */
    bool replace, no_wal;
    int databases;
    uint32_t shards;        /* 0 = not given */
};

static long long parse_count(const char *opt, const char *v, long long min, long long max)
{
    long long n;
    if (!v || !hf_str2ll(v, strlen(v), &n) || n < min || n > max)
        usage_error("%s needs an integer from %lld to %lld (got '%s')", opt, min, max, v ? v : "");
    return n;
}

/* Parses argv[i..] for a command that accepts the options in allowed and
 * npos positional arguments (DIR, then FILE for import). */
static void parse_opts(struct opts *o, int argc, char **argv, int i, int allowed, int npos)
{
    const char *pos[2] = {NULL, NULL};
    int got = 0;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        int which = 0;
        char name[32];
        snprintf(name, sizeof name, "%s", a);
        const char *eq = strchr(a, '=');
        if (a[0] == '-' && a[1] == '-' && eq) {   /* --name=value */
            snprintf(name, sizeof name, "%.*s", (int)(eq - a), a);
            val = eq + 1;
        }
        if (!strcmp(name, "--format")) which = OPT_FORMAT;
        else if (!strcmp(name, "--db")) which = OPT_DB;
        else if (!strcmp(name, "-o") || !strcmp(name, "--output")) which = OPT_OUTPUT;
        else if (!strcmp(name, "--replace")) which = OPT_REPLACE;
        else if (!strcmp(name, "--keep")) which = OPT_KEEP;
        else if (!strcmp(name, "--databases")) which = OPT_DATABASES;
        else if (!strcmp(name, "--shards")) which = OPT_SHARDS;
        else if (!strcmp(name, "--no-wal")) which = OPT_NOWAL;
        else if (!strcmp(name, "-v") || !strcmp(name, "--verbose")) { verbose = true; continue; }
        else if (!strcmp(name, "-h") || !strcmp(name, "--help")) { usage(std_out); exit(EX_OK); }
        else if (a[0] == '-' && a[1] != '\0') usage_error("unknown option '%s'", a);
        else {
            if (got >= npos) usage_error("unexpected argument '%s' for '%s'", a, o->cmd);
            pos[got++] = a;
            continue;
        }
        if (!(which & allowed)) usage_error("option '%s' does not apply to '%s'", name, o->cmd);
        bool takes_value = which != OPT_REPLACE && which != OPT_NOWAL;
        if (takes_value && !val) {
            if (i + 1 >= argc) usage_error("option '%s' needs a value", name);
            val = argv[++i];
        } else if (!takes_value && val) {
            usage_error("option '%s' takes no value", name);
        }
        switch (which) {
        case OPT_FORMAT:
            if (!strcmp(val, "csv")) o->csv = true;
            else if (!strcmp(val, "json")) o->csv = false;
            else usage_error("--format must be json or csv (got '%s')", val);
            break;
        case OPT_DB: o->db = (int)parse_count("--db", val, 0, INT_MAX); break;
        case OPT_OUTPUT: o->output = val; break;
        case OPT_REPLACE: o->replace = true; break;
        case OPT_KEEP: o->keep = (int)parse_count("--keep", val, 1, 1000000); break;
        case OPT_DATABASES: o->databases = (int)parse_count("--databases", val, 1, 1 << 20); break;
        case OPT_SHARDS:
            o->shards = (uint32_t)parse_count("--shards", val, 1, 1 << 20);
            if (o->shards & (o->shards - 1)) usage_error("--shards must be a power of two");
            break;
        case OPT_NOWAL: o->no_wal = true; break;
        }
    }
    if (got < npos) usage_error("'%s' needs %s", o->cmd, npos == 2 ? "DIR and FILE" : "DIR");
    o->dir = pos[0];
    o->file = pos[1];
    if (strcmp(o->cmd, "import") != 0 && !is_dir(o->dir)) {
        errmsg("%s: %s", o->dir, access(o->dir, F_OK) == 0 ? "not a directory" : strerror(errno));
        exit(EX_IO);
    }
    if (o->db >= o->databases) usage_error("--db %d is out of range (databases %d)", o->db, o->databases);
}

/* ---- small helpers -------------------------------------------------------------- */


static void format_time_ms(char *buf, size_t len, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M:%S %z", &tm);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- LOCK and SEED ----------------------------------------------------------------- */

/* Whether a process holds dir/LOCK (without creating the file): returns 0
 * (free, or no LOCK file), 1 (held; *pid from the file's content, 0 if
 * unreadable) or -1 with errno. */
static int lock_probe(const char *dir, long *pid)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/LOCK", dir);
    *pid = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : -1;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
        flock(fd, LOCK_UN);
        close(fd);
        return 0;
    }
    if (errno != EWOULDBLOCK) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    char buf[32];
    ssize_t n = fs_read_at(fd, buf, sizeof buf - 1, 0);
    close(fd);
    if (n > 0) {
        buf[n] = '\0';
        *pid = strtol(buf, NULL, 10);
    }
    return 1;
}

/* "pid 1234 (holdfast-server)", naming the program where /proc tells it. */
static void describe_pid(char *buf, size_t len, long pid)
{
    if (pid <= 0) {
        snprintf(buf, len, "an unknown process (no pid in LOCK)");
        return;
    }
    char path[64], comm[64] = "";
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    FILE *f = fopen(path, "r");   /* (a /proc file's size is 0: read it as a stream) */
    if (f) {
        if (!fgets(comm, sizeof comm, f)) comm[0] = '\0';
        comm[strcspn(comm, "\n")] = '\0';
        fclose(f);
    }
    if (comm[0]) snprintf(buf, len, "pid %ld (%s)", pid, comm);
    else snprintf(buf, len, "pid %ld", pid);
}

/* Takes dir/LOCK for an offline change, as the server does (creating it and
 * writing our pid); held until the process exits.  Exits 3 if a server holds
 * it, 2 if it cannot be opened. */
static void lock_take(const char *dir, const char *what)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/LOCK", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        errmsg("can't open %s: %s", path, strerror(errno));
        exit(EX_IO);
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        long pid = 0;
        char buf[32], who[128];
        ssize_t n = fs_read_at(fd, buf, sizeof buf - 1, 0);
        if (n > 0) {
            buf[n] = '\0';
            pid = strtol(buf, NULL, 10);
        }
        describe_pid(who, sizeof who, pid);
        errmsg("%s refused: the data directory '%s' is in use by %s (it holds %s).\n"
               "Stop the server first%s.", what, dir, who, path,
               !strcmp(what, "prune") ? ", or lower snapshot-keep with CONFIG SET and let its next snapshot prune" : "");
        exit(EX_BUSY);
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) { /* only informative */ }
    /* fd stays open: the lock lasts until exit */
}

/* Reads dir/SEED and keys the hash with it, parsing as recovery_seed() does.
 * Returns 0, 1 if there is no SEED, -1 if it is damaged, -2 if it cannot be
 * read (message in err). */
static int seed_load(const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/SEED", dir);
    uint8_t seed[16];
    int r = recovery_read_seed(path, seed);
    if (r == -2) snprintf(err, errlen, "can't read %s: %s", path, strerror(errno));
    if (r == -1) snprintf(err, errlen, "%s is damaged (the server refuses to start: keys would map to other shards)", path);
    if (r == 0) hf_hash_seed(seed);
    return r;
}

/* Creates dir/SEED durably (import into a new directory), as the server's
 * first start would. */
static int seed_create(const char *dir)
{
    uint8_t seed[16];
    hf_random_bytes(seed, sizeof seed);
    char hex[40], path[PATH_MAX];
    for (int i = 0; i < 16; i++) snprintf(hex + 2 * i, 3, "%02x", seed[i]);
    hex[32] = '\n';
    snprintf(path, sizeof path, "%s/SEED", dir);
    if (fs_replace_file(path, hex, 33) != 0) {
        errmsg("can't write %s: %s", path, strerror(errno));
        return -1;
    }
    hf_hash_seed(seed);
    return 0;
}

/* ---- what is on disk --------------------------------------------------------------- */

struct seg { char name[32]; uint64_t first, size, records; };

/* dir/wal's segments (wal_list_segments) with their file names and, once
 * read, their record counts. */
static int list_segments(const char *dir, struct seg **out)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/wal", dir);
    struct wal_segment *ws;
    *out = NULL;
    int n = wal_list_segments(path, &ws);
    if (n <= 0) return n;
    *out = hf_calloc((size_t)n, sizeof(struct seg));
    for (int i = 0; i < n; i++) {
        snprintf((*out)[i].name, sizeof (*out)[i].name, "%020llu.log", (unsigned long long)ws[i].first);
        (*out)[i].first = ws[i].first;
        (*out)[i].size = ws[i].size;
    }
    hf_free(ws);
    return n;
}

/* Folders of dir/snapshots that snapshot_list() leaves out: without a
 * MANIFEST (the server deletes them at start) or with a damaged one (the
 * server ignores them).  Each list is hf_free'd by the caller. */
#define FOLDER_MAX (PATH_MAX + 300)
struct odd_folders { char (*incomplete)[FOLDER_MAX]; int nincomplete; char (*damaged)[FOLDER_MAX]; int ndamaged; };

static void find_odd_folders(const char *dir, const struct snapshot_info *list, int n, struct odd_folders *of)
{
    memset(of, 0, sizeof *of);
    char root[PATH_MAX];
    snprintf(root, sizeof root, "%s/snapshots", dir);
    DIR *d = opendir(root);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char folder[FOLDER_MAX], mpath[FOLDER_MAX + 16];
        snprintf(folder, sizeof folder, "%s/%s", root, de->d_name);
        if (!is_dir(folder)) continue;
        bool listed = false;
        for (int i = 0; i < n && !listed; i++) listed = !strcmp(list[i].path, folder);
        if (listed) continue;
        snprintf(mpath, sizeof mpath, "%s/MANIFEST", folder);
        if (access(mpath, F_OK) != 0) {
            of->incomplete = hf_realloc(of->incomplete, sizeof(*of->incomplete) * (size_t)(of->nincomplete + 1));
            snprintf(of->incomplete[of->nincomplete++], FOLDER_MAX, "%s", folder);
        } else {
            of->damaged = hf_realloc(of->damaged, sizeof(*of->damaged) * (size_t)(of->ndamaged + 1));
            snprintf(of->damaged[of->ndamaged++], FOLDER_MAX, "%s", folder);
        }
    }
    closedir(d);
}

static uint64_t snapshot_bytes(const struct snapshot_info *si)
{
    uint64_t b = 0;
    for (int i = 0; i < si->nfiles; i++) b += si->file_size[i];
    return b;
}

static void free_snapshots(struct snapshot_info *list, int n)
{
    for (int i = 0; i < n; i++) snapshot_info_free(&list[i]);
    hf_free(list);
}

/* The WAL as the server's reader sees it: records per segment, first and
 * last LSN, and how the read ended. */
struct wal_scan {
    struct seg *segs;
    int nsegs;
    uint64_t records, first_lsn, last_lsn;
    int end;                    /* WAL_READ_END, _TORN or _CORRUPT */
    char where[2100];           /* wal_reader_error() when not END */
    char file[1200];
    char note[600];             /* wal_reader_note(): why torn or corrupt */
    uint64_t offset, torn_bytes;
    uint64_t unused;            /* zeros after the last batch: preallocated, never written */
};

static void wal_scan_end(wal_reader *rd, int rc, struct wal_scan *ws)
{
    ws->end = rc;
    if (rc == WAL_READ_END) return;
    snprintf(ws->where, sizeof ws->where, "%s", wal_reader_error(rd));
    snprintf(ws->file, sizeof ws->file, "%s", wal_reader_file(rd));
    snprintf(ws->note, sizeof ws->note, "%s", wal_reader_note(rd));
    ws->offset = wal_reader_offset(rd);
    if (rc != WAL_READ_TORN) return;
    struct stat st;
    /* what wal_reader_truncate_tail() would drop: the rest of the file */
    uint64_t rest = 0;
    if (stat(ws->file, &st) == 0 && (uint64_t)st.st_size >= ws->offset) rest = (uint64_t)st.st_size - ws->offset;
    if (wal_reader_tail_zero(rd)) {
        /* what a kill -9 leaves in a preallocated segment: not a torn
         * write (the server still cuts it off at start) */
        ws->end = WAL_READ_END;
        ws->unused = rest;
    } else {
        ws->torn_bytes = rest;
    }
}

/* Reads every WAL record without applying it.  Returns 0, or -1 if dir/wal
 * cannot be listed. */
static int wal_scan(const char *dir, struct wal_scan *ws)
{
    memset(ws, 0, sizeof *ws);
    ws->nsegs = list_segments(dir, &ws->segs);
    if (ws->nsegs < 0) return -1;
    wal_reader *rd = wal_reader_open(dir);
    uint64_t lsn;
    struct wal_rec r;
    int rc;
    while ((rc = wal_reader_next(rd, &lsn, &r)) == WAL_READ_OK) {
        if (!ws->first_lsn) ws->first_lsn = lsn;
        ws->last_lsn = lsn;
        ws->records++;
        const char *name = base_name(wal_reader_file(rd));
        for (int i = ws->nsegs - 1; i >= 0; i--)
            if (!strcmp(ws->segs[i].name, name)) { ws->segs[i].records++; break; }
    }
    wal_scan_end(rd, rc, ws);
    wal_reader_close(rd);
    return 0;
}

/* ---- read-only recovery ----------------------------------------------------------- */

struct state {
    bool have_snap;
    struct snapshot_info snap;
    uint32_t nshards;
    uint64_t wal_first, wal_last;
    uint64_t applied, skipped;
    uint64_t last_lsn;          /* the LSN the recovered state has reached */
    bool torn;
    char torn_where[2100];
    uint64_t torn_bytes;
    bool seed_missing;
};

/* Rebuilds in this process the keyspace the server's next start on o->dir
 * would recover (recovery.c's rules), changing nothing on disk.  Returns 0,
 * or an exit status after printing why (1 damage, 2 I/O). */
static int recover(const struct opts *o, struct state *st)
{
    memset(st, 0, sizeof *st);
    char err[8192];
    struct snapshot_info *list;
    int n = snapshot_list(o->dir, &list, NULL);
    struct seg *segs;
    int nsegs = list_segments(o->dir, &segs);
    hf_free(segs);
    if (nsegs < 0) {
        errmsg("can't list %s/wal: %s", o->dir, strerror(errno));
        free_snapshots(list, n);
        return EX_IO;
    }
    int sr = seed_load(o->dir, err, sizeof err);
    if (sr < 0) {
        errmsg("%s", err);
        free_snapshots(list, n);
        return sr == -1 ? EX_DAMAGE : EX_IO;
    }
    if (sr == 1) {
        /* (a WAL alone replays the same under any SEED, as the server's
         * first start with a new SEED would) */
        if (n > 0) {
            errmsg("%s has data but no SEED: the shard of every key depends on it, so the snapshots' "
                   "per-shard LSNs cannot be used without it (restore SEED from the backup this "
                   "directory came from)", o->dir);
            free_snapshots(list, n);
            return EX_DAMAGE;
        }
        uint8_t seed[16];   /* nothing on disk depends on it */
        hf_random_bytes(seed, sizeof seed);
        hf_hash_seed(seed);
        st->seed_missing = true;
    }
    if (n > 0) {
        st->snap = list[0];
        st->have_snap = true;
        for (int i = 1; i < n; i++) snapshot_info_free(&list[i]);
    }
    hf_free(list);
    st->nshards = st->have_snap ? st->snap.nshards : o->shards ? o->shards : DEFAULT_SHARDS;
    ks_init(st->nshards, o->databases);
    if (st->have_snap) {
        if (snapshot_load(&st->snap, (int)sysconf(_SC_NPROCESSORS_ONLN), err, sizeof err) != 0) {
            errmsg("snapshot damaged: %s%s", err,
                   strstr(err, "database") ? " (if the server has more databases, give --databases)" : "");
            return EX_DAMAGE;
        }
        st->last_lsn = st->snap.max_lsn;
    }
    if (o->no_wal) return 0;

    wal_reader *rd = wal_reader_open(o->dir);
    uint64_t lsn;
    struct wal_rec r;
    int rc;
    const uint64_t *snap = st->have_snap ? st->snap.shard_lsn : NULL;
    while ((rc = wal_reader_next(rd, &lsn, &r)) == WAL_READ_OK) {
        if (!st->wal_first) {
            st->wal_first = lsn;
            uint64_t need = st->have_snap ? st->snap.min_lsn + 1 : 1;
            if (lsn > need) {
                errmsg("the WAL starts at LSN %llu but %s LSN %llu: records are missing (%s)",
                       (unsigned long long)lsn, st->have_snap ? "the snapshot needs records from" : "nothing covers",
                       (unsigned long long)need, wal_reader_file(rd));
                wal_reader_close(rd);
                return EX_DAMAGE;
            }
        }
        int applied = ks_replay_record(&r, lsn, snap);
        if (applied) {
            if (applied < 0) {
                errmsg("%s: record at offset %llu cannot be applied (type %d, db %u)%s", wal_reader_file(rd),
                       (unsigned long long)wal_reader_offset(rd), r.type, r.db,
                       r.db >= (uint32_t)o->databases ? ": if the server has more databases, give --databases" : "");
                wal_reader_close(rd);
                return EX_DAMAGE;
            }
            st->applied++;
        } else {
            st->skipped++;
        }
    }
    struct wal_scan ws = {0};
    wal_scan_end(rd, rc, &ws);
    st->wal_last = wal_reader_last_lsn(rd);
    wal_reader_close(rd);
    command_replay_end();
    if (rc == WAL_READ_CORRUPT) {
        errmsg("WAL damaged: %s", ws.where);
        errmsg("the server refuses to start on this directory; 'holdfast-admin check %s' reports the same", o->dir);
        return EX_DAMAGE;
    }
    if (ws.end == WAL_READ_TORN) {
        st->torn = true;
        snprintf(st->torn_where, sizeof st->torn_where, "%s", ws.where);
        st->torn_bytes = ws.torn_bytes;
    }
    if (st->wal_last > st->last_lsn) st->last_lsn = st->wal_last;
    return 0;
}


/* ---- export ------------------------------------------------------------------------- */

struct item { uint32_t db; const kentry *e; };
struct collect { struct item *v; size_t n, cap; uint32_t db; int64_t now; };

static void collect_cb(void *arg, kentry *e)
{
    struct collect *c = arg;
    if (e->expire && c->now > e->expire) return;   /* logically gone, as the server sees it */
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->v = hf_realloc(c->v, sizeof(struct item) * c->cap);
    }
    c->v[c->n++] = (struct item){c->db, e};
}

static int cmp_item(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->db != y->db) return x->db < y->db ? -1 : 1;
    size_t n = x->e->klen < y->e->klen ? x->e->klen : y->e->klen;
    int c = memcmp(x->e->key, y->e->key, n);
    if (c) return c;
    return x->e->klen < y->e->klen ? -1 : x->e->klen > y->e->klen;
}

/* Every live key of the keyspace (database db, or all if db < 0), sorted. */
static struct item *collect_keys(int db, size_t *count)
{
    struct collect c = {.now = hf_mstime()};
    for (uint32_t s = 0; s < ks_nshards(); s++) {
        shard *sh = ks_shard(s);
        ks_lock(sh);
        for (int d = db < 0 ? 0 : db; d < (db < 0 ? ks_ndbs() : db + 1); d++) {
            kdict *dict = do_ks_dict(sh, d);
            if (!dict) continue;
            c.db = (uint32_t)d;
            kd_foreach(dict, collect_cb, &c);
        }
        ks_unlock(sh);
    }
    if (c.n > 1) qsort(c.v, c.n, sizeof(struct item), cmp_item);
    *count = c.n;
    return c.v;
}

static int write_export(FILE *f, bool csv, const struct item *items, size_t n)
{
    if (csv) fputs("db,key,type,expire,value\n", f);
    for (size_t i = 0; i < n; i++) {
        const kentry *e = items[i].e;
        const struct type_codec *tc = codec_for_type(e->val->type);
        if (!tc) {
            errmsg("key in db %u has type %d, which this holdfast-admin cannot export", items[i].db, e->val->type);
            return EX_DAMAGE;
        }
        if (csv) {
            fprintf(f, "%u,", items[i].db);
            csv_bytes(f, e->key, e->klen);
            fprintf(f, ",%s,%lld,", tc->name, (long long)e->expire);
            tc->csv_value(f, e->val);
            putc('\n', f);
        } else {
            fprintf(f, "{\"db\":%u,\"key\":", items[i].db);
            json_bytes(f, e->key, e->klen);
            fprintf(f, ",\"type\":\"%s\",\"expire\":%lld,\"value\":", tc->name, (long long)e->expire);
            tc->json_value(f, e->val);
            fputs("}\n", f);
        }
    }
    return 0;
}

static int export_run(const struct opts *o, struct state *stp)
{
    long pid;
    if (lock_probe(o->dir, &pid) == 1) {
        char who[128];
        describe_pid(who, sizeof who, pid);
        fprintf(stderr, "holdfast-admin: note: %s holds %s/LOCK; the export shows what is on disk now\n", who, o->dir);
    }
    struct state *st = stp;
    int rc = recover(o, st);
    if (rc) return rc;
    if (st->torn)
        fprintf(stderr, "holdfast-admin: note: the WAL has a torn tail (%s); its %llu bytes are not part of the "
                        "state (the server drops them at start)\n", st->torn_where, (unsigned long long)st->torn_bytes);
    size_t n;
    struct item *items = collect_keys(o->db, &n);

    FILE *f = std_out;
    char tmp[PATH_MAX + 32];
    if (o->output && strcmp(o->output, "-") != 0) {
        snprintf(tmp, sizeof tmp, "%s.tmp-%d", o->output, (int)getpid());
        f = fopen(tmp, "w");
        if (!f) {
            errmsg("can't create %s: %s", tmp, strerror(errno));
            hf_free(items);
            return EX_IO;
        }
    }
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    rc = write_export(f, o->csv, items, n);
    hf_free(items);
    if (f == std_out) {
        if (fflush(f) != 0 || ferror(f)) {
            errmsg("writing the export failed: %s", strerror(errno));
            return EX_IO;
        }
    } else {
        /* durably, one way: temp file, fsync, rename, fsync the directory */
        bool ok = rc == 0 && fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
        int e = errno;
        if (fclose(f) != 0 && ok) { ok = false; e = errno; }
        if (ok && rename(tmp, o->output) != 0) { ok = false; e = errno; }
        if (!ok) {
            unlink(tmp);
            if (rc) return rc;
            errmsg("writing %s failed: %s", o->output, strerror(e));
            return EX_IO;
        }
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", o->output);
        char *slash = strrchr(dir, '/');
        if (slash == dir) dir[1] = '\0';
        else if (slash) *slash = '\0';
        else snprintf(dir, sizeof dir, ".");
        fs_fsync_dir(dir);
    }
    if (rc) return rc;
    fprintf(stderr, "holdfast-admin: exported %zu keys (state at LSN %llu%s%s)\n", n,
            (unsigned long long)st->last_lsn, st->have_snap ? ", snapshot " : "",
            st->have_snap ? base_name(st->snap.path) : "");
    return 0;
}

static int cmd_export(const struct opts *o)
{
    struct state st;
    memset(&st, 0, sizeof st);
    int rc = export_run(o, &st);
    snapshot_info_free(&st.snap);
    return rc;
}

/* ---- import: JSON Lines ----------------------------------------------------------- */


/* One imported key; the keyspace takes val. */
struct imp_stats { uint64_t records, added, replaced, kept, expired; };

static int import_key(const struct opts *o, struct imp_stats *is, long long db, const char *key, size_t klen,
                      long long expire, hobj *val, const char **why)
{
    if (db < 0 || db >= o->databases) {
        obj_free(val);
        *why = "db out of range (give --databases if the server has more)";
        return -1;
    }
    if (expire < 0) {
        obj_free(val);
        *why = "negative expire";
        return -1;
    }
    if (klen > UINT32_MAX) {
        obj_free(val);
        *why = "key longer than 4 GB";
        return -1;
    }
    is->records++;
    if (expire && ks_now > expire) {   /* already gone */
        obj_free(val);
        is->expired++;
        return 0;
    }
    kref k;
    ks_ref(&k, key, klen);
    ks_lock(k.s);
    kentry *e = do_ks_lookup_write(&k, (int)db);
    if (e && !o->replace) {
        obj_free(val);
        is->kept++;
    } else {
        if (e) is->replaced++;
        else is->added++;
        e = do_ks_set(&k, (int)db, val, false);
        if (expire) do_ks_set_expire(&k, (int)db, e, expire);
    }
    ks_unlock(k.s);
    return 0;
}

static int import_json(FILE *in, const char *name, const struct opts *o, struct imp_stats *is)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    uint64_t lineno = 0;
    struct bytes key = {0}, field = {0};
    int rc = 0;
    while ((len = getline(&line, &cap, in)) >= 0) {
        lineno++;
        struct jp j = {.p = line, .n = (size_t)len};
        jp_ws(&j);
        if (j.i == j.n) continue;   /* blank line */
        long long db = 0, expire = 0;
        bool have_key = false, have_value = false;
        const struct type_codec *tc = codec_for_type(OBJ_STRING);
        size_t value_at = 0;
        const char *why = NULL;
        uint32_t seen = 0;
        if (!jp_expect(&j, '{')) goto bad;
        jp_ws(&j);
        if (j.i < j.n && j.p[j.i] == '}') { why = "empty object"; goto bad; }
        for (;;) {
            if (!jp_string(&j, &field) || !jp_expect(&j, ':')) goto bad;
            static const char *const names[] = {"db", "key", "type", "expire", "value"};
            int f = -1;
            for (int k = 0; k < 5; k++)
                if (field.len == strlen(names[k]) && !memcmp(field.p, names[k], field.len)) f = k;
            if (f < 0) {
                snprintf(j.whybuf, sizeof j.whybuf, "unknown field \"%.40s\"", field.p);
                why = j.whybuf;
                goto bad;
            }
            if (seen & (1u << f)) {
                snprintf(j.whybuf, sizeof j.whybuf, "field \"%s\" given twice", names[f]);
                why = j.whybuf;
                goto bad;
            }
            seen |= 1u << f;
            switch (f) {
            case 0: if (!jp_int(&j, &db)) goto bad; break;
            case 1: if (!jp_string(&j, &key)) goto bad; have_key = true; break;
            case 2:
                if (!jp_string(&j, &field)) goto bad;
                if (!(tc = codec_for_name(field.p, field.len))) {
                    snprintf(j.whybuf, sizeof j.whybuf, "type \"%.40s\" is not supported", field.p);
                    why = j.whybuf;
                    goto bad;
                }
                break;
            case 3: if (!jp_int(&j, &expire)) goto bad; break;
            case 4:
                jp_ws(&j);
                value_at = j.i;
                if (!jp_skip(&j)) goto bad;
                have_value = true;
                break;
            }
            jp_ws(&j);
            if (j.i < j.n && j.p[j.i] == ',') { j.i++; continue; }
            if (!jp_expect(&j, '}')) goto bad;
            break;
        }
        jp_ws(&j);
        if (j.i != j.n) { why = "text after the object (one object per line)"; goto bad; }
        if (!have_key || !have_value) { why = have_key ? "no \"value\"" : "no \"key\""; goto bad; }
        {
            struct jp v = {.p = line, .n = (size_t)len, .i = value_at};
            hobj *val = tc->from_json(&v);
            if (!val) { why = v.why; goto bad; }
            if (import_key(o, is, db, key.p, key.len, expire, val, &why) != 0) goto bad;
        }
        continue;
bad:
        errmsg("%s:%llu: %s", name, (unsigned long long)lineno, why ? why : j.why ? j.why : "malformed line");
        rc = EX_DAMAGE;
        break;
    }
    if (rc == 0 && ferror(in)) {
        errmsg("reading %s failed: %s", name, strerror(errno));
        rc = EX_IO;
    }
    free(line);
    hf_free(key.p);
    hf_free(field.p);
    return rc;
}

/* ---- import: CSV -------------------------------------------------------------------- */

struct csv_rec {
    struct bytes buf;           /* the fields' bytes back to back */
    size_t *off, *len;
    int n, cap;
};

static void csv_push(struct csv_rec *r, size_t start)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->off = hf_realloc(r->off, sizeof(size_t) * (size_t)r->cap);
        r->len = hf_realloc(r->len, sizeof(size_t) * (size_t)r->cap);
    }
    r->off[r->n] = start;
    r->len[r->n] = r->buf.len - start;
    r->n++;
}

/* Reads one RFC 4180 record.  Returns 1, 0 at the end of the input, -1 on a
 * malformed record (*why).  *line counts LF bytes read, for messages. */
static int csv_read(FILE *in, struct csv_rec *r, uint64_t *line, const char **why)
{
    r->n = 0;
    r->buf.len = 0;
    int c = getc_unlocked(in);
    if (c == EOF) return 0;
    for (;;) {
        size_t start = r->buf.len;
        if (c == '"') {
            for (;;) {
                c = getc_unlocked(in);
                if (c == EOF) { *why = "unterminated quoted field"; return -1; }
                if (c == '\n') (*line)++;
                if (c == '"') {
                    c = getc_unlocked(in);
                    if (c != '"') break;
                }
                bytes_putc(&r->buf, (char)c);
            }
            if (c == '\r') {
                c = getc_unlocked(in);
                if (c != '\n') { *why = "CR not followed by LF after a quoted field"; return -1; }
            }
            if (c != ',' && c != '\n' && c != EOF) { *why = "text after a closing quote"; return -1; }
        } else {
            while (c != ',' && c != '\n' && c != EOF) {
                if (c == '"') { *why = "quote inside an unquoted field"; return -1; }
                bytes_putc(&r->buf, (char)c);
                c = getc_unlocked(in);
            }
            if (c == '\n' && r->buf.len > start && r->buf.p[r->buf.len - 1] == '\r') r->buf.len--;   /* CRLF */
        }
        csv_push(r, start);
        if (c == '\n') (*line)++;
        if (c != ',') return 1;
        c = getc_unlocked(in);
    }
}

static int import_csv(FILE *in, const char *name, const struct opts *o, struct imp_stats *is)
{
    struct csv_rec r = {0};
    uint64_t line = 1;
    const char *why = NULL;
    int rc = 0;
    static const char *const names[] = {"db", "key", "type", "expire", "value"};
    int col[5] = {-1, -1, -1, -1, -1};
    int ncols = 0;
    uint64_t at = line;
    int got = csv_read(in, &r, &line, &why);
    if (got <= 0) {
        errmsg("%s:1: %s", name, got == 0 ? "empty file (expected the header db,key,type,expire,value)" : why);
        rc = got == 0 && ferror(in) ? EX_IO : EX_DAMAGE;
        goto out;
    }
    ncols = r.n;
    for (int i = 0; i < r.n; i++) {
        int f = -1;
        for (int k = 0; k < 5; k++)
            if (r.len[i] == strlen(names[k]) && !memcmp(r.buf.p + r.off[i], names[k], r.len[i])) f = k;
        if (f < 0 || col[f] >= 0) {
            errmsg("%s:1: header column %d is %s (expected db,key,type,expire,value)", name, i + 1,
                   f < 0 ? "unknown" : "repeated");
            rc = EX_DAMAGE;
            goto out;
        }
        col[f] = i;
    }
    if (col[1] < 0 || col[4] < 0) {
        errmsg("%s:1: the header needs at least the columns key and value", name);
        rc = EX_DAMAGE;
        goto out;
    }
    for (;;) {
        at = line;
        got = csv_read(in, &r, &line, &why);
        if (got == 0) break;
        if (got < 0) goto bad;
        if (r.n == 1 && r.len[0] == 0) continue;   /* blank line */
        if (r.n != ncols) { why = "wrong number of fields"; goto bad; }
        long long db = 0, expire = 0;
        const struct type_codec *tc = codec_for_type(OBJ_STRING);
        if (col[0] >= 0 && !hf_str2ll(r.buf.p + r.off[col[0]], r.len[col[0]], &db)) { why = "db is not an integer"; goto bad; }
        if (col[3] >= 0 && !hf_str2ll(r.buf.p + r.off[col[3]], r.len[col[3]], &expire)) { why = "expire is not an integer"; goto bad; }
        if (col[2] >= 0 && !(tc = codec_for_name(r.buf.p + r.off[col[2]], r.len[col[2]]))) { why = "unsupported type"; goto bad; }
        hobj *val = tc->from_csv(r.buf.p + r.off[col[4]], r.len[col[4]], &why);
        if (!val) goto bad;
        if (import_key(o, is, db, r.buf.p + r.off[col[1]], r.len[col[1]], expire, val, &why) != 0) goto bad;
    }
    if (ferror(in)) {
        errmsg("reading %s failed: %s", name, strerror(errno));
        rc = EX_IO;
    }
    goto out;
bad:
    errmsg("%s:%llu: %s", name, (unsigned long long)at, why);
    rc = EX_DAMAGE;
out:
    hf_free(r.buf.p);
    hf_free(r.off);
    hf_free(r.len);
    return rc;
}

/* ---- import -------------------------------------------------------------------------- */

static int import_run(struct opts *o, struct state *stp)
{
    FILE *in = stdin;
    const char *name = "(stdin)";
    if (strcmp(o->file, "-") != 0) {
        in = fopen(o->file, "r");
        name = o->file;
        if (!in) {
            errmsg("can't open %s: %s", o->file, strerror(errno));
            return EX_IO;
        }
    }
    if (fs_mkdirs(o->dir, 0755) != 0) {
        errmsg("can't create %s: %s", o->dir, strerror(errno));
        return EX_IO;
    }
    lock_take(o->dir, "import");
    char err[2048];
    int sr = seed_load(o->dir, err, sizeof err);
    if (sr < 0) {
        errmsg("%s", err);
        return sr == -1 ? EX_DAMAGE : EX_IO;
    }
    if (sr == 1) {   /* a directory without snapshots gets its SEED now, as a first start would */
        struct snapshot_info *list;
        int n = snapshot_list(o->dir, &list, NULL);
        free_snapshots(list, n);
        if (n == 0 && seed_create(o->dir) != 0) return EX_IO;
    }
    struct state *st = stp;
    int rc = recover(o, st);
    if (rc) {
        errmsg("import refused: the directory's current state cannot be recovered (nothing was changed)");
        return rc;
    }
    uint64_t before = 0;
    for (int db = 0; db < ks_ndbs(); db++) before += ks_dbsize(db);

    struct imp_stats is = {0};
    ks_now = hf_mstime();
    rc = o->csv ? import_csv(in, name, o, &is) : import_json(in, name, o, &is);
    if (in != stdin) fclose(in);
    if (rc) {
        errmsg("import stopped: no snapshot was written, the data is unchanged");
        return rc;
    }

    /* write the result as a snapshot at the LSN the directory has reached */
    if (chdir(o->dir) != 0) {
        errmsg("can't chdir to %s: %s", o->dir, strerror(errno));
        return EX_IO;
    }
    char folder[64];
    snprintf(folder, sizeof folder, "snapshots/%020llu", (unsigned long long)st->last_lsn);
    char mpath[96];
    snprintf(mpath, sizeof mpath, "%s/MANIFEST", folder);
    if (st->last_lsn && access(mpath, F_OK) == 0) {
        /* the name is taken by a complete snapshot (no write since it): keep
         * it, renamed, as an older snapshot; snapshot_save() would otherwise
         * see it and write nothing */
        char aside[128];
        snprintf(aside, sizeof aside, "%s.before-import-%lld", folder, (long long)hf_mstime());
        if (rename(folder, aside) != 0 || fs_fsync_dir("snapshots") != 0) {
            errmsg("can't rename %s/%s aside: %s", o->dir, folder, strerror(errno));
            return EX_IO;
        }
        fprintf(std_out, "snapshot %s has the name this one needs (no write since it): kept, renamed %s\n",
                base_name(folder), base_name(aside));
        usleep(2000);   /* the new one's created time must be later: the newest is chosen by it */
    }
    wal_set_offline_lsn(st->last_lsn);
    cfg.snapshot_keep = 1000;         /* prune nothing: the server's snapshot-keep applies at its next snapshot */
    if (!verbose) hf_log_set_level(LOG_WARNING);   /* snapshot_save() logs why it failed */
    int64_t t0 = hf_mstime();
    if (snapshot_save() != 0) {
        errmsg("writing the snapshot failed (see the message above); the directory is as it was");
        return EX_IO;
    }
    struct snapshot_info *list;
    int n = snapshot_list(".", &list, NULL);
    if (n == 0 || list[0].created_ms < t0 || list[0].max_lsn != st->last_lsn || list[0].min_lsn != st->last_lsn) {
        errmsg("the new snapshot is not the newest complete one in %s/snapshots: check the clock and the folder", o->dir);
        free_snapshots(list, n);
        return EX_IO;
    }
    fprintf(std_out,
            "imported %llu records from %s: %llu added, %llu replaced, %llu kept (existing; --replace to overwrite), "
            "%llu already expired\n"
            "snapshot %s/snapshots/%s written: %llu keys (%llu before), all shards at LSN %llu\n"
            "the next server start on %s loads it%s\n",
            (unsigned long long)is.records, name, (unsigned long long)is.added, (unsigned long long)is.replaced,
            (unsigned long long)is.kept, (unsigned long long)is.expired, o->dir, base_name(list[0].path),
            (unsigned long long)list[0].keys, (unsigned long long)before, (unsigned long long)st->last_lsn, o->dir,
            st->torn ? " (and truncates the WAL's torn tail)" : "");
    free_snapshots(list, n);
    return 0;
}

static int cmd_import(struct opts *o)
{
    struct state st;
    memset(&st, 0, sizeof st);
    int rc = import_run(o, &st);
    snapshot_info_free(&st.snap);
    return rc;
}

/* ---- info, snapshots list/prune -------------------------------------------------- */

static void print_snapshots(const char *dir, bool header)
{
    struct snapshot_info *list;
    int n = snapshot_list(dir, &list, NULL);
    struct odd_folders of;
    find_odd_folders(dir, list, n, &of);
    if (header) fprintf(std_out, "snapshots: %d complete\n", n);
    int w = 20;
    for (int i = 0; i < n; i++)
        if ((int)strlen(base_name(list[i].path)) > w) w = (int)strlen(base_name(list[i].path));
    if (n)
        fprintf(std_out, "  %-*s %-25s %12s %7s %20s %20s %14s\n", w, "NAME", "CREATED", "KEYS", "SHARDS", "MIN_LSN",
                "MAX_LSN", "BYTES");
    for (int i = 0; i < n; i++) {
        char when[64];
        format_time_ms(when, sizeof when, list[i].created_ms);
        fprintf(std_out, "  %-*s %-25s %12llu %7u %20llu %20llu %14llu%s\n", w, base_name(list[i].path), when,
                (unsigned long long)list[i].keys, list[i].nshards, (unsigned long long)list[i].min_lsn,
                (unsigned long long)list[i].max_lsn, (unsigned long long)snapshot_bytes(&list[i]),
                i == 0 ? "  (newest: loaded at start)" : "");
    }
    for (int i = 0; i < of.nincomplete; i++)
        fprintf(std_out, "  %s: incomplete (no MANIFEST): the server deletes it at start\n", base_name(of.incomplete[i]));
    for (int i = 0; i < of.ndamaged; i++)
        fprintf(std_out, "  %s: damaged MANIFEST: the server ignores this snapshot\n", base_name(of.damaged[i]));
    hf_free(of.incomplete);
    hf_free(of.damaged);
    free_snapshots(list, n);
}

static int cmd_dir_info(const struct opts *o)
{
    long pid;
    int lk = lock_probe(o->dir, &pid);
    char who[128];
    fprintf(std_out, "data directory: %s\n", o->dir);
    if (lk < 0) {
        errmsg("can't open %s/LOCK: %s", o->dir, strerror(errno));
        return EX_IO;
    } else if (lk == 1) {
        describe_pid(who, sizeof who, pid);
        fprintf(std_out, "lock: in use by %s\n", who);
    } else {
        fprintf(std_out, "lock: not in use\n");
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/SEED", o->dir);
    fprintf(std_out, "seed: %s\n", access(path, F_OK) == 0 ? "present" : "missing (created by the first start)");
    print_snapshots(o->dir, true);

    struct wal_scan ws;
    if (wal_scan(o->dir, &ws) != 0) {
        errmsg("can't list %s/wal: %s", o->dir, strerror(errno));
        return EX_IO;
    }
    uint64_t bytes = 0;
    for (int i = 0; i < ws.nsegs; i++) bytes += ws.segs[i].size;
    fprintf(std_out, "wal: %d segments, %llu bytes, %llu records", ws.nsegs, (unsigned long long)bytes,
            (unsigned long long)ws.records);
    if (ws.records) fprintf(std_out, ", LSN %llu..%llu", (unsigned long long)ws.first_lsn, (unsigned long long)ws.last_lsn);
    fputc('\n', std_out);
    if (ws.nsegs) fprintf(std_out, "  %-28s %20s %14s %12s\n", "SEGMENT", "FIRST_LSN", "BYTES", "RECORDS");
    for (int i = 0; i < ws.nsegs; i++)
        fprintf(std_out, "  %-28s %20llu %14llu %12llu\n", ws.segs[i].name, (unsigned long long)ws.segs[i].first,
                (unsigned long long)ws.segs[i].size, (unsigned long long)ws.segs[i].records);
    if (ws.unused)
        fprintf(std_out, "  unused: %llu bytes preallocated after the last record (zeros; the server cuts them off at "
                         "start)\n", (unsigned long long)ws.unused);
    if (ws.end == WAL_READ_TORN)
        fprintf(std_out, "  torn tail: %s (the server truncates %llu bytes at start)\n", ws.where,
                (unsigned long long)ws.torn_bytes);
    else if (ws.end == WAL_READ_CORRUPT)
        fprintf(std_out, "  DAMAGED: %s (the server refuses to start; see 'holdfast-admin check')\n", ws.where);
    hf_free(ws.segs);

    struct snapshot_info *list;
    int n = snapshot_list(o->dir, &list, NULL);
    uint64_t last = ws.last_lsn;
    if (n && list[0].max_lsn > last) last = list[0].max_lsn;
    fprintf(std_out, "last LSN: %llu\n", (unsigned long long)last);
    free_snapshots(list, n);
    return 0;
}

static int cmd_snapshots_list(const struct opts *o)
{
    print_snapshots(o->dir, true);
    return 0;
}

static int cmd_snapshots_prune(const struct opts *o)
{
    if (o->keep < 1) usage_error("'snapshots prune' needs --keep N (N >= 1)");
    lock_take(o->dir, "prune");
    struct snapshot_info *list;
    int n = snapshot_list(o->dir, &list, NULL);
    free_snapshots(list, n);
    if (!verbose) hf_log_set_level(LOG_WARNING);
    int removed = snapshot_prune(o->dir, o->keep);
    fprintf(std_out, "pruned %d of %d complete snapshots (kept the newest %d)\n", removed, n, n < o->keep ? n : o->keep);
    if (removed < n - o->keep) {
        errmsg("%d snapshot folders could not be removed (see the messages above)", n - o->keep - removed);
        return EX_IO;
    }
    return 0;
}

/* ---- check ------------------------------------------------------------------------ */

struct shard_check { uint32_t nshards; uint64_t misplaced; char first[160]; };

static void check_entry(void *arg, uint32_t sid, int type, int enc, uint32_t db, int64_t expire, const char *key,
                        uint32_t klen, const char *val, uint32_t vlen)
{
    struct shard_check *c = arg;
    (void)type, (void)enc, (void)expire, (void)val, (void)vlen;
    if (ks_shard_for(key, klen, c->nshards) == sid) return;
    if (!c->misplaced++)
        snprintf(c->first, sizeof c->first, "a key of db %u in shard %u belongs to shard %u", db, sid,
                 ks_shard_for(key, klen, c->nshards));
}

static int cmd_check(const struct opts *o)
{
    int problems = 0;
    char err[8192];
    int sr = seed_load(o->dir, err, sizeof err);
    struct snapshot_info *list;
    int n = snapshot_list(o->dir, &list, NULL);
    struct odd_folders of;
    find_odd_folders(o->dir, list, n, &of);
    if (sr == -2) {
        errmsg("%s", err);
        free_snapshots(list, n);
        hf_free(of.incomplete);
        hf_free(of.damaged);
        return EX_IO;
    } else if (sr < 0) {
        fprintf(std_out, "seed: DAMAGED: %s\n", err);
        problems++;
    } else if (sr == 1 && n > 0) {
        fprintf(std_out, "seed: MISSING while snapshots exist: the shard LSNs cannot be matched to keys\n");
        problems++;
    }
    for (int i = 0; i < n; i++) {
        struct shard_check sc = {.nshards = list[i].nshards};
        int r = snapshot_scan(&list[i], sr == 0 ? check_entry : NULL, &sc, err, sizeof err);
        if (r != 0) {
            fprintf(std_out, "snapshot %s: DAMAGED: %s%s\n", base_name(list[i].path), err,
                    i == 0 ? " (the newest: the server refuses to start)" : " (an older one: not loaded at start)");
            problems++;
        } else if (sc.misplaced) {
            fprintf(std_out, "snapshot %s: %llu keys are in the wrong shard for this SEED (%s): SEED does not belong "
                         "to this snapshot\n", base_name(list[i].path), (unsigned long long)sc.misplaced, sc.first);
            problems++;
        } else {
            fprintf(std_out, "snapshot %s: ok (%d files, %llu keys, shard LSNs %llu..%llu)\n", base_name(list[i].path),
                    list[i].nfiles, (unsigned long long)list[i].keys, (unsigned long long)list[i].min_lsn,
                    (unsigned long long)list[i].max_lsn);
        }
    }
    for (int i = 0; i < of.nincomplete; i++)
        fprintf(std_out, "snapshot %s: incomplete (no MANIFEST; the server deletes it at start)\n",
                base_name(of.incomplete[i]));
    for (int i = 0; i < of.ndamaged; i++) {
        fprintf(std_out, "snapshot %s: DAMAGED: %s/MANIFEST does not parse or its CRC does not match (the server "
                     "ignores this snapshot)\n", base_name(of.damaged[i]), of.damaged[i]);
        problems++;
    }
    hf_free(of.incomplete);
    hf_free(of.damaged);

    int torn = 0;
    if (!o->no_wal) {
        struct wal_scan ws;
        if (wal_scan(o->dir, &ws) != 0) {
            errmsg("can't list %s/wal: %s", o->dir, strerror(errno));
            free_snapshots(list, n);
            return EX_IO;
        }
        uint64_t need = n ? list[0].min_lsn + 1 : 1;
        if (ws.records && ws.first_lsn > need) {
            fprintf(std_out, "wal: DAMAGED: the WAL starts at LSN %llu but %s LSN %llu: records are missing\n",
                    (unsigned long long)ws.first_lsn, n ? "the newest snapshot needs records from" : "nothing covers",
                    (unsigned long long)need);
            problems++;
        }
        if (n && ws.records && ws.end != WAL_READ_CORRUPT && ws.last_lsn < list[0].max_lsn) {
            /* never so after a server's own run: a snapshot's MANIFEST is written only once the WAL
             * is durable up to its highest shard LSN */
            fprintf(std_out, "wal: DAMAGED: the WAL ends at LSN %llu, before the newest snapshot's LSNs (%llu..%llu): ",
                    (unsigned long long)ws.last_lsn, (unsigned long long)list[0].min_lsn,
                    (unsigned long long)list[0].max_lsn);
            if (ws.last_lsn < list[0].min_lsn)
                fprintf(std_out, "the WAL is older than the snapshot; a server starts once, then refuses at the "
                                 "next start (its new segment leaves a gap in LSNs): move wal/ aside\n");
            else
                fprintf(std_out, "records %llu..%llu are missing for the shards the snapshot holds below them\n",
                        (unsigned long long)ws.last_lsn + 1, (unsigned long long)list[0].max_lsn);
            problems++;
        }
        if (ws.end == WAL_READ_CORRUPT) {
            fprintf(std_out, "wal: DAMAGED: %s\n", ws.where);
            fprintf(std_out, "wal: the server refuses to start: %s, offset %llu\n", ws.file, (unsigned long long)ws.offset);
            if (ws.note[0]) fprintf(std_out, "wal: %s\n", ws.note);
            problems++;
        } else {
            fprintf(std_out, "wal: %d segments, %llu records", ws.nsegs, (unsigned long long)ws.records);
            if (ws.records)
                fprintf(std_out, ", LSN %llu..%llu", (unsigned long long)ws.first_lsn, (unsigned long long)ws.last_lsn);
            fprintf(std_out, ", every CRC ok%s\n", ws.end == WAL_READ_TORN ? " up to a torn tail" : "");
            if (ws.unused)
                fprintf(std_out, "wal: %llu bytes of preallocated space after the last record (zeros, never "
                                 "written)\n", (unsigned long long)ws.unused);
            if (ws.end == WAL_READ_TORN) {
                fprintf(std_out, "wal: torn tail: %s; the server will truncate %llu bytes there at its next start\n",
                        ws.where, (unsigned long long)ws.torn_bytes);
                if (ws.note[0]) fprintf(std_out, "wal: %s\n", ws.note);
                torn = 1;
            }
        }
        hf_free(ws.segs);
    }
    free_snapshots(list, n);
    if (problems) {
        fprintf(std_out, "result: DAMAGED (%d problem%s)\n", problems, problems > 1 ? "s" : "");
        return EX_DAMAGE;
    }
    fprintf(std_out, "result: %s\n", torn ? "clean except a torn WAL tail (a write cut short by a crash; the server "
                                        "truncates it)" : "clean");
    return 0;
}

/* ---- main --------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    /* The library logs with hf_log() to standard output, and our standard
     * output may be an export: send fd 1 to stderr and keep the real one. */
    int fd = dup(STDOUT_FILENO);
    if (fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0 || !(std_out = fdopen(fd, "w"))) {
        fprintf(stderr, "holdfast-admin: can't set up standard output: %s\n", strerror(errno));
        return EX_IO;
    }
    conf_defaults();
    hf_log_set_level(LOG_WARNING + 1);   /* silent unless -v (import and prune show warnings) */
    srv.start_us = hf_ustime();

    struct opts o = {.db = -1, .keep = -1, .databases = DEFAULT_DATABASES};
    if (argc < 2) {
        usage(stderr);
        return EX_USAGE;
    }
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) verbose = true;
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-v") || !strcmp(cmd, "--verbose")) {
        if (argc < 3) usage_error("no command");
        cmd = argv[2];
        argv++;
        argc--;
    }
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(std_out);
        fflush(std_out);
        return EX_OK;
    }
    if (!strcmp(cmd, "--version")) {
        fprintf(std_out, "holdfast-admin %s\n", PACKAGE_VERSION);
        fflush(std_out);
        return EX_OK;
    }
    if (verbose) hf_log_set_level(LOG_NOTICE);
    o.cmd = cmd;
    int rc;
    if (!strcmp(cmd, "info")) {
        parse_opts(&o, argc, argv, 2, OPT_DATABASES, 1);
        rc = cmd_dir_info(&o);
    } else if (!strcmp(cmd, "check")) {
        parse_opts(&o, argc, argv, 2, OPT_NOWAL, 1);
        rc = cmd_check(&o);
    } else if (!strcmp(cmd, "export")) {
        parse_opts(&o, argc, argv, 2, OPT_FORMAT | OPT_DB | OPT_OUTPUT | OPT_DATABASES | OPT_NOWAL, 1);
        rc = cmd_export(&o);
    } else if (!strcmp(cmd, "import")) {
        parse_opts(&o, argc, argv, 2, OPT_FORMAT | OPT_REPLACE | OPT_DATABASES | OPT_SHARDS, 2);
        rc = cmd_import(&o);
    } else if (!strcmp(cmd, "snapshots")) {
        if (argc < 3) usage_error("'snapshots' needs 'list' or 'prune'");
        const char *sub = argv[2];
        if (!strcmp(sub, "list")) {
            o.cmd = "snapshots list";
            parse_opts(&o, argc, argv, 3, 0, 1);
            rc = cmd_snapshots_list(&o);
        } else if (!strcmp(sub, "prune")) {
            o.cmd = "snapshots prune";
            parse_opts(&o, argc, argv, 3, OPT_KEEP, 1);
            rc = cmd_snapshots_prune(&o);
        } else {
            usage_error("unknown 'snapshots' subcommand '%s' (list, prune)", sub);
        }
    } else {
        usage_error("unknown command '%s'", cmd);
    }
    if (fflush(std_out) != 0 && rc == 0) {
        fprintf(stderr, "holdfast-admin: writing standard output failed: %s\n", strerror(errno));
        rc = EX_IO;
    }
    return rc;
}
