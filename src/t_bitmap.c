/* t_bitmap.c — the bit commands on string values: SETBIT GETBIT BITCOUNT
 * BITPOS BITOP BITFIELD BITFIELD_RO.
 *
 * Replies, error texts and the order in which errors are detected follow
 * Redis 7.0's bitops.c (bits are numbered from the most significant bit of
 * the first byte).  A string that a command writes is made raw in place
 * (obj_make_raw, zero-filled growth), as Redis's dbUnshareStringValue and
 * sdsgrowzero do.
 *
 * Durability: SETBIT and BITFIELD change the string in place and are logged
 * as the command itself (ks_log_cmd: both are deterministic), never as the
 * whole value — a bitmap may be hundreds of MB.  When they create the key
 * it is added with do_ks_add_quiet and the command is logged: replayed, it
 * creates the key again.  As in Redis 7.0.15, a write that leaves the
 * value as it was (same bit, same field value, a write refused by OVERFLOW
 * FAIL) is neither notified nor logged, nor seen by WATCH — unless the
 * string was created or lengthened, which is always logged.
 * BITOP computes a new value and stores it whole with do_ks_set (or deletes
 * the destination when every source is empty).
 *
 * Speed: BITCOUNT counts 64-bit words with the POPCNT instruction when the
 * CPU has it (a SWAR count otherwise); BITPOS skips whole words that cannot
 * hold the bit it looks for; BITOP works word by word. */
#include "config.h"
#include "commands.h"
#include "conf.h"
#include "keyspace.h"
#include "object.h"
#include "pubsub.h"
#include "reply.h"
#include "util.h"

#include <stdint.h>
#include <string.h>

static const char ERR_OFFSET[] = "ERR bit offset is not an integer or out of range";
static const char ERR_BIT[] = "ERR bit is not an integer or out of range";
static const char ERR_BFTYPE[] =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/* ---- small helpers ------------------------------------------------------ */

/* Length of a up to its first NUL: Redis compares option names with
 * strcasecmp on its NUL-terminated argv. */
static size_t cstr_len(const hf_arg *a)
{
    const char *nul = memchr(a->p, '\0', a->n);
    return nul ? (size_t)(nul - a->p) : a->n;
}

/* Parses a bit offset as Redis's getBitOffsetFromArgument: a decimal
 * integer, or with hash_bits > 0 also "#N" meaning N * hash_bits; negative
 * offsets and offsets whose byte is beyond proto-max-bulk-len are refused
 * (not on WAL replay: the limit may have changed since).  Replies the error
 * and returns false on failure. */
static bool parse_offset(client *c, const hf_arg *a, int hash_bits, uint64_t *out)
{
    bool hash = hash_bits > 0 && a->n > 0 && a->p[0] == '#';
    long long v;
    if (!hf_str2ll(a->p + hash, a->n - hash, &v)) {
        reply_error(c, ERR_OFFSET);
        return false;
    }
    /* Redis multiplies in a long long; wrap-around as it does in practice */
    if (hash) v = (long long)((unsigned long long)v * (unsigned long long)hash_bits);
    if (v < 0 || (!(c->flags & CLIENT_REPLAY) && (v >> 3) >= CONF_GET(proto_max_bulk_len))) {
        reply_error(c, ERR_OFFSET);
        return false;
    }
    *out = (uint64_t)v;
    return true;
}

/* Looks the key up for a bit write reaching bit maxbit: creates a
 * zero-filled raw string (added quietly: the caller logs its command) or
 * makes the existing string raw and grows it with zeros.  *grown tells
 * whether the key was created or lengthened.  Replies WRONGTYPE and returns
 * NULL for another type.  Shard lock held. */
