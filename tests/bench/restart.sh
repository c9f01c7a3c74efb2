#!/usr/bin/env bash
# restart.sh — snapshot and restart speed, holdfast vs Redis on the same data (a benchmark).
#
#   tests/bench/restart.sh [DATA_PARENT_DIR]
#
# Loads KEYS keys (default 5,000,000) with 32-byte values into holdfast and into
# `redis-server --save '' --appendonly no` (the same redis-cli --pipe stream), then:
#  1. snapshot duration: holdfast SAVE vs Redis SAVE (wall time of the command);
#  2. writes TAIL more keys (default 100,000) to both (holdfast's go to the WAL tail;
#     Redis SAVEs again so its RDB holds the same data), kills both with SIGKILL and
#     measures the time from start until PING answers PONG;
#  3. snapshot under load: redis-benchmark SET/GET p99 without and with a BGSAVE running,
#     and holdfast's peak RSS during the snapshot vs its RSS before.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
parent=${1:-/tmp}
KEYS=${KEYS:-5000000}; TAIL=${TAIL:-100000}
tmp=$(mktemp -d "$parent/restart.XXXX")
hp=$(free_port); rp=$(free_port)
hpid=""; rpid=""
cleanup() { kill -9 $hpid $rpid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
start_hf() { "$HOLDFAST" --port "$hp" --dir "$tmp/hf" --logfile "$tmp/hf.log" --appendfsync always \
               --snapshot-interval 0 --snapshot-wal-bytes 0 & hpid=$!; }
start_redis() { redis-server --port "$rp" --dir "$tmp/redis" --dbfilename dump.rdb --save '' --appendonly no \
                  --logfile "$tmp/redis.log" & rpid=$!; }
mkdir -p "$tmp/redis"
start_hf; start_redis; wait_ready "$hp"; wait_ready "$rp"

gen() {   # first count -> RESP SET stream, 32-byte values
  python3 - "$1" "$2" <<'PY'
import sys
first, n = int(sys.argv[1]), int(sys.argv[2]); out = sys.stdout.buffer
for i in range(first, first + n):
    k = b'key:%012d' % i; v = b'%032d' % i
    out.write(b'*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$32\r\n%s\r\n' % (len(k), k, v))
PY
}
gen 0 "$KEYS" > "$tmp/load.resp"; gen "$KEYS" "$TAIL" > "$tmp/tail.resp"
now() { date +%s.%N; }
t0=$(now); redis-cli -p "$rp" --pipe < "$tmp/load.resp" > /dev/null; t1=$(now)
redis-cli -p "$hp" --pipe < "$tmp/load.resp" > /dev/null; t2=$(now)
echo "# $KEYS keys, 32-byte values; $(nproc) cores"
printf '%-40s %10s %10s %8s\n' "" "redis" "holdfast" "ratio"
printf '%-40s %10.2f %10.2f %8s\n' "load with redis-cli --pipe (s)" "$(python3 -c "print($t1-$t0)")" \
  "$(python3 -c "print($t2-$t1)")" "$(ratio "$(python3 -c "print($t2-$t1)")" "$(python3 -c "print($t1-$t0)")")"

timed() { local a b; a=$(now); redis-cli -p "$1" "${@:2}" > /dev/null; b=$(now); python3 -c "print($b-$a)"; }
rs=$(timed "$rp" save); hs=$(timed "$hp" save)
printf '%-40s %10.2f %10.2f %8s\n' "SAVE of the data set (s)" "$rs" "$hs" "$(ratio "$hs" "$rs")"
redis-cli -p "$hp" info holdfast | tr -d '\r' | grep -E '^snapshot_last_(max_stall_us|bytes|duration_ms):' | sed 's/^/#   holdfast /'

# ---- restart: snapshot + WAL tail vs RDB ----------------------------------------
redis-cli -p "$rp" --pipe < "$tmp/tail.resp" > /dev/null; redis-cli -p "$rp" save > /dev/null
redis-cli -p "$hp" --pipe < "$tmp/tail.resp" > /dev/null
rk=$(redis-cli -p "$rp" dbsize); hk=$(redis-cli -p "$hp" dbsize)
kill -9 "$hpid" "$rpid"; wait "$hpid" "$rpid" 2>/dev/null || true
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
a=$(now); start_redis; wait_ready "$rp"; b=$(now); rr=$(python3 -c "print($b-$a)")
a=$(now); start_hf; wait_ready "$hp"; b=$(now); hr=$(python3 -c "print($b-$a)")
printf '%-40s %10.2f %10.2f %8s\n' "restart until PONG (s)" "$rr" "$hr" "$(ratio "$hr" "$rr")"
printf '%-40s %10s %10s\n' "keys after restart (before: $rk / $hk)" "$(redis-cli -p "$rp" dbsize)" "$(redis-cli -p "$hp" dbsize)"

# ---- snapshot under load: latency and memory ---------------------------------------
rss() { ps -o rss= -p "$1" | tr -d ' '; }
p99() { redis-benchmark -p "$hp" -t set,get -c 50 -n "$1" -r "$KEYS" -d 32 --csv 2>/dev/null |
          awk -F'","' 'NR>1 { gsub(/"/, "", $7); gsub(/"/, "", $1); print $1 "=" $7 }' | tr '\n' ' '; }
base_rss=$(rss "$hpid")
quiet=$(p99 400000)
peak=$base_rss
( while kill -0 "$hpid" 2>/dev/null; do r=$(rss "$hpid"); [ "$r" -gt "$(cat "$tmp/peak" 2>/dev/null || echo 0)" ] && echo "$r" > "$tmp/peak"; sleep 0.05; done ) &
sampler=$!
( for _ in $(seq 6); do redis-cli -p "$hp" bgsave >/dev/null; sleep 0.5
    while [ "$(redis-cli -p "$hp" info persistence | tr -d '\r' | sed -n 's/^rdb_bgsave_in_progress://p')" = 1 ]; do sleep 0.05; done; done ) &
saver=$!
busy=$(p99 400000)
wait "$saver" 2>/dev/null || true
kill "$sampler" 2>/dev/null || true
peak=$(cat "$tmp/peak" 2>/dev/null || echo "$base_rss")
echo "# holdfast under redis-benchmark -t set,get -c 50 -d 32 (p99 in ms; CSV columns of redis-benchmark)"
echo "p99 without snapshots: $quiet"
echo "p99 with snapshots running back to back: $busy"
printf '%-40s %10s %10s %8s\n' "RSS KB (before / peak during snapshots)" "$base_rss" "$peak" "$(ratio "$peak" "$base_rss")"
