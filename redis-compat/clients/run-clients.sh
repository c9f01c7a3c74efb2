#!/bin/bash
# Client-library suites: redis-py (python/), node-redis and ioredis (node/)
# used the way applications use them, with assertions on what is read back.
# For `make check` (automake TESTS) or by hand:
#
#     redis-compat/clients/run-clients.sh                  # fresh holdfast-server
#     HOLDFAST_SERVER=redis-server redis-compat/clients/run-clients.sh
#     HOLDFAST_PORT=6379 redis-compat/clients/run-clients.sh   # a running server
#     CLIENTS_SUITES="python ioredis" redis-compat/clients/run-clients.sh
#
# Server: unless HOLDFAST_PORT is set, a fresh server is started on a free
# loopback port with a temporary --dir by server.sh: $HOLDFAST_SERVER (a path
# or a name on PATH; a redis-server gets AOF with appendfsync always), else
# $abs_top_builddir/src/holdfast-server, else an in-tree build.  With
# HOLDFAST_PORT (and HOLDFAST_HOST) nothing is started and the restart tests
# skip, as the suites cannot restart a server they do not own.  The suites
# never flush: each test works under its own random key prefix.
#
# Needs: /usr/bin/python3 with redis-py (Debian python3-redis); for the node
# suites node >= 18 and either node/node_modules or npm (to run `npm ci`).
# Every feature holdfast has is tested unconditionally (a regression fails);
# only EVAL ("not yet" in docs/compatibility.md) is probed, by redis-py's Lock test.
#
# Exit status: 0 all suites passed (skips allowed), 1 a suite failed,
# 77 redis-py is not installed (the node suites still run and may fail with 1),
# 99 hard error (no server binary, the server would not start).

set -u
here=$(cd "$(dirname "$0")" && pwd)
suites=${CLIENTS_SUITES:-python node-redis ioredis}
suite_timeout=${CLIENTS_SUITE_TIMEOUT:-180}

results=()          # "suite: N passed, N failed, N skipped" or "suite: SKIP ..."
total_pass=0 total_fail=0 total_skip=0
failed_suites=0
python_missing=0

record() {  # record SUITE PASS FAIL SKIP RC
    local s=$1 p=${2:-0} f=${3:-0} k=${4:-0} rc=$5
    # a runner that crashed or timed out without counting a failure still fails
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    results+=("$s: $p passed, $f failed, $k skipped$([ "$rc" -ne 0 ] && echo " (exit $rc)")")
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); total_skip=$((total_skip + k))
    [ "$f" -eq 0 ] || failed_suites=$((failed_suites + 1))
}

want() { case " $suites " in *" $1 "*) return 0 ;; esac; return 1; }

# ---- the server --------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/holdfast-clients-XXXXXX") || exit 99
state=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    if [ -n "$state" ]; then bash "$here/server.sh" stop "$state"; fi
    if [ -z "${CLIENTS_KEEP:-}" ]; then rm -rf "$tmp"; else echo "# kept $tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ -n "${HOLDFAST_PORT:-}" ]; then
    export HOLDFAST_HOST=${HOLDFAST_HOST:-127.0.0.1}
    echo "# using the running server at $HOLDFAST_HOST:$HOLDFAST_PORT (restart tests will skip)"
else
    bin=
    if [ -n "${HOLDFAST_SERVER:-}" ]; then
        case $HOLDFAST_SERVER in
            */*) bin=$HOLDFAST_SERVER ;;
            *) bin=$(command -v "$HOLDFAST_SERVER" || true) ;;
        esac
    else
        for cand in \
            "${abs_top_builddir:+$abs_top_builddir/src/holdfast-server}" \
            ./src/holdfast-server \
            "$here/../../src/holdfast-server" \
            "$here/../../build/src/holdfast-server"
        do
            if [ -n "$cand" ] && [ -f "$cand" ] && [ -x "$cand" ]; then bin=$cand; break; fi
        done
    fi
    if [ -z "$bin" ] || [ ! -x "$bin" ]; then
        echo "ERROR: server binary not found (${HOLDFAST_SERVER:-holdfast-server}); build it or set HOLDFAST_SERVER" >&2
        exit 99
    fi
    state=$tmp/server
    if ! bash "$here/server.sh" start "$state" "$bin"; then
        echo "ERROR: could not start $bin" >&2
        exit 99
    fi
    export HOLDFAST_HOST=127.0.0.1
    HOLDFAST_PORT=$(cat "$state/port")
    export HOLDFAST_PORT
    export HF_CLIENTS_STATE=$state
    export HF_CLIENTS_SERVER_SH=$here/server.sh
    echo "# started $bin on port $HOLDFAST_PORT (pid $(cat "$state/pid"), dir $state/data)"
fi

# ---- redis-py ------------------------------------------------------------------
if want python; then
    py=
    # Debian's python3-redis lives in /usr/bin/python3's dist-packages; a python3
    # earlier on PATH (pyenv) usually does not have it
    for cand in /usr/bin/python3 "$(command -v python3 || true)"; do
        if [ -n "$cand" ] && [ -x "$cand" ] && "$cand" -c 'import redis, redis.asyncio' 2>/dev/null; then
            py=$cand; break
        fi
    done
    if [ -z "$py" ]; then
        echo "# SKIP redis-py: module 'redis' not importable (apt-get install python3-redis)"
        results+=("redis-py: SKIP (python3-redis not installed)")
        python_missing=1
    else
        echo "# ---- redis-py ($py)"
        out=$tmp/python.out
        timeout "$suite_timeout" "$py" "$here/python/test_redis_py.py" >"$out" 2>&1
        rc=$?
        cat "$out"
        line=$(grep -E '^redis-py: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$out" | tail -n 1)
        # shellcheck disable=SC2046
        set -- $(printf '%s\n' "$line" | sed -nE 's/^redis-py: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped.*/\1 \2 \3/p')
        [ "$rc" -eq 124 ] && echo "# redis-py suite timed out after ${suite_timeout}s"
        record redis-py "${1:-0}" "${2:-0}" "${3:-0}" "$rc"
    fi