static kentry *string_for_write(client *c, kref *k, uint64_t maxbit, bool *grown)
{
    size_t need = (size_t)(maxbit >> 3) + 1;
    kentry *e = do_ks_lookup_write(k, c->db);
    if (!e) {
        hobj *o = obj_make_raw(obj_string_raw(NULL, 0, need), need);
        o->atime = (uint32_t)(ks_now / 1000);
        *grown = true;
        return do_ks_add_quiet(k, c->db, o);
    }
    if (e->val->type != OBJ_STRING) {
        reply_wrongtype(c);
        return NULL;
    }
    size_t olen = obj_strlen(e->val);
    *grown = need > olen;
    e->val = obj_make_raw(e->val, need > olen ? need : olen);  /* may move */
    e->val->atime = (uint32_t)(ks_now / 1000);
    return e;
}

/* ---- bit counting and searching ----------------------------------------- */

static inline uint64_t load64(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static inline uint64_t popcount64_swar(uint64_t w)
{
    w = w - ((w >> 1) & 0x5555555555555555ULL);
    w = (w & 0x3333333333333333ULL) + ((w >> 2) & 0x3333333333333333ULL);
    w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (w * 0x0101010101010101ULL) >> 56;
}

static uint64_t popcount_swar(const unsigned char *p, size_t n)
{
    uint64_t bits = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) bits += popcount64_swar(load64(p + i));
    for (; i < n; i++) bits += popcount64_swar(p[i]);
    return bits;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* Four independent sums keep the POPCNT units busy. */
__attribute__((target("popcnt"))) static uint64_t popcount_hw(const unsigned char *p, size_t n)
{
    uint64_t a = 0, b = 0, c = 0, d = 0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a += (uint64_t)__builtin_popcountll(load64(p + i));
        b += (uint64_t)__builtin_popcountll(load64(p + i + 8));
        c += (uint64_t)__builtin_popcountll(load64(p + i + 16));
        d += (uint64_t)__builtin_popcountll(load64(p + i + 24));
    }
    for (; i + 8 <= n; i += 8) a += (uint64_t)__builtin_popcountll(load64(p + i));
    for (; i < n; i++) a += (uint64_t)__builtin_popcount(p[i]);
    return a + b + c + d;
}
#endif

/* Number of set bits in p[0..n). */
static uint64_t popcount(const unsigned char *p, size_t n)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("popcnt")) return popcount_hw(p, n);
#endif
    return popcount_swar(p, n);
}

/* Position of the first bit equal to bit in p[0..n) (bit 0 = most
 * significant bit of p[0]); -1 if there is none. */
static long long first_bit(const unsigned char *p, size_t n, int bit)
{
    unsigned char skip = bit ? 0x00 : 0xff;
    uint64_t skipw = bit ? 0 : UINT64_MAX;
    size_t i = 0;
    while (i + 8 <= n && load64(p + i) == skipw) i += 8;
    while (i < n && p[i] == skip) i++;
    if (i == n) return -1;
    unsigned b = bit ? p[i] : (unsigned char)~p[i];
    return (long long)i * 8 + (__builtin_clz(b) - 24);
}

/* Position of the first bit equal to bit among bits [from, to] of p (both
 * inclusive, within the string); -1 if there is none. */
static long long first_bit_in(const unsigned char *p, uint64_t from, uint64_t to, int bit)
{
    uint64_t fb = from >> 3, tb = to >> 3;
    /* the partial first byte, bit by bit (at most 7 bits) */
    for (uint64_t i = from; i <= to && (i & 7); i++)
        if (((p[i >> 3] >> (7 - (i & 7))) & 1) == (unsigned)bit) return (long long)i;
    if ((from & 7) != 0) fb++;
    /* whole bytes up to the one holding to, when it is complete */
    uint64_t last_full = ((to & 7) == 7) ? tb + 1 : tb;   /* exclusive */
    if (fb < last_full) {
        long long pos = first_bit(p + fb, (size_t)(last_full - fb), bit);
        if (pos >= 0) return (long long)(fb * 8) + pos;
    }
    /* the partial last byte */
    if ((to & 7) != 7) {
        uint64_t i = tb * 8 > from ? tb * 8 : from;
        for (; i <= to; i++)
            if (((p[i >> 3] >> (7 - (i & 7))) & 1) == (unsigned)bit) return (long long)i;
    }
    return -1;
}

