#!/usr/bin/env bash
# pipe.sh — redis-cli --pipe mass insertion, holdfast vs Redis (a benchmark, not a test).
#
#   tests/bench/pipe.sh [path/to/holdfast-server]
#
# Generates KEYS (default 1000000) SET commands in RESP once, then times
# `redis-cli --pipe` into: redis-server (--save '' --appendonly no), redis-server with
# appendonly yes + appendfsync always (Redis's durable mode), holdfast with its defaults
# (WAL, appendfsync always) and holdfast --appendonly no.  Each on a freshly started server;
# prints seconds, keys/s and the ratio to plain Redis, and checks DBSIZE.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
holdfast=${1:-${HOLDFAST_SERVER:-$here/../../src/holdfast-server}}
KEYS=${KEYS:-1000000}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tmp=$(mktemp -d)
pid=
trap 'kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
awk -v n="$KEYS" 'BEGIN {
    for (i = 0; i < n; i++) {
        k = "key:" i; v = "value:" i
        printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
    }
}' > "$tmp/load.resp"

run() {   # label command... -> one line
  local label=$1; shift
  local port; port=$(free_port)
  rm -rf "$tmp/data"; mkdir -p "$tmp/data"
  "$@" --port "$port" --dir "$tmp/data" --logfile "$tmp/server.log" & pid=$!
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  local t0 t1
  t0=$(date +%s.%N)
  redis-cli -p "$port" --pipe < "$tmp/load.resp" > "$tmp/pipe.out"
  t1=$(date +%s.%N)
  local n; n=$(redis-cli -p "$port" dbsize)
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  python3 -c "
import sys
t = $t1 - $t0
print('%-42s %8.2f s %12.0f keys/s  dbsize %s' % ('$label', t, $KEYS / t, '$n'))
open('$tmp/t.$label'.replace(' ', '_'), 'w').write(str(t))"
}

echo "# $(redis-server --version)"
echo "# holdfast $("$holdfast" --version | head -1); $KEYS SETs through redis-cli --pipe"
run "redis (no persistence)" redis-server --save '' --appendonly no
run "redis (appendonly, fsync always)" redis-server --save '' --appendonly yes --appendfsync always
run "holdfast (defaults: WAL, fsync always)" "$holdfast"
run "holdfast (appendonly no)" "$holdfast" --appendonly no
python3 - "$tmp" <<'PY'
import os, sys
d = sys.argv[1]
t = {f[2:]: float(open(os.path.join(d, f)).read()) for f in os.listdir(d) if f.startswith('t.')}
base = t['redis_(no_persistence)']
for k, v in sorted(t.items()):
    print('%-42s time ratio to redis (no persistence): %.2f' % (k.replace('_', ' '), v / base))
PY
