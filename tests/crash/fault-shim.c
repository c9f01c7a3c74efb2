/* fault-shim.c — LD_PRELOAD library that makes the WAL's disk fail.
 *
 * Files whose (absolute, normalised) path contains "/wal/", and the "wal"
 * directory itself, are tracked from open() to close().  Counting the calls
 * on those descriptors, the HF_FAULT_N-th call of the chosen kind fails, and
 * from then on the disk is dead: every write, fsync and write-open on a WAL
 * path fails with the same errno.
 *
 *   HF_FAULT_OP      write (write/pwrite/writev/pwritev), fsync (fsync/fdatasync)
 *                    or create (open with O_CREAT of a WAL segment: a segment roll)
 *   HF_FAULT_N       which call fails (1 = the first); default 100
 *   HF_FAULT_ERRNO   EIO (default) or ENOSPC
 *   HF_FAULT_PARTIAL 1: the failing write first writes half its bytes and
 *                    returns that short count (the next call then fails), which
 *                    leaves a torn record in the segment
 *   HF_FAULT_DROP    1: when the failing fsync happens, the file is cut back to
 *                    its length at the last successful fsync (the kernel dropped
 *                    the dirty pages, as it may after a writeback error)
 *   HF_SHIM_LOG      optional: one line "FAULT <CLOCK_MONOTONIC ns> <op> <errno> <path>"
 *                    is appended when the fault triggers
 *
 * Build: cc -fPIC -shared -o fault-shim.so fault-shim.c -ldl -pthread */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAXFD 65536

static int (*r_open)(const char *, int, ...);
static int (*r_open64)(const char *, int, ...);
static int (*r_openat)(int, const char *, int, ...);
static int (*r_openat64)(int, const char *, int, ...);
static int (*r_close)(int);
static ssize_t (*r_write)(int, const void *, size_t);
static ssize_t (*r_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*r_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*r_writev)(int, const struct iovec *, int);
static ssize_t (*r_pwritev)(int, const struct iovec *, int, off_t);
static int (*r_fsync)(int);
static int (*r_fdatasync)(int);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static __thread int in_init;
static int op_is_fsync;          /* 0 = write, 1 = fsync, 2 = create */
static long fault_n = 100;
static int fault_errno = EIO;
static int partial, drop;
static int logfd = -1;
static unsigned char tracked[MAXFD];   /* 1 = WAL file, 2 = WAL directory */
static off_t synced_len[MAXFD];
static long count;
static int dead;                 /* the disk has failed */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

#define SYM(v, name) v = (__typeof__(v))dlsym(RTLD_NEXT, name)

