/* valcodec.c — see valcodec.h. */
#include "config.h"
#include "valcodec.h"
#include "types.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

void bytes_put(struct bytes *b, const void *p, size_t n)
{
    if (b->cap - b->len < n + 1) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n + 1) cap *= 2;
        b->p = hf_realloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void bytes_putc(struct bytes *b, char c) { bytes_put(b, &c, 1); }

/* ---- JSON reader -------------------------------------------------------------- */

void jp_ws(struct jp *j)
{
    while (j->i < j->n && (j->p[j->i] == ' ' || j->p[j->i] == '\t' || j->p[j->i] == '\r' || j->p[j->i] == '\n'))
        j->i++;
}

bool jp_fail(struct jp *j, const char *why)
{
    if (!j->why) j->why = why;
    return false;
}

bool jp_expect(struct jp *j, char c)
{
    jp_ws(j);
    if (j->i < j->n && j->p[j->i] == c) {
        j->i++;
        return true;
    }
    snprintf(j->whybuf, sizeof j->whybuf, "expected '%c' at column %zu", c, j->i + 1);
    return jp_fail(j, j->whybuf);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes a JSON string into out (cleared first): \u00XX is byte XX. */
bool jp_string(struct jp *j, struct bytes *out)
{
    out->len = 0;
    bytes_put(out, "", 0);
    if (!jp_expect(j, '"')) return false;
    size_t run = j->i;
    while (j->i < j->n) {
        unsigned char c = (unsigned char)j->p[j->i];
        if (c == '"') {
            bytes_put(out, j->p + run, j->i - run);
            j->i++;
            return true;
        }
        if (c < 0x20) {
            snprintf(j->whybuf, sizeof j->whybuf, "raw control byte 0x%02x in a string at column %zu", c, j->i + 1);
            return jp_fail(j, j->whybuf);
        }
        if (c != '\\') {
            j->i++;
            continue;
        }
        bytes_put(out, j->p + run, j->i - run);
        if (j->i + 1 >= j->n) break;
        char e = j->p[j->i + 1];
        j->i += 2;
        switch (e) {
        case '"': bytes_putc(out, '"'); break;
        case '\\': bytes_putc(out, '\\'); break;
        case '/': bytes_putc(out, '/'); break;
        case 'b': bytes_putc(out, '\b'); break;
        case 'f': bytes_putc(out, '\f'); break;
        case 'n': bytes_putc(out, '\n'); break;
        case 'r': bytes_putc(out, '\r'); break;
        case 't': bytes_putc(out, '\t'); break;
        case 'u': {
            int v = 0;
            for (int k = 0; k < 4; k++) {
                int h = j->i + (size_t)k < j->n ? hexval(j->p[j->i + (size_t)k]) : -1;
                if (h < 0) return jp_fail(j, "bad \\u escape");
                v = v * 16 + h;
            }
            if (v > 0xff) {
                snprintf(j->whybuf, sizeof j->whybuf,
                         "\\u%04x at column %zu: \\u escapes stand for bytes (00-ff); write text as UTF-8", v,
                         j->i - 1);
                return jp_fail(j, j->whybuf);
            }
            bytes_putc(out, (char)v);
            j->i += 4;
            break;
        }
        default:
            snprintf(j->whybuf, sizeof j->whybuf, "bad escape '\\%c' at column %zu", e, j->i - 1);
            return jp_fail(j, j->whybuf);
        }
        run = j->i;
    }
    return jp_fail(j, "unterminated string");
}

bool jp_int(struct jp *j, long long *v)
{
    jp_ws(j);
    size_t s = j->i;
    if (j->i < j->n && j->p[j->i] == '-') j->i++;
    while (j->i < j->n && j->p[j->i] >= '0' && j->p[j->i] <= '9') j->i++;
    if (!hf_str2ll(j->p + s, j->i - s, v)) {
        snprintf(j->whybuf, sizeof j->whybuf, "expected an integer at column %zu", s + 1);
        return jp_fail(j, j->whybuf);
    }
    return true;
}

/* Skips one JSON value of any kind (its text is decoded later by a codec). */
bool jp_skip(struct jp *j)
{
    int depth = 0;
    struct bytes scratch = {0};
    bool ok = true;
    do {
        jp_ws(j);
        if (j->i >= j->n) { ok = jp_fail(j, "value missing"); break; }
        char c = j->p[j->i];
        if (c == '"') {
            ok = jp_string(j, &scratch);
        } else if (c == '{' || c == '[') {
            if (++depth > 64) { ok = jp_fail(j, "nested more than 64 deep"); break; }
            j->i++;
            continue;
        } else if (c == '}' || c == ']') {
            if (depth == 0) { ok = jp_fail(j, "unexpected bracket"); break; }
            depth--;
            j->i++;
        } else if (c == ',' || c == ':') {
            if (depth == 0) { ok = jp_fail(j, "value missing"); break; }
            j->i++;
            continue;
        } else {
            size_t s = j->i;
            while (j->i < j->n && strchr(",:]} \t\r\n", j->p[j->i]) == NULL) j->i++;
            if (j->i == s) { ok = jp_fail(j, "value missing"); break; }
        }
    } while (ok && depth > 0);
    hf_free(scratch.p);
    return ok;
}

/* ---- writers and codecs ----------------------------------------------------------- */
void json_bytes(FILE *f, const char *p, size_t n)
{
    putc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\') {
            putc('\\', f);
            putc(c, f);
        } else if (c < 0x20 || c >= 0x7f) {
            fprintf(f, "\\u%04x", c);
        } else {
            putc(c, f);
        }
    }
    putc('"', f);
}

