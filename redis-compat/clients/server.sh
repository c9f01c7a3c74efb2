#!/bin/bash
# server.sh -- start, restart and stop the server that the client-library
# suites run against.  Used by run-clients.sh, and by the suites' restart
# tests (which call "server.sh restart STATE").
#
#   server.sh start   STATE BIN   start BIN on a free loopback port with
#                                 --dir STATE/data; writes STATE/{pid,port,bin}
#   server.sh restart STATE       kill -TERM the server, wait until it has
#                                 exited, start the same binary again on the
#                                 same port and dir, wait until it answers PONG
#   server.sh stop    STATE       kill -TERM (then -KILL after 10 s) the server
#
# A redis-server binary is started with AOF on (appendfsync always, no RDB
# snapshots), so that it keeps acknowledged writes across a restart as
# holdfast does.  Only the pid recorded in STATE/pid is ever signalled.

set -u

die() { echo "server.sh: $*" >&2; exit 1; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ping PORT: true if the server answers +PONG (not -LOADING, not nothing).
ping_ok() {
    local line=
    { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 line <&3
    exec 3<&- 3>&-
    [ "${line%$'\r'}" = "+PONG" ]
}

# alive PID: the process exists and is not a zombie (a server started by an
# earlier server.sh run is reparented to init, which may reap it late).
alive() {
    local st
    [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
    st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
    [ "$st" != Z ] && [ "$st" != X ]
}

# launch STATE BIN PORT: start, record the pid; true once it answers PONG.
launch() {
    local state=$1 bin=$2 port=$3 pid extra=()
    case $(basename "$bin") in
        *redis-server*) extra=(--appendonly yes --appendfsync always --save '') ;;
        *) extra=(--io-threads 2) ;;
    esac
    mkdir -p "$state/data"
    echo "=== start $(date '+%T') $bin --port $port" >>"$state/server.log"
    "$bin" --port "$port" --dir "$state/data" --bind 127.0.0.1 "${extra[@]}" \
        >>"$state/server.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$state/pid"
    # up to 30 s: recovery of a big data dir answers -LOADING meanwhile
    for _ in $(seq 1 300); do
        alive "$pid" || return 1
        ping_ok "$port" && return 0
        sleep 0.1
    done
    return 1
}

# stop_pid PID: TERM, wait up to 10 s for it to exit, then KILL.
stop_pid() {
    local pid=$1
    alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 100); do
        alive "$pid" || return 0
        sleep 0.1
    done
    echo "server.sh: pid $pid ignored SIGTERM for 10 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null
    for _ in $(seq 1 50); do
        alive "$pid" || return 0
        sleep 0.1
    done
    return 1
}

cmd=${1:-}
state=${2:-}
[ -n "$state" ] || die "usage: server.sh start|restart|stop STATE [BIN]"

case $cmd in
    start)
        bin=${3:-}
        [ -x "$bin" ] || die "server binary '$bin' not found or not executable"
        mkdir -p "$state" || die "cannot create $state"
        echo "$bin" >"$state/bin"
        for _ in 1 2 3 4 5 6 7 8; do
            port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
            port_busy "$port" && continue
            echo "$port" >"$state/port"
            if launch "$state" "$bin" "$port"; then
                exit 0
            fi
            # died (port taken after all?) or never answered: try another
            stop_pid "$(cat "$state/pid")"
            rm -f "$state/pid"
        done
        tail -n 20 "$state/server.log" >&2
        die "could not start $bin"
        ;;
    restart)
        if [ ! -f "$state/pid" ] || [ ! -f "$state/port" ] || [ ! -f "$state/bin" ]; then
            die "no server recorded in $state"
        fi
        pid=$(cat "$state/pid")
        stop_pid "$pid" || die "pid $pid would not stop"
        port=$(cat "$state/port")
        # the listening socket is gone with the process; allow a moment if not
        for _ in $(seq 1 50); do
            port_busy "$port" || break
            sleep 0.1
        done
        if ! launch "$state" "$(cat "$state/bin")" "$port"; then
            tail -n 20 "$state/server.log" >&2
            die "restart on port $port failed"
        fi
        ;;
    stop)
        [ -f "$state/pid" ] || exit 0
        stop_pid "$(cat "$state/pid")"
        rm -f "$state/pid"
        ;;
    *)
        die "unknown command '$cmd'"
        ;;
esac
