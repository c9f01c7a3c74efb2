/* fsync-probe — the disk's limit for one durable writer: median latency of a
 * 128-byte append followed by fdatasync, in the directory given (default .).
 *
 *   tests/bench/fsync-probe [DIR] [COUNT]
 *
 * Appends the way holdfast's WAL does (write(2) at the end of a file opened
 * without O_APPEND) and, for comparison, through an O_APPEND descriptor as
 * Redis's AOF does.  On a shared virtual disk the latency varies from run to
 * run (seen here: 0.1 ms to 4 ms): run it next to the benchmark it bounds.
 * Prints the median and p90 latency in microseconds of each, and 1/median of
 * the first as the highest rate one client can have its writes made durable
 * one at a time. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Runs n appends + fdatasync; fills lat (sorted).  Returns 0 or -1. */
static int probe(const char *dir, int n, int extra_flags, double *lat)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/fsync-probe.%d", dir, (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | extra_flags, 0644);
    if (fd < 0) { perror(path); return -1; }
    char rec[128];
    memset(rec, 'x', sizeof rec);
    for (int i = 0; i < n; i++) {
        double t0 = now_us();
        if (write(fd, rec, sizeof rec) != (ssize_t)sizeof rec || fdatasync(fd) != 0) {
            perror("write/fdatasync");
            close(fd);
            unlink(path);
            return -1;
        }
        lat[i] = now_us() - t0;
    }
    close(fd);
    unlink(path);
    qsort(lat, (size_t)n, sizeof(double), cmp);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    int n = argc > 2 ? atoi(argv[2]) : 500;
    if (n < 10) n = 10;
    double *lat = malloc(sizeof(double) * (size_t)n);
    printf("fsync-probe: %d appends of 128 bytes + fdatasync in %s\n", n, dir);
    if (probe(dir, n, O_APPEND, lat) != 0) return 1;
    printf("o_append_median_us %.0f\no_append_p90_us %.0f\n", lat[n / 2], lat[n * 9 / 10]);
    if (probe(dir, n, 0, lat) != 0) return 1;
    double med = lat[n / 2];
    printf("median_us %.0f\np90_us %.0f\nlimit_ops_per_sec %.0f\n", med, lat[n * 9 / 10], 1e6 / med);
    free(lat);
    return 0;
}
