/* fsync-shim.c — LD_PRELOAD library that records what a process made durable,
 * so a driver can simulate a power loss after killing it (see power_cut() in
 * crash-loop.c).
 *
 *   HF_SHIM_DIR   the data directory; only paths under it are recorded
 *   HF_SHIM_LOG   the record file (appended with write(2), one line per event,
 *                 so every line written survives a SIGKILL of the process)
 *
 * Lines (paths are absolute and normalised, always last on the line):
 *   B <size> <path>     baseline: a file present when the process started
 *   BD <path>           baseline: a directory present when the process started
 *   C <path>            open(O_CREAT) created a file that did not exist
 *   T <size> <path>     truncate/ftruncate, or open(O_TRUNC) of an existing file
 *   S <size> <path>     fsync/fdatasync of a file returned 0; size is the file
 *                       length measured BEFORE the call (so it was covered) or,
 *                       for a file preallocated with fallocate() through this
 *                       descriptor, the end of what was written into it: the
 *                       space after that is zeros, not data, and a power cut
 *                       must be able to take back writes inside it
 *   D <path>            fsync of a directory returned 0
 *   R <old>\t<new>      rename succeeded
 *   U <path>            unlink/rmdir succeeded
 *   M <path>            mkdir succeeded
 *
 * Build: cc -fPIC -shared -o fsync-shim.so fsync-shim.c -ldl -pthread */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define MAXFD 65536

static int (*r_open)(const char *, int, ...);
static int (*r_open64)(const char *, int, ...);
static int (*r_openat)(int, const char *, int, ...);
static int (*r_openat64)(int, const char *, int, ...);
static int (*r_creat)(const char *, mode_t);
static int (*r_close)(int);
static int (*r_fsync)(int);
static int (*r_fdatasync)(int);
static int (*r_rename)(const char *, const char *);
static int (*r_renameat)(int, const char *, int, const char *);
static int (*r_renameat2)(int, const char *, int, const char *, unsigned);
static int (*r_unlink)(const char *);
static int (*r_unlinkat)(int, const char *, int);
static int (*r_rmdir)(const char *);
static int (*r_mkdir)(const char *, mode_t);
static int (*r_mkdirat)(int, const char *, mode_t);
static int (*r_truncate)(const char *, off_t);
static int (*r_ftruncate)(int, off_t);
static ssize_t (*r_write)(int, const void *, size_t);
static int (*r_fallocate)(int, int, off_t, off_t);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int logfd = -1;
static char root[PATH_MAX];
static size_t rootlen;
static char *fdpath[MAXFD];
/* per descriptor of a preallocated file: 1 + the end of the data written
 * (0: not preallocated, the file's length is its data) */
static long long data_end[MAXFD];

#define SYM(v, name) v = (__typeof__(v))dlsym(RTLD_NEXT, name)

static void resolve(void)
{
    SYM(r_open, "open");
    SYM(r_open64, "open64");
    SYM(r_openat, "openat");
    SYM(r_openat64, "openat64");
    SYM(r_creat, "creat");
    SYM(r_close, "close");
    SYM(r_fsync, "fsync");
    SYM(r_fdatasync, "fdatasync");
    SYM(r_rename, "rename");
    SYM(r_renameat, "renameat");
    SYM(r_renameat2, "renameat2");
    SYM(r_unlink, "unlink");
    SYM(r_unlinkat, "unlinkat");
    SYM(r_rmdir, "rmdir");
    SYM(r_mkdir, "mkdir");
    SYM(r_mkdirat, "mkdirat");
    SYM(r_truncate, "truncate");
    SYM(r_ftruncate, "ftruncate");
    SYM(r_write, "write");
    SYM(r_fallocate, "fallocate");
}

static void logline(const char *fmt, ...)
{
    if (logfd < 0) return;
    char buf[3 * PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n > sizeof buf - 2) n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    int e = errno;
    ssize_t w = r_write(logfd, buf, (size_t)n);
    (void)w;
    errno = e;
}

static void baseline(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        struct stat st;
        if (lstat(p, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            logline("BD %s", p);
            baseline(p);
        } else if (S_ISREG(st.st_mode)) {
            logline("B %lld %s", (long long)st.st_size, p);
        }
    }
    closedir(d);
}

static void init(void)
{
    resolve();
    const char *l = getenv("HF_SHIM_LOG"), *d = getenv("HF_SHIM_DIR");
    if (!l || !d) return;
    if (!realpath(d, root)) return;
    rootlen = strlen(root);
    logfd = r_open(l, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd < 0) return;
    /* keep the log fd out of the way of the program's low descriptors */
    int hi = fcntl(logfd, F_DUPFD_CLOEXEC, 900);
    if (hi >= 0) { r_close(logfd); logfd = hi; }
    logline("BD %s", root);
    baseline(root);
}

/* dlsym() may allocate, and an allocator may open files: calls made while
 * init runs in this thread go straight to the kernel. */
static __thread int in_init;
static void init_guarded(void) { in_init = 1; init(); in_init = 0; }
static inline void ensure(void) { if (!in_init) pthread_once(&once, init_guarded); }

