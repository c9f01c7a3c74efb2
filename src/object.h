/* object.h — values stored in the keyspace.
 *
 * A value is an hobj: a small header (type, encoding, access clock) and,
 * for strings, the bytes inline.  Integers that fit a long long and are in
 * canonical form are kept as int64 (encoding "int", as Redis).  Short
 * strings are "embstr", longer or modified-in-place ones "raw" — the names
 * OBJECT ENCODING reports; the storage is the same inline block.  An hobj
 * is owned by exactly one keyspace entry; it is never shared.
 *
 * Collections (lists, sets, hashes, sorted sets) keep their structure
 * behind u.ptr; the header never moves while the value lives, so a
 * command may change a collection in place through e->val.  Their
 * functions are in types.h (one file per type: t_list.c ...). */
#ifndef HF_OBJECT_H
#define HF_OBJECT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

enum { OBJ_STRING = 0, OBJ_LIST = 1, OBJ_SET = 2, OBJ_ZSET = 3, OBJ_HASH = 4 };
/* Encodings, numbered as Redis numbers them; OBJECT ENCODING names them,
 * except that every list answers "quicklist" as in Redis 7.0 and a small
 * set of strings (a listpack inside, see t_set.c) answers "hashtable". */
enum {
    ENC_RAW = 0, ENC_INT = 1, ENC_HT = 2, ENC_INTSET = 6, ENC_SKIPLIST = 7,
    ENC_EMBSTR = 8, ENC_QUICKLIST = 9, ENC_LISTPACK = 11,
};

#define EMBSTR_LIMIT 44   /* OBJ_ENCODING_EMBSTR_SIZE_LIMIT in Redis */

typedef struct hobj {
    uint8_t type;
    uint8_t enc;
    uint16_t unused;
    uint32_t atime;         /* last access, seconds (the LRU clock) */
    union {
        int64_t i;          /* ENC_INT */
        struct { uint32_t len, cap; } s;  /* strings: bytes in data[] */
        void *ptr;          /* other types */
    } u;
    char data[];
} hobj;

/* Returns a new string object holding a copy of p[0..n), encoded as Redis
 * would (int / embstr / raw).  Caller owns it. */
hobj *obj_string(const char *p, size_t n);
/* Returns a new string object with room for cap bytes, length n, raw. */
hobj *obj_string_raw(const char *p, size_t n, size_t cap);
hobj *obj_int(long long v);
/* Frees an object of any type. */
void obj_free(hobj *o);
hobj *obj_dup(const hobj *o);

/* String view: writes the bytes of a string object into scratch (>= 24
 * bytes) when it is int-encoded; returns a pointer to the bytes. */
const char *obj_str(const hobj *o, char *scratch, size_t *len);
size_t obj_strlen(const hobj *o);
/* Int value if the string is a canonical integer; false otherwise. */
bool obj_getll(const hobj *o, long long *v);
/* Makes the string writable as raw with at least newlen bytes (zero fills
 * growth); may move the object: returns the new pointer. */
hobj *obj_make_raw(hobj *o, size_t newlen);

/* Serialised form of a value for the WAL and snapshots: the bytes of a
 * string, or a collection's canonical form (types.h), written into tmp
 * (its contents are replaced).  Returns a pointer to the bytes (scratch,
 * >= 24 bytes, used for integers; tmp for collections). */
struct hf_buf;
const char *obj_serialize(const hobj *o, char *scratch, struct hf_buf *tmp, size_t *len);
/* Rebuilds a value from obj_serialize's bytes; NULL if the type or the
 * encoding is unknown or the bytes are malformed.  A collection gets the
 * encoding its size calls for now, whatever enc says. */
hobj *obj_deserialize(int type, int enc, const char *p, size_t n);
/* A new hobj of a collection type around ptr (the type file's structure). */
hobj *obj_collection(int type, int enc, void *ptr);

const char *obj_type_name(int type);
const char *obj_enc_name(const hobj *o);
size_t obj_memory_usage(const hobj *o);

#endif
