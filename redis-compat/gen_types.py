"""Random command generators for the data-type families of diff.py.

diff.py's RandomStream mixes in TypeGenerators, which adds the families
hash, list, set, zset, bitmap, sort and multi to the string and keyspace
families defined in diff.py itself.  Standard library only.

Every generator returns either one ``(mode, args)`` tuple, which diff.py may
mangle on purpose (case of the command name, one argument more or less), or
a list of them, sent as they are: a list is used for commands that must not
be mangled (a blocking command whose appended argument could become a
timeout of 0 and block for ever, a random-count command whose count could
become huge) and for groups (MULTI ... EXEC, SPOP followed by DEL).

Determinism between two real Redis servers
------------------------------------------
Two redis-servers started alike give the same reply to the same command
except where the reply depends on randomness or on the order of a hash
table (Redis seeds its hash function randomly at start-up):

* random replies (SRANDMEMBER, HRANDFIELD, ZRANDMEMBER, SPOP) are compared
  with %len (type and size only).  SPOP also removes a random member, so
  it is followed by SCARD (same count on both) and DEL of the key, after
  which both servers agree again.
* the order of a hash-table encoded hash (HGETALL HKEYS HVALS HSCAN), set
  (SMEMBERS SINTER SUNION SDIFF SSCAN, SORT BY nosort) or skiplist zset
  (ZSCAN) is random.  Small hashes and zsets are listpacks (insertion resp.
  score order) and integer sets are intsets (sorted), whose order is exact
  and which holdfast reproduces, so those replies are compared exactly.
  KeyState keeps, per database and key, a conservative flag "may hold a
  hash-table/skiplist encoded value" (set by writes that may convert:
  non-integer set members, long or huge values, conversion thresholds
  lowered with CONFIG SET, and SORT, which converts a listpack zset to a
  skiplist; propagated by RENAME COPY MOVE SWAPDB and the *STORE commands;
  cleared by DEL UNLINK FLUSHDB FLUSHALL).  Replies about a flagged key use
  %sort / %pairs / %scan / %scanpairs, others are exact.  The model
  interprets the commands actually sent (after mangling), so a mangled
  command cannot desynchronise it.  To keep most replies exact, two of the
  four keys only get "tame" values, and thresholds are lowered in short
  episodes (CONFIG SET small, a few writes, CONFIG SET default).
* lexicographic ranges (ZRANGEBYLEX ...) are only defined when all scores
  are equal; on a skiplist with mixed scores the result even depends on
  its random levels.  They run on keys whose scores are all 0 (LEX_KEYS),
  or with an invalid bound (the error comes first).
* SORT ... ALPHA BY pattern leaves elements with equal weights in the order
  of the sort algorithm (not defined): compared with %sort (or %len with
  LIMIT) and never stored.  ALPHA compares with strcoll(), so no member
  contains a NUL byte ("b\\0" would tie with "b").
* blocking commands only get timeouts that cannot block for ever: 0.01 s
  (null after 10 ms when no data) or invalid ones, or 0 inside MULTI, where
  they never block.
"""

import copy
import re

# Keys shared by all type families (a subset of diff.KEYS, so a mixed stream
# with the string family collides on them and WRONGTYPE happens).
T_KEYS = [b"a", b"b", b"c", b"k:1"]
# Writes to these keys use values that keep small encodings (no long or
# huge values, integer set members), so that most replies about them are
# compared exactly; the other keys get anything.
TAME_KEYS = (b"a", b"b")

# Keys whose zset members all have score 0: lexicographic ranges are only
# defined when all scores are equal (otherwise the result depends on the
# encoding, and on a skiplist even on its random levels).
LEX_KEYS = [b"lx", b"ly"]

CANON_INT = re.compile(rb"^(0|-?[1-9][0-9]*)$")

# Redis 7.0's defaults of the encoding thresholds (compiled in, and the
# values of Debian's redis.conf).  Aliases map to the canonical name.
DEFAULTS = {
    b"hash-max-listpack-entries": 512, b"hash-max-listpack-value": 64,
    b"set-max-intset-entries": 512,
    b"zset-max-listpack-entries": 128, b"zset-max-listpack-value": 64,
}
ALIASES = {
    b"hash-max-ziplist-entries": b"hash-max-listpack-entries",
    b"hash-max-ziplist-value": b"hash-max-listpack-value",
    b"zset-max-ziplist-entries": b"zset-max-listpack-entries",
    b"zset-max-ziplist-value": b"zset-max-listpack-value",
}
# CONFIG SET values the generators use: small ones to force conversions
# with a handful of elements, the default to stop converting.
CONFIG_CHOICES = {
    b"hash-max-listpack-entries": [b"0", b"1", b"2", b"4", b"512"],
    b"hash-max-listpack-value": [b"0", b"1", b"4", b"64"],
    b"set-max-intset-entries": [b"0", b"1", b"2", b"4", b"512"],
    b"zset-max-listpack-entries": [b"0", b"1", b"2", b"4", b"128"],
    b"zset-max-listpack-value": [b"0", b"1", b"4", b"64"],
    b"list-max-listpack-size": [b"-5", b"-2", b"-1", b"1", b"2", b"3", b"0", b"-6"],
    b"list-compress-depth": [b"0", b"1", b"2"],
}
FAMILY_CONFIG = {
    "hash": [b"hash-max-listpack-entries", b"hash-max-listpack-value"],
    "set": [b"set-max-intset-entries"],
    "zset": [b"zset-max-listpack-entries", b"zset-max-listpack-value"],
    "list": [b"list-max-listpack-size", b"list-compress-depth"],
}
CONFIG_DEFAULTS = {n: str(v).encode() for n, v in DEFAULTS.items()}
CONFIG_DEFAULTS.update({b"list-max-listpack-size": b"-2", b"list-compress-depth": b"0"})
CONFIG_FAMILY = {n: f for f, names in FAMILY_CONFIG.items() for n in names}
LONG_LIMIT = 64             # default *-max-listpack-value


def is_intset_member(m):
    """True if Redis stores m in an intset (canonical 64-bit integer)."""
    return (CANON_INT.match(m) is not None
            and -(1 << 63) <= int(m) < (1 << 63))


def _huge_number(b):
    try:
        return abs(float(b)) >= 1e40
    except ValueError:
        return False


def _flush_args_ok(a):
    return not a or (len(a) == 1 and a[0].upper() in (b"SYNC", b"ASYNC"))


def _int_or_none(b):
    if CANON_INT.match(b) is None:
        return None
    return int(b)