/* ---- SETBIT GETBIT -------------------------------------------------------- */

/* SETBIT key offset value: replies the bit's previous value. */
static void cmd_setbit(client *c)
{
    uint64_t off;
    long long on;
    if (!parse_offset(c, &c->argv[2], 0, &off)) return;
    if (!arg_ll(c, &c->argv[3], &on, ERR_BIT)) return;
    if (on & ~1LL) {
        reply_error(c, ERR_BIT);
        return;
    }
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    bool grown;
    kentry *e = string_for_write(c, &k, off, &grown);
    if (e) {
        unsigned char *byte = (unsigned char *)e->val->data + (off >> 3);
        unsigned mask = 1u << (7 - (off & 7));
        int old = (*byte & mask) != 0;
        if (on) *byte = (unsigned char)(*byte | mask);
        else *byte = (unsigned char)(*byte & ~mask);
        /* Redis 7.0.15 signals, notifies and propagates a SETBIT only when
         * the string was created or grew or the bit changed */
        if (grown || old != on) {
            ks_log_cmd(&k, c->db, c->argc, c->argv);
            notify_keyspace_event(NOTIFY_STRING, "setbit", k.p, k.n, c->db);
        }
        reply_int(c, old);
    }
    ks_unlock(k.s);
}

/* GETBIT key offset: 0 beyond the end of the string or for a missing key. */
static void cmd_getbit(client *c)
{
    uint64_t off;
    if (!parse_offset(c, &c->argv[2], 0, &off)) return;
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    if (!e) {
        reply_int(c, 0);
    } else if (e->val->type != OBJ_STRING) {
        reply_wrongtype(c);
    } else {
        char scratch[32];
        size_t n;
        const unsigned char *p = (const unsigned char *)obj_str(e->val, scratch, &n);
        int bit = (off >> 3) < n ? (p[off >> 3] >> (7 - (off & 7))) & 1 : 0;
        reply_int(c, bit);
    }
    ks_unlock(k.s);
}

/* ---- BITCOUNT BITPOS ------------------------------------------------------ */

/* Turns start/end (negative = from the end) into a clamped inclusive range
 * of a sequence of totlen units, as Redis does; start > end means empty. */
static void clamp_range(long long *start, long long *end, long long totlen)
{
    if (*start < 0) *start += totlen;
    if (*end < 0) *end += totlen;
    if (*start < 0) *start = 0;
    if (*end < 0) *end = 0;
    if (*end >= totlen) *end = totlen - 1;
}

/* BYTE | BIT: sets *isbit; replies a syntax error and returns false
 * otherwise. */
static bool parse_unit(client *c, const hf_arg *a, bool *isbit)
{
    if (arg_opt(a, "bit")) *isbit = true;
    else if (arg_opt(a, "byte")) *isbit = false;
    else {
        reply_syntax(c);
        return false;
    }
    return true;
}

/* BITCOUNT key [start end [BYTE|BIT]]
 * As Redis 7.0: the key is looked up first (a missing key replies 0 whatever
 * the arguments), then start and end are parsed, then two negative indexes
 * in the wrong order reply 0 before the unit is looked at. */
