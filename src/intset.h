/* intset.h — a sorted array of distinct integers.
 *
 * The compact encoding of sets whose members are all integers (Redis's
 * "intset"): 16-, 32- or 64-bit slots, the width growing when a wider
 * value arrives.  Lookup is a binary search. */
#ifndef HF_INTSET_H
#define HF_INTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct intset intset;

intset *is_new(void);
void is_free(intset *s);
intset *is_dup(const intset *s);
uint32_t is_len(const intset *s);
size_t is_bytes(const intset *s);
/* Adds v; *added (may be NULL) tells whether it was new.  May move the set. */
void is_add(intset **s, int64_t v, bool *added);
/* Removes v; *removed (may be NULL) tells whether it was there.  May move
 * the set. */
void is_remove(intset **s, int64_t v, bool *removed);
bool is_find(const intset *s, int64_t v);
/* The i-th smallest member, 0 <= i < is_len(). */
int64_t is_get(const intset *s, uint32_t i);
/* A uniformly random member (the set must not be empty). */
int64_t is_random(const intset *s);

#endif
