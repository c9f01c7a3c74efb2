#!/bin/bash
# redis-cli.sh -- drive the real redis-cli (Debian redis-tools) against holdfast:
# mass insertion with --pipe, --scan, -x, --bigkeys, --memkeys, --stat,
# --latency, RESP3 output, and an interactive session through tmux (hints,
# replies, help).  Exit 0 all passed, 1 something failed, 77 redis-cli or the
# server binary is missing.  Server selection: see lib.sh (HOLDFAST_PORT,
# HOLDFAST_SERVER); with HOLDFAST_PORT the server is FLUSHALLed.
set -u

if ! command -v redis-cli >/dev/null 2>&1; then
    echo "1..0 # SKIP redis-cli not installed (Debian package redis-tools)"
    exit 77
fi
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
# shellcheck source=tests/integration/lib.sh
. "$here/lib.sh"
echo "# $(redis-cli --version)"
hf_start_server
rc=$?
if [ $rc -eq 77 ]; then
    echo "1..0 # SKIP no server binary"
    exit 77
elif [ $rc -ne 0 ]; then
    echo "Bail out! could not start the server"
    exit 1
fi
# redis-cli must not read or write the user's files
export REDISCLI_HISTFILE=/dev/null REDISCLI_RCFILE=/dev/null
T=$HF_TMP
started=$(date +%s)

hf_expect "FLUSHALL" "OK" "$(hf_cli FLUSHALL 2>&1)"

# ---- mass insertion: redis-cli --pipe with 100,000 SETs in RESP ----------------
N=100000
awk -v n=$N 'BEGIN {
    for (i = 0; i < n; i++) {
        k = "key:" i; v = "value:" i
        printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
    }
}' >"$T/mass.resp"
out=$(hf_cli --pipe <"$T/mass.resp" 2>&1)
prc=$?
hf_contains "--pipe: errors: 0, replies: $N" "errors: 0, replies: $N" "$out"
hf_expect "--pipe exit status" 0 "$prc"
hf_expect "DBSIZE after --pipe" "$N" "$(hf_cli DBSIZE 2>&1)"
hf_expect "GET key:99999" "value:99999" "$(hf_cli GET key:99999 2>&1)"
hf_expect "GET key:0" "value:0" "$(hf_cli GET key:0 2>&1)"

# a --pipe stream with errors in it is counted too
printf 'SET a 1\r\nINCR a\r\nSET b x\r\nINCR b\r\nNOSUCHCMD\r\n' >"$T/errs.txt"
out=$(hf_cli --pipe <"$T/errs.txt" 2>&1)
hf_contains "--pipe counts error replies" "errors: 2, replies: 5" "$out"
hf_expect "the inline commands ran" "2" "$(hf_cli GET a 2>&1)"
hf_expect "DEL a b" "2" "$(hf_cli DEL a b 2>&1)"

# ---- --scan -------------------------------------------------------------------
# key:1, key:10-19, key:100-199, ... key:10000-19999
want=11111
hf_expect "--scan --pattern 'key:1*' count" "$want" "$(hf_cli --scan --pattern 'key:1*' | wc -l | tr -d ' ')"
hf_expect "--scan --pattern 'key:1*' unique and matching" "$want" \
    "$(hf_cli --scan --pattern 'key:1*' | grep -E '^key:1[0-9]*$' | sort -u | wc -l | tr -d ' ')"
hf_expect "--scan --pattern 'key:?'" "key:0 key:1 key:2 key:3 key:4 key:5 key:6 key:7 key:8 key:9" \
    "$(hf_cli --scan --pattern 'key:?' | sort | tr '\n' ' ' | sed 's/ $//')"
hf_expect "--scan of everything" "$N" "$(hf_cli --scan | sort -u | wc -l | tr -d ' ')"

