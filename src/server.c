/* server.c — main: configuration, start-up, shutdown. */
#include "config.h"
#include "commands.h"
#include "conf.h"
#include "keyspace.h"
#include "log.h"
#include "net.h"
#include "server.h"
#include "util.h"
#include "fsutil.h"
#include "recovery.h"
#include "snapshot.h"
#include "wal.h"
#include <pthread.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


static void usage(void)
{
    fprintf(stderr,
        "Usage: holdfast-server [/path/to/holdfast.conf] [options] [-]\n"
        "       holdfast-server - (read config from stdin)\n"
        "       holdfast-server -v or --version\n"
        "       holdfast-server -h or --help\n\n"
        "Examples:\n"
        "       holdfast-server (run with defaults: 127.0.0.1:6379, data in ./holdfast-data)\n"
        "       holdfast-server /etc/holdfast/holdfast.conf\n"
        "       holdfast-server --port 7777 --dir /var/lib/holdfast\n"
        "       holdfast-server /etc/holdfast.conf --loglevel verbose\n");
    exit(1);
}

static void daemonize(void)
{
    if (fork() != 0) exit(0);
    setsid();
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO) close(fd);
    }
}

static void write_pidfile(void)
{
    if (!cfg.pidfile || !cfg.pidfile[0]) return;
    FILE *f = fopen(cfg.pidfile, "w");
    if (!f) {
        hf_log(LOG_WARNING, "Failed to write PID file: %s", strerror(errno));
        return;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
}

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static pthread_t loader;

/* Recovery runs here while the listeners already answer -LOADING. */
static void *loader_main(void *arg)
{
    (void)arg;
    int64_t t0 = hf_monotonic_us();
    int append_last = 0;
    uint64_t next = recovery_run(&append_last);
    if (cfg.appendonly && wal_start(".", next, append_last != 0) != 0) {
        hf_log(LOG_WARNING, "Can't open the WAL; exiting");
        exit(1);
    }
    if (!cfg.appendonly) wal_set_offline_lsn(next - 1);   /* snapshots continue the LSN order */
    if (!cfg.appendonly && wal_replayed) {
        /* appendonly was switched off: what the WAL held is kept in a
         * snapshot, which then retires the WAL */
        hf_log(LOG_NOTICE, "appendonly is off: saving what the WAL held into a snapshot");
        if (snapshot_save() != 0) {
            hf_log(LOG_WARNING, "Can't take the snapshot that replaces the WAL; exiting without deleting it");
            exit(1);
        }
    }
    hf_log(LOG_NOTICE, "DB loaded from disk: %.3f seconds (%llu keys)", (double)(hf_monotonic_us() - t0) / 1e6,
           (unsigned long long)ks_dbsize(0));
    __atomic_store_n(&srv.loading, 0, __ATOMIC_RELEASE);
    return NULL;
}

int main(int argc, char **argv)
{
    srv.executable = argv[0];
    const char *conffile = NULL;
    int first_opt = 1;
    if (argc >= 2) {
        if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version")) {
            printf("holdfast server v=%s (Redis protocol %s compatible) malloc=%s\n",
                   PACKAGE_VERSION, HF_REDIS_VERSION, hf_allocator_name());
            return 0;
        }
        if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) usage();
        if (argv[1][0] != '-' || !strcmp(argv[1], "-")) {
            conffile = argv[1];
            first_opt = 2;
        }
    }
    for (int i = first_opt; i < argc; i++)
        if (!strcmp(argv[i], "-") && !conffile) conffile = "-";
    conf_defaults();
    conf_load(conffile, argc - first_opt, argv + first_opt);
    if (cfg.shards & (cfg.shards - 1)) {
        fprintf(stderr, "\n*** FATAL CONFIG ERROR ***\n'shards' must be a power of two (got %d)\n", cfg.shards);
        return 1;
    }
    if (cfg.daemonize) daemonize();
    hf_log_init(cfg.logfile, cfg.loglevel);

    uint8_t seed[16];
    hf_random_bytes(seed, sizeof seed);
    hf_hash_seed(seed);
    uint8_t rid[20];
    hf_random_bytes(rid, sizeof rid);
    for (int i = 0; i < 20; i++) snprintf(srv.runid + 2 * i, 3, "%02x", rid[i]);
    srv.start_us = hf_ustime();
    srv.start_mono_us = hf_monotonic_us();
    srv.lastsave = srv.start_us / 1000000;

    signal(SIGPIPE, SIG_IGN);
    hf_log(LOG_NOTICE, "oO0OoO0OoO0Oo holdfast is starting oO0OoO0OoO0Oo");
    hf_log(LOG_NOTICE, "holdfast version=%s, bits=%d, pid=%d, just started",
           PACKAGE_VERSION, (int)(sizeof(long) * 8), (int)getpid());
    if (conffile) hf_log(LOG_NOTICE, "Configuration loaded");
    else hf_log(LOG_WARNING, "No config file specified, using the default config.");

    if (fs_mkdirs(cfg.dir, 0755) != 0 || chdir(cfg.dir) != 0) {
        hf_log(LOG_WARNING, "Can't chdir to '%s': %s", cfg.dir, strerror(errno));
        return 1;
    }
    recovery_lock(cfg.dir);
    recovery_seed();
    uint32_t nshards = recovery_shards((uint32_t)cfg.shards);
    int nworkers = cfg.io_threads > 0 ? cfg.io_threads : online_cpus();
    commands_init();
    ks_init(nshards, cfg.databases);
    srv.loading = 1;
    srv.loading_start = hf_mstime() / 1000;
    if (net_start(nworkers) != 0) return 1;
    write_pidfile();
    pthread_create(&loader, NULL, loader_main, NULL);
    hf_log(LOG_NOTICE, "Server initialized: %d worker threads, %u shards, %d databases, appendonly %s",
           nworkers, nshards, cfg.databases, cfg.appendonly ? "yes" : "no");
    hf_log(LOG_NOTICE, "Ready to accept connections tcp port %llu", (unsigned long long)net_listen_port());

    net_run();

    hf_log(LOG_WARNING, "User requested shutdown...");
    pthread_join(loader, NULL);
    snapshot_wait();
    net_stop();
    ks_shutdown();
    if (cfg.pidfile && cfg.pidfile[0]) unlink(cfg.pidfile);
    hf_log(LOG_WARNING, "holdfast is now ready to exit, bye bye...");
    return 0;
}