void csv_bytes(FILE *f, const char *p, size_t n)
{
    putc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"') putc('"', f);
        putc(p[i], f);
    }
    putc('"', f);
}

static void string_json(FILE *f, const hobj *v)
{
    char scratch[24];
    size_t n;
    const char *p = obj_str(v, scratch, &n);
    json_bytes(f, p, n);
}

static void string_csv(FILE *f, const hobj *v)
{
    char scratch[24];
    size_t n;
    const char *p = obj_str(v, scratch, &n);
    csv_bytes(f, p, n);
}


static hobj *string_from_csv(const char *p, size_t n, const char **why)
{
    if (n > UINT32_MAX) { *why = "value longer than 4 GB"; return NULL; }
    return obj_string(p, n);
}

static hobj *string_from_json(struct jp *j)
{
    struct bytes b = {0};
    hobj *v = NULL;
    if (jp_string(j, &b)) v = obj_string(b.p, b.len);
    hf_free(b.p);
    return v;
}

/* Collections: the JSON text of the value, built with the types.h visitors. */
struct emit { FILE *f; bool first; };

static void emit_sep(struct emit *e)
{
    if (!e->first) putc(',', e->f);
    e->first = false;
}

static void emit_elem(void *arg, const char *p, size_t n)
{
    struct emit *e = arg;
    emit_sep(e);
    json_bytes(e->f, p, n);
}

static void emit_pair(void *arg, const char *f, size_t fn, const char *v, size_t vn)
{
    struct emit *e = arg;
    emit_sep(e);
    json_bytes(e->f, f, fn);
    putc(':', e->f);
    json_bytes(e->f, v, vn);
}

static void emit_scored(void *arg, const char *m, size_t n, double score)
{
    struct emit *e = arg;
    char buf[64];
    int len = hf_d2str(buf, sizeof buf, score);
    emit_sep(e);
    putc('[', e->f);
    json_bytes(e->f, m, n);
    putc(',', e->f);
    json_bytes(e->f, buf, (size_t)len);
    putc(']', e->f);
}

static void coll_json(FILE *f, const hobj *v)
{
    struct emit e = {f, true};
    switch (v->type) {
    case OBJ_LIST: putc('[', f); list_foreach(v, emit_elem, &e); putc(']', f); break;
    case OBJ_SET: putc('[', f); set_foreach(v, emit_elem, &e); putc(']', f); break;
    case OBJ_HASH: putc('{', f); hash_foreach(v, emit_pair, &e); putc('}', f); break;
    case OBJ_ZSET: putc('[', f); zset_foreach(v, emit_scored, &e); putc(']', f); break;
    }
}

static void coll_csv(FILE *f, const hobj *v)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) abort();
    coll_json(m, v);
    fclose(m);
    csv_bytes(f, buf, len);
    free(buf);
}

/* Reads "[" item ("," item)* "]" (or the object form with '{', '}'),
 * calling item() for each; an empty collection is refused (Redis has no
 * empty keys). */
