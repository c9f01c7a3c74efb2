/* crc32c.h — CRC-32C (Castagnoli), as used by the WAL and snapshot files.
 * Uses the SSE4.2 crc32 instruction when the CPU has it, a table otherwise.
 * (Debian packages no C library for CRC-32C; zlib's crc32 is the other
 * polynomial.) */
#ifndef HF_CRC32C_H
#define HF_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc (start with 0) over data; returns the new CRC. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif
