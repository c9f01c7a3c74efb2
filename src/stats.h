/* stats.h — counters kept per worker thread (no shared cache lines on the
 * request path) and summed when INFO asks. */
#ifndef HF_STATS_H
#define HF_STATS_H

#include <stdint.h>

struct hf_stats {
    uint64_t commands;
    uint64_t conns_received;
    uint64_t rejected_conns;
    uint64_t expired_keys;
    uint64_t hits, misses;
    uint64_t net_input, net_output;
    uint64_t errors;
    uint64_t unexpected_errors;
    uint64_t io_reads, io_writes;
};

/* The current thread's counters (each worker points this at its own). */
extern __thread struct hf_stats *tl_stats;
/* Only the owning thread adds; INFO reads and CONFIG RESETSTAT zeroes from
 * other threads, hence relaxed atomics (a reset racing an add may lose it). */
#define STAT_INC(f, n) \
    __atomic_store_n(&tl_stats->f, __atomic_load_n(&tl_stats->f, __ATOMIC_RELAXED) + (n), __ATOMIC_RELAXED)

#endif
