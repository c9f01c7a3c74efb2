/* valcodec.h — values as text, for holdfast-admin export and import.
 *
 * JSON Lines and CSV forms of every type (the format is described at the
 * top of admin.c), and the small JSON reader the importer uses.  Bytes
 * that are not printable ASCII are written as \u00XX (one escape per byte,
 * so any binary value round-trips).  Collections in JSON:
 *   list  ["a", "b"]            head to tail
 *   set   ["a", "b"]
 *   hash  {"field": "value"}
 *   zset  [["member", "1.5"]]   score order; scores as strings, formatted
 *                               as Redis formats them ("inf" included)
 * In CSV the value field of a collection holds that JSON text. */
#ifndef HF_VALCODEC_H
#define HF_VALCODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "object.h"

/* A growable byte string, always NUL-terminated. */
struct bytes { char *p; size_t len, cap; };
void bytes_put(struct bytes *b, const void *p, size_t n);
void bytes_putc(struct bytes *b, char c);

/* JSON reader over p[0..n): position i, the first error's text in why. */
struct jp {
    const char *p;
    size_t n, i;
    const char *why;
    char whybuf[160];
};
void jp_ws(struct jp *j);
bool jp_fail(struct jp *j, const char *why);
bool jp_expect(struct jp *j, char c);
/* Decodes a JSON string into out (cleared first): \u00XX is byte XX. */
bool jp_string(struct jp *j, struct bytes *out);
bool jp_int(struct jp *j, long long *v);
/* Skips one JSON value of any kind. */
bool jp_skip(struct jp *j);

void json_bytes(FILE *f, const char *p, size_t n);
void csv_bytes(FILE *f, const char *p, size_t n);

struct type_codec {
    int type;                   /* OBJ_* */
    const char *name;           /* as TYPE names it */
    void (*json_value)(FILE *f, const hobj *v);
    void (*csv_value)(FILE *f, const hobj *v);
    /* Builds a value from the JSON value at the parser's position; NULL
     * with the parser's error set. */
    hobj *(*from_json)(struct jp *j);
    /* Builds a value from a CSV field's bytes; NULL with *why set. */
    hobj *(*from_csv)(const char *p, size_t n, const char **why);
};
const struct type_codec *codec_for_type(int type);
const struct type_codec *codec_for_name(const char *p, size_t n);

#endif