class KeyState:
    """Which keys may hold a value whose reply order is random.

    Keys are (db, key) pairs.  The model is fed every command actually sent
    (apply) and errs on the loose side: a flag is set whenever a command
    may have converted a value, and only cleared when the key is certainly
    gone.
    """

    def __init__(self):
        self.db = 0
        self.loose = set()
        self.cfg = dict(DEFAULTS)
        self.saved = None          # flags at MULTI, merged back at EXEC

    # queries ---------------------------------------------------------------
    def is_loose(self, *keys):
        return any((self.db, k) in self.loose for k in keys)

    def cfg_default(self, *names):
        return all(self.cfg[n] == DEFAULTS[n] for n in names)

    def hash_writes_loose(self, items):
        # A huge number may later grow past LONG_LIMIT characters through
        # HINCRBYFLOAT (printed with 17 decimals, 1e308 has 309 digits).
        return (not self.cfg_default(b"hash-max-listpack-entries", b"hash-max-listpack-value")
                or any(len(x) > LONG_LIMIT or _huge_number(x) for x in items))

    def set_writes_loose(self, members):
        return (not self.cfg_default(b"set-max-intset-entries")
                or not all(is_intset_member(m) for m in members))

    def zset_writes_loose(self, items):
        return (not self.cfg_default(b"zset-max-listpack-entries", b"zset-max-listpack-value")
                or any(len(x) > LONG_LIMIT for x in items))

    # updates ---------------------------------------------------------------
    def _flag(self, key, cond=True, db=None):
        if cond:
            self.loose.add((self.db if db is None else db, key))

    def _union(self, dst, srcs, db=None):
        self._flag(dst, any((self.db, s) in self.loose for s in srcs), db)

    def apply(self, args):
        """Update the model with a command that is about to be sent."""
        if not args:
            return
        name = args[0].upper()
        a = args[1:]
        fn = getattr(self, "_c_" + name.decode("latin-1").replace("_", "").lower(), None)
        if fn is not None:
            fn(a)

    def _c_del(self, a):
        for k in a:
            self.loose.discard((self.db, k))
    _c_unlink = _c_del

    def _c_flushdb(self, a):
        if _flush_args_ok(a):
            self.loose = {(d, k) for d, k in self.loose if d != self.db}

    def _c_flushall(self, a):
        if _flush_args_ok(a):
            self.loose = set()

    def _c_select(self, a):
        if len(a) == 1:
            n = _int_or_none(a[0])
            if n is not None and 0 <= n < 16:
                self.db = n

    def _c_swapdb(self, a):
        if len(a) != 2:
            return
        x, y = _int_or_none(a[0]), _int_or_none(a[1])
        if x is None or y is None or not (0 <= x < 16 and 0 <= y < 16):
            return
        swap = {x: y, y: x}
        self.loose = {(swap.get(d, d), k) for d, k in self.loose}

    def _c_rename(self, a):
        if len(a) == 2:
            self._union(a[1], [a[0]])
    _c_renamenx = _c_rename

    def _c_copy(self, a):
        if len(a) < 2:
            return
        db = self.db
        for i, x in enumerate(a[2:-1], 2):
            if x.upper() == b"DB":
                n = _int_or_none(a[i + 1])
                if n is not None:
                    db = n
        self._flag(a[1], (self.db, a[0]) in self.loose, db)

    def _c_move(self, a):
        if len(a) == 2:
            n = _int_or_none(a[1])
            if n is not None:
                self._flag(a[0], (self.db, a[0]) in self.loose, n)

    def _c_config(self, a):
        if len(a) >= 3 and a[0].upper() == b"SET":
            for i in range(1, len(a) - 1, 2):
                n = ALIASES.get(a[i].lower(), a[i].lower())
                v = _int_or_none(a[i + 1])
                if n in self.cfg and v is not None:
                    self.cfg[n] = v

    # hash writes
    def _hash_write(self, a):
        if a:
            self._flag(a[0], self.hash_writes_loose(a[1:]))
    _c_hset = _c_hmset = _c_hsetnx = _c_hincrby = _c_hincrbyfloat = _hash_write

    # set writes
    def _c_sadd(self, a):
        if a:
            self._flag(a[0], self.set_writes_loose(a[1:]))

    def _c_smove(self, a):
        if len(a) == 3:
            self._flag(a[1], self.set_writes_loose(a[2:]))
            self._union(a[1], [a[0]])

    def _set_store(self, a):
        if a:
            self._flag(a[0], not self.cfg_default(b"set-max-intset-entries"))
            self._union(a[0], a[1:])
    _c_sinterstore = _c_sunionstore = _c_sdiffstore = _set_store

    # zset writes
    def _c_zadd(self, a):
        if a:
            self._flag(a[0], self.zset_writes_loose(a[1:]))
    _c_zincrby = _c_zadd

    def _zset_store(self, a):
        if a:
            self._flag(a[0], not self.cfg_default(b"zset-max-listpack-entries",
                                                  b"zset-max-listpack-value"))
            self._union(a[0], a[1:])
    _c_zunionstore = _c_zinterstore = _c_zdiffstore = _c_zrangestore = _zset_store

    # SORT converts a listpack zset to a skiplist (in place, even SORT_RO)
    def _c_sort(self, a):
        if a:
            self._flag(a[0])
    _c_sortro = _c_sort

    # transactions: queued commands were applied as if run; at EXEC or
    # DISCARD keep the union of the flags before and after (conservative
    # whether or not they ran).
    def _c_multi(self, a):
        if self.saved is None:
            self.saved = set(self.loose)

    def _c_exec(self, a):
        if self.saved is not None:
            self.loose |= self.saved
            self.saved = None
    _c_discard = _c_exec


# --------------------------------------------------------------------------
# Value pools
# --------------------------------------------------------------------------

H_FIELDS = [b"f1", b"f2", b"f3", b"f4", b"1", b"10", b"", b"x y"]
H_LONG = [b"F" * 65, b"v" * 70]
H_VALUES_TAME = [b"0", b"1", b"-1", b"10", b"9223372036854775807", b"-9223372036854775808",
                 b"1.5", b"-2.25", b"1e3", b"0.1", b"007", b" 1", b"abc", b"", b"x y"]
H_VALUES_NUM = [b"0", b"1", b"-1", b"10", b"9223372036854775807", b"-9223372036854775808",
                b"1.5", b"-2.25", b"1e3", b"0.1", b"inf", b"007", b" 1", b"abc", b""]
L_VALUES = [b"a", b"b", b"c", b"1", b"2", b"10", b"", b"-1", b"hello world"]
S_INTS = [b"0", b"1", b"2", b"3", b"5", b"-1", b"-10", b"100", b"9223372036854775807",
          b"-9223372036854775808"]
S_STRS = [b"a", b"b", b"c", b"x", b"", b"1.5", b"007", b"-0", b"9223372036854775808",
          b"\xff\x00", b" 1"]
# No NUL byte: SORT ... ALPHA compares with strcoll(), for which "b\0" and
# "b" are equal (a tie, left in the random order of a skiplist's dict).
Z_MEMBERS = [b"a", b"b", b"c", b"d", b"e", b"1", b"", b"aa", b"b\xff"]
Z_SCORES = [b"0", b"1", b"-1", b"1.5", b"2", b"10", b"-2.5", b"3", b"0.1", b"0.2",
            b"0.30000000000000004", b"1e308", b"-1e308", b"1e-300", b"inf", b"-inf", b"+inf"]
Z_BAD_SCORES = [b"nan", b"abc", b"", b"1e400", b"(1", b"1 ", b"0x10"]
# Redis 7.0's SORT reads errno after strtod without clearing it first, so
# once any command has parsed an overflowing float (1e400: ERANGE), every
# later numeric SORT on that connection's server answers "One or more scores
# can't be converted into double" (a Redis bug holdfast does not copy).
# Streams that SORT leave the overflowing score out.
Z_BAD_SCORES_NO_ERANGE = [b for b in Z_BAD_SCORES if b != b"1e400"]
Z_BOUNDS = [b"-inf", b"+inf", b"inf", b"0", b"1", b"(1", b"2", b"(2", b"1.5", b"-1",
            b"(-inf", b"(+inf", b"10", b"(10", b"0.1", b"(0.30000000000000004"]