fi

# ---- node-redis and ioredis ----------------------------------------------------
node_suites=()
want node-redis && node_suites+=(node-redis)
want ioredis && node_suites+=(ioredis)
if [ "${#node_suites[@]}" -gt 0 ]; then
    nodedir=$here/node
    skip_node=
    if ! command -v node >/dev/null 2>&1; then
        skip_node="node not installed (apt-get install nodejs npm)"
    elif ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 18 || (a === 18 && b >= 17) ? 0 : 1)'; then
        skip_node="node $(node --version) is too old (need >= 18.17 for node:test)"
    elif [ ! -d "$nodedir/node_modules/redis" ] || [ ! -d "$nodedir/node_modules/ioredis" ]; then
        if ! command -v npm >/dev/null 2>&1; then
            skip_node="$nodedir/node_modules missing and npm not installed (apt-get install npm)"
        else
            if [ ! -w "$nodedir" ]; then
                # read-only source tree (make distcheck): install beside the build
                alt=${abs_top_builddir:-$tmp}/redis-compat-clients-node
                mkdir -p "$alt" && cp -R "$nodedir/package.json" "$nodedir/package-lock.json" "$nodedir/test" "$alt/" &&
                    chmod -R u+w "$alt"
                nodedir=$alt
            fi
            if [ -d "$nodedir/node_modules/redis" ] && [ -d "$nodedir/node_modules/ioredis" ]; then
                :
            else
                echo "# npm ci in $nodedir"
                if ! (cd "$nodedir" && npm ci --no-audit --no-fund) >"$tmp/npm.out" 2>&1; then
                    tail -n 20 "$tmp/npm.out"
                    skip_node="npm ci failed in $nodedir (see above)"
                fi
            fi
        fi
    fi
    for s in "${node_suites[@]}"; do
        if [ -n "$skip_node" ]; then
            echo "# SKIP $s: $skip_node"
            results+=("$s: SKIP ($skip_node)")
            continue
        fi
        echo "# ---- $s (node $(node --version))"
        out=$tmp/$s.out
        (cd "$nodedir" && timeout "$suite_timeout" node --test --test-reporter=spec "test/$s.test.js") >"$out" 2>&1
        rc=$?
        cat "$out"
        [ "$rc" -eq 124 ] && echo "# $s suite timed out after ${suite_timeout}s"
        count() { sed -nE "s/^(#|ℹ) $1 ([0-9]+).*/\\2/p" "$out" | tail -n 1; }
        p=$(count pass); f=$(count fail); k=$(count skipped); c=$(count cancelled)
        record "$s" "${p:-0}" "$(( ${f:-0} + ${c:-0} ))" "${k:-0}" "$rc"
    done
fi

# ---- sanitizer reports of the server we started (ASan/UBSan/TSan builds) ------
if [ -n "$state" ]; then
    bash "$here/server.sh" stop "$state"    # a leak report is written at exit
    if grep -qE 'ERROR: (Address|Leak|Thread)Sanitizer|WARNING: ThreadSanitizer|runtime error:' "$state/server.log"; then
        echo "# the server reported sanitizer errors:"
        grep -E -A12 'ERROR: (Address|Leak|Thread)Sanitizer|WARNING: ThreadSanitizer|runtime error:' "$state/server.log" |
            head -n 60 | sed 's/^/#   /'
        results+=("server: sanitizer errors in $state/server.log")
        total_fail=$((total_fail + 1)); failed_suites=$((failed_suites + 1))
    fi
fi

# ---- summary -------------------------------------------------------------------
echo "# ---- client-library suites against ${HOLDFAST_HOST}:${HOLDFAST_PORT}"
for r in "${results[@]}"; do echo "#   $r"; done
if [ -n "$state" ] && [ "$failed_suites" -gt 0 ]; then
    echo "# server log (last 30 lines of $state/server.log):"
    tail -n 30 "$state/server.log" | sed 's/^/#   /'
fi
echo "clients: $total_pass passed, $total_fail failed, $total_skip skipped"
if [ "$failed_suites" -gt 0 ]; then exit 1; fi
if [ "$python_missing" -eq 1 ]; then exit 77; fi
exit 0
