#!/bin/sh
# run-itest.sh -- automake TESTS wrapper for the hiredis integration tests
# (itest.c).  Exit status is itest's: 0 pass, 1 fail, 77 skip.  Extra
# arguments select tests by name substring; HOLDFAST_PORT / HOLDFAST_SERVER
# choose the server (see itest.c).
bin="${abs_top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/itest"
if [ ! -x "$bin" ]; then
    echo "1..0 # SKIP $bin is not built (needs hiredis)"
    exit 77
fi
exec "$bin" "$@"