# ---- -x: the last argument from stdin ------------------------------------------
{
    echo "line one"
    echo "line two with spaces and \"quotes\""
    head -c 3000 /dev/zero | tr '\0' 'z'
    echo
} >"$T/value.txt"
size=$(wc -c <"$T/value.txt" | tr -d ' ')
hf_expect "-x set foo < file" "OK" "$(hf_cli -x set foo <"$T/value.txt" 2>&1)"
hf_expect "STRLEN foo is the file size" "$size" "$(hf_cli STRLEN foo 2>&1)"
hf_cli --raw GET foo | head -c "$size" >"$T/back.txt"
hf_check "GET foo returns the file" cmp -s "$T/value.txt" "$T/back.txt"

# ---- --bigkeys and --memkeys ----------------------------------------------------
total=$((N + 1))
out=$(hf_cli --bigkeys 2>&1)
brc=$?
hf_expect "--bigkeys exit status" 0 "$brc"
hf_contains "--bigkeys sampled every key" "Sampled $total keys in the keyspace!" "$out"
hf_contains "--bigkeys found the biggest string" "Biggest string found '\"foo\"' has $size bytes" "$out"
hf_contains "--bigkeys counted the strings" "$total strings with" "$out"
out=$(hf_cli --memkeys 2>&1)
mrc=$?
hf_expect "--memkeys exit status" 0 "$mrc"
hf_contains "--memkeys sampled every key" "Sampled $total keys in the keyspace!" "$out"
hf_contains "--memkeys names the biggest string" "Biggest string found '\"foo\"'" "$out"
case $out in *"ERR"*|*"rror"*) hf_notok "--memkeys without errors" "$(echo "$out" | grep -i err | head -3)" ;;
    *) hf_ok "--memkeys without errors" ;; esac

# ---- --stat and --latency (each ~2 s, under timeout) ---------------------------
out=$(timeout 2 stdbuf -oL redis-cli -h "$HF_HOST" -p "$HF_PORT" --stat -i 0.5 2>&1)
src=$?
hf_expect "--stat ran until timeout stopped it" 124 "$src"
hf_contains "--stat header" "------- data ------" "$out"
lines=$(echo "$out" | grep -cE '^[0-9]+ +[0-9.]+[BKMGT]? +[0-9]+ +[0-9]+ +[0-9]+ \(\+[0-9]+\) +[0-9]+')
if [ "$lines" -ge 2 ]; then hf_ok "--stat printed $lines data lines"; else
    hf_notok "--stat data lines" "got $lines in: $(echo "$out" | tr '\n' '|' | head -c 400)"; fi
first=$(echo "$out" | grep -E '^[0-9]+ ' | head -1 | awk '{print $1}')
hf_expect "--stat keys column" "$total" "$first"
case $out in *"ERR"*|*"rror"*) hf_notok "--stat without errors" "$(echo "$out" | grep -i err | head -3)" ;;
    *) hf_ok "--stat without errors" ;; esac

out=$(timeout 5 stdbuf -oL redis-cli -h "$HF_HOST" -p "$HF_PORT" --latency 2>&1)
lrc=$?
if [ $lrc -eq 0 ] || [ $lrc -eq 124 ]; then hf_ok "--latency exit status ($lrc)"; else
    hf_notok "--latency exit status" "$lrc: $out"; fi
if echo "$out" | grep -qE '^[0-9]+ [0-9]+ [0-9.]+ [1-9][0-9]*$'; then hf_ok "--latency printed min max avg count"
else hf_notok "--latency printed min max avg count" "$(echo "$out" | tail -3 | tr '\n' '|')"; fi
out=$(timeout 2.5 stdbuf -oL redis-cli -h "$HF_HOST" -p "$HF_PORT" --latency-history -i 1 2>&1)
hf_contains "--latency-history prints a range line" "seconds range" "$out"