static void cmd_bitcount(client *c)
{
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    if (!e) {
        reply_int(c, 0);
        goto out;
    }
    if (e->val->type != OBJ_STRING) {
        reply_wrongtype(c);
        goto out;
    }
    char scratch[32];
    size_t n;
    const unsigned char *p = (const unsigned char *)obj_str(e->val, scratch, &n);
    long long start, end;
    bool isbit = false;
    if (c->argc == 4 || c->argc == 5) {
        if (!arg_ll(c, &c->argv[2], &start, NULL)) goto out;
        if (!arg_ll(c, &c->argv[3], &end, NULL)) goto out;
        if (start < 0 && end < 0 && start > end) {
            reply_int(c, 0);
            goto out;
        }
        if (c->argc == 5 && !parse_unit(c, &c->argv[4], &isbit)) goto out;
        clamp_range(&start, &end, isbit ? (long long)n * 8 : (long long)n);
    } else if (c->argc == 2) {
        start = 0;
        end = (long long)n - 1;
    } else {
        reply_syntax(c);
        goto out;
    }
    if (start > end) {
        reply_int(c, 0);
    } else if (!isbit) {
        reply_int(c, (long long)popcount(p + start, (size_t)(end - start + 1)));
    } else {
        /* count whole bytes, then take off the bits outside the range in
         * the first and last byte */
        long long fb = start >> 3, lb = end >> 3;
        uint64_t cnt = popcount(p + fb, (size_t)(lb - fb + 1));
        unsigned head = (unsigned)p[fb] & ~(0xffu >> (start & 7)) & 0xff;
        unsigned tail = (unsigned)p[lb] & (0xffu >> ((end & 7) + 1));
        cnt -= (uint64_t)(__builtin_popcount(head) + __builtin_popcount(tail));
        reply_int(c, (long long)cnt);
    }
out:
    ks_unlock(k.s);
}

/* BITPOS key bit [start [end [BYTE|BIT]]]
 * A missing key is an endless run of zeros: 0 for a clear bit, -1 for a set
 * one.  Looking for a clear bit with no end given, a string of ones answers
 * the first bit past its end (the string is seen as zero-padded); with an
 * explicit end it answers -1. */
static void cmd_bitpos(client *c)
{
    long long bit;
    if (!arg_ll(c, &c->argv[2], &bit, NULL)) return;
    if (bit != 0 && bit != 1) {
        reply_error(c, "ERR The bit argument must be 1 or 0.");
        return;
    }
    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e = do_ks_lookup(&k, c->db);
    if (!e) {
        reply_int(c, bit ? -1 : 0);
        goto out;
    }
    if (e->val->type != OBJ_STRING) {
        reply_wrongtype(c);
        goto out;
    }
    char scratch[32];
    size_t n;
    const unsigned char *p = (const unsigned char *)obj_str(e->val, scratch, &n);
    long long start, end;
    bool isbit = false, end_given = false;
    if (c->argc >= 4 && c->argc <= 6) {
        if (!arg_ll(c, &c->argv[3], &start, NULL)) goto out;
        if (c->argc == 6 && !parse_unit(c, &c->argv[5], &isbit)) goto out;
        if (c->argc >= 5) {
            if (!arg_ll(c, &c->argv[4], &end, NULL)) goto out;
            end_given = true;
        } else {
            end = isbit ? (long long)n * 8 - 1 : (long long)n - 1;
        }
        clamp_range(&start, &end, isbit ? (long long)n * 8 : (long long)n);
    } else if (c->argc == 3) {
        start = 0;
        end = (long long)n - 1;
    } else {
        reply_syntax(c);
        goto out;
    }
    if (start > end) {
        reply_int(c, -1);
        goto out;
    }
    uint64_t from = isbit ? (uint64_t)start : (uint64_t)start * 8;
    uint64_t to = isbit ? (uint64_t)end : (uint64_t)end * 8 + 7;
    long long pos = first_bit_in(p, from, to, (int)bit);
    if (pos < 0 && bit == 0 && !end_given) pos = (long long)to + 1;
    reply_int(c, pos);
out:
    ks_unlock(k.s);
}

/* ---- BITOP ---------------------------------------------------------------- */

enum { OP_AND, OP_OR, OP_XOR, OP_NOT };

