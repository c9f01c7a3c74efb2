# Shared helpers for the benchmark scripts (sourced).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
HOLDFAST=${HOLDFAST_SERVER:-}
if [ -z "$HOLDFAST" ]; then
  for c in "$top/src/holdfast-server" "$top/build/src/holdfast-server"; do [ -x "$c" ] && HOLDFAST=$c && break; done
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {   # port: wait until PING answers PONG (not -LOADING)
  for _ in $(seq 6000); do
    [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.01
  done
  return 1
}
bench_csv() {   # port test clients n pipeline [extra...] -> ops/s
  local p=$1 t=$2 c=$3 n=$4 P=$5; shift 5
  redis-benchmark -p "$p" -t "$t" -c "$c" -n "$n" -P "$P" "$@" --csv 2>/dev/null |
    awk -F'","' 'NR==2 { gsub(/"/, "", $2); print $2 }'
}
ratio() { python3 -c "print('%.2f' % ($1/$2))"; }
