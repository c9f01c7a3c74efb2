#!/usr/bin/env bash
# run-hiredis-async.sh — runs hiredis-async (hiredis's async API on libevent)
# against a freshly started holdfast-server (or what lib.sh selects).
here=$(cd "$(dirname "$0")" && pwd)
bin="${abs_top_builddir:-$(cd "$here/../.." && pwd)}/tests/integration/hiredis-async"
if [ ! -x "$bin" ]; then
    echo "1..0 # SKIP $bin is not built (needs hiredis)"
    exit 77
fi
. "$here/lib.sh"
hf_start_server
rc=$?
if [ $rc -eq 77 ]; then
    echo "1..0 # SKIP no server binary"
    exit 77
elif [ $rc -ne 0 ]; then
    echo "Bail out! could not start the server"
    exit 1
fi
"$bin" "$HF_HOST" "$HF_PORT"