static void init(void)
{
    SYM(r_open, "open");
    SYM(r_open64, "open64");
    SYM(r_openat, "openat");
    SYM(r_openat64, "openat64");
    SYM(r_close, "close");
    SYM(r_write, "write");
    SYM(r_pwrite, "pwrite");
    SYM(r_pwrite64, "pwrite64");
    SYM(r_writev, "writev");
    SYM(r_pwritev, "pwritev");
    SYM(r_fsync, "fsync");
    SYM(r_fdatasync, "fdatasync");
    const char *s;
    if ((s = getenv("HF_FAULT_OP"))) op_is_fsync = !strcmp(s, "fsync") ? 1 : !strcmp(s, "create") ? 2 : 0;
    if ((s = getenv("HF_FAULT_N"))) fault_n = atol(s);
    if ((s = getenv("HF_FAULT_ERRNO"))) fault_errno = !strcmp(s, "ENOSPC") ? ENOSPC : !strcmp(s, "EIO") ? EIO : atoi(s);
    if ((s = getenv("HF_FAULT_PARTIAL"))) partial = atoi(s);
    if ((s = getenv("HF_FAULT_DROP"))) drop = atoi(s);
    if ((s = getenv("HF_SHIM_LOG"))) {
        logfd = r_open(s, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (logfd >= 0) {
            int hi = fcntl(logfd, F_DUPFD_CLOEXEC, 900);
            if (hi >= 0) { r_close(logfd); logfd = hi; }
        }
    }
}

static void init_guarded(void) { in_init = 1; init(); in_init = 0; }
static inline void ensure(void) { if (!in_init) pthread_once(&once, init_guarded); }

static int classify(int dirfd, const char *path)
{
    char buf[2 * PATH_MAX + 2], base[PATH_MAX];
    if (!path) return 0;
    if (path[0] == '/') snprintf(buf, sizeof buf, "%s", path);
    else {
        if (dirfd == AT_FDCWD) {
            if (!getcwd(base, sizeof base)) return 0;
        } else {
            char link[64];
            snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
            ssize_t n = readlink(link, base, sizeof base - 1);
            if (n < 0) return 0;
            base[n] = '\0';
        }
        snprintf(buf, sizeof buf, "%s/%s", base, path);
    }
    /* strip trailing slashes and "/." */
    size_t l = strlen(buf);
    for (;;) {
        while (l > 1 && buf[l - 1] == '/') buf[--l] = '\0';
        if (l > 2 && buf[l - 1] == '.' && buf[l - 2] == '/') { l -= 2; buf[l] = '\0'; continue; }
        break;
    }
    if (strstr(buf, "/wal/")) return 1;
    if (l >= 4 && !strcmp(buf + l - 4, "/wal")) return 2;
    return 0;
}

static void note_fault(const char *what, int fd)
{
    if (logfd < 0) return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char p[PATH_MAX] = "?", link[64], line[PATH_MAX + 128];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, p, sizeof p - 1);
    if (n >= 0) p[n] = '\0';
    int len = snprintf(line, sizeof line, "FAULT %lld %s %d %s\n",
                       (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, what, fault_errno, p);
    ssize_t w = r_write(logfd, line, (size_t)len);
    (void)w;
}

static int do_open(int dirfd, const char *path, int flags, mode_t mode, int which)
{
    ensure();
    if (!r_open || in_init) return (int)syscall(SYS_openat, dirfd, path, flags, mode);
    int kind = classify(dirfd, path);
    if (kind == 1 && __atomic_load_n(&dead, __ATOMIC_ACQUIRE) &&
        ((flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT))) {
        errno = fault_errno;
        return -1;
    }
    if (kind == 1 && op_is_fsync == 2 && (flags & O_CREAT)) {
        pthread_mutex_lock(&mu);
        bool fire = ++count >= fault_n;
        if (fire) __atomic_store_n(&dead, 1, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&mu);
        if (fire) {
            if (logfd >= 0) {
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                char line[PATH_MAX + 128];
                int len = snprintf(line, sizeof line, "FAULT %lld create %d %s\n",
                                   (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, fault_errno, path);
                ssize_t w = r_write(logfd, line, (size_t)len);
                (void)w;
            }
            errno = fault_errno;
            return -1;
        }
    }
    int fd;
    switch (which) {
    case 0: fd = r_open(path, flags, mode); break;
    case 1: fd = r_open64(path, flags, mode); break;
    case 2: fd = r_openat(dirfd, path, flags, mode); break;
    default: fd = r_openat64(dirfd, path, flags, mode); break;
    }
    if (fd >= 0 && fd < MAXFD) {
        tracked[fd] = (unsigned char)kind;
        if (kind == 1) {
            struct stat st;
            synced_len[fd] = fstat(fd, &st) == 0 ? st.st_size : 0;
        }
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

int close(int fd)
{
    ensure();
    if (fd >= 0 && fd < MAXFD) tracked[fd] = 0;
    if (fd == logfd && logfd >= 0) { errno = EBADF; return -1; }
    return r_close ? r_close(fd) : (int)syscall(SYS_close, fd);
}

/* Decides a write on fd: 0 = go ahead, -1 = fail, 1 = the partial write. */
static int write_verdict(int fd)
{
    if (fd < 0 || fd >= MAXFD || tracked[fd] != 1) return 0;
    if (__atomic_load_n(&dead, __ATOMIC_ACQUIRE)) return -1;
    if (op_is_fsync) return 0;   /* fsync or create faults */
    pthread_mutex_lock(&mu);
    long n = ++count;
    int v = 0;
    if (n >= fault_n) {
        note_fault("write", fd);
        __atomic_store_n(&dead, 1, __ATOMIC_RELEASE);
        v = partial ? 1 : -1;
    }
    pthread_mutex_unlock(&mu);
    return v;
}

ssize_t write(int fd, const void *buf, size_t len)
{
    ensure();
    if (!r_write) return syscall(SYS_write, fd, buf, len);
    int v = write_verdict(fd);
    if (v < 0) { errno = fault_errno; return -1; }
    if (v > 0 && len > 1) return r_write(fd, buf, len / 2);
    return r_write(fd, buf, len);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
    ensure();
    int v = write_verdict(fd);
    if (v < 0) { errno = fault_errno; return -1; }
    if (v > 0 && len > 1) return r_pwrite(fd, buf, len / 2, off);
    return r_pwrite(fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
    ensure();
    int v = write_verdict(fd);
    if (v < 0) { errno = fault_errno; return -1; }
    if (v > 0 && len > 1) return r_pwrite64(fd, buf, len / 2, off);
    return r_pwrite64(fd, buf, len, off);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
    ensure();
    int v = write_verdict(fd);
    if (v < 0) { errno = fault_errno; return -1; }
    if (v > 0 && n > 0 && iov[0].iov_len > 1) return r_write(fd, iov[0].iov_base, iov[0].iov_len / 2);
    return r_writev(fd, iov, n);
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
    ensure();
    int v = write_verdict(fd);
    if (v < 0) { errno = fault_errno; return -1; }
    if (v > 0 && n > 0 && iov[0].iov_len > 1) return r_pwrite(fd, iov[0].iov_base, iov[0].iov_len / 2, off);
    return r_pwritev(fd, iov, n, off);
}

static int do_sync(int fd, int data)
{
    ensure();
    int kind = (fd >= 0 && fd < MAXFD) ? tracked[fd] : 0;
    if (kind) {
        if (__atomic_load_n(&dead, __ATOMIC_ACQUIRE)) { errno = fault_errno; return -1; }
        if (op_is_fsync == 1 && kind == 1) {
            pthread_mutex_lock(&mu);
            long n = ++count;
            bool fire = n >= fault_n;
            if (fire) {
                note_fault(data ? "fdatasync" : "fsync", fd);
                __atomic_store_n(&dead, 1, __ATOMIC_RELEASE);
            }
            pthread_mutex_unlock(&mu);
            if (fire) {
                if (drop && ftruncate(fd, synced_len[fd]) != 0) { /* best effort */ }
                errno = fault_errno;
                return -1;
            }
        }
    }
    off_t len = 0;
    if (kind == 1) {
        struct stat st;
        if (fstat(fd, &st) == 0) len = st.st_size;
    }
    int r = data ? r_fdatasync(fd) : r_fsync(fd);
    if (r == 0 && kind == 1) synced_len[fd] = len;
    return r;
}

int fsync(int fd) { return do_sync(fd, 0); }
int fdatasync(int fd) { return do_sync(fd, 1); }