# ---- RESP2/RESP3 output formatting ----------------------------------------------
out=$(hf_cli --no-raw -3 HELLO 2>&1)
hf_contains "-3 hello: proto 3 in a map" '"proto" => (integer) 3' "$out"
hf_contains "-3 hello: server field" '1# "server" =>' "$out"
hf_expect "-3 get nokey" "(nil)" "$(hf_cli --no-raw -3 GET nokey 2>&1)"
hf_expect "-3 config get maxmemory" '1# "maxmemory" => "0"' "$(hf_cli --no-raw -3 CONFIG GET maxmemory 2>&1)"
hf_contains "-3 command info get: flags as a set" '1~ readonly' "$(hf_cli --no-raw -3 COMMAND INFO get 2>&1)"
out=$(hf_cli --no-raw -3 INCRBYFLOAT fl 1.5 2>&1)
hf_expect "-3 incrbyfloat is a string" '"1.5"' "$out"
hf_expect "-2 config get maxmemory" $'1) "maxmemory"\n2) "0"' "$(hf_cli --no-raw CONFIG GET maxmemory 2>&1)"
hf_contains "hello 2 is a flat array" '1) "server"' "$(hf_cli --no-raw HELLO 2 2>&1)"
hf_expect "-3 --raw hello proto line" "proto 3" "$(hf_cli -3 HELLO | grep '^proto')"

# ---- assorted options -----------------------------------------------------------
hf_expect "-r 3 incr" $'1\n2\n3' "$(hf_cli -r 3 INCR cnt 2>&1)"
hf_expect "-n 2 set" "OK" "$(hf_cli -n 2 SET indb2 yes 2>&1)"
hf_expect "-n 2 get" "yes" "$(hf_cli -n 2 GET indb2 2>&1)"
hf_expect "db 0 does not see it" "" "$(hf_cli GET indb2 2>&1)"
hf_expect "-u redis://host:port/3" "OK" "$(redis-cli -u "redis://$HF_HOST:$HF_PORT/3" SET inuri 1 2>&1)"
hf_expect "... lands in db 3" "1" "$(hf_cli -n 3 GET inuri 2>&1)"
hf_expect "--csv mget" 'NULL,"value:1",NULL' "$(hf_cli --csv MGET nokey key:1 nokey2 2>&1)"
hf_contains "unknown command error" "ERR unknown command 'nosuchcmd', with args beginning with: " \
    "$(hf_cli nosuchcmd 2>&1)"
hf_contains "wrong arity error" "ERR wrong number of arguments for 'get' command" "$(hf_cli GET 2>&1)"
hf_contains "info keyspace" "db0:keys=$((total + 2)),expires=0" "$(hf_cli INFO keyspace 2>&1)"
hf_expect "--raw config get port" "port"$'\n'"$HF_PORT" "$(hf_cli --raw CONFIG GET port 2>&1)"
hf_expect "echo from stdin lines" $'PONG\nhi' "$(printf 'PING\nECHO hi\n' | hf_cli 2>&1)"

# ---- MONITOR: another client's commands appear as they run ------------------------
timeout 5 redis-cli -h "$HF_HOST" -p "$HF_PORT" MONITOR > "$T/monitor.out" 2>&1 &
mon=$!
for _ in $(seq 50); do
    grep -q '^OK' "$T/monitor.out" 2>/dev/null && break
    sleep 0.1
done
hf_cli SET "monitored key" "v 1" >/dev/null
hf_cli HSET mon:h f 1 >/dev/null
sleep 0.3
kill "$mon" 2>/dev/null
wait "$mon" 2>/dev/null
hf_contains "MONITOR shows SET with its quoting" '"SET" "monitored key" "v 1"' "$(cat "$T/monitor.out")"
hf_contains "MONITOR shows HSET" '"HSET" "mon:h" "f" "1"' "$(cat "$T/monitor.out")"

# ---- redis-benchmark's whole default test set runs without an error ----------------
bench=$(timeout 300 redis-benchmark -h "$HF_HOST" -p "$HF_PORT" -q -n 2000 -c 20 2>&1 | tr '\r' '\n')
hf_contains "redis-benchmark default set reaches MSET" "MSET (10 keys):" "$bench"
hf_expect "redis-benchmark default set: no error line" "" \
    "$(printf '%s\n' "$bench" | grep -iE 'err|error|wrong|unknown' | head -n 3)"

