/* fsutil.h — durable file operations, written once and reused (WAL,
 * snapshots, MANIFEST, CONFIG REWRITE).  All return 0 or -1 with errno. */
#ifndef HF_FSUTIL_H
#define HF_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* write(2) loop retrying EINTR and short writes */
int fs_write_all(int fd, const void *buf, size_t len);
/* pread(2) loop; returns bytes read (short only at end of file) or -1 */
ssize_t fs_read_at(int fd, void *buf, size_t len, off_t off);
/* fsync of the directory holding path (or of path itself if a directory) */
int fs_fsync_dir(const char *dir);
/* Replaces path durably: temp file, write loop, fsync, rename, fsync dir. */
int fs_replace_file(const char *path, const void *data, size_t len);
/* mkdir -p */
int fs_mkdirs(const char *path, int mode);
/* rm -rf of a directory tree (used for failed snapshot folders) */
int fs_remove_tree(const char *path);
/* Reads a whole file into a new buffer (hf_free it); NULL with errno. */
char *fs_read_file(const char *path, size_t *len);

#endif