/* Applies src[0..n) to res (res has at least n bytes) for AND/OR/XOR. */
static void bitop_apply(int op, unsigned char *res, const unsigned char *src, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t a = load64(res + i), b = load64(src + i);
        a = op == OP_AND ? a & b : op == OP_OR ? a | b : a ^ b;
        memcpy(res + i, &a, 8);
    }
    for (; i < n; i++) {
        unsigned a = res[i], b = src[i];
        res[i] = (unsigned char)(op == OP_AND ? a & b : op == OP_OR ? a | b : a ^ b);
    }
}

/* BITOP AND|OR|XOR|NOT destkey key [key ...]: missing keys are empty
 * strings, shorter strings are zero-padded; replies the result's length. */
static void cmd_bitop(client *c)
{
    const hf_arg *opname = &c->argv[1];
    int op;
    if (arg_opt(opname, "and")) op = OP_AND;
    else if (arg_opt(opname, "or")) op = OP_OR;
    else if (arg_opt(opname, "xor")) op = OP_XOR;
    else if (arg_opt(opname, "not")) op = OP_NOT;
    else {
        reply_syntax(c);
        return;
    }
    if (op == OP_NOT && c->argc != 4) {
        reply_error(c, "ERR BITOP NOT must be called with a single source key.");
        return;
    }
    int nsrc = c->argc - 3;
    int nrefs = nsrc + 1;
    kref small[16];
    kref *refs = nrefs <= 16 ? small : hf_malloc(sizeof(kref) * (size_t)nrefs);
    for (int i = 0; i < nrefs; i++) ks_ref_arg(&refs[i], &c->argv[2 + i]);
    kentry *small_e[16];
    kentry **src = nsrc <= 16 ? small_e : hf_malloc(sizeof(kentry *) * (size_t)nsrc);
    ks_lock_refs(refs, nrefs);

    size_t maxlen = 0;
    for (int i = 0; i < nsrc; i++) {
        src[i] = do_ks_lookup(&refs[1 + i], c->db);
        if (src[i] && src[i]->val->type != OBJ_STRING) {
            reply_wrongtype(c);
            goto out;
        }
        size_t len = src[i] ? obj_strlen(src[i]->val) : 0;
        if (len > maxlen) maxlen = len;
    }

    kref *dst = &refs[0];
    if (maxlen == 0) {
        if (do_ks_delete(dst, c->db))
            notify_keyspace_event(NOTIFY_GENERIC, "del", dst->p, dst->n, c->db);
        reply_int(c, 0);
        goto out;
    }
    /* the result is computed into a new object first: the destination may
     * also be a source */
    hobj *res = obj_string_raw(NULL, 0, maxlen);
    res->u.s.len = (uint32_t)maxlen;
    unsigned char *r = (unsigned char *)res->data;
    for (int i = 0; i < nsrc; i++) {
        char scratch[32];
        size_t n = 0;
        const unsigned char *p = src[i] ? (const unsigned char *)obj_str(src[i]->val, scratch, &n)
                                        : (const unsigned char *)"";
        if (i == 0) {
            if (n) memcpy(r, p, n);
            memset(r + n, 0, maxlen - n);
            if (op == OP_NOT)
                for (size_t j = 0; j < maxlen; j++) r[j] = (unsigned char)~r[j];
        } else {
            bitop_apply(op, r, p, n);
            if (op == OP_AND) memset(r + n, 0, maxlen - n);
        }
    }
    do_ks_set(dst, c->db, res, false);
    notify_keyspace_event(NOTIFY_STRING, "set", dst->p, dst->n, c->db);
    reply_int(c, (long long)maxlen);
out:
    ks_unlock_refs(refs, nrefs);
    if (refs != small) hf_free(refs);
    if (src != small_e) hf_free(src);
}

/* ---- BITFIELD -------------------------------------------------------------- */

enum { BF_GET, BF_SET, BF_INCRBY };
enum { OV_WRAP, OV_SAT, OV_FAIL };

struct bfop {
    uint64_t offset;
    int64_t value;      /* SET value / INCRBY increment */
    uint8_t opcode, overflow, bits;
    bool sign;
};

