#!/usr/bin/env bash
# durable.sh — durable write throughput, holdfast vs Redis in one run (a benchmark, not a test).
#
#   tests/bench/durable.sh [DATA_PARENT_DIR]
#
# 1. holdfast `appendfsync always` vs Redis `appendonly yes appendfsync always`:
#    redis-benchmark -t set -c 50 -r 1000000 with -P 1 and -P 16, interleaved.
# 2. holdfast durable vs holdfast `appendonly no` (same commands).
# 3. one client, -P 1: durable SET rate vs the disk's limit (tests/bench/fsync-probe).
# Environment: N (requests, default 200000), ROUNDS (best of, default 1).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
parent=${1:-$(mktemp -d)}
N=${N:-200000}; ROUNDS=${ROUNDS:-1}
tmp=$(mktemp -d "$parent/durable.XXXX")
hp=$(free_port); rp=$(free_port); np=$(free_port)
"$HOLDFAST" --port "$hp" --dir "$tmp/hf" --logfile "$tmp/hf.log" --appendfsync always & hpid=$!
"$HOLDFAST" --port "$np" --dir "$tmp/hfno" --logfile "$tmp/hfno.log" --appendonly no & npid=$!
mkdir -p "$tmp/redis"
redis-server --port "$rp" --dir "$tmp/redis" --save '' --appendonly yes --appendfsync always --logfile "$tmp/redis.log" & rpid=$!
trap 'kill $hpid $npid $rpid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
wait_ready "$hp"; wait_ready "$np"; wait_ready "$rp"

echo "# durable SET: holdfast appendfsync always vs Redis appendonly yes appendfsync always"
echo "# $(nproc) cores; redis-benchmark -t set -c 50 -r 1000000 -n $N; best of $ROUNDS"
printf '%-34s %12s %12s %12s %8s %8s\n' "test" "redis" "holdfast" "hf-no-wal" "hf/redis" "hf/nowal"
for P in 1 16; do
  br=0; bh=0; bn=0
  for _ in $(seq "$ROUNDS"); do
    r=$(bench_csv "$rp" set 50 "$N" "$P" -r 1000000); h=$(bench_csv "$hp" set 50 "$N" "$P" -r 1000000)
    n=$(bench_csv "$np" set 50 "$N" "$P" -r 1000000)
    br=$(python3 -c "print(max($br,$r))"); bh=$(python3 -c "print(max($bh,$h))"); bn=$(python3 -c "print(max($bn,$n))")
  done
  printf '%-34s %12.0f %12.0f %12.0f %8s %8s\n' "set -c 50 -P $P" "$br" "$bh" "$bn" "$(ratio "$bh" "$br")" "$(ratio "$bh" "$bn")"
done
redis-cli -p "$hp" info holdfast | tr -d '\r' | grep -E '^wal_(avg_batch_records|fsync_avg_usec|fsyncs|batches):' | sed 's/^/#   holdfast /'

echo
echo "# one client, -P 1: durable SET rate vs the disk's limit"
probe=""
for c in "$top/tests/bench/fsync-probe" "$top/build/tests/bench/fsync-probe"; do [ -x "$c" ] && probe=$c && break; done
lim=$("$probe" "$tmp" 300 | awk '/limit_ops_per_sec/ {print $2}')
one=$(bench_csv "$hp" set 1 $((N / 100 > 1000 ? N / 100 : 1000)) 1 -r 1000000)
oner=$(bench_csv "$rp" set 1 $((N / 100 > 1000 ? N / 100 : 1000)) 1 -r 1000000)
printf '%-34s %12s\n' "fsync-probe limit (1/median)" "$lim"
printf '%-34s %12.0f  (%s x limit)\n' "holdfast set -c 1" "$one" "$(ratio "$one" "$lim")"
printf '%-34s %12.0f  (%s x limit)\n' "redis set -c 1" "$oner" "$(ratio "$oner" "$lim")"