Z_BAD_BOUNDS = [b"abc", b"(", b"nan", b"[1", b"", b"((1"]
LEX_BOUNDS = [b"-", b"+", b"[a", b"(a", b"[b", b"(b", b"[c", b"(d", b"[", b"(", b"[aa",
              b"[z", b"[1", b"(e"]
LEX_BAD = [b"a", b"", b"1", b"-inf", b"+a"]
SCAN_PATTERNS = [b"*", b"f*", b"*1", b"?", b"[ab]", b"a*", b"1*", b"*[0-9]*", b"\\*"]
BIT_VALUES = [b"", b"\x00", b"\xff", b"foobar", b"\xff\xf0\x00", b"\x00\x00\xff", b"\x80",
              b"\x01\x02\x04\x08", b"abc"]
BF_TYPES = [b"u1", b"u2", b"u7", b"u8", b"u15", b"u16", b"u31", b"u32", b"u63",
            b"i1", b"i2", b"i8", b"i16", b"i32", b"i63", b"i64", b"u4", b"i5"]
BF_BAD_TYPES = [b"u64", b"i65", b"u0", b"i0", b"x8", b"u", b"8", b"U8", b"i-1"]
BLOCK_TIMEOUTS = [b"0.01"] * 6 + [b"-1", b"-0.5", b"abc", b"nan", b""]
POP_COUNTS = [b"0", b"1", b"2", b"3", b"5", b"100", b"9223372036854775807", b"-1",
              b"abc", b"1.5"]
# Never a huge negative count: Redis would build a reply of that many
# random elements (and run out of memory).
RAND_COUNTS = [b"0", b"1", b"2", b"3", b"5", b"100", b"-1", b"-2", b"-5", b"-20",
               b"9223372036854775807", b"abc", b"1.0"]
SORT_ELEMS_NUM = [b"1", b"2", b"3", b"10", b"-5", b"1.5", b"0", b"100"]
SORT_ELEMS_ALPHA = [b"a", b"b", b"c", b"ab", b"10", b"z", b"ba"]


class Applied(list):
    """A group of commands already fed to KeyState one by one while it was
    generated (because later commands' modes depend on earlier ones)."""