/* Reads bits [offset, offset + bits) of p as an unsigned number (most
 * significant bit first). */
static uint64_t bf_get_u(const unsigned char *p, uint64_t offset, int bits)
{
    uint64_t v = 0;
    for (int i = 0; i < bits; i++, offset++) {
        unsigned b = (p[offset >> 3] >> (7 - (offset & 7))) & 1;
        v = (v << 1) | b;
    }
    return v;
}

static int64_t bf_get_i(const unsigned char *p, uint64_t offset, int bits)
{
    uint64_t v = bf_get_u(p, offset, bits);
    if (bits < 64 && (v >> (bits - 1)) & 1) v |= UINT64_MAX << bits;  /* sign-extend */
    return (int64_t)v;
}

/* Writes the low bits of v into bits [offset, offset + bits) of p. */
static void bf_set(unsigned char *p, uint64_t offset, int bits, uint64_t v)
{
    for (int i = bits - 1; i >= 0; i--, offset++) {
        unsigned mask = 1u << (7 - (offset & 7));
        if ((v >> i) & 1) p[offset >> 3] = (unsigned char)(p[offset >> 3] | mask);
        else p[offset >> 3] = (unsigned char)(p[offset >> 3] & ~mask);
    }
}

/* value + incr for an unsigned field of bits (< 64) bits: returns true on
 * overflow (the result does not fit), with *res set by the overflow policy
 * (WRAP: modulo 2^bits; SAT: the nearest bound; FAIL: untouched).  value
 * may be any 64-bit pattern (SET passes its argument with incr 0). */
static bool bf_add_u(uint64_t value, int64_t incr, int bits, int ov, uint64_t *res)
{
    uint64_t max = (UINT64_C(1) << bits) - 1;
    __int128 sum = (__int128)value + incr;
    if (sum >= 0 && sum <= (__int128)max) {
        *res = (uint64_t)sum;
        return false;
    }
    if (ov == OV_WRAP) *res = (value + (uint64_t)incr) & max;
    else if (ov == OV_SAT) *res = sum > 0 ? max : 0;
    return true;
}

/* The same for a signed field of bits (<= 64) bits.  The direction of an
 * overflow is decided as Redis's checkSignedBitfieldOverflow decides it,
 * with max - value computed modulo 2^64: a SET of a value so negative that
 * this wraps counts as an overflow upwards (OVERFLOW SAT stores the
 * maximum), and replies must match Redis's. */
static bool bf_add_i(int64_t value, int64_t incr, int bits, int ov, int64_t *res)
{
    int64_t max = bits == 64 ? INT64_MAX : (int64_t)((UINT64_C(1) << (bits - 1)) - 1);
    int64_t min = -max - 1;
    int64_t maxincr = (int64_t)((uint64_t)max - (uint64_t)value);
    int64_t minincr = (int64_t)((uint64_t)min - (uint64_t)value);
    int dir = 0;
    if (value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr))
        dir = 1;
    else if (value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr))
        dir = -1;
    if (!dir) {
        *res = (int64_t)((uint64_t)value + (uint64_t)incr);
        return false;
    }
    if (ov == OV_WRAP) {
        uint64_t u = (uint64_t)value + (uint64_t)incr;
        if (bits < 64) {
            uint64_t high = UINT64_MAX << bits;
            u = (u >> (bits - 1)) & 1 ? u | high : u & ~high;
        }
        *res = (int64_t)u;
    } else if (ov == OV_SAT) {
        *res = dir > 0 ? max : min;
    }
    return true;
}

/* Parses a field type "i1".."i64" / "u1".."u63"; replies and returns false
 * on error. */