/* Normalises p (absolute) in place: removes "//", "/./" and resolves "/../". */
static void normalise(char *p)
{
    char out[PATH_MAX];
    size_t o = 0;
    const char *s = p;
    while (*s) {
        while (*s == '/') s++;
        if (!*s) break;
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 1 && s[0] == '.') {
            /* skip */
        } else if (n == 2 && s[0] == '.' && s[1] == '.') {
            while (o > 0 && out[o - 1] != '/') o--;
            if (o > 0) o--;
        } else if (o + n + 2 < sizeof out) {
            out[o++] = '/';
            memcpy(out + o, s, n);
            o += n;
        }
        s += n;
    }
    if (o == 0) out[o++] = '/';
    out[o] = '\0';
    memcpy(p, out, o + 1);
}

/* Absolute path of (dirfd, path); returns false if it is not under root. */
static bool resolve_path(int dirfd, const char *path, char *out)
{
    if (logfd < 0 || !path) return false;
    char base[PATH_MAX];
    if (path[0] == '/') {
        snprintf(out, PATH_MAX, "%s", path);
    } else {
        if (dirfd == AT_FDCWD) {
            if (!getcwd(base, sizeof base)) return false;
        } else {
            char link[64];
            snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
            ssize_t n = readlink(link, base, sizeof base - 1);
            if (n < 0) return false;
            base[n] = '\0';
        }
        if (snprintf(out, PATH_MAX, "%s/%s", base, path) >= PATH_MAX) return false;
    }
    normalise(out);
    return strncmp(out, root, rootlen) == 0 && (out[rootlen] == '\0' || out[rootlen] == '/');
}

static void track(int fd, const char *abs)
{
    if (fd < 0 || fd >= MAXFD) return;
    char *dup = strdup(abs);
    pthread_mutex_lock(&mu);
    free(fdpath[fd]);
    fdpath[fd] = dup;
    pthread_mutex_unlock(&mu);
}

static bool fd_path(int fd, char *out)
{
    if (fd < 0 || fd >= MAXFD) return false;
    bool ok = false;
    pthread_mutex_lock(&mu);
    if (fdpath[fd]) {
        snprintf(out, PATH_MAX, "%s", fdpath[fd]);
        ok = true;
    }
    pthread_mutex_unlock(&mu);
    return ok;
}

static int do_open(int dirfd, const char *path, int flags, mode_t mode, int which)
{
    ensure();
    char abs[PATH_MAX];
    bool mine = resolve_path(dirfd, path, abs);
    bool existed = true;
    if (mine && (flags & O_CREAT)) {
        struct stat st;
        existed = stat(abs, &st) == 0;
    }
    int fd;
    if (!r_open || !r_open64 || !r_openat || !r_openat64)
        return (int)syscall(SYS_openat, dirfd, path, flags, mode);
    switch (which) {
    case 0: fd = r_open(path, flags, mode); break;
    case 1: fd = r_open64(path, flags, mode); break;
    case 2: fd = r_openat(dirfd, path, flags, mode); break;
    default: fd = r_openat64(dirfd, path, flags, mode); break;
    }
    if (fd >= 0 && mine) {
        int e = errno;
        track(fd, abs);
        if (!existed) logline("C %s", abs);
        else if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY) logline("T 0 %s", abs);
        errno = e;
    }
    return fd;
}