static bool jp_items(struct jp *j, char open, char close, bool (*item)(struct jp *, hobj *), hobj *o)
{
    if (!jp_expect(j, open)) return false;
    jp_ws(j);
    if (j->i < j->n && j->p[j->i] == close) return jp_fail(j, "empty collection (a key holds at least one element)");
    for (;;) {
        if (!item(j, o)) return false;
        jp_ws(j);
        if (j->i < j->n && j->p[j->i] == ',') { j->i++; continue; }
        return jp_expect(j, close);
    }
}

static bool list_item(struct jp *j, hobj *o)
{
    struct bytes b = {0};
    bool ok = jp_string(j, &b);
    if (ok) list_push(o, LIST_TAIL, b.p, b.len);
    hf_free(b.p);
    return ok;
}

static bool set_item(struct jp *j, hobj *o)
{
    struct bytes b = {0};
    bool ok = jp_string(j, &b);
    if (ok) set_add(o, b.p, b.len);
    hf_free(b.p);
    return ok;
}

static bool hash_item(struct jp *j, hobj *o)
{
    struct bytes f = {0}, v = {0};
    bool ok = jp_string(j, &f) && jp_expect(j, ':') && jp_string(j, &v);
    if (ok) hash_set(o, f.p, f.len, v.p, v.len);
    hf_free(f.p);
    hf_free(v.p);
    return ok;
}

static bool zset_item(struct jp *j, hobj *o)
{
    struct bytes m = {0}, s = {0};
    double score = 0;
    bool ok = jp_expect(j, '[') && jp_string(j, &m) && jp_expect(j, ',') && jp_string(j, &s) && jp_expect(j, ']');
    if (ok && (!hf_str2d(s.p, s.len, &score) || score != score)) ok = jp_fail(j, "a score is not a number");
    if (ok) zset_add(o, m.p, m.len, score);
    hf_free(m.p);
    hf_free(s.p);
    return ok;
}

static hobj *coll_from_json(struct jp *j, int type)
{
    hobj *o = NULL;
    bool ok = false;
    switch (type) {
    case OBJ_LIST: o = list_new(); ok = jp_items(j, '[', ']', list_item, o); break;
    case OBJ_SET: o = set_new(); ok = jp_items(j, '[', ']', set_item, o); break;
    case OBJ_HASH: o = hash_new(); ok = jp_items(j, '{', '}', hash_item, o); break;
    case OBJ_ZSET: o = zset_new(); ok = jp_items(j, '[', ']', zset_item, o); break;
    }
    if (!ok) {
        obj_free(o);
        return NULL;
    }
    return o;
}

static hobj *coll_from_csv(const char *p, size_t n, const char **why, int type)
{
    static __thread struct jp j;
    memset(&j, 0, sizeof j);
    j.p = p;
    j.n = n;
    hobj *o = coll_from_json(&j, type);
    if (o) {
        jp_ws(&j);
        if (j.i == j.n) return o;
        obj_free(o);
        jp_fail(&j, "text after the value");
    }
    *why = j.why;
    return NULL;
}

#define COLLECTION(t, T)                                                                        \
    static hobj *t##_from_json(struct jp *j) { return coll_from_json(j, T); }                    \
    static hobj *t##_from_csv(const char *p, size_t n, const char **why) { return coll_from_csv(p, n, why, T); }
COLLECTION(list, OBJ_LIST)
COLLECTION(set, OBJ_SET)
COLLECTION(hash, OBJ_HASH)
COLLECTION(zset, OBJ_ZSET)
#undef COLLECTION

static const struct type_codec codecs[] = {
    {OBJ_STRING, "string", string_json, string_csv, string_from_json, string_from_csv},
    {OBJ_LIST, "list", coll_json, coll_csv, list_from_json, list_from_csv},
    {OBJ_SET, "set", coll_json, coll_csv, set_from_json, set_from_csv},
    {OBJ_HASH, "hash", coll_json, coll_csv, hash_from_json, hash_from_csv},
    {OBJ_ZSET, "zset", coll_json, coll_csv, zset_from_json, zset_from_csv},
};

const struct type_codec *codec_for_type(int type)
{
    for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++)
        if (codecs[i].type == type) return &codecs[i];
    return NULL;
}

const struct type_codec *codec_for_name(const char *p, size_t n)
{
    for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++)
        if (strlen(codecs[i].name) == n && !memcmp(codecs[i].name, p, n)) return &codecs[i];
    return NULL;
}
