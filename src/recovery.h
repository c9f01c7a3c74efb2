/* recovery.h — start-up of the data directory: lock, hash seed, newest
 * snapshot, WAL replay.  Rules at the top of recovery.c. */
#ifndef HF_RECOVERY_H
#define HF_RECOVERY_H

#include <stdint.h>

/* Takes dir/LOCK with flock(); exits with a clear message if another
 * server holds it.  Call with the working directory set to dir. */
void recovery_lock(const char *dirname);
/* Loads (or creates, durably) the data directory's hash seed and keys the
 * hash with it, so keys map to the same shards across restarts. */
void recovery_seed(void);
/* Parses a SEED file: 0 ok, 1 missing, -1 damaged, -2 unreadable (errno). */
int recovery_read_seed(const char *path, uint8_t seed[16]);
/* The shard count to use: the newest snapshot's if there is one (its
 * per-shard LSNs refer to it), else configured. */
uint32_t recovery_shards(uint32_t configured);
/* Loads the newest snapshot and replays the WAL into the keyspace.  On
 * damage it logs the file and offset and exits(1).  Returns the next LSN
 * and whether the last WAL segment may be appended to. */
uint64_t recovery_run(int *append_last);
/* WAL records recovery_run applied (with appendonly no the server then
 * takes a snapshot so that the WAL can go). */
extern uint64_t wal_replayed;

#endif