#define MODE_ARG(flags) \
    mode_t mode = 0; \
    if ((flags) & (O_CREAT | __O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }

int open(const char *path, int flags, ...) { MODE_ARG(flags); return do_open(AT_FDCWD, path, flags, mode, 0); }
int open64(const char *path, int flags, ...) { MODE_ARG(flags); return do_open(AT_FDCWD, path, flags, mode, 1); }
int openat(int d, const char *path, int flags, ...) { MODE_ARG(flags); return do_open(d, path, flags, mode, 2); }
int openat64(int d, const char *path, int flags, ...) { MODE_ARG(flags); return do_open(d, path, flags, mode, 3); }
int creat(const char *path, mode_t mode) { return do_open(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode, 0); }

int close(int fd)
{
    ensure();
    if (fd == logfd && logfd >= 0) { errno = EBADF; return -1; }   /* keep our log */
    if (fd >= 0 && fd < MAXFD) {
        pthread_mutex_lock(&mu);
        free(fdpath[fd]);
        fdpath[fd] = NULL;
        __atomic_store_n(&data_end[fd], 0, __ATOMIC_RELAXED);
        pthread_mutex_unlock(&mu);
    }
    return r_close ? r_close(fd) : (int)syscall(SYS_close, fd);
}

int fallocate(int fd, int mode, off_t off, off_t len)
{
    ensure();
    char p[PATH_MAX];
    struct stat st;
    bool mine = fd_path(fd, p) && fstat(fd, &st) == 0;
    int r = r_fallocate(fd, mode, off, len);
    if (r == 0 && mine && fd < MAXFD && __atomic_load_n(&data_end[fd], __ATOMIC_RELAXED) == 0)
        __atomic_store_n(&data_end[fd], 1 + (long long)st.st_size, __ATOMIC_RELAXED);
    return r;
}
int fallocate64(int fd, int mode, off_t off, off_t len) __attribute__((alias("fallocate")));

ssize_t write(int fd, const void *buf, size_t n)
{
    if (!r_write) ensure();
    ssize_t r = r_write ? r_write(fd, buf, n) : syscall(SYS_write, fd, buf, n);
    if (r > 0 && fd >= 0 && fd < MAXFD && __atomic_load_n(&data_end[fd], __ATOMIC_RELAXED)) {
        int e = errno;
        off_t pos = lseek(fd, 0, SEEK_CUR);
        if (pos >= 0 && 1 + (long long)pos > __atomic_load_n(&data_end[fd], __ATOMIC_RELAXED))
            __atomic_store_n(&data_end[fd], 1 + (long long)pos, __ATOMIC_RELAXED);
        errno = e;
    }
    return r;
}

static int do_sync(int fd, int data)
{
    ensure();
    char p[PATH_MAX];
    bool mine = fd_path(fd, p);
    struct stat st;
    bool have = mine && fstat(fd, &st) == 0;
    int r = data ? r_fdatasync(fd) : r_fsync(fd);
    if (r == 0 && have) {
        int e = errno;
        long long de = fd < MAXFD ? __atomic_load_n(&data_end[fd], __ATOMIC_RELAXED) : 0;
        if (S_ISDIR(st.st_mode)) logline("D %s", p);
        else logline("S %lld %s", de ? de - 1 : (long long)st.st_size, p);
        errno = e;
    }
    return r;
}

int fsync(int fd) { return do_sync(fd, 0); }
int fdatasync(int fd) { return do_sync(fd, 1); }

static int do_rename(int od, const char *o, int nd, const char *n, unsigned flags, int which)
{
    ensure();
    char ao[PATH_MAX], an[PATH_MAX];
    bool m1 = resolve_path(od, o, ao), m2 = resolve_path(nd, n, an);
    int r;
    if (which == 0) r = r_rename(o, n);
    else if (which == 1) r = r_renameat(od, o, nd, n);
    else r = r_renameat2(od, o, nd, n, flags);
    if (r == 0 && (m1 || m2)) {
        int e = errno;
        logline("R %s\t%s", ao, an);
        errno = e;
    }
    return r;
}

int rename(const char *o, const char *n) { return do_rename(AT_FDCWD, o, AT_FDCWD, n, 0, 0); }
int renameat(int od, const char *o, int nd, const char *n) { return do_rename(od, o, nd, n, 0, 1); }
int renameat2(int od, const char *o, int nd, const char *n, unsigned f) { return do_rename(od, o, nd, n, f, 2); }

static void log_path(const char *tag, int dirfd, const char *path)
{
    char a[PATH_MAX];
    if (resolve_path(dirfd, path, a)) {
        int e = errno;
        logline("%s %s", tag, a);
        errno = e;
    }
}

int unlink(const char *p)
{
    ensure();
    char a[PATH_MAX];
    bool mine = resolve_path(AT_FDCWD, p, a);
    int r = r_unlink(p);
    if (r == 0 && mine) { int e = errno; logline("U %s", a); errno = e; }
    return r;
}

int unlinkat(int d, const char *p, int flags)
{
    ensure();
    char a[PATH_MAX];
    bool mine = resolve_path(d, p, a);
    int r = r_unlinkat(d, p, flags);
    if (r == 0 && mine) { int e = errno; logline("U %s", a); errno = e; }
    return r;
}

int rmdir(const char *p)
{
    ensure();
    char a[PATH_MAX];
    bool mine = resolve_path(AT_FDCWD, p, a);
    int r = r_rmdir(p);
    if (r == 0 && mine) { int e = errno; logline("U %s", a); errno = e; }
    return r;
}

int mkdir(const char *p, mode_t m)
{
    ensure();
    int r = r_mkdir(p, m);
    if (r == 0) log_path("M", AT_FDCWD, p);
    return r;
}

int mkdirat(int d, const char *p, mode_t m)
{
    ensure();
    int r = r_mkdirat(d, p, m);
    if (r == 0) log_path("M", d, p);
    return r;
}

int truncate(const char *p, off_t len)
{
    ensure();
    char a[PATH_MAX];
    bool mine = resolve_path(AT_FDCWD, p, a);
    int r = r_truncate(p, len);
    if (r == 0 && mine) { int e = errno; logline("T %lld %s", (long long)len, a); errno = e; }
    return r;
}
int truncate64(const char *p, off_t len) __attribute__((alias("truncate")));

int ftruncate(int fd, off_t len)
{
    ensure();
    char p[PATH_MAX];
    bool mine = fd_path(fd, p);
    int r = r_ftruncate(fd, len);
    /* the file is exactly its data again */
    if (r == 0 && fd >= 0 && fd < MAXFD) __atomic_store_n(&data_end[fd], 0, __ATOMIC_RELAXED);
    if (r == 0 && mine) { int e = errno; logline("T %lld %s", (long long)len, p); errno = e; }
    return r;
}
int ftruncate64(int fd, off_t len) __attribute__((alias("ftruncate")));
