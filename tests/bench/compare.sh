#!/usr/bin/env bash
# compare.sh — holdfast vs Redis, side by side in one run (a benchmark, not a test).
#
#   tests/bench/compare.sh [path/to/holdfast-server]
#
# Starts holdfast (--appendonly no: in memory, like the Redis it is compared with; extra flags in
# HOLDFAST_ARGS) and `redis-server --save '' --appendonly no` on free ports,
# runs `redis-benchmark -t TESTS -c 50 -n N` with -P 1 and -P 16 against each, interleaved
# (Redis then holdfast for every line, so drift of the machine hits both), and prints ops/s and
# the holdfast/Redis ratio per line.  Then loads the same KEYS distinct keys (3-byte values, as
# redis-benchmark's SET writes) into both with redis-cli --pipe and reports used_memory and RSS.
#
# Environment: N (requests per run, default 1000000), CLIENTS (50), TESTS (set,get,incr,mset),
# PIPELINES ("1 16"), KEYS (1000000), ROUNDS (1: repeat every line and keep the best of each).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
holdfast=${1:-${HOLDFAST_SERVER:-$here/../../src/holdfast-server}}
N=${N:-1000000}; CLIENTS=${CLIENTS:-50}; TESTS=${TESTS:-set,get,incr,mset}
PIPELINES=${PIPELINES:-"1 16"}; KEYS=${KEYS:-1000000}; ROUNDS=${ROUNDS:-1}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tmp=$(mktemp -d)
hp=$(free_port); rp=$(free_port)
"$holdfast" --port "$hp" --dir "$tmp/hf" --logfile "$tmp/hf.log" --appendonly no ${HOLDFAST_ARGS:-} & hpid=$!
redis-server --port "$rp" --dir "$tmp" --save '' --appendonly no --logfile "$tmp/redis.log" & rpid=$!
trap 'kill $hpid $rpid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
for p in $hp $rp; do
  for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done

echo "# holdfast $("$holdfast" --version | head -1)"
echo "# $(redis-server --version)"
echo "# machine: $(nproc) cores, $(uname -r); redis-benchmark -c $CLIENTS -n $N, best of $ROUNDS"
printf '%-28s %14s %14s %8s\n' "test" "redis ops/s" "holdfast ops/s" "ratio"

bench() {   # port test pipeline -> ops/s (the last row: lrange_* first print the LPUSH that fills the list)
  redis-benchmark -p "$1" -t "$2" -c "$CLIENTS" -n "$N" -P "$3" -r 1000000 --csv 2>/dev/null |
    awk -F'","' 'NR > 1 { gsub(/"/, "", $2); last = $2 } END { print last }'
}
for P in $PIPELINES; do
  for t in ${TESTS//,/ }; do
    best_r=0; best_h=0
    for _ in $(seq "$ROUNDS"); do
      r=$(bench "$rp" "$t" "$P"); h=$(bench "$hp" "$t" "$P")
      best_r=$(python3 -c "print(max($best_r, $r))"); best_h=$(python3 -c "print(max($best_h, $h))")
    done
    printf '%-28s %14.0f %14.0f %8.2f\n' "$t -P $P" "$best_r" "$best_h" "$(python3 -c "print($best_h/$best_r)")"
  done
done

# ---- memory: the same KEYS keys in both, on freshly started servers -------------------
kill "$hpid" "$rpid"; wait "$hpid" "$rpid" 2>/dev/null || true
rm -rf "$tmp/hf"
"$holdfast" --port "$hp" --dir "$tmp/hf" --logfile "$tmp/hf.log" --appendonly no ${HOLDFAST_ARGS:-} & hpid=$!
redis-server --port "$rp" --dir "$tmp" --save '' --appendonly no --logfile "$tmp/redis.log" & rpid=$!
for p in $hp $rp; do
  for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
python3 - "$KEYS" > "$tmp/load.resp" <<'PY'
import sys
n = int(sys.argv[1]); out = sys.stdout.buffer
for i in range(n):
    k = b'key:%012d' % i
    out.write(b'*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$3\r\nxxx\r\n' % (len(k), k))
PY
mem() {   # port -> "keys used_memory rss"
  redis-cli -p "$1" --pipe < "$tmp/load.resp" >/dev/null
  sleep 1
  local info; info=$(redis-cli -p "$1" info memory | tr -d '\r')
  echo "$(redis-cli -p "$1" dbsize) $(sed -n 's/^used_memory://p' <<<"$info") $(sed -n 's/^used_memory_rss://p' <<<"$info")"
}
read -r rk ru rr < <(mem "$rp"); read -r hk hu hr < <(mem "$hp")
echo
printf '%-28s %14s %14s %8s\n' "memory ($KEYS keys)" "redis" "holdfast" "ratio"
printf '%-28s %14s %14s %8s\n' "keys" "$rk" "$hk" ""
printf '%-28s %14s %14s %8.2f\n' "used_memory (bytes)" "$ru" "$hu" "$(python3 -c "print($hu/$ru)")"
printf '%-28s %14s %14s %8.2f\n' "used_memory_rss (bytes)" "$rr" "$hr" "$(python3 -c "print($hr/$rr)")"
printf '%-28s %14.1f %14.1f\n' "used_memory per key" "$(python3 -c "print($ru/$rk)")" "$(python3 -c "print($hu/$hk)")"
