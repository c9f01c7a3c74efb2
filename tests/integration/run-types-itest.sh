#!/usr/bin/env bash
# run-types-itest.sh — runs types-itest.py (transactions, blocking pops and
# Pub/Sub under concurrency, through redis-py) against a freshly started
# holdfast-server (or the server lib.sh selects: HOLDFAST_PORT, HOLDFAST_SERVER).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
py=
for cand in /usr/bin/python3 "$(command -v python3 || true)"; do
    if [ -n "$cand" ] && "$cand" -c 'import redis' 2>/dev/null; then py=$cand; break; fi
done
if [ -z "$py" ]; then
    echo "1..0 # SKIP python3 with redis-py not found (apt-get install python3-redis)"
    exit 77
fi
hf_start_server
rc=$?
if [ $rc -eq 77 ]; then
    echo "1..0 # SKIP no server binary"
    exit 77
elif [ $rc -ne 0 ]; then
    echo "Bail out! could not start the server"
    exit 1
fi
"$py" "$here/types-itest.py" --host "$HF_HOST" --port "$HF_PORT"
rc=$?
if [ $rc -ne 0 ] && [ -n "$HF_LOG" ]; then
    echo "# server log:"
    tail -n 30 "$HF_LOG" | sed 's/^/#   /'
fi
exit $rc