static bool parse_bftype(client *c, const hf_arg *a, bool *sign, int *bits)
{
    size_t n = cstr_len(a);
    long long v;
    if (n == 0 || (a->p[0] != 'i' && a->p[0] != 'u')) {
        reply_error(c, ERR_BFTYPE);
        return false;
    }
    *sign = a->p[0] == 'i';
    if (!hf_str2ll(a->p + 1, n - 1, &v) || v < 1 || v > (*sign ? 64 : 63)) {
        reply_error(c, ERR_BFTYPE);
        return false;
    }
    *bits = (int)v;
    return true;
}

/* Parses BITFIELD's operations into ops (room for argc / 2 entries);
 * returns the count, or -1 after replying an error.  *highest is the last
 * bit any SET/INCRBY reaches, *writes whether there is any. */
static int bf_parse(client *c, struct bfop *ops, uint64_t *highest, bool *writes)
{
    int nops = 0, ov = OV_WRAP;
    *highest = 0;
    *writes = false;
    for (int j = 2; j < c->argc; j++) {
        int left = c->argc - j - 1;
        const hf_arg *a = &c->argv[j];
        int opcode;
        if (arg_opt(a, "get") && left >= 2) {
            opcode = BF_GET;
        } else if (arg_opt(a, "set") && left >= 3) {
            opcode = BF_SET;
        } else if (arg_opt(a, "incrby") && left >= 3) {
            opcode = BF_INCRBY;
        } else if (arg_opt(a, "overflow") && left >= 1) {
            const hf_arg *t = &c->argv[++j];
            if (arg_opt(t, "wrap")) ov = OV_WRAP;
            else if (arg_opt(t, "sat")) ov = OV_SAT;
            else if (arg_opt(t, "fail")) ov = OV_FAIL;
            else {
                reply_error(c, "ERR Invalid OVERFLOW type specified");
                return -1;
            }
            continue;
        } else {
            reply_syntax(c);
            return -1;
        }
        bool sign;
        int bits;
        uint64_t offset;
        long long value = 0;
        if (!parse_bftype(c, &c->argv[j + 1], &sign, &bits)) return -1;
        if (!parse_offset(c, &c->argv[j + 2], bits, &offset)) return -1;
        if (opcode != BF_GET) {
            *writes = true;
            if (*highest < offset + (uint64_t)bits - 1) *highest = offset + (uint64_t)bits - 1;
            if (!arg_ll(c, &c->argv[j + 3], &value, NULL)) return -1;
        }
        ops[nops++] = (struct bfop){.offset = offset, .value = value, .opcode = (uint8_t)opcode,
                                    .overflow = (uint8_t)ov, .bits = (uint8_t)bits, .sign = sign};
        j += opcode == BF_GET ? 2 : 3;
    }
    return nops;
}

/* Runs one GET on the string p[0..n) (which may be shorter than the field:
 * missing bytes read as zeros) and replies its value. */
static void bf_reply_get(client *c, const struct bfop *op, const unsigned char *p, size_t n)
{
    unsigned char buf[9] = {0};
    uint64_t byte = op->offset >> 3;
    for (uint64_t i = 0; i < 9 && byte + i < n; i++) buf[i] = p[byte + i];
    uint64_t off = op->offset & 7;
    if (op->sign) reply_int(c, bf_get_i(buf, off, op->bits));
    else reply_int(c, (long long)bf_get_u(buf, off, op->bits));
}

enum { BFW_REFUSED, BFW_SAME, BFW_CHANGED };

/* Runs one SET or INCRBY on the (long enough) string p and replies; returns
 * BFW_REFUSED if OVERFLOW FAIL refused it, else whether the field's value
 * changed. */