class TypeGenerators:
    """Mixin for diff.RandomStream (which supplies self.r, self.st,
    self.value(), self.integer()): the data-type command families."""

    def type_generators(self):
        """[(family, weight, generator)] of every type family."""
        g = []
        common = [(2, self.t_del), (1, self.t_exists), (1, self.t_type),
                  (1.5, self.t_encoding), (1, self.t_intruder), (0.6, self.t_expire),
                  (0.6, self.t_rename), (0.4, self.t_config), (0.05, self.t_flushdb)]
        fams = {
            "hash": [(8, self.h_hset), (2, self.h_hsetnx), (4, self.h_hget),
                     (2, self.h_hmget), (3, self.h_hdel), (2, self.h_hlen),
                     (2, self.h_hexists), (1.5, self.h_hstrlen), (3, self.h_hgetall),
                     (2, self.h_hkeys), (3, self.h_hincrby), (2.5, self.h_hincrbyfloat),
                     (2, self.h_hrandfield), (2, self.h_hscan)],
            "list": [(8, self.l_push), (2, self.l_pushx), (4, self.l_pop), (2, self.l_llen),
                     (5, self.l_lrange), (2, self.l_lindex), (2, self.l_lset),
                     (2, self.l_linsert), (2, self.l_lrem), (2, self.l_ltrim),
                     (3, self.l_lpos), (2, self.l_lmove), (1, self.l_rpoplpush),
                     (2, self.l_lmpop), (1, self.l_blocking), (1.5, self.l_blocking_multi)],
            "set": [(8, self.s_sadd), (3, self.s_srem), (2, self.s_scard),
                    (2, self.s_sismember), (2, self.s_smismember), (4, self.s_smembers),
                    (2, self.s_srandmember), (1.5, self.s_spop), (2, self.s_smove),
                    (4, self.s_setop), (2, self.s_sintercard), (3, self.s_store),
                    (2, self.s_sscan)],
            "zset": [(8, self.z_zadd), (2, self.z_zincrby), (2, self.z_zscore),
                     (1.5, self.z_zmscore), (1.5, self.z_zcard), (2, self.z_zcount),
                     (1.5, self.z_zlexcount), (5, self.z_zrange), (1.5, self.z_zrangestore),
                     (3, self.z_byscore), (2, self.z_bylex), (1.5, self.z_zrevrange),
                     (2, self.z_zrank), (2, self.z_zrem), (2, self.z_zremrange),
                     (2, self.z_pop), (1.5, self.z_zmpop), (1, self.z_blocking),
                     (1.5, self.z_zrandmember), (4, self.z_setop), (1, self.z_zintercard),
                     (1.5, self.z_zscan)],
            "bitmap": [(5, self.b_setbit), (3, self.b_getbit), (3, self.b_bitcount),
                       (3, self.b_bitpos), (3, self.b_bitop), (5, self.b_bitfield),
                       (2, self.b_bitfield_ro), (3, self.b_string), (2, self.b_get)],
            "sort": [(5, self.o_fill), (3, self.o_weights), (8, self.o_sort),
                     (2, self.o_read)],
            "multi": [(6, self.m_tx), (1, self.m_watch), (1, self.m_misc)],
        }
        for fam, gens in fams.items():
            extra = [] if fam in ("multi",) else common
            for w, fn in gens + extra:
                g.append((fam, w, fn))
        return g

    # helpers -----------------------------------------------------------------
    def tk(self):
        return self.r.choice(T_KEYS)

    def tks(self, lo=1, hi=3):
        return [self.tk() for _ in range(self.r.randint(lo, hi))]

    def chance(self, p):
        return self.r.random() < p

    def small_int(self, lo=-5, hi=5):
        x = self.r.random()
        if x < 0.85:
            return str(self.r.randint(lo, hi)).encode()
        if x < 0.95:
            return self.r.choice([b"100", b"-100", b"9223372036854775807",
                                  b"-9223372036854775808"])
        return self.r.choice([b"abc", b"1.5", b"", b"9223372036854775808", b" 1"])

    def numkeys_args(self, keys):
        """numkeys + keys for LMPOP/ZUNION & co; sometimes a wrong numkeys."""
        n = len(keys)
        x = self.r.random()
        if x < 0.92:
            return [str(n).encode()] + keys
        return [self.r.choice([b"0", b"-1", b"abc", str(n + 1).encode(),
                               str(n - 1).encode()])] + keys

    def loose_mode(self, mode, *keys):
        return mode if self.st.is_loose(*keys) else "exact"

    # common to every type family -----------------------------------------------
    def t_del(self):
        keys = self.tks(1, 2)
        if "zset" in self.families and self.chance(0.15):
            keys.append(self.r.choice(LEX_KEYS))
        return "exact", [self.r.choice([b"DEL", b"UNLINK"])] + keys

    def t_exists(self):
        return "exact", [b"EXISTS"] + self.tks(1, 3)

    def t_type(self):
        return "exact", [b"TYPE", self.tk()]

    def t_encoding(self):
        return "exact", [b"OBJECT", b"ENCODING", self.tk()]

    def t_intruder(self):
        """A value of another type, so that WRONGTYPE happens."""
        k = self.tk()
        if "zset" in self.families and self.chance(0.1):
            return "exact", [b"SET", self.r.choice(LEX_KEYS), b"str"]
        return "exact", self.r.choice([
            [b"SET", k, self.r.choice([b"1", b"str", b"\xff"])],
            [b"RPUSH", k, self.r.choice(L_VALUES)],
            [b"SADD", k, self.r.choice(S_INTS + S_STRS[:2])],
            [b"HSET", k, self.r.choice(H_FIELDS), b"1"],
            [b"ZADD", k, b"1", self.r.choice(Z_MEMBERS)]])

    def t_expire(self):
        k = self.tk()
        x = self.r.random()
        if x < 0.4:
            return "exact", [b"EXPIRE", k, self.r.choice([b"100000000", b"200000000"])]
        if x < 0.7:
            return "ttl", [self.r.choice([b"TTL", b"PTTL"]), k]
        if x < 0.9:
            return "exact", [b"PERSIST", k]
        return "exact", [b"PEXPIRE", k, b"-1"]          # deletes the key at once

    def t_rename(self):
        src, dst = self.tk(), self.tk()
        if self.chance(0.5):
            return "exact", [self.r.choice([b"RENAME", b"RENAMENX"]), src, dst]
        args = [b"COPY", src, dst]
        if self.chance(0.5):
            args.append(b"REPLACE")
        return "exact", args

    def t_config(self):
        """CONFIG GET/SET of a threshold.  Mostly an episode: a small value,
        a few writes (which convert with little data), the default again,
        so that small encodings (compared exactly) stay the common case."""
        names = []
        for fam in self.families:
            names += FAMILY_CONFIG.get(fam, [])
        if not names:
            names = list(CONFIG_CHOICES)
        n = self.r.choice(names)
        x = self.r.random()
        if x < 0.2:
            inv = {v: k for k, v in ALIASES.items()}
            return "exact", [b"CONFIG", b"GET", inv.get(n, n) if self.chance(0.5) else n]
        default = CONFIG_DEFAULTS[n]
        if x < 0.75:
            cmds = Applied()
            self.queue(cmds, [b"CONFIG", b"SET", n, self.r.choice(
                [v for v in CONFIG_CHOICES[n] if v != default])])
            writer = {"hash": self.h_hset, "set": self.s_sadd, "zset": self.z_zadd,
                      "list": self.l_push}[CONFIG_FAMILY[n]]
            for _ in range(self.r.randint(1, 3)):
                self.queue(cmds, writer()[1])
            self.queue(cmds, [b"CONFIG", b"SET", n, default])
            return cmds
        v = default if self.chance(0.7) else self.r.choice(CONFIG_CHOICES[n])
        if n in ALIASES.values() and self.chance(0.2):
            n = {v2: k for k, v2 in ALIASES.items()}[n]
        return [("exact", [b"CONFIG", b"SET", n, v])]

    def t_flushdb(self):
        return "exact", [b"FLUSHDB"]

    # hash ------------------------------------------------------------------------
    def hfield(self, k=None):
        if k in TAME_KEYS or self.chance(0.97):
            return self.r.choice(H_FIELDS)
        return self.r.choice(H_LONG)

    def hvalue(self, k):
        if k in TAME_KEYS:
            return self.r.choice(H_VALUES_TAME)
        x = self.r.random()
        if x < 0.5:
            return self.r.choice(H_VALUES_NUM)
        if x < 0.96:
            return self.value()
        return self.r.choice(H_LONG)

    def h_hset(self):
        k = self.tk()
        cmd = b"HSET" if self.chance(0.75) else b"HMSET"
        args = [cmd, k]
        for _ in range(self.r.choice([1, 1, 1, 2, 2, 3])):
            args += [self.hfield(k), self.hvalue(k)]
        if self.chance(0.03):
            args.pop()
        return "exact", args

    def h_hsetnx(self):
        k = self.tk()
        return "exact", [b"HSETNX", k, self.hfield(k), self.hvalue(k)]

    def h_hget(self):
        return "exact", [b"HGET", self.tk(), self.hfield()]

    def h_hmget(self):
        return "exact", [b"HMGET", self.tk()] + [self.hfield() for _ in range(self.r.randint(1, 4))]

    def h_hdel(self):
        return "exact", [b"HDEL", self.tk()] + [self.hfield() for _ in range(self.r.randint(1, 3))]

    def h_hlen(self):
        return "exact", [b"HLEN", self.tk()]

    def h_hexists(self):
        return "exact", [b"HEXISTS", self.tk(), self.hfield()]

    def h_hstrlen(self):
        return "exact", [b"HSTRLEN", self.tk(), self.hfield()]

    def h_hgetall(self):
        k = self.tk()
        return self.loose_mode("pairs", k), [b"HGETALL", k]

    def h_hkeys(self):
        k = self.tk()
        return self.loose_mode("sort", k), [self.r.choice([b"HKEYS", b"HVALS"]), k]

    def h_hincrby(self):
        k = self.tk()
        return "exact", [b"HINCRBY", k, self.hfield(k), self.integer()]

    def h_hincrbyfloat(self):
        k = self.tk()
        incs = [b"1.5", b"-2.25", b"0.1", b"10", b"1e3", b"-1", b"5.0e-3", b"3.0e3",
                b"nan", b"abc", b"", b"0", b"-0.0", b"1e-20"]
        if k not in TAME_KEYS:
            incs += [b"1e308", b"inf", b"1.7976931348623157e308"]
        return "exact", [b"HINCRBYFLOAT", k, self.hfield(k), self.r.choice(incs)]

    def h_hrandfield(self):
        args = [b"HRANDFIELD", self.tk()]
        if self.chance(0.8):
            args.append(self.r.choice(RAND_COUNTS))
            if self.chance(0.5):
                args.append(self.r.choice([b"WITHVALUES"] * 5 + [b"withvalues", b"FOO"]))
        return [("len", args)]

    def scan_args(self, cmd, k, patterns):
        """[cmd k cursor MATCH COUNT] and its mode for a possibly loose key."""
        if self.st.is_loose(k):
            args = [cmd, k, b"0"]
            if self.chance(0.4):
                args += [b"MATCH", self.r.choice(patterns)]
            return args + [b"COUNT", b"1000"]
        x = self.r.random()
        cur = b"0" if x < 0.8 else self.r.choice([b"1", b"abc", b"-1", b"18446744073709551616"])
        args = [cmd, k, cur]
        opts = [[b"MATCH", self.r.choice(patterns)],
                [b"COUNT", self.r.choice([b"1", b"2", b"10", b"0", b"-1", b"abc"])],
                [b"TYPE", b"string"], [b"NOVALUES"]]
        for _ in range(self.r.choice([0, 1, 1, 2])):
            o = self.r.choice(opts)
            if len(o) == 1 and not self.chance(0.2):
                continue
            args += o
        return args

    def h_hscan(self):
        k = self.tk()
        return self.loose_mode("scanpairs", k), self.scan_args(b"HSCAN", k, SCAN_PATTERNS)

    # list ------------------------------------------------------------------------
    def lval(self):
        return self.r.choice(L_VALUES) if self.chance(0.98) else b"L" * 70

    def l_push(self):
        cmd = self.r.choice([b"LPUSH", b"RPUSH"])
        return "exact", [cmd, self.tk()] + [self.lval() for _ in range(self.r.randint(1, 4))]

    def l_pushx(self):
        cmd = self.r.choice([b"LPUSHX", b"RPUSHX"])
        return "exact", [cmd, self.tk()] + [self.lval() for _ in range(self.r.randint(1, 3))]

    def l_pop(self):
        args = [self.r.choice([b"LPOP", b"RPOP"]), self.tk()]
        if self.chance(0.5):
            args.append(self.r.choice(POP_COUNTS))
        return "exact", args

    def l_llen(self):
        return "exact", [b"LLEN", self.tk()]

    def l_lrange(self):
        if self.chance(0.6):
            return "exact", [b"LRANGE", self.tk(), b"0", b"-1"]
        return "exact", [b"LRANGE", self.tk(), self.small_int(-8, 8), self.small_int(-8, 8)]

    def l_lindex(self):
        return "exact", [b"LINDEX", self.tk(), self.small_int(-6, 6)]

    def l_lset(self):
        return "exact", [b"LSET", self.tk(), self.small_int(-6, 6), self.lval()]

    def l_linsert(self):
        where = self.r.choice([b"BEFORE", b"AFTER", b"before", b"MIDDLE"])
        return "exact", [b"LINSERT", self.tk(), where, self.lval(), self.lval()]

    def l_lrem(self):
        return "exact", [b"LREM", self.tk(), self.small_int(-3, 3), self.lval()]

    def l_ltrim(self):
        return "exact", [b"LTRIM", self.tk(), self.small_int(-6, 6), self.small_int(-6, 6)]

    def l_lpos(self):
        args = [b"LPOS", self.tk(), self.lval()]
        opts = [[b"RANK", self.r.choice([b"1", b"2", b"-1", b"-2", b"0", b"3", b"abc",
                                         b"-9223372036854775808", b"9223372036854775807"])],
                [b"COUNT", self.r.choice([b"0", b"1", b"2", b"5", b"-1", b"abc"])],
                [b"MAXLEN", self.r.choice([b"0", b"1", b"2", b"3", b"-1", b"abc"])],
                [b"FOO"]]
        for _ in range(self.r.choice([0, 1, 1, 2, 3])):
            o = self.r.choice(opts)
            if o == [b"FOO"] and not self.chance(0.2):
                continue
            args += o
        return "exact", args

    def where(self):
        return self.r.choice([b"LEFT", b"RIGHT", b"left", b"right"] * 6 + [b"UP"])

    def l_lmove(self):
        return "exact", [b"LMOVE", self.tk(), self.tk(), self.where(), self.where()]

    def l_rpoplpush(self):
        return "exact", [b"RPOPLPUSH", self.tk(), self.tk()]

    def l_lmpop(self):
        args = [b"LMPOP"] + self.numkeys_args(self.tks(1, 3)) + [self.where()]
        if self.chance(0.5):
            args += [b"COUNT", self.r.choice(POP_COUNTS[:7] + [b"-1", b"abc"])]
        return "exact", args

    def blocking_list_cmd(self, timeout):
        c = self.r.choice([b"BLPOP", b"BRPOP", b"BLMOVE", b"BRPOPLPUSH", b"BLMPOP"])
        if c in (b"BLPOP", b"BRPOP"):
            return [c] + self.tks(1, 3) + [timeout]
        if c == b"BLMOVE":
            return [c, self.tk(), self.tk(), self.where(), self.where(), timeout]
        if c == b"BRPOPLPUSH":
            return [c, self.tk(), self.tk(), timeout]
        args = [c, timeout] + self.numkeys_args(self.tks(1, 3)) + [self.where()]
        if self.chance(0.4):
            args += [b"COUNT", self.r.choice([b"1", b"2", b"10", b"0", b"-1"])]
        return args

    def l_blocking(self):
        return [("exact", self.blocking_list_cmd(self.r.choice(BLOCK_TIMEOUTS)))]

    def l_blocking_multi(self):
        """Inside MULTI a blocking command never blocks, even with timeout 0."""
        return [("exact", [b"MULTI"]),
                ("exact", self.blocking_list_cmd(self.r.choice([b"0", b"0", b"0.01", b"-1"]))),
                ("exact", [b"EXEC"])]

    # set -------------------------------------------------------------------------
    def smember(self, ints_only):
        if ints_only or self.chance(0.55):
            return self.r.choice(S_INTS)
        return self.r.choice(S_STRS) if self.chance(0.97) else b"S" * 70

    def smembers_list(self, lo, hi, k=None):
        ints = self.chance(0.97 if k in TAME_KEYS else 0.5)
        return [self.smember(ints) for _ in range(self.r.randint(lo, hi))]

    def s_sadd(self):
        k = self.tk()
        return "exact", [b"SADD", k] + self.smembers_list(1, 4, k)

    def s_srem(self):
        return "exact", [b"SREM", self.tk()] + self.smembers_list(1, 3)

    def s_scard(self):
        return "exact", [b"SCARD", self.tk()]

    def s_sismember(self):
        return "exact", [b"SISMEMBER", self.tk(), self.smember(False)]

    def s_smismember(self):
        return "exact", [b"SMISMEMBER", self.tk()] + self.smembers_list(1, 4)

    def s_smembers(self):
        k = self.tk()
        return self.loose_mode("sort", k), [b"SMEMBERS", k]

    def s_srandmember(self):
        args = [b"SRANDMEMBER", self.tk()]
        if self.chance(0.75):
            args.append(self.r.choice(RAND_COUNTS))
        return [("len", args)]

    def s_spop(self):
        """SPOP removes random members: afterwards only the count agrees,
        so the key is deleted at once."""
        k = self.tk()
        args = [b"SPOP", k]
        if self.chance(0.6):
            args.append(self.r.choice(POP_COUNTS))
        return [("len", args), ("exact", [b"SCARD", k]), ("exact", [b"DEL", k])]

    def s_smove(self):
        dst = self.tk()
        return "exact", [b"SMOVE", self.tk(), dst, self.smember(dst in TAME_KEYS and
                                                           self.chance(0.95))]

    def s_setop(self):
        keys = self.tks(1, 3)
        cmd = self.r.choice([b"SINTER", b"SUNION", b"SDIFF"])
        mode = "exact"
        if self.st.is_loose(*keys) or not self.st.cfg_default(b"set-max-intset-entries"):
            mode = "sort"
        return mode, [cmd] + keys

    def s_sintercard(self):
        args = [b"SINTERCARD"] + self.numkeys_args(self.tks(1, 3))
        if self.chance(0.4):
            args += [b"LIMIT", self.r.choice([b"0", b"1", b"2", b"-1", b"abc", b"100"])]
        return "exact", args

    def s_store(self):
        cmd = self.r.choice([b"SINTERSTORE", b"SUNIONSTORE", b"SDIFFSTORE"])
        return "exact", [cmd, self.tk()] + self.tks(1, 3)

    def s_sscan(self):
        k = self.tk()
        return self.loose_mode("scan", k), self.scan_args(b"SSCAN", k,
                                                           [b"*", b"1*", b"-*", b"?", b"[0-2]",
                                                            b"a*", b"*0"])

    # zset ------------------------------------------------------------------------
    def zmember(self, k=None):
        if k in TAME_KEYS or self.chance(0.97):
            return self.r.choice(Z_MEMBERS)
        return b"Z" * 70

    def zscore(self):
        bad = Z_BAD_SCORES_NO_ERANGE if "sort" in self.families else Z_BAD_SCORES
        return self.r.choice(Z_SCORES) if self.chance(0.95) else self.r.choice(bad)

    def zk(self):
        """A zset key to read or to remove from: sometimes a lex key."""
        return self.tk() if self.chance(0.8) else self.r.choice(LEX_KEYS)

    def zks(self, lo=1, hi=3):
        return [self.zk() for _ in range(self.r.randint(lo, hi))]

    def lex_query(self):
        """key, min, max of a lexicographic range: a lex key, or a key with
        mixed scores and an invalid bound (the error comes first)."""
        if self.chance(0.93):
            return [self.r.choice(LEX_KEYS), self.lexbound(), self.lexbound()]
        b = [self.r.choice(LEX_BAD), self.lexbound()]
        self.r.shuffle(b)
        return [self.tk()] + b

    def zbound(self):
        return self.r.choice(Z_BOUNDS) if self.chance(0.95) else self.r.choice(Z_BAD_BOUNDS)

    def lexbound(self):
        return self.r.choice(LEX_BOUNDS) if self.chance(0.95) else self.r.choice(LEX_BAD)

    def z_zadd(self):
        if self.chance(0.15):                 # a lex key: every score is 0
            args = [b"ZADD", self.r.choice(LEX_KEYS)]
            args += self.r.choice([[], [], [b"NX"], [b"XX"], [b"CH"], [b"GT", b"CH"]])
            for _ in range(self.r.choice([1, 1, 2, 3])):
                args += [b"0", self.zmember()]
            return "exact", args
        args = [b"ZADD", self.tk()]
        if self.chance(0.4):
            for o in [b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR"]:
                if self.chance(0.2):
                    args.append(o)
            self.r.shuffle(args[2:])
        for _ in range(self.r.choice([1, 1, 1, 2, 3])):
            args += [self.zscore(), self.zmember(args[1])]
        if self.chance(0.03):
            args.pop()
        return "exact", args

    def z_zincrby(self):
        k = self.tk()
        return "exact", [b"ZINCRBY", k, self.zscore(), self.zmember(k)]

    def z_zscore(self):
        return "exact", [b"ZSCORE", self.zk(), self.zmember()]

    def z_zmscore(self):
        members = [self.zmember() for _ in range(self.r.randint(1, 3))]
        return "exact", [b"ZMSCORE", self.zk()] + members

    def z_zcard(self):
        return "exact", [b"ZCARD", self.zk()]

    def z_zcount(self):
        return "exact", [b"ZCOUNT", self.zk(), self.zbound(), self.zbound()]

    def z_zlexcount(self):
        return "exact", [b"ZLEXCOUNT"] + self.lex_query()

    def limit(self):
        return [b"LIMIT", self.small_int(-2, 4), self.r.choice([b"-1", b"0", b"1", b"2", b"5"])
                if self.chance(0.9) else self.small_int()]

    def zrange_args(self):
        """kind, key, start, stop + options of the ZRANGE syntax."""
        kind = self.r.choice(["index", "index", "score", "lex"])
        if kind == "score":
            key, lo, hi = self.zk(), self.zbound(), self.zbound()
            opts = [b"BYSCORE"]
        elif kind == "lex":
            key, lo, hi = self.lex_query()
            opts = [b"BYLEX"]
        else:
            key, lo, hi = self.zk(), self.small_int(-6, 6), self.small_int(-6, 6)
            opts = []
        if self.chance(0.3):
            opts.append(b"REV")
        if self.chance(0.3) and (kind != "index" or self.chance(0.2)):
            opts += self.limit()
        if self.chance(0.4) and (kind != "lex" or self.chance(0.2)):
            opts.append(b"WITHSCORES")
        if self.chance(0.3):
            self.r.shuffle(opts)
        if self.chance(0.02):
            opts.append(self.r.choice([b"BYSCORE", b"BYLEX", b"FOO"]))
        return kind, key, [lo, hi] + opts

    def z_zrange(self):
        _, key, args = self.zrange_args()
        return "exact", [b"ZRANGE", key] + args

    def z_zrangestore(self):
        kind, key, args = self.zrange_args()
        args = [a for a in args if a != b"WITHSCORES"] if self.chance(0.9) else args
        # only a lexicographic range of a lex key may be stored in a lex key
        dst = self.r.choice(LEX_KEYS) if kind == "lex" and key in LEX_KEYS and \
            self.chance(0.5) else self.tk()
        return "exact", [b"ZRANGESTORE", dst, key] + args

    def z_byscore(self):
        cmd = self.r.choice([b"ZRANGEBYSCORE", b"ZREVRANGEBYSCORE"])
        args = [cmd, self.zk(), self.zbound(), self.zbound()]
        opts = []
        if self.chance(0.4):
            opts.append(b"WITHSCORES")
        if self.chance(0.3):
            opts += self.limit()
        if self.chance(0.3):
            opts.reverse()
        return "exact", args + opts

    def z_bylex(self):
        cmd = self.r.choice([b"ZRANGEBYLEX", b"ZREVRANGEBYLEX"])
        args = [cmd] + self.lex_query()
        if self.chance(0.3):
            args += self.limit()
        if self.chance(0.03):
            args.append(b"WITHSCORES")
        return "exact", args

    def z_zrevrange(self):
        args = [b"ZREVRANGE", self.zk(), self.small_int(-6, 6), self.small_int(-6, 6)]
        if self.chance(0.4):
            args.append(b"WITHSCORES")
        return "exact", args

    def z_zrank(self):
        return "exact", [self.r.choice([b"ZRANK", b"ZREVRANK"]), self.zk(), self.zmember()]

    def z_zrem(self):
        return "exact", [b"ZREM", self.zk()] + [self.zmember() for _ in range(self.r.randint(1, 3))]

    def z_zremrange(self):
        c = self.r.choice([b"ZREMRANGEBYRANK", b"ZREMRANGEBYSCORE", b"ZREMRANGEBYLEX"])
        if c == b"ZREMRANGEBYRANK":
            return "exact", [c, self.zk(), self.small_int(-6, 6), self.small_int(-6, 6)]
        if c == b"ZREMRANGEBYSCORE":
            return "exact", [c, self.zk(), self.zbound(), self.zbound()]
        return "exact", [c] + self.lex_query()

    def z_pop(self):
        args = [self.r.choice([b"ZPOPMIN", b"ZPOPMAX"]), self.zk()]
        if self.chance(0.5):
            args.append(self.r.choice(POP_COUNTS))
        return "exact", args

    def minmax(self):
        return self.r.choice([b"MIN", b"MAX", b"min", b"max"] * 6 + [b"MID"])

    def z_zmpop(self):
        args = [b"ZMPOP"] + self.numkeys_args(self.zks(1, 3)) + [self.minmax()]
        if self.chance(0.5):
            args += [b"COUNT", self.r.choice([b"1", b"2", b"10", b"0", b"-1", b"abc"])]
        return "exact", args

    def blocking_zset_cmd(self, timeout):
        c = self.r.choice([b"BZPOPMIN", b"BZPOPMAX", b"BZMPOP"])
        if c != b"BZMPOP":
            return [c] + self.zks(1, 3) + [timeout]
        args = [c, timeout] + self.numkeys_args(self.zks(1, 3)) + [self.minmax()]
        if self.chance(0.4):
            args += [b"COUNT", self.r.choice([b"1", b"2", b"10", b"0", b"-1"])]
        return args

    def z_blocking(self):
        if self.chance(0.5):
            return [("exact", [b"MULTI"]),
                    ("exact", self.blocking_zset_cmd(self.r.choice([b"0", b"0.01"]))),
                    ("exact", [b"EXEC"])]
        return [("exact", self.blocking_zset_cmd(self.r.choice(BLOCK_TIMEOUTS)))]

    def z_zrandmember(self):
        args = [b"ZRANDMEMBER", self.zk()]
        if self.chance(0.8):
            args.append(self.r.choice(RAND_COUNTS))
            if self.chance(0.5):
                args.append(self.r.choice([b"WITHSCORES"] * 5 + [b"withscores", b"FOO"]))
        return [("len", args)]

    def zsetop_opts(self, nkeys, with_weights=True):
        opts = []
        if with_weights and self.chance(0.35):
            n = nkeys if self.chance(0.9) else self.r.choice([nkeys + 1, max(nkeys - 1, 0)])
            opts += [b"WEIGHTS"] + [self.r.choice([b"1", b"2", b"0", b"-1", b"0.5", b"inf",
                                                   b"-inf", b"abc"] if self.chance(0.97)
                                                  else [b"nan"]) for _ in range(n)]
        if self.chance(0.35):
            opts += [b"AGGREGATE", self.r.choice([b"SUM", b"MIN", b"MAX", b"sum", b"AVG"])]
        return opts

    def z_setop(self):
        cmd = self.r.choice([b"ZUNION", b"ZINTER", b"ZDIFF", b"ZUNIONSTORE",
                             b"ZINTERSTORE", b"ZDIFFSTORE"])
        keys = self.zks(1, 3)
        args = [cmd]
        if cmd.endswith(b"STORE"):
            args.append(self.tk())
        args += self.numkeys_args(keys)
        opts = self.zsetop_opts(len(keys), with_weights=not cmd.startswith(b"ZDIFF")
                                or self.chance(0.1))
        if not cmd.endswith(b"STORE") and self.chance(0.5):
            opts.append(b"WITHSCORES")
        if self.chance(0.3) and b"WEIGHTS" not in opts:
            self.r.shuffle(opts)
        return "exact", args + opts

    def z_zintercard(self):
        args = [b"ZINTERCARD"] + self.numkeys_args(self.zks(1, 3))
        if self.chance(0.4):
            args += [b"LIMIT", self.r.choice([b"0", b"1", b"2", b"-1", b"abc"])]
        return "exact", args

    def z_zscan(self):
        k = self.zk()
        return self.loose_mode("scanpairs", k), self.scan_args(
            b"ZSCAN", k, [b"*", b"a*", b"?", b"[a-c]", b"*a*"])

    # bitmap ----------------------------------------------------------------------
    def bit_offset(self):
        x = self.r.random()
        if x < 0.9:
            return str(self.r.randint(0, 40)).encode()
        if x < 0.95:
            return self.r.choice([b"100", b"7", b"8", b"63", b"64", b"4294967295"])
        return self.r.choice([b"-1", b"abc", b"4294967296", b"1.5", b""])

    def b_setbit(self):
        off = self.bit_offset()
        if off == b"4294967295":        # valid, but would allocate 512 MB
            off = b"4294967296"
        return "exact", [b"SETBIT", self.tk(), off,
                         self.r.choice([b"0", b"1", b"1", b"2", b"-1", b"abc"] if self.chance(0.1)
                                       else [b"0", b"1"])]

    def b_getbit(self):
        return "exact", [b"GETBIT", self.tk(), self.bit_offset()]

    def b_range(self, args, lo=-8, hi=8):
        if self.chance(0.7):
            args += [self.small_int(lo, hi), self.small_int(lo, hi)]
            if self.chance(0.4):
                args.append(self.r.choice([b"BYTE", b"BIT", b"bit", b"WORD"]))
        return args

    def b_bitcount(self):
        args = [b"BITCOUNT", self.tk()]
        if self.chance(0.03):
            return "exact", args + [b"0"]
        return "exact", self.b_range(args, -40, 40)

    def b_bitpos(self):
        args = [b"BITPOS", self.tk(), self.r.choice([b"0", b"1"] * 8 + [b"2", b"-1", b"abc"])]
        x = self.r.random()
        if x < 0.3:
            return "exact", args
        if x < 0.5:
            return "exact", args + [self.small_int(-10, 10)]
        return "exact", self.b_range(args, -40, 40)

    def b_bitop(self):
        op = self.r.choice([b"AND", b"OR", b"XOR", b"NOT", b"and", b"not", b"NAND"])
        srcs = self.tks(1, 3) if op.upper() != b"NOT" or self.chance(0.1) else [self.tk()]
        return "exact", [b"BITOP", op, self.tk()] + srcs

    def bf_type(self):
        return self.r.choice(BF_TYPES) if self.chance(0.95) else self.r.choice(BF_BAD_TYPES)

    def bf_offset(self):
        x = self.r.random()
        if x < 0.7:
            return str(self.r.randint(0, 70)).encode()
        if x < 0.93:
            return b"#" + str(self.r.randint(0, 6)).encode()
        return self.r.choice([b"-1", b"#-1", b"abc", b"#", b"4294967296", b"1.5"])

    def bf_value(self):
        x = self.r.random()
        if x < 0.7:
            return str(self.r.randint(-300, 300)).encode()
        if x < 0.95:
            return self.r.choice([b"9223372036854775807", b"-9223372036854775808",
                                  b"4294967295", b"65535", b"-129", b"127", b"128"])
        return self.r.choice([b"abc", b"1.5", b"9223372036854775808", b""])

    def b_bitfield(self):
        args = [b"BITFIELD", self.tk()]
        for _ in range(self.r.choice([0, 1, 1, 2, 2, 3, 4])):
            x = self.r.random()
            if x < 0.3:
                args += [b"GET", self.bf_type(), self.bf_offset()]
            elif x < 0.6:
                args += [b"SET", self.bf_type(), self.bf_offset(), self.bf_value()]
            elif x < 0.88:
                args += [b"INCRBY", self.bf_type(), self.bf_offset(), self.bf_value()]
            elif x < 0.98:
                args += [b"OVERFLOW", self.r.choice([b"WRAP", b"SAT", b"FAIL", b"fail",
                                                     b"wrap", b"BAD"])]
            else:
                args += [self.r.choice([b"GET", b"FOO", b"SET", b"INCRBY"])]
        return "exact", args

    def b_bitfield_ro(self):
        args = [b"BITFIELD_RO", self.tk()]
        for _ in range(self.r.choice([0, 1, 1, 2, 3])):
            if self.chance(0.95):
                args += [b"GET", self.bf_type(), self.bf_offset()]
            else:
                args += [b"SET", b"u8", b"0", b"1"]
        return "exact", args

    def b_string(self):
        c = self.r.choice([b"SET", b"SET", b"APPEND", b"SETRANGE"])
        if c == b"SETRANGE":
            return "exact", [c, self.tk(), str(self.r.randint(0, 8)).encode(),
                             self.r.choice(BIT_VALUES)]
        return "exact", [c, self.tk(), self.r.choice(BIT_VALUES)]

    def b_get(self):
        return "exact", [self.r.choice([b"GET", b"STRLEN"]), self.tk()]

    # SORT ------------------------------------------------------------------------
    def o_fill(self):
        """A fresh list, set or zset of sortable elements at a key."""
        k = self.tk()
        elems = SORT_ELEMS_NUM if self.chance(0.6) else SORT_ELEMS_ALPHA
        n = self.r.randint(1, 6)
        vals = [self.r.choice(elems) for _ in range(n)]
        t = self.r.choice(["list", "set", "zset"])
        if t == "list":
            w = [b"RPUSH", k] + vals
        elif t == "set":
            w = [b"SADD", k] + vals
        else:
            w = [b"ZADD", k]
            for v in vals:
                w += [self.r.choice([b"1", b"2", b"3", b"-1", b"0.5"]), v]
        return [("exact", [b"DEL", k]), ("exact", w)]

    def o_weights(self):
        e = self.r.choice(SORT_ELEMS_NUM + SORT_ELEMS_ALPHA)
        x = self.r.random()
        num = self.r.choice([b"1", b"2", b"3", b"-1", b"10", b"0.5", b"1e3", b"-inf"])
        if x < 0.4:
            return "exact", [b"SET", b"w_" + e, num if self.chance(0.9) else b"abc"]
        if x < 0.7:
            return "exact", [b"HSET", b"h_" + e, b"f", num if self.chance(0.9) else b"xyz",
                             b"g", self.r.choice(SORT_ELEMS_ALPHA)]
        if x < 0.9:
            return "exact", [b"SET", b"o_" + e, self.r.choice(SORT_ELEMS_ALPHA + [b"val"])]
        return "exact", [b"DEL", self.r.choice([b"w_", b"h_", b"o_"]) + e]

    def o_sort(self):
        k = self.tk()
        ro = self.chance(0.25)
        args = [b"SORT_RO" if ro else b"SORT", k]
        by = None
        if self.chance(0.5):
            by = self.r.choice([b"w_*", b"nosort", b"h_*->f", b"h_*->g", b"nokey_*",
                                b"w_*->f", b"*"])
            args += [b"BY", by]
        lim = self.chance(0.3)
        if lim:
            args += [b"LIMIT", self.small_int(-1, 4),
                     self.r.choice([b"-1", b"0", b"1", b"2", b"5"])]
        for _ in range(self.r.choice([0, 0, 1, 2])):
            args += [b"GET", self.r.choice([b"#", b"o_*", b"h_*->g", b"w_*", b"nokey_*"])]
        if self.chance(0.4):
            args.append(self.r.choice([b"ASC", b"DESC", b"desc"]))
        alpha = self.chance(0.4)
        if alpha:
            args.append(b"ALPHA")
        if self.chance(0.1):
            # options in a random order: usually a syntax error, but a word
            # may become another option's argument (BY ALPHA...), so only
            # the shape of the reply is compared and nothing is stored
            rest = args[2:]
            self.r.shuffle(rest)
            return [("len", args[:2] + rest)]
        # Equal ALPHA weights stay in the sort algorithm's order: loose.
        ties = alpha and by is not None and by != b"nosort"
        if not ro and not ties and self.chance(0.25):
            return [("exact", args + [b"STORE", self.tk()])]
        mode = "exact"
        if ties or (by == b"nosort" and self.st.is_loose(k)):
            mode = "len" if lim else "sort"
        return [(mode, args)]

    def o_read(self):
        k = self.tk()
        return "exact", self.r.choice([[b"LRANGE", k, b"0", b"-1"], [b"TYPE", k],
                                       [b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"]])

    # MULTI / EXEC / WATCH ----------------------------------------------------------
    def inner_command(self):
        """An exact, single command of the other active families."""
        for _ in range(20):
            fam, fn = self.pick(self.inner_gens)
            if fam in ("strings", "keyspace") and fn.__name__ in (
                    "g_select", "g_swapdb", "g_flush", "g_move"):
                continue
            saved = copy.deepcopy(self.st)
            out = fn()
            if isinstance(out, tuple) and out[0] == "exact" and \
                    out[1][0].upper() != b"CONFIG":
                return out[1]
            self.st = saved          # a group may have fed the model: undo
        return [b"INCR", b"a"]

    def queue(self, cmds, args):
        """Append a command to a group, feeding it to the key model now."""
        self.st.apply(args)
        cmds.append(("exact", args))

    def m_tx(self):
        cmds = Applied()
        self.queue(cmds, [b"MULTI"])
        for _ in range(self.r.randint(0, 4)):
            self.queue(cmds, self.inner_command())
        x = self.r.random()
        if x < 0.07:     # a command rejected while queueing aborts the EXEC
            cmds.insert(self.r.randint(1, len(cmds)), ("exact", self.r.choice(
                [[b"NOSUCHCMD", b"x"], [b"GET"], [b"HSET", b"a"], [b"ZADD", b"a", b"1"]])))
        elif x < 0.1:
            cmds.insert(self.r.randint(1, len(cmds)), ("exact", self.r.choice(
                [[b"MULTI"], [b"WATCH", b"a"]])))
        self.queue(cmds, [b"DISCARD" if self.chance(0.15) else b"EXEC"])
        return cmds

    def m_watch(self):
        k = self.tk()
        cmds = Applied()
        self.queue(cmds, [b"WATCH", k] + self.tks(0, 2))
        if self.chance(0.5):
            self.queue(cmds, self.r.choice([[b"SET", k, b"1"], [b"DEL", k],
                                            [b"SADD", k, b"7"], [b"LPUSH", k, b"w"]]))
        if self.chance(0.2):
            self.queue(cmds, [b"UNWATCH"])
        self.queue(cmds, [b"MULTI"])
        for _ in range(self.r.randint(1, 3)):
            self.queue(cmds, self.inner_command())
        self.queue(cmds, [b"EXEC"])
        return cmds

    def m_misc(self):
        return [("exact", self.r.choice([[b"EXEC"], [b"DISCARD"], [b"UNWATCH"],
                                         [b"WATCH"], [b"MULTI", b"x"], [b"EXEC", b"x"]]))]
