#!/usr/bin/env bash
# holdfast-admin against real data directories, for `make check` (automake
# TESTS) or by hand:  tests/integration/admin.sh   (KEEP=1 keeps the work dir)
#
#  1. A server writes keys (binary keys and values with NUL and 0xff, ints,
#     expiries, several databases), SAVE, more writes (overwrite, DEL, APPEND,
#     INCR, PERSIST, PEXPIREAT, FLUSHDB, SWAPDB), then kill -9.
#  2. check is clean; export json and csv equal the writer's model; csv and
#     json agree; the json parses as standard JSON; --db and -o work.
#  3. A restarted server holds exactly what the export says (every key,
#     value and expiry); while it runs, prune and import refuse (exit 3) and
#     info names its pid.
#  4. A byte flipped in the middle of a WAL segment: check exits 1 naming the
#     file and offset, and the server refuses to start naming the same.
#  5. The last segment cut mid-record: check says torn tail (exit 0) with the
#     byte count the server then logs when it truncates.
#  6. import of the export into an empty dir (json and csv): a server started
#     on it holds every key, and export again is byte-identical; import into
#     a live directory keeps existing keys unless --replace; a malformed
#     import file changes nothing.
#
# Needs python3 (a RESP client in the helper below; no modules).
# Exit status: 0 pass, 1 fail, 77 skip.
set -u

top=${abs_top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
server=${HOLDFAST_SERVER:-$top/src/holdfast-server}
admin=${HOLDFAST_ADMIN:-$top/src/holdfast-admin}
if [ ! -x "$server" ] || [ ! -x "$admin" ]; then
    echo "SKIP: $server or $admin not built"
    exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: python3 not installed"
    exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/hf-admin.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    if [ -n "${KEEP:-}" ]; then echo "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

failures=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
die() { echo "FAIL: $*"; exit 1; }

# ---- helper: RESP client, model, canonical listings ----------------------------
cat > "$work/helper.py" <<'PYEOF'
import json, os, random, socket, sys, time

class RespError(Exception):
    pass

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", int(port)))
        self.buf = b""
        self.db = 0

    def cmd(self, *args):
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, int):
                a = str(a).encode()
            elif isinstance(a, str):
                a = a.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.s.sendall(b"".join(parts))
        return self.reply()

    def more(self):
        d = self.s.recv(1 << 16)
        if not d:
            raise EOFError("connection closed")
        self.buf += d

    def line(self):
        while b"\r\n" not in self.buf:
            self.more()
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l

    def reply(self):
        l = self.line()
        t, r = l[:1], l[1:]
        if t == b"+":
            return r.decode()
        if t == b"-":
            raise RespError(r.decode())
        if t == b":":
            return int(r)
        if t == b"$":
            n = int(r)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.more()
            v, self.buf = self.buf[:n], self.buf[n + 2:]
            return v
        if t == b"*":
            n = int(r)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ValueError("bad reply %r" % l)

    def select(self, db):
        if db != self.db:
            self.cmd("SELECT", db)
            self.db = db

def jstr(b):
    o = ['"']
    for c in b:
        if c in (0x22, 0x5c):
            o.append("\\" + chr(c))
        elif c < 0x20 or c >= 0x7f:
            o.append("\\u%04x" % c)
        else:
            o.append(chr(c))
    o.append('"')
    return "".join(o)

def canonical(entries):
    """entries: iterable of (db, key bytes, expire, value bytes)"""
    out = []
    for db, k, exp, v in sorted(entries, key=lambda e: (e[0], e[1])):
        out.append('{"db":%d,"key":%s,"type":"string","expire":%d,"value":%s}\n' % (db, jstr(k), exp, jstr(v)))
    return "".join(out)

# model: {(db, key): [value, expire]} kept as hex in a JSON file
def load_model(path):
    if not os.path.exists(path):
        return {}
    m = {}
    for db, k, v, e in json.load(open(path)):
        m[(db, bytes.fromhex(k))] = [bytes.fromhex(v), e]
    return m

def save_model(path, m):
    json.dump([[db, k.hex(), v.hex(), e] for (db, k), (v, e) in m.items()], open(path, "w"))

