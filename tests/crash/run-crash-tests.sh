#!/bin/sh
# run-crash-tests.sh — holdfast's crash, power-loss and disk-fault tests.
#
#   1   kill -9 loop (crash-loop): 20 cycles under appendfsync always, 3 under
#       everysec, 3 switching between the two with CONFIG SET
#   2   power loss (crash-loop --power-loss with fsync-shim.so): 5 cycles under
#       appendfsync always (nothing acknowledged lost), 2 under everysec (only
#       what was acknowledged in the last 2 s before the cut may be lost)
#   2b  under everysec, writes followed by silence become durable within
#       seconds (everysec-idle.py)
#   3   kill -9 while a snapshot is half written (snapshot-kill.py)
#   4   torn WAL tail at every byte offset, garbage after it, damage in the
#       middle refused (torn-tail.py)
#   4b  commands with several effects (MSET, SET EX, RENAME, COPY...) are
#       recovered whole or not at all, the WAL cut at every record boundary
#       (atomic-commands.py)
#   5   WAL write/fsync failing with EIO/ENOSPC, and a segment roll failing
#       (crash-loop --fault with fault-shim.so)
#   6   two servers on one data dir (two-servers.py)
#
# Prints "ok N - what" / "not ok N - what" per part (with the tail of the
# part's output when it fails) and exits 0 if every part passed, 1 if not,
# 77 (skip) if the binaries are missing.  Run by `make check`; by hand:
#   abs_top_builddir=$PWD ../tests/crash/run-crash-tests.sh     (from a build dir)
# Environment: CRASH_SEED (default: random) seeds every part; CRASH_CYCLES
# overrides the 20 cycles of part 1; CRASH_KEEP=1 keeps the work dirs.
set -u

here=$(cd "$(dirname "$0")" && pwd)
build=${abs_top_builddir:-$(cd "$here/../.." && pwd)}
bin=$build/tests/crash
server=$build/src/holdfast-server
loop=$bin/crash-loop

if [ ! -x "$server" ] || [ ! -x "$loop" ]; then
    echo "run-crash-tests: $server or $loop is missing; build first (make check builds them)"
    exit 77
fi
for so in fsync-shim.so fault-shim.so; do
    if [ ! -f "$bin/$so" ]; then
        echo "run-crash-tests: $bin/$so is missing (make -C $build $bin/$so)"
        exit 77
    fi
done

seed=${CRASH_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
cycles=${CRASH_CYCLES:-20}
keep=
[ "${CRASH_KEEP:-0}" = 1 ] && keep=--keep
py=$(command -v python3 || true)
out=$(mktemp -d "${TMPDIR:-/tmp}/hf-crash-tests-XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM

echo "run-crash-tests: seed $seed (CRASH_SEED=$seed reproduces), server $server"
n=0
failed=0
t0=$(date +%s)

# run "description" command args...
run() {
    what=$1
    shift
    n=$((n + 1))
    start=$(date +%s)
    "$@" > "$out/part$n.log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    last=$(grep -v '^kept \|^crash-loop: kept' "$out/part$n.log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        echo "ok $n - $what (${secs} s): $last"
    else
        failed=$((failed + 1))
        echo "not ok $n - $what (exit $rc, ${secs} s)"
        echo "  --- command: $*"
        grep -n 'FAIL' "$out/part$n.log" | head -n 20 | sed 's/^/  | /'
        echo "  --- last lines:"
        tail -n 15 "$out/part$n.log" | sed 's/^/  | /'
    fi
}

skip() {
    n=$((n + 1))
    echo "ok $n - $1 # SKIP $2"
}

# Parts 1 and 2 fail on a lost acknowledged write, and on a command that
# came back only in part (MSET, SET EX, RENAME: one WAL record or GROUP each).
run "1 kill -9 loop, appendfsync always, $cycles cycles" \
    "$loop" --cycles "$cycles" --fsync always --seed "$seed" --server "$server" $keep
run "1 kill -9 loop, appendfsync everysec, 3 cycles" \
    "$loop" --cycles 3 --fsync everysec --seed "$((seed + 1))" --server "$server" $keep
run "1 kill -9 loop, appendfsync flipped by CONFIG SET, 3 cycles" \
    "$loop" --cycles 3 --flip-fsync --seed "$((seed + 3))" --server "$server" $keep
run "2 power loss (fsync-shim), 5 cycles" \
    "$loop" --cycles 5 --power-loss --fsync-shim "$bin/fsync-shim.so" --seed "$((seed + 2))" \
    --server "$server" $keep
run "2 power loss under everysec: only the last ~2 s of acknowledgements may go, 2 cycles" \
    "$loop" --cycles 2 --power-loss --fsync everysec --min-ms 2500 --max-ms 3500 --fsync-shim "$bin/fsync-shim.so" \
    --seed "$((seed + 4))" --server "$server" $keep

if [ -n "$py" ]; then
    run "3 kill -9 during a snapshot" "$py" "$here/snapshot-kill.py" --server "$server" --seed "$seed" $keep
    run "4 torn WAL tail at every offset, damage in the middle" \
        "$py" "$here/torn-tail.py" --server "$server" --seed "$seed" $keep
    run "4b multi-record commands recovered whole or not at all" \
        "$py" "$here/atomic-commands.py" --server "$server" $keep
    run "7 a key recreated after it expired recovers as the new key only" \
        "$py" "$here/expire-recreate.py" --server "$server" $keep
    run "2b appendfsync everysec syncs the tail once writes stop" \
        "$py" "$here/everysec-idle.py" --server "$server" $keep
    run "7 every data type and MULTI/EXEC survive kill -9, with snapshots, 6 cycles" \
        "$py" "$here/types-crash.py" --server "$server" --cycles 6 --seed "$seed" $keep
else
    skip "3 kill -9 during a snapshot" "no python3"
    skip "4 torn WAL tail" "no python3"
    skip "4b multi-record commands" "no python3"
    skip "7 expired and recreated keys" "no python3"
    skip "2b everysec syncs an idle tail" "no python3"
    skip "7 data types survive kill -9" "no python3"
fi

i=0
for f in "write EIO" "write ENOSPC --fault-partial" "fsync EIO" "fsync ENOSPC --fault-drop"; do
    set -- $f
    op=$1
    err=$2
    shift 2
    # the fault hits after some hundred WAL writes/fsyncs: mid-run
    fn=$(( 100 + (seed / 7 + i * 97) % 300 ))
    run "5 WAL $op fails with $err${1:+ ($1)} at call $fn" \
        "$loop" --fault "$op" --fault-errno "$err" --fault-n "$fn" "$@" --fault-shim "$bin/fault-shim.so" \
        --seed "$((seed + 10 + i))" --server "$server" $keep
    i=$((i + 1))
done
run "5 WAL segment roll fails (creating the next segment: ENOSPC)" \
    "$loop" --fault create --fault-errno ENOSPC --fault-n 2 --fault-shim "$bin/fault-shim.so" \
    --seed "$((seed + 20))" --server "$server" $keep

if [ -n "$py" ]; then
    run "6 two servers on one data dir" "$py" "$here/two-servers.py" --server "$server" $keep
else
    skip "6 two servers on one data dir" "no python3"
fi

echo "run-crash-tests: $n parts, $failed failed, $(( $(date +%s) - t0 )) s"
[ $failed -eq 0 ] || exit 1
exit 0
