/* listpack.h — a packed sequence of entries in one allocation.
 *
 * The compact encoding of small collections (Redis calls it "listpack"):
 * hashes (one entry per field/value pair, see t_hash.c), lists, and sorted
 * sets (one entry per member, see zset.c) keep their elements in one block so that a 10-element
 * collection costs a few dozen bytes of overhead, not one allocation per
 * element.  An entry holds a byte string; a string that is a canonical
 * integer (hf_str2ll accepts it) is stored as an integer in 1-9 bytes.
 * Each entry also records its own length at its end, so the sequence can be
 * walked in both directions.
 *
 * Positions are byte offsets into the block (uint32_t); LP_NONE means "no
 * entry".  Every function that changes the block may move it: it takes
 * lp ** and updates the caller's pointer.  Positions taken before a change
 * are invalid after it, except as documented. */
#ifndef HF_LISTPACK_H
#define HF_LISTPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef unsigned char lp;
#define LP_NONE UINT32_MAX

/* An entry read back: a string (p, n) or an integer (is_int, v). */
typedef struct lpval {
    const char *p;
    size_t n;
    long long v;
    bool is_int;
} lpval;

lp *lp_new(void);
void lp_free(lp *l);
lp *lp_dup(const lp *l);
size_t lp_bytes(const lp *l);           /* size of the block */
uint32_t lp_count(const lp *l);         /* number of entries */

/* Walking: first/last entry, next/previous; LP_NONE past either end. */
uint32_t lp_first(const lp *l);
uint32_t lp_last(const lp *l);
uint32_t lp_next(const lp *l, uint32_t pos);
uint32_t lp_prev(const lp *l, uint32_t pos);
/* The entry at index i (0-based; negative counts from the end, -1 = last);
 * LP_NONE when out of range.  O(i) from the nearer end. */
uint32_t lp_seek(const lp *l, long i);

/* Reads the entry at pos. */
void lp_get(const lp *l, uint32_t pos, lpval *out);
/* The entry's bytes: p/n for strings, the decimal form (written into
 * scratch, >= 24 bytes) for integers.  Returns the pointer, sets *n. */
const char *lp_get_str(const lp *l, uint32_t pos, char *scratch, size_t *n);
/* Entry compared with a byte string (integers compare by decimal form). */
bool lp_eq(const lp *l, uint32_t pos, const char *p, size_t n);
/* Entry parsed as a double (strings parsed with hf_str2d); false if not. */
bool lp_get_double(const lp *l, uint32_t pos, double *out);

/* Finds the first entry from pos on equal to (p, n), looking only at every
 * (skip + 1)-th entry (skip = 1 searches the fields of a field/value
 * sequence).  LP_NONE if none. */
uint32_t lp_find(const lp *l, uint32_t pos, const char *p, size_t n, unsigned skip);

/* Finds the first entry from pos on whose bytes begin with head (hn >= 1
 * bytes) followed by body (bn bytes, may be 0), comparing the first byte
 * under mask0 only (its other bits may differ: a caller can keep flags
 * there).  An integer entry compares by its decimal form.  For entries
 * that pack several things into one string (a hash keeps field and value
 * in one entry): the lookup reads no entry out and copies nothing.
 * LP_NONE if none. */
uint32_t lp_find_prefix(const lp *l, uint32_t pos, const unsigned char *head, size_t hn,
                        unsigned char mask0, const char *body, size_t bn);

/* Adding: append at the end, prepend at the start, insert before or after
 * the entry at pos.  Returns the position of the new entry. */
uint32_t lp_append(lp **l, const char *p, size_t n);
uint32_t lp_append_int(lp **l, long long v);
uint32_t lp_prepend(lp **l, const char *p, size_t n);
enum { LP_BEFORE = 0, LP_AFTER = 1 };
uint32_t lp_insert(lp **l, uint32_t pos, int where, const char *p, size_t n);
/* Replaces the entry at pos; returns its position (unchanged). */
uint32_t lp_replace(lp **l, uint32_t pos, const char *p, size_t n);
uint32_t lp_replace_int(lp **l, uint32_t pos, long long v);
/* Deletes count entries starting at pos (fewer if the end comes first).
 * Returns the position of the entry that followed them (LP_NONE at end). */
uint32_t lp_delete(lp **l, uint32_t pos, uint32_t count);
/* Deletes the entries with indexes [start, start + count); a negative start
 * counts from the end (clamped to 0); out of range deletes nothing. */
void lp_delete_range(lp **l, long start, uint32_t count);

/* Bytes one more entry of n bytes (or the integer) would take: callers
 * deciding on a conversion compare element sizes with the thresholds. */
size_t lp_entry_size(const char *p, size_t n);

/* Checks a block read from disk: sizes, every entry's header and back
 * length.  Returns false if it is not a valid listpack of len bytes. */
bool lp_validate(const lp *l, size_t len);

#endif