# ---- an interactive session through tmux ----------------------------------------
tmux_session() {
    local sock="holdfast-itest-$$" out
    tm() { tmux -L "$sock" -f /dev/null "$@"; }
    # wait_for NEEDLE [tenths]: poll the pane until it shows NEEDLE.
    wait_for() {
        local n=${2:-50}
        for _ in $(seq 1 "$n"); do
            out=$(tm capture-pane -p -t cli 2>/dev/null)
            case $out in *"$1"*) return 0 ;; esac
            sleep 0.1
        done
        return 1
    }
    if ! TERM=${TERM:-xterm} tm new-session -d -s cli -x 220 -y 50 \
        "REDISCLI_HISTFILE=/dev/null REDISCLI_RCFILE=/dev/null redis-cli -h $HF_HOST -p $HF_PORT"; then
        hf_notok "tmux session starts"
        return
    fi
    local prompt="$HF_HOST:$HF_PORT>"
    if wait_for "$prompt"; then hf_ok "interactive prompt $prompt"; else
        hf_notok "interactive prompt" "pane: $(echo "$out" | tr '\n' '|' | head -c 300)"; tm kill-server; return; fi

    tm send-keys -t cli -l "SET foo"
    if wait_for "SET foo value [NX|XX]" 30; then hf_ok "typing 'SET foo' shows the hint 'value [NX|XX] ...'"; else
        hf_notok "SET hint" "pane: $(echo "$out" | grep -F "$prompt" | tail -1)"; fi
    tm send-keys -t cli -l " bar"
    tm send-keys -t cli Enter
    if wait_for $'SET foo bar\nOK' 30; then hf_ok "Enter on 'SET foo bar' shows OK"; else
        hf_notok "SET foo bar reply" "pane: $(echo "$out" | tail -5 | tr '\n' '|')"; fi
    tm send-keys -t cli -l "GET foo"
    tm send-keys -t cli Enter
    if wait_for $'GET foo\n"bar"' 30; then hf_ok "GET foo shows \"bar\""; else
        hf_notok "GET foo reply" "pane: $(echo "$out" | tail -5 | tr '\n' '|')"; fi
    tm send-keys -t cli -l "help SET"
    tm send-keys -t cli Enter
    if wait_for "summary: Set the string value of a key" 30; then hf_ok "help SET shows the summary"; else
        hf_notok "help SET" "pane: $(echo "$out" | tail -8 | tr '\n' '|')"; fi
    case $out in *"SET key value [NX|XX]"*) hf_ok "help SET shows the syntax" ;;
        *) hf_notok "help SET syntax" "pane: $(echo "$out" | tail -8 | tr '\n' '|')" ;; esac
    tm send-keys -t cli -l "nosuchcmd x"
    tm send-keys -t cli Enter
    if wait_for "(error) ERR unknown command 'nosuchcmd', with args beginning with: 'x'" 30; then
        hf_ok "an unknown command shows (error)"; else
        hf_notok "unknown command" "pane: $(echo "$out" | tail -4 | tr '\n' '|')"; fi
    tm send-keys -t cli -l "SELECT 5"
    tm send-keys -t cli Enter
    if wait_for "${HF_HOST}:${HF_PORT}[5]>" 30; then hf_ok "SELECT 5 changes the prompt"; else
        hf_notok "SELECT 5 prompt" "pane: $(echo "$out" | tail -3 | tr '\n' '|')"; fi
    tm send-keys -t cli -l "HELLO 3"
    tm send-keys -t cli Enter
    if wait_for '3# "proto" => (integer) 3' 30; then hf_ok "HELLO 3 shows a RESP3 map"; else
        hf_notok "HELLO 3 map" "pane: $(echo "$out" | tail -8 | tr '\n' '|')"; fi
    tm send-keys -t cli -l "QUIT"
    tm send-keys -t cli Enter
    local gone=no
    for _ in $(seq 1 30); do
        tm has-session -t cli 2>/dev/null || { gone=yes; break; }
        sleep 0.1
    done
    hf_expect "QUIT ends the interactive session" yes "$gone"
    tm kill-server 2>/dev/null
}
if command -v tmux >/dev/null 2>&1; then
    tmux_session
else
    echo "# tmux is not installed: interactive checks skipped"
    hf_skip "interactive redis-cli through tmux" "tmux not installed"
fi

echo "# $(( $(date +%s) - started )) s"
echo "1..$hf_n"
hf_summary "redis-cli.sh"
