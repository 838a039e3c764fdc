#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtapd SIGHUP with every sink kind at once: a file, an HTTP collector
# with a spool directory, and an IPFIX collector, plus a --write capture.
#  - an unchanged reload keeps the HTTP sink (no "Device or resource busy"
#    from its own spool lock) and says what changed;
#  - a reload that moves the URL hands the spool over: every message the
#    file sink got reaches one of the two collectors, none lost;
#  - a reload that must wait for a stalled collector (its POST hanging) runs
#    off the API loop: status requests meanwhile are answered within 100 ms;
#  - no "flow log: flow log:" in the log; the --write capture stops cleanly
#    after reloads (its tap name belonged to the freed configuration).
FTF_TAG=r
source "$(dirname "$0")/flowtapd_lib.bash"

require_root_netns
need curl python3 ping
COLL=${FT_SRC:?}/tests/data/flows/collector.py
make_veth
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; cleanup' EXIT

ping_b() {
	ip netns exec "$NSA" ping -c "$1" -i 0.05 -W 1 192.0.2.2 >/dev/null || fail "ping failed"
}
start_collector() { # NAME: an HTTP collector in namespace B; sets PORT_<NAME>
	ip netns exec "$NSB" python3 "$COLL" --port-file "$TMP/$1.port" --out "$TMP/$1.ndjson" &
	PIDS+=($!)
	for _ in $(seq 50); do [ -s "$TMP/$1.port" ] && break; sleep 0.1; done
	[ -s "$TMP/$1.port" ] || fail "collector $1 did not start"
	eval "PORT_$1=$(cat "$TMP/$1.port")"
}
wait_log() { # PATTERN [N [TENTHS]]: wait until the log has N lines matching PATTERN
	for _ in $(seq "${3:-150}"); do
		[ "$(grep -c -- "$1" "$TMP/flowtapd.log")" -ge "${2:-1}" ] && return 0
		sleep 0.1
	done
	fail "no '$1' in the log"
}
hup() { # sends SIGHUP and waits for its (N-th) reload to end
	kill -HUP "$FTD_PID"
	wait_log "reloaded:\|reload failed" "$1"
}
start_collector c1
start_collector c2
# A collector that accepts connections and never answers: POSTs hang until
# the sink's 10 s timeout.
ip netns exec "$NSB" python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
while True:
    c, _ = s.accept(); conns.append(c)' "$TMP/stall.port" &
PIDS+=($!)
for _ in $(seq 50); do [ -s "$TMP/stall.port" ] && break; sleep 0.1; done
PORT_stall=$(cat "$TMP/stall.port")

conf() { # URL_PORT
	cat >"$TMP/conf" <<CONF
interface $VB
interval 0.3
flow-log $TMP/all.jsonl
url http://127.0.0.1:$1/in
spool-dir $TMP/spool
ipfix 127.0.0.1:9
CONF
}
conf "$PORT_c1"
start_flowtapd --config "$TMP/conf" --write "$VB=$TMP/w.pcapng"
ping_b 3
wait_total "$TMP/all.jsonl" exitTraffic 3 3

hup 1
grep -q "reload failed\|Device or resource busy" "$TMP/flowtapd.log" && fail "unchanged reload failed"
wait_log "reloaded: 0 routes, 3 flow log sinks (1 kept, 2 added, 2 removed)"
ok "SIGHUP with file, HTTP+spool and IPFIX sinks: HTTP sink kept, the others reopened"

conf "$PORT_c2"
hup 2
wait_log "flow log URL 'http://127.0.0.1:$PORT_c1/in' removed"
wait_log "flow log URL 'http://127.0.0.1:$PORT_c2/in' added with spool $TMP/spool"
ping_b 2
wait_total "$TMP/all.jsonl" exitTraffic 5 5
ok "SIGHUP moving the URL: the new sink took over the spool"

conf "$PORT_stall"
hup 3
ping_b 2
sleep 1 # a message was flushed (0.3 s interval); the sink's POST now hangs
conf "$PORT_c1"
kill -HUP "$FTD_PID"
wait_log "reloading the configuration" 4
times=()
for _ in 1 2 3 4 5; do
	t=$(curl -s -o /dev/null -w '%{time_total}' --max-time 5 --unix-socket "$SOCK" \
		http://local/localapi/v0/status) || fail "status request failed during a reload"
	times+=("$t")
	sleep 0.1
done
[ "$(grep -c "reloaded:" "$TMP/flowtapd.log")" -lt 4 ] ||
	fail "the reload ended before the status requests: the test proves nothing"
slow=$(printf '%s\n' "${times[@]}" | awk '$1 >= 0.1' | head -1)
[ -z "$slow" ] || fail "a status request during the reload took ${slow}s (all: ${times[*]})"
ok "status answered within 100 ms while a reload waits for a stalled collector (${times[*]} s)"
# The old sink gives up on the stalled POST at its timeout (10 s) plus its
# drain (2 s): allow for that on a loaded machine.
wait_log "reloaded:" 4 400

# Every message the file sink got reaches a collector (spool handed over twice).
for _ in $(seq 100); do
	[ -z "$(ls "$TMP/spool" | grep ndjson)" ] && break
	sleep 0.1
done
python3 - "$TMP/all.jsonl" "$TMP/c1.ndjson" "$TMP/c2.ndjson" <<'PY' || fail "messages lost"
import json, sys
want = {json.loads(l)['id'] for l in open(sys.argv[1])}
got = set()
for p in sys.argv[2:]:
    got |= {json.loads(l)['id'] for l in open(p)}
missing = want - got
if missing:
    sys.exit('%d of %d messages never reached a collector' % (len(missing), len(want)))
print('%d messages, all delivered' % len(want))
PY
ok "no message lost across three reloads"

grep -q "flow log: flow log:" "$TMP/flowtapd.log" && fail "doubled 'flow log:' prefix"
kill -TERM "$FTD_PID"
wait "$FTD_PID"
rc=$?
FTD_PID=
[ $rc = 0 ] || fail "flowtapd exited with $rc"
grep -q "^flowtapd: $VB: [0-9]* packets written to its file, 0 dropped" "$TMP/flowtapd.log" ||
	fail "the --write session's statistics do not name its tap after reloads"
grep -q "Sanitizer" "$TMP/flowtapd.log" && fail "sanitizer report"
ok "--write stopped cleanly after reloads"
exit 0
