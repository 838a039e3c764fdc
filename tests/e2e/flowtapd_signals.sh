#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtapd operations: flow logs counted from an AF_PACKET source with no
# capture session watching; `flowtap flows` and `status` against flowtapd;
# SIGHUP reloads routes and sinks from the config file (and keeps the running
# ones when the new file is bad, naming the line); SIGTERM flushes the flow
# log's pending counts, ends capture sessions with well-formed files and
# their statistics, and exits 0.
FTF_TAG=g
source "$(dirname "$0")/flowtapd_lib.bash"

require_root_netns
need curl python3 ping capinfos tshark
make_veth

ping_b() {
	ip netns exec "$NSA" ping -c "$1" -i 0.1 -W 1 192.0.2.2 >/dev/null || fail "ping failed"
}

cat >"$TMP/conf" <<CONF
# flowtapd test configuration
interface $VB
flow-log $TMP/flows1.jsonl
interval 0.5
node-id ftf-node
CONF
start_flowtapd --config "$TMP/conf"
[ "$(source_field "$VB" open)" = True ] || fail "flow logs need the source open without sessions"

# Flows are counted from the interface: the exit aggregate (no routes yet).
"$FT" flows --socket "$SOCK" >"$TMP/api-flows.jsonl" 2>"$TMP/flows.err" &
fl=$!
sleep 0.3
ping_b 3
wait_total "$TMP/flows1.jsonl" exitTraffic 3 3
wait_flow "$TMP/flows1.jsonl" 'm["nodeId"] == "ftf-node"'
ok "flow log counted 3+3 ICMP packets as exit traffic"
wait_flow "$TMP/api-flows.jsonl" '"exitTraffic" in m'
kill "$fl"
wait "$fl" 2>/dev/null
ok "flowtap flows streams flowtapd's messages"

# SIGHUP: a route makes the same traffic subnet traffic; the sink moves to a new file.
sed -i "s|flows1.jsonl|flows2.jsonl|" "$TMP/conf"
echo "route 192.0.2.0/24" >>"$TMP/conf"
kill -HUP "$FTD_PID"
for _ in $(seq 40); do grep -q "reloaded: 1 routes, 1 flow log sinks" "$TMP/flowtapd.log" && break; sleep 0.05; done
grep -q "reloaded: 1 routes" "$TMP/flowtapd.log" || fail "no reload message"
ping_b 2
wait_total "$TMP/flows2.jsonl" subnetTraffic 2 2 0 192.0.2.2:0 192.0.2.1:0
lines1=$(wc -l <"$TMP/flows1.jsonl")
ok "SIGHUP: routes and sinks reloaded (subnet traffic in the new sink)"

# A bad file on SIGHUP: named in the log, the running routes and sinks stay.
echo "bogus-key 1" >>"$TMP/conf"
kill -HUP "$FTD_PID"
for _ in $(seq 40); do grep -q "reload failed" "$TMP/flowtapd.log" && break; sleep 0.05; done
grep -q "reload failed, keeping the running configuration: $TMP/conf:7: unknown option 'bogus-key'" \
	"$TMP/flowtapd.log" || fail "bad reload not reported with its line"
sleep 1.1 # let the intervals of the earlier pings pass
lines2=$(wc -l <"$TMP/flows2.jsonl")
ping_b 2
wait_total "$TMP/flows2.jsonl" subnetTraffic 2 2 "$lines2"
[ "$(wc -l <"$TMP/flows1.jsonl")" = "$lines1" ] || fail "the removed sink still receives messages"
kill -0 "$FTD_PID" || fail "flowtapd died on a bad reload"
ok "SIGHUP with a bad file: error with line number, configuration kept"

# SIGTERM: a long interval, so only the final flush can carry the traffic.
kill -TERM "$FTD_PID"
wait "$FTD_PID"
rc=$?
FTD_PID=
[ $rc = 0 ] || fail "flowtapd exited with $rc on SIGTERM"
cat >"$TMP/conf" <<CONF
interface $VB
flow-log $TMP/flows3.jsonl
interval 3600
CONF
start_flowtapd --config "$TMP/conf" --write "$VB=$TMP/write.pcapng"
"$FT" capture --socket "$SOCK" --format pcapng -w "$TMP/term.pcapng" icmp 2>"$TMP/cap.err" &
cap=$!
wait_sessions 1
ping_b 4
sleep 0.3
kill -TERM "$FTD_PID"
wait "$FTD_PID"
rc=$?
FTD_PID=
wait "$cap"
[ $rc = 0 ] || fail "flowtapd exited with $rc on SIGTERM"
grep -q "stopping" "$TMP/flowtapd.log" || fail "no stop message"
grep -q "$VB: [0-9]* packets received, 0 dropped by the kernel, 2 capture sessions served" \
	"$TMP/flowtapd.log" || fail "no source statistics at exit"
wait_total "$TMP/flows3.jsonl" exitTraffic 4 4
ok "SIGTERM: pending flow counts flushed"
capinfos "$TMP/term.pcapng" >"$TMP/capinfos" 2>&1 || fail "capture file not well-formed: $(cat "$TMP/capinfos")"
n=$(tshark -n -r "$TMP/term.pcapng" 2>/dev/null | wc -l)
[ "$n" = 8 ] || fail "capture ended by SIGTERM holds $n packets, expected 8"
grep -q "^8 packets captured, 0 dropped" "$TMP/cap.err" ||
	fail "the capture client did not see a clean end: $(cat "$TMP/cap.err")"
ok "SIGTERM: capture session ended with a well-formed pcapng of 8 packets ($(tail -1 "$TMP/cap.err"))"
# --write: flowtapd's own capture file, finished with its statistics block.
n=$(tshark -n -r "$TMP/write.pcapng" -Y icmp 2>/dev/null | wc -l)
[ "$n" = 8 ] || fail "--write file holds $n ICMP packets, expected 8"
capinfos "$TMP/write.pcapng" >"$TMP/capinfos" 2>&1 || fail "--write file not well-formed"
grep -q "Number of stat entries = 1" "$TMP/capinfos" ||
	fail "--write file has no interface statistics block: $(cat "$TMP/capinfos")"
grep -q "$VB: [0-9]* packets written to its file, 0 dropped" "$TMP/flowtapd.log" ||
	fail "no statistics of the --write session at exit"
ok "--write: flowtapd's own pcapng file complete at SIGTERM"
[ ! -e "$SOCK" ] || fail "socket left behind"
exit 0
