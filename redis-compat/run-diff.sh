#!/bin/sh
# Differential test of holdfast-server against a real redis-server, for
# `make check` (automake TESTS) or by hand:
#
#     redis-compat/run-diff.sh [extra diff.py options]
#
# Runs every case file in redis-compat/cases plus seeded random streams of
# 2000 commands (seeds 1 and 2 in RESP2, seed 3 in RESP3).  See diff.py for
# details and for how to replay a failure.
#
# holdfast-server is taken from $HOLDFAST_SERVER, else
# $abs_top_builddir/src/holdfast-server, else the usual relative places.
# The reference is $REDIS_SERVER (default redis-server).
# Exit status: 0 pass, 1 mismatches, 77 skip (no redis-server or python3),
# 99 hard error (holdfast-server not found, a server did not start).

here=$(cd "$(dirname "$0")" && pwd)

redis=${REDIS_SERVER:-redis-server}
if ! command -v "$redis" >/dev/null 2>&1; then
    echo "SKIP: $redis not installed (apt-get install redis-server)"
    exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: python3 not installed"
    exit 77
fi

holdfast=${HOLDFAST_SERVER:-}
if [ -z "$holdfast" ]; then
    for cand in \
        "${abs_top_builddir:+$abs_top_builddir/src/holdfast-server}" \
        "${top_builddir:+$top_builddir/src/holdfast-server}" \
        ./src/holdfast-server \
        ../src/holdfast-server \
        "$here/../src/holdfast-server" \
        "$here/../build/src/holdfast-server" \
        ./build/src/holdfast-server
    do
        if [ -n "$cand" ] && [ -f "$cand" ] && [ -x "$cand" ]; then
            holdfast=$cand
            break
        fi
    done
fi
if [ -z "$holdfast" ]; then
    echo "ERROR: holdfast-server not found; build it or set HOLDFAST_SERVER" >&2
    exit 99
fi

python3 "$here/diff.py" --redis "$redis" --holdfast "$holdfast" \
    --cases "$here/cases" \
    --random 2000 --seed 1 --seed 2 --resp3-seed 3 "$@"
rc=$?
case $rc in
    0|1) exit $rc ;;
    *)   exit 99 ;;
esac