def write(port, phase, mpath):
    c = Conn(port)
    m = load_model(mpath)
    rnd = random.Random(phase)

    def put(db, k, v, px=None):
        c.select(db)
        if px is None:
            c.cmd("SET", k, v)
            m[(db, k)] = [v, 0]
        else:
            c.cmd("SET", k, v, "PX", px)
            m[(db, k)] = [v, c.cmd("PEXPIRETIME", k)]

    now = int(time.time() * 1000)
    if phase == 1:
        for i in range(200):
            put(0, b"s:%d" % i, b"value-%d" % i)
        for i in range(50):
            put(0, b"n:%d" % i, b"%d" % (i * 7))
        put(0, b"bin:nul", b"a\x00b")
        put(0, b"bin:all", bytes(range(256)))
        put(0, b"k\x00\xff\n\",", b"\r\n,\"\\")
        put(0, b"\xff\xfe", b"\x00")
        put(0, b"empty", b"")
        put(0, b"big", bytes(rnd.getrandbits(8) for _ in range(100000)))
        put(0, b"utf8", "caf\u00e9 \u2615".encode())
        for i in range(20):
            put(0, b"ttl:%d" % i, b"t%d" % i, px=86400000 + i)
        for i in range(10):
            c.select(0)
            k = b"at:%d" % i
            c.cmd("SET", k, b"x")
            c.cmd("PEXPIREAT", k, now + 90000000 + i)
            m[(0, k)] = [b"x", now + 90000000 + i]
        for i in range(30):
            put(1, b"one:%d" % i, b"1-%d\x00" % i)
        for i in range(10):
            put(5, b"five:%d" % i, b"5")
        c.select(0)
        c.cmd("SET", "gone", "soon", "PX", 1)
    else:
        c.select(0)
        for i in range(50):
            put(0, b"s:%d" % i, b"new-%d" % i)
        for i in range(50, 70):
            c.cmd("DEL", b"s:%d" % i)
            del m[(0, b"s:%d" % i)]
        c.cmd("APPEND", "s:70", "+tail")
        m[(0, b"s:70")][0] += b"+tail"
        c.cmd("INCR", "n:3")
        m[(0, b"n:3")][0] = b"22"
        c.cmd("PERSIST", "ttl:0")
        m[(0, b"ttl:0")][1] = 0
        c.cmd("PEXPIREAT", "s:71", now + 95000000)
        m[(0, b"s:71")][1] = now + 95000000
        c.select(5)
        c.cmd("FLUSHDB")
        for k in [k for k in m if k[0] == 5]:
            del m[k]
        c.cmd("SWAPDB", 1, 2)
        for k in [k for k in m if k[0] in (1, 2)]:
            m[(3 - k[0], k[1])] = m.pop(k)
        for i in range(40):
            put(3, bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 30))),
                bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 300))))
        c.select(0)
        c.cmd("SET", "gone2", "soon", "PX", 1)
        put(0, b"last", b"the last write")
    save_model(mpath, m)
    time.sleep(0.05)   # let gone/gone2 expire

def dump(port):
    c = Conn(port)
    entries = []
    for db in range(16):
        c.select(db)
        cur, keys = b"0", set()
        while True:
            cur, batch = c.cmd("SCAN", cur, "COUNT", 1000)
            keys.update(batch)
            if cur == b"0":
                break
        for k in keys:
            v = c.cmd("GET", k)
            if v is None:
                continue
            e = c.cmd("PEXPIRETIME", k)
            entries.append((db, k, 0 if e < 0 else e, v))
    sys.stdout.write(canonical(entries))

def model(mpath):
    sys.stdout.write(canonical((db, k, e, v) for (db, k), (v, e) in load_model(mpath).items()))

def jsoncheck(path):
    """parses an export with the json module: standard JSON, latin-1 mapping"""
    entries = []
    for line in open(path, "rb"):
        o = json.loads(line)
        assert set(o) == {"db", "key", "type", "expire", "value"} and o["type"] == "string", o
        entries.append((o["db"], o["key"].encode("latin-1"), o["expire"], o["value"].encode("latin-1")))
    sys.stdout.write(canonical(entries))

def csv2json(path):
    """an RFC 4180 reader of its own (binary-safe), to cross-check the csv export"""
    data, i, recs = open(path, "rb").read(), 0, []
    while i < len(data):
        rec = []
        while True:
            if data[i:i + 1] == b'"':
                j, f = i + 1, bytearray()
                while True:
                    q = data.index(b'"', j)
                    f += data[j:q]
                    if data[q + 1:q + 2] == b'"':
                        f += b'"'
                        j = q + 2
                    else:
                        i = q + 1
                        break
                rec.append(bytes(f))
            else:
                j = i
                while data[j:j + 1] not in (b",", b"\n"):
                    j += 1
                rec.append(data[i:j])
                i = j
            sep = data[i:i + 1]
            i += 1
            if sep == b"\n":
                break
            assert sep == b",", (sep, i)
        recs.append(rec)
    assert recs[0] == [b"db", b"key", b"type", b"expire", b"value"], recs[0]
    sys.stdout.write(canonical((int(r[0]), r[1], int(r[3]), r[4]) for r in recs[1:]))

