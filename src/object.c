/* object.c — see object.h. */
#include "config.h"
#include "object.h"
#include "types.h"
#include "util.h"

#include <string.h>

static hobj *alloc_str(size_t cap)
{
    hobj *o = hf_malloc(sizeof(hobj) + cap);
    o->type = OBJ_STRING;
    o->unused = 0;
    o->atime = 0;
    return o;
}

hobj *obj_int(long long v)
{
    hobj *o = hf_malloc(sizeof(hobj));
    o->type = OBJ_STRING;
    o->enc = ENC_INT;
    o->unused = 0;
    o->atime = 0;
    o->u.i = v;
    return o;
}

hobj *obj_string_raw(const char *p, size_t n, size_t cap)
{
    if (cap < n) cap = n;
    hobj *o = alloc_str(cap);
    o->enc = ENC_RAW;
    o->u.s.len = (uint32_t)n;
    o->u.s.cap = (uint32_t)cap;
    if (n) memcpy(o->data, p, n);
    return o;
}

hobj *obj_string(const char *p, size_t n)
{
    long long v;
    if (n <= 20 && hf_str2ll(p, n, &v)) return obj_int(v);
    hobj *o = obj_string_raw(p, n, n);
    o->enc = n <= EMBSTR_LIMIT ? ENC_EMBSTR : ENC_RAW;
    return o;
}

hobj *obj_collection(int type, int enc, void *ptr)
{
    hobj *o = hf_malloc(sizeof(hobj));
    o->type = (uint8_t)type;
    o->enc = (uint8_t)enc;
    o->unused = 0;
    o->atime = 0;
    o->u.ptr = ptr;
    return o;
}

void obj_free(hobj *o)
{
    if (!o) return;
    switch (o->type) {
    case OBJ_LIST: list_free(o); return;
    case OBJ_SET: set_free(o); return;
    case OBJ_HASH: hash_free(o); return;
    case OBJ_ZSET: zset_free(o); return;
    }
    hf_free(o);
}

hobj *obj_dup(const hobj *o)
{
    switch (o->type) {
    case OBJ_LIST: return list_dup(o);
    case OBJ_SET: return set_dup(o);
    case OBJ_HASH: return hash_dup(o);
    case OBJ_ZSET: return zset_dup(o);
    }
    if (o->enc == ENC_INT) return obj_int(o->u.i);
    hobj *n = obj_string_raw(o->data, o->u.s.len, o->u.s.len);
    n->enc = o->enc;
    return n;
}

const char *obj_str(const hobj *o, char *scratch, size_t *len)
{
    if (o->enc == ENC_INT) {
        *len = (size_t)hf_ll2str(scratch, o->u.i);
        return scratch;
    }
    *len = o->u.s.len;
    return o->data;
}

size_t obj_strlen(const hobj *o)
{
    if (o->enc == ENC_INT) {
        char tmp[24];
        return (size_t)hf_ll2str(tmp, o->u.i);
    }
    return o->u.s.len;
}

bool obj_getll(const hobj *o, long long *v)
{
    if (o->enc == ENC_INT) { *v = o->u.i; return true; }
    return hf_str2ll(o->data, o->u.s.len, v);
}

hobj *obj_make_raw(hobj *o, size_t newlen)
{
    if (o->enc == ENC_INT) {
        char tmp[24];
        size_t n = (size_t)hf_ll2str(tmp, o->u.i);
        hf_free(o);
        o = obj_string_raw(tmp, n, newlen > n ? newlen : n);
    }
    o->enc = ENC_RAW;
    if (newlen > o->u.s.cap) {
        /* grow geometrically below 1 MB, linearly above, as sds does */
        size_t cap = newlen < 1024 * 1024 ? newlen * 2 : newlen + 1024 * 1024;
        o = hf_realloc(o, sizeof(hobj) + cap);
        o->u.s.cap = (uint32_t)cap;
    }
    if (newlen > o->u.s.len) {
        memset(o->data + o->u.s.len, 0, newlen - o->u.s.len);
        o->u.s.len = (uint32_t)newlen;
    }
    return o;
}

const char *obj_serialize(const hobj *o, char *scratch, hf_buf *tmp, size_t *len)
{
    if (o->type == OBJ_STRING) return obj_str(o, scratch, len);
    tmp->len = 0;
    switch (o->type) {
    case OBJ_LIST: list_serialize(o, tmp); break;
    case OBJ_SET: set_serialize(o, tmp); break;
    case OBJ_HASH: hash_serialize(o, tmp); break;
    case OBJ_ZSET: zset_serialize(o, tmp); break;
    }
    *len = tmp->len;
    return tmp->p ? tmp->p : "";
}

hobj *obj_deserialize(int type, int enc, const char *p, size_t n)
{
    switch (type) {
    case OBJ_LIST: return list_deserialize(p, n);
    case OBJ_SET: return set_deserialize(p, n);
    case OBJ_HASH: return hash_deserialize(p, n);
    case OBJ_ZSET: return zset_deserialize(p, n);
    }
    if (type != OBJ_STRING) return NULL;
    if (enc == ENC_INT) {
        long long v;
        if (!hf_str2ll(p, n, &v)) return NULL;
        return obj_int(v);
    }
    if (enc != ENC_RAW && enc != ENC_EMBSTR) return NULL;
    hobj *o = obj_string_raw(p, n, n);
    o->enc = (uint8_t)enc;
    return o;
}

const char *obj_type_name(int type)
{
    switch (type) {
    case OBJ_STRING: return "string";
    case OBJ_LIST: return "list";
    case OBJ_SET: return "set";
    case OBJ_ZSET: return "zset";
    case OBJ_HASH: return "hash";
    }
    return "unknown";
}

const char *obj_enc_name(const hobj *o)
{
    /* Redis 7.0 reports every list as a quicklist (a one-node list is a
     * bare listpack here, and in Redis 7.2) */
    if (o->type == OBJ_LIST) return "quicklist";
    switch (o->enc) {
    case ENC_INT: return "int";
    case ENC_EMBSTR: return "embstr";
    case ENC_RAW: return "raw";
    case ENC_HT: return "hashtable";
    case ENC_INTSET: return "intset";
    case ENC_SKIPLIST: return "skiplist";
    case ENC_QUICKLIST: return "quicklist";
    case ENC_LISTPACK: return "listpack";
    }
    return "unknown";
}

size_t obj_memory_usage(const hobj *o)
{
    switch (o->type) {
    case OBJ_LIST: return list_mem(o);
    case OBJ_SET: return set_mem(o);
    case OBJ_HASH: return hash_mem(o);
    case OBJ_ZSET: return zset_mem(o);
    }
    return hf_malloc_size((void *)o);
}
