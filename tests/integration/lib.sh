# shellcheck shell=bash
# lib.sh -- shell helpers for holdfast's integration tests.  Source it from
# bash (it uses /dev/tcp); it runs nothing by itself.
#
# Server selection, as itest.c does it:
#   HOLDFAST_PORT [HOLDFAST_HOST]  target a running server, start nothing
#   HOLDFAST_SERVER                binary to start (a redis-server is started
#                                  with --save '' --appendonly no)
#   otherwise                      $abs_top_builddir/src/holdfast-server
#
# Results: hf_ok / hf_notok / hf_check print TAP-like lines; hf_summary
# prints "NAME: P passed, F failed, S skipped" and returns 0 or 1.

hf_n=0
hf_passed=0
hf_failed=0
hf_skipped=0

hf_ok() {
    hf_n=$((hf_n + 1)); hf_passed=$((hf_passed + 1))
    echo "ok $hf_n - $1"
}

# hf_notok DESC [REASON]
hf_notok() {
    hf_n=$((hf_n + 1)); hf_failed=$((hf_failed + 1))
    echo "not ok $hf_n - $1${2:+: $2}"
}

hf_skip() {
    hf_n=$((hf_n + 1)); hf_skipped=$((hf_skipped + 1))
    echo "ok $hf_n - $1 # SKIP ${2:-}"
}

# hf_check DESC COMMAND...: ok if the command succeeds.
hf_check() {
    local desc=$1
    shift
    if "$@"; then hf_ok "$desc"; else hf_notok "$desc"; fi
}

# hf_expect DESC WANT GOT: ok if the two strings are equal.
hf_expect() {
    if [ "$2" = "$3" ]; then
        hf_ok "$1"
    else
        hf_notok "$1" "want '$(printf '%s' "$2" | head -c 300)', got '$(printf '%s' "$3" | head -c 300)'"
    fi
}

# hf_contains DESC NEEDLE HAYSTACK: ok if HAYSTACK holds NEEDLE (fixed string).
hf_contains() {
    case $3 in
        *"$2"*) hf_ok "$1" ;;
        *) hf_notok "$1" "no '$2' in '$(printf '%s' "$3" | tr '\n' '|' | head -c 400)'" ;;
    esac
}

hf_summary() {
    echo "$1: $hf_passed passed, $hf_failed failed, $hf_skipped skipped"
    [ "$hf_failed" -eq 0 ]
}

# hf_port_busy PORT: true if something listens on 127.0.0.1:PORT.
hf_port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# hf_server_bin: print the binary to start (may not exist).
hf_server_bin() {
    if [ -n "${HOLDFAST_SERVER:-}" ]; then
        case $HOLDFAST_SERVER in
            */*) echo "$HOLDFAST_SERVER" ;;
            *) command -v "$HOLDFAST_SERVER" || echo "$HOLDFAST_SERVER" ;;
        esac
    elif [ -n "${abs_top_builddir:-}" ]; then
        echo "$abs_top_builddir/src/holdfast-server"
    else
        # run by hand from the source tree with an in-tree build
        echo "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/src/holdfast-server"
    fi
}

HF_TMP=
HF_PID=
HF_PORT=
HF_HOST=127.0.0.1
HF_LOG=

hf_cleanup() {
    hf_stop_server
    if [ -n "$HF_TMP" ] && [ -z "${ITEST_KEEP:-}" ]; then rm -rf "$HF_TMP"; fi
}

# hf_start_server: start (or pick, with HOLDFAST_PORT) the server under test.
# Sets HF_HOST HF_PORT HF_PID HF_TMP HF_LOG.  Returns 77 if the binary is
# missing, 1 if it would not start.
hf_start_server() {
    HF_TMP=$(mktemp -d "${TMPDIR:-/tmp}/holdfast-shtest-XXXXXX") || return 1
    trap hf_cleanup EXIT
    trap 'exit 1' INT TERM
    if [ -n "${HOLDFAST_PORT:-}" ]; then
        HF_PORT=$HOLDFAST_PORT
        HF_HOST=${HOLDFAST_HOST:-127.0.0.1}
        echo "# targeting $HF_HOST:$HF_PORT"
        return 0
    fi
    local bin extra=() port
    bin=$(hf_server_bin)
    if [ ! -x "$bin" ]; then
        echo "# server binary $bin not found"
        return 77
    fi
    case $(basename "$bin") in
        *redis-server*) extra=(--save '' --appendonly no) ;;
        *) extra=(--io-threads 4) ;;
    esac
    mkdir -p "$HF_TMP/data"
    HF_LOG=$HF_TMP/server.log
    for _ in 1 2 3 4 5 6 7 8; do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        hf_port_busy "$port" && continue
        "$bin" --port "$port" --dir "$HF_TMP/data" --bind 127.0.0.1 "${extra[@]}" >"$HF_LOG" 2>&1 </dev/null &
        HF_PID=$!
        for _ in $(seq 1 150); do
            if ! kill -0 "$HF_PID" 2>/dev/null; then break; fi
            if [ "$(redis-cli -h 127.0.0.1 -p "$port" PING 2>/dev/null)" = PONG ]; then
                HF_PORT=$port
                echo "# started $bin on port $port (pid $HF_PID)"
                return 0
            fi
            sleep 0.1
        done
        # died (port taken after all?) or never answered: try another port
        kill -9 "$HF_PID" 2>/dev/null
        wait "$HF_PID" 2>/dev/null
        HF_PID=
        sed 's/^/#   /' "$HF_LOG" | tail -n 15
    done
    echo "# could not start $bin"
    return 1
}

hf_stop_server() {
    [ -n "$HF_PID" ] || return 0
    kill "$HF_PID" 2>/dev/null
    for _ in $(seq 1 50); do
        kill -0 "$HF_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$HF_PID" 2>/dev/null
    wait "$HF_PID" 2>/dev/null
    HF_PID=
}

# hf_cli ARGS...: redis-cli against the server under test.
hf_cli() {
    redis-cli -h "$HF_HOST" -p "$HF_PORT" "$@"
}
