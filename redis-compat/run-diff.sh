#!/bin/sh
# Differential test of holdfast-server against a real redis-server, for
# `make check` (automake TESTS) or by hand:
#
#     redis-compat/run-diff.sh [extra diff.py options]
#
# Runs every case file in redis-compat/cases plus seeded random streams of
# 2000 commands of the string and keyspace families (seeds 1 and 2 in RESP2,
# seed 3 in RESP3).  See diff.py for details and for how to replay a failure.
#
# The data types (hash list set zset bitmap sort multi types): their case
# files, and a random stream of 1500 steps per family in RESP2 and another
# in RESP3.  HF_DIFF_TYPES=0 leaves them out (strings and keyspace only).
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

# Data types: streams with seeds 11, 12, ... (RESP2 odd, RESP3 even), or skip
# their case files.
type_opts=
if [ "${HF_DIFF_TYPES:-1}" = 1 ]; then
    seed=11
    for fam in hash list set zset bitmap sort multi; do
        type_opts="$type_opts --stream $fam:1500:$seed --stream $fam:1500:$((seed + 1)):resp3"
        seed=$((seed + 2))
    done
else
    for f in hash list set zset bitmap sort multi types; do
        type_opts="$type_opts --skip $f.txt"
    done
fi

# shellcheck disable=SC2086 # $type_opts is a list of options
python3 "$here/diff.py" --redis "$redis" --holdfast "$holdfast" \
    --cases "$here/cases" \
    --random 2000 --seed 1 --seed 2 --resp3-seed 3 $type_opts "$@"
rc=$?
case $rc in
    0|1) exit $rc ;;
    *)   exit 99 ;;
esac