def cmd(port, *args):
    try:
        r = Conn(port).cmd(*args)
    except RespError as e:
        print("-" + str(e))
        sys.exit(1)
    print(r.decode("latin-1") if isinstance(r, bytes) else r)

def flip(path, off):
    with open(path, "r+b") as f:
        f.seek(off)
        b = f.read(1)
        f.seek(off)
        f.write(bytes([b[0] ^ 0xff]))

if __name__ == "__main__":
    what, args = sys.argv[1], sys.argv[2:]
    {"write": lambda: write(args[0], int(args[1]), args[2]), "dump": lambda: dump(args[0]),
     "model": lambda: model(args[0]), "jsoncheck": lambda: jsoncheck(args[0]),
     "csv2json": lambda: csv2json(args[0]), "cmd": lambda: cmd(*args),
     "flip": lambda: flip(args[0], int(args[1]))}[what]()
PYEOF
py() { python3 "$work/helper.py" "$@"; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_server DIR: sets PORT and SPID.
start_server() {
    local dir=$1
    PORT=$(free_port)
    "$server" --port "$PORT" --dir "$dir" --io-threads 2 >"$dir.log" 2>&1 &
    SPID=$!
    pids+=("$SPID")
    for _ in $(seq 100); do
        if [ "$(py cmd "$PORT" PING 2>/dev/null)" = PONG ]; then break; fi
        kill -0 "$SPID" 2>/dev/null || die "the server on $dir exited: $(tail -5 "$dir.log")"
        sleep 0.1
    done
    local pid
    pid=$(py cmd "$PORT" INFO server | tr -d '\r' | sed -n 's/^process_id://p')
    [ "$pid" = "$SPID" ] || die "port $PORT is not our server (process_id '$pid', expected $SPID)"
}

stop_server() {   # SIGTERM, as a service manager would
    kill "$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
}

crash_server() {
    kill -9 "$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
}

# expect_rc WANT DESCRIPTION -- command...: runs it, output in $work/out
expect_rc() {
    local want=$1 what=$2
    shift 3
    "$@" >"$work/out" 2>&1
    local rc=$?
    if [ "$rc" = "$want" ]; then pass "$what (exit $rc)"; else fail "$what: exit $rc, expected $want"; sed 's/^/    /' "$work/out"; fi
}

same() {   # same FILE1 FILE2 WHAT
    if cmp -s "$1" "$2"; then pass "$3"; else fail "$3"; diff <(head -c 20000 "$1") <(head -c 20000 "$2") | head -10; fi
}

d1=$work/d1

# ---- 1. write, SAVE, write, kill -9 ---------------------------------------------
start_server "$d1"
py write "$PORT" 1 "$work/model.json" || die "phase 1 writes failed"
[ "$(py cmd "$PORT" SAVE)" = OK ] || die "SAVE failed"
py write "$PORT" 2 "$work/model.json" || die "phase 2 writes failed"
crash_server

# ---- 2. check, export ----------------------------------------------------------------
expect_rc 0 "check after kill -9" -- "$admin" check "$d1"
grep -q '^result: clean$' "$work/out" || fail "check did not say clean: $(cat "$work/out")"
grep -q '^snapshot .*: ok' "$work/out" || fail "check did not verify the snapshot"

"$admin" export "$d1" --format json >"$work/e.json" 2>"$work/err" || fail "export json: $(cat "$work/err")"
"$admin" export "$d1" --format csv >"$work/e.csv" 2>"$work/err" || fail "export csv: $(cat "$work/err")"
py model "$work/model.json" >"$work/model.canon"
same "$work/e.json" "$work/model.canon" "json export equals what was written"
py jsoncheck "$work/e.json" >"$work/e.jsoncheck" || fail "the json export does not parse as JSON"
same "$work/e.jsoncheck" "$work/e.json" "json export parses as standard JSON (latin-1 mapping)"
py csv2json "$work/e.csv" >"$work/e.csv2json" || fail "the csv export does not parse"
same "$work/e.csv2json" "$work/e.json" "csv export carries the same keys and values"
grep -q '"key":"bin:nul","type":"string","expire":0,"value":"a\\u0000b"' "$work/e.json" || fail "NUL not escaped as \\u0000"
grep -q '"key":"\\u00ff\\u00fe"' "$work/e.json" || fail "0xff not escaped as \\u00ff"
grep -q '"key":"gone' "$work/e.json" && fail "expired keys were exported"
"$admin" export "$d1" --db 3 >"$work/e3.json" 2>/dev/null
grep '^{"db":3,' "$work/e.json" >"$work/e3.expect"
same "$work/e3.json" "$work/e3.expect" "export --db 3"
"$admin" export "$d1" -o "$work/e-o.json" 2>/dev/null
same "$work/e-o.json" "$work/e.json" "export -o FILE"
echo "    $(wc -l <"$work/e.json") keys exported"

# ---- 3. the restarted server holds what the export says ---------------------------------
start_server "$d1"
py dump "$PORT" >"$work/d1.dump"
same "$work/d1.dump" "$work/e.json" "restarted server holds exactly the export (keys, values, expiries)"
expect_rc 0 "info while the server runs" -- "$admin" info "$d1"
grep -q "in use by pid $SPID" "$work/out" || fail "info does not name the server's pid: $(cat "$work/out")"
[ "$(py cmd "$PORT" SAVE)" = OK ] || fail "second SAVE failed"
expect_rc 3 "snapshots prune refuses while the server runs" -- "$admin" snapshots prune "$d1" --keep 1
grep -q "in use by pid $SPID" "$work/out" || fail "prune's refusal does not name the server: $(cat "$work/out")"
expect_rc 3 "import refuses while the server runs" -- "$admin" import "$d1" "$work/e.json"
stop_server
"$admin" snapshots list "$d1" >"$work/out"
grep -q '^snapshots: 2 complete' "$work/out" || fail "expected 2 snapshots: $(cat "$work/out")"
expect_rc 0 "snapshots prune --keep 1 offline" -- "$admin" snapshots prune "$d1" --keep 1
"$admin" snapshots list "$d1" >"$work/out"
grep -q '^snapshots: 1 complete' "$work/out" && pass "one snapshot left" || fail "prune left: $(cat "$work/out")"

# ---- 4. a damaged WAL: check and the server name the same file and offset ----------------
cp -a "$d1" "$work/d2"
seg=$(ls "$work/d2/wal/"*.log | head -1)
size=$(stat -c %s "$seg")
py flip "$seg" $((size / 2))
expect_rc 1 "check finds a byte flipped mid-segment" -- "$admin" check "$work/d2"
where=$(sed -n 's/^wal: DAMAGED: .*\/\(wal\/[0-9]*\.log: .* at offset [0-9]*\)$/\1/p' "$work/out")
[ -n "$where" ] && pass "check names: $where" || fail "check did not name a WAL file and offset: $(cat "$work/out")"
PORT=$(free_port)
timeout 20 "$server" --port "$PORT" --dir "$work/d2" >"$work/d2.log" 2>&1
rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] && pass "the server refuses to start (exit $rc)" || fail "server on a damaged WAL: exit $rc"
if [ -n "$where" ] && grep -q "Refusing to start: .*$where" "$work/d2.log"; then
    pass "the server's refusal names the same file and offset"
