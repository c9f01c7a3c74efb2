#!/usr/bin/env bash
# types-mem.sh — memory for many small collections, holdfast vs Redis (a benchmark, not a test).
#
#   tests/bench/types-mem.sh [path/to/holdfast-server]
#
# For each type, loads KEYS (default 1000000) keys holding 10 elements each into a freshly
# started holdfast (--appendonly no) and redis-server (--save '' --appendonly no) with
# redis-cli --pipe, and prints used_memory of both and the ratio:
#   hash   HSET key f0 v0 ... f9 v9          (fields 2 bytes, values 5 bytes)
#   list   RPUSH key e0 ... e9               (elements 5 bytes)
#   set    SADD key m0 ... m9                (members 5 bytes, not integers)
#   intset SADD key 0 ... 9 (+ key number)   (integer members)
#   zset   ZADD key 1 m0 ... 10 m9           (members 5 bytes, integer scores)
# Environment: KEYS, TYPES (default "hash list set intset zset").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
holdfast=${1:-${HOLDFAST_SERVER:-$here/../../src/holdfast-server}}
KEYS=${KEYS:-1000000}; TYPES=${TYPES:-"hash list set intset zset"}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tmp=$(mktemp -d)
hpid=; rpid=
trap 'kill $hpid $rpid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

start() {
  rm -rf "$tmp/hf"
  hp=$(free_port); rp=$(free_port)
  "$holdfast" --port "$hp" --dir "$tmp/hf" --logfile "$tmp/hf.log" --appendonly no ${HOLDFAST_ARGS:-} & hpid=$!
  redis-server --port "$rp" --dir "$tmp" --save '' --appendonly no --logfile "$tmp/redis.log" & rpid=$!
  for p in $hp $rp; do
    for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
}
stop() { kill "$hpid" "$rpid"; wait "$hpid" "$rpid" 2>/dev/null || true; hpid=; rpid=; }

gen() {   # type -> RESP on stdout
  python3 - "$KEYS" "$1" <<'PY'
import sys
n, t = int(sys.argv[1]), sys.argv[2]
out = sys.stdout.buffer
def cmd(args):
    b = [b'*%d\r\n' % len(args)]
    for a in args:
        b.append(b'$%d\r\n%s\r\n' % (len(a), a))
    out.write(b''.join(b))
for i in range(n):
    k = b'%s:%09d' % (t.encode(), i)
    if t == 'hash':
        a = [b'HSET', k]
        for j in range(10): a += [b'f%d' % j, b'v%04d' % (i % 10000)]
    elif t == 'list':
        a = [b'RPUSH', k] + [b'e%04d' % ((i + j) % 10000) for j in range(10)]
    elif t == 'set':
        a = [b'SADD', k] + [b'm%04d' % ((i + j) % 10000) for j in range(10)]
    elif t == 'intset':
        a = [b'SADD', k] + [b'%d' % (i + j) for j in range(10)]
    else:
        a = [b'ZADD', k]
        for j in range(10): a += [b'%d' % (j + 1), b'm%04d' % ((i + j) % 10000)]
    cmd(a)
PY
}
used() { redis-cli -p "$1" info memory | tr -d '\r' | sed -n 's/^used_memory://p'; }

echo "# holdfast $("$holdfast" --version | head -1)"
echo "# $(redis-server --version)"
printf '%-10s %10s %16s %16s %8s %10s\n' "type" "keys" "redis used" "holdfast used" "ratio" "enc"
for t in $TYPES; do
  gen "$t" > "$tmp/load.resp"
  start
  r0=$(used "$rp"); h0=$(used "$hp")
  redis-cli -p "$rp" --pipe < "$tmp/load.resp" >/dev/null
  redis-cli -p "$hp" --pipe < "$tmp/load.resp" >/dev/null
  sleep 1
  r1=$(used "$rp"); h1=$(used "$hp")
  k=$(redis-cli -p "$hp" dbsize)
  key=$(printf '%s:%09d' "$t" 0)
  enc="$(redis-cli -p "$rp" object encoding "$key")/$(redis-cli -p "$hp" object encoding "$key")"
  printf '%-10s %10s %16s %16s %8.2f %10s\n' "$t" "$k" "$((r1 - r0))" "$((h1 - h0))" \
    "$(python3 -c "print(($h1-$h0)/($r1-$r0))")" "$enc"
  stop
done