static int bf_write(client *c, const struct bfop *op, unsigned char *p)
{
    bool over;
    if (op->sign) {
        int64_t old = bf_get_i(p, op->offset, op->bits), nv = 0;
        if (op->opcode == BF_INCRBY) over = bf_add_i(old, op->value, op->bits, op->overflow, &nv);
        else over = bf_add_i(op->value, 0, op->bits, op->overflow, &nv);
        if (over && op->overflow == OV_FAIL) goto fail;
        bf_set(p, op->offset, op->bits, (uint64_t)nv);
        reply_int(c, op->opcode == BF_INCRBY ? nv : old);
        return nv != old ? BFW_CHANGED : BFW_SAME;
    } else {
        uint64_t old = bf_get_u(p, op->offset, op->bits), nv = 0;
        if (op->opcode == BF_INCRBY) over = bf_add_u(old, op->value, op->bits, op->overflow, &nv);
        else over = bf_add_u((uint64_t)op->value, 0, op->bits, op->overflow, &nv);
        if (over && op->overflow == OV_FAIL) goto fail;
        bf_set(p, op->offset, op->bits, nv);
        reply_int(c, (long long)(op->opcode == BF_INCRBY ? nv : old));
        return nv != old ? BFW_CHANGED : BFW_SAME;
    }
fail:
    reply_null(c);
    return BFW_REFUSED;
}

/* BITFIELD key [GET type offset] [SET type offset value]
 *              [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL] ...
 * Every operation is parsed (and every error found) before the key is
 * touched; only then is the key looked up for reading (GETs only) or
 * created/grown to the furthest bit written. */
static void bitfield_generic(client *c, bool readonly)
{
    struct bfop small[8];
    int room = c->argc / 2 + 1;
    struct bfop *ops = room <= 8 ? small : hf_malloc(sizeof(*ops) * (size_t)room);
    uint64_t highest;
    bool writes;
    int nops = bf_parse(c, ops, &highest, &writes);
    if (nops < 0) goto done;
    if (writes && readonly) {
        reply_error(c, "ERR BITFIELD_RO only supports the GET subcommand");
        goto done;
    }

    kref k;
    ks_ref_arg(&k, &c->argv[1]);
    ks_lock(k.s);
    kentry *e;
    bool grown = false;
    if (!writes) {
        e = do_ks_lookup(&k, c->db);
        if (e && e->val->type != OBJ_STRING) {
            reply_wrongtype(c);
            goto unlock;
        }
    } else if (!(e = string_for_write(c, &k, highest, &grown))) {
        goto unlock;
    }

    reply_array(c, nops);
    /* as Redis 7.0.15 counts changes: a write that OVERFLOW FAIL did not
     * refuse, when the string grew or the field's value changed */
    bool changed = false;
    for (int i = 0; i < nops; i++) {
        const struct bfop *op = &ops[i];
        if (op->opcode == BF_GET) {
            char scratch[32];
            size_t n = 0;
            const unsigned char *p = e ? (const unsigned char *)obj_str(e->val, scratch, &n) : NULL;
            bf_reply_get(c, op, p, n);
        } else {
            int r = bf_write(c, op, (unsigned char *)e->val->data);
            if (r == BFW_CHANGED || (r == BFW_SAME && grown)) changed = true;
        }
    }
    if (changed) {
        ks_log_cmd(&k, c->db, c->argc, c->argv);
        notify_keyspace_event(NOTIFY_STRING, "setbit", k.p, k.n, c->db);
    } else if (grown) {
        /* only refused writes, but the key was created or lengthened:
         * Redis neither notifies nor propagates this; the log must still
         * have it (it also counts for WATCH here, unlike in Redis) */
        ks_log_cmd(&k, c->db, c->argc, c->argv);
    }
unlock:
    ks_unlock(k.s);
done:
    if (ops != small) hf_free(ops);
}

static void cmd_bitfield(client *c) { bitfield_generic(c, false); }
static void cmd_bitfield_ro(client *c) { bitfield_generic(c, true); }

const struct binding bitmap_bindings[] = {
    {"setbit", cmd_setbit},
    {"getbit", cmd_getbit},
    {"bitcount", cmd_bitcount},
    {"bitpos", cmd_bitpos},
    {"bitop", cmd_bitop},
    {"bitfield", cmd_bitfield},
    {"bitfield_ro", cmd_bitfield_ro},
    {NULL, NULL},
};