else
    fail "the server's log does not name '$where': $(grep -i refus "$work/d2.log")"
fi
expect_rc 1 "export refuses a damaged WAL" -- "$admin" export "$work/d2"

# ---- 5. a torn tail -----------------------------------------------------------------------
# (the last record must be newer than the snapshot: write one after it)
cp -a "$d1" "$work/d3"
start_server "$work/d3"
py cmd "$PORT" SET torn-victim xyz >/dev/null
crash_server
seg=$(ls "$work/d3/wal/"*.log | tail -1)
# the segment is preallocated: cut the zeros after its last batch (what the
# server does at start) so that the cut below tears the last record
end=$(python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read(); o = 32
while o + 4 <= len(d):
    (n,) = struct.unpack_from("<I", d, o)
    if n == 0xFFFFFFFF: o += 24; continue
    if n < 28 or o + 16 + n > len(d): break
    o += 16 + n
print(o)' "$seg")
truncate -s "$end" "$seg"
size=$(stat -c %s "$seg")
truncate -s $((size - 5)) "$seg"
expect_rc 0 "check accepts a torn tail" -- "$admin" check "$work/d3"
grep -q '^result: clean except a torn WAL tail' "$work/out" || fail "check did not say torn tail: $(cat "$work/out")"
off=$(sed -n 's/^wal: torn tail: .* at offset \([0-9]*\);.*/\1/p' "$work/out")
bytes=$(sed -n 's/^wal: torn tail: .*truncate \([0-9]*\) bytes.*/\1/p' "$work/out")
if [ -n "$off" ] && [ -n "$bytes" ] && [ $((off + bytes)) = $((size - 5)) ]; then
    pass "torn tail at offset $off, $bytes bytes to drop"
else
    fail "torn tail report: offset '$off' bytes '$bytes' (file now $((size - 5)) bytes)"
fi
"$admin" export "$work/d3" >"$work/e-torn.json" 2>/dev/null || fail "export with a torn tail failed"
grep -q '"key":"torn-victim"' "$work/e-torn.json" && fail "the torn record's key was exported"
grep -q '"key":"last"' "$work/e-torn.json" || fail "a key before the torn record is missing"
mv "$work/d3.log" "$work/d3-before.log"
start_server "$work/d3"
grep -q "truncated $bytes bytes" "$work/d3.log" && pass "the server truncated the same $bytes bytes" \
    || fail "server log: $(grep -i torn "$work/d3.log")"
py dump "$PORT" >"$work/d3.dump"
same "$work/d3.dump" "$work/e-torn.json" "the server recovered what export showed"
stop_server

# ---- 6. import ---------------------------------------------------------------------------------
expect_rc 0 "import json into a new directory" -- "$admin" import "$work/d4" --format json "$work/e.json"
"$admin" export "$work/d4" >"$work/d4.json" 2>/dev/null
same "$work/d4.json" "$work/e.json" "export -> import -> export is identical (json)"
start_server "$work/d4"
py dump "$PORT" >"$work/d4.dump"
same "$work/d4.dump" "$work/e.json" "a server started on the imported directory holds every key"
py cmd "$PORT" SET after-import 1 >/dev/null
stop_server
start_server "$work/d4"
[ "$(py cmd "$PORT" GET after-import)" = 1 ] && pass "writes after an import survive a restart" || fail "write after import lost"
stop_server

expect_rc 0 "import csv into a new directory" -- "$admin" import "$work/d5" --format csv "$work/e.csv"
"$admin" export "$work/d5" --format csv >"$work/d5.csv" 2>/dev/null
same "$work/d5.csv" "$work/e.csv" "export -> import -> export is identical (csv)"
"$admin" export "$work/d5" >"$work/d5.json" 2>/dev/null
same "$work/d5.json" "$work/e.json" "csv import equals json export"

# into a directory with data: keep, then --replace (the second import meets a
# snapshot with the name it needs, which it renames aside)
printf '%s\n' '{"db":0,"key":"s:1","type":"string","expire":0,"value":"imported"}' \
    '{"key":"brand-new","value":"\u00ff\u0000x"}' >"$work/small.json"
expect_rc 0 "import without --replace" -- "$admin" import "$d1" "$work/small.json"
grep -q '1 added, 0 replaced, 1 kept' "$work/out" || fail "counts: $(cat "$work/out")"
expect_rc 0 "import --replace" -- "$admin" import "$d1" "$work/small.json" --replace
grep -q '0 added, 2 replaced, 0 kept' "$work/out" || fail "counts: $(cat "$work/out")"
start_server "$d1"
[ "$(py cmd "$PORT" GET s:1)" = imported ] && pass "--replace replaced an existing key" || fail "s:1 is $(py cmd "$PORT" GET s:1)"
[ "$(py cmd "$PORT" STRLEN brand-new)" = 3 ] && pass "imported \\u00ff\\u0000x is 3 bytes" || fail "brand-new wrong"
[ "$(py cmd "$PORT" GET s:2)" = new-2 ] && pass "other keys kept" || fail "s:2 is $(py cmd "$PORT" GET s:2)"
stop_server

printf '%s\n' '{"db":0,"key":"ok","value":"1"}' '{"db":0,"key":"broken","value":}' >"$work/bad.json"
before=$("$admin" snapshots list "$d1")
expect_rc 1 "a malformed import file is refused" -- "$admin" import "$d1" "$work/bad.json"
grep -q 'bad.json:2:' "$work/out" || fail "the error does not name line 2: $(cat "$work/out")"
[ "$before" = "$("$admin" snapshots list "$d1")" ] && pass "nothing was written" || fail "a refused import changed snapshots"

# ---- usage -----------------------------------------------------------------------------
expect_rc 0 "-h" -- "$admin" -h
grep -q '^Usage: holdfast-admin' "$work/out" || fail "no usage text"
expect_rc 2 "unknown command" -- "$admin" frobnicate "$d1"
expect_rc 2 "missing directory" -- "$admin" check "$work/nonexistent"
expect_rc 2 "bad --format" -- "$admin" export "$d1" --format xml

if [ "$failures" -gt 0 ]; then
    echo "$failures failures"
    exit 1
fi
echo "all passed"
exit 0
