#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtapd --peers: names in a capture through the API (text "addr(name)"
# and pcapng with NRB names tshark -N n shows) and in flow-log messages
# (srcNode, dstNodes); a SIGHUP re-reads the file and swaps the names while
# a capture and the flow logger run, losing no packet and no message; a bad
# file at start is exit 2 with line and column, at reload an error in the
# log that keeps the running table.
FTF_TAG=pe
source "$(dirname "$0")/flowtapd_lib.bash"

require_root_netns
need curl python3 ping tshark
make_veth

peers() { # NAME-OF-A
	cat >"$TMP/peers.json" <<J
{"self": {"nodeId": "nB", "name": "gw-b", "addresses": ["192.0.2.2"], "os": "linux",
          "tags": ["tag:gw"]},
 "peers": [{"nodeId": "nA", "name": "$1", "addresses": ["192.0.2.1/32"], "os": "linux",
            "user": "alice@example.com"}]}
J
}
peers host-a
start_flowtapd --interface "$VB" --flow-log "$TMP/flows.jsonl" --interval 0.5 \
	--overlay 192.0.2.0/24 --peers "$TMP/peers.json"
ping_a() { ip netns exec "$NSA" ping -c "$1" -i 0.05 -W 1 192.0.2.2 >/dev/null || fail "ping failed"; }

# 1. Text and pcapng through the API name both ends.
"$FT" capture --socket "$SOCK" -c 4 icmp >"$TMP/a.txt" 2>"$TMP/a.err" &
cap=$!
wait_sessions 1
ping_a 2
wait "$cap" || fail "capture failed: $(cat "$TMP/a.err")"
grep -q '192.0.2.1(host-a) > 192.0.2.2(gw-b): ICMP echo request' "$TMP/a.txt" ||
	fail "no names in the text capture: $(cat "$TMP/a.txt")"
grep -q '192.0.2.2(gw-b) > 192.0.2.1(host-a): ICMP echo reply' "$TMP/a.txt" ||
	fail "no names on the reply: $(cat "$TMP/a.txt")"
ok "text capture names both ends"
"$FT" capture --socket "$SOCK" -c 2 --format pcapng -w "$TMP/a.pcapng" icmp 2>"$TMP/b.err" &
cap=$!
wait_sessions 1
ping_a 1
wait "$cap" || fail "pcapng capture failed: $(cat "$TMP/b.err")"
got=$(tshark -n -N n -r "$TMP/a.pcapng" -T fields -e _ws.col.Source -e _ws.col.Destination 2>/dev/null)
[ "$got" = "host-a	gw-b
gw-b	host-a" ] || fail "tshark -N n shows '$got'"
ok "pcapng from the API carries the names (tshark -N n, NRB written by the server)"

# 2. Flow-log messages carry srcNode and dstNodes.
wait_flow "$TMP/flows.jsonl" 'm.get("srcNode", {}).get("name") == "gw-b" and [n["name"] for n in m.get("dstNodes", [])] == ["host-a"] and m["dstNodes"][0]["user"] == "alice@example.com" and m["srcNode"]["tags"] == ["tag:gw"] and m["srcNode"]["addresses"] == ["192.0.2.2"]'
ok "flow messages: srcNode gw-b, dstNodes [host-a]"

# 3. A reload while a capture runs: names swap, no packet lost.
"$FT" capture --socket "$SOCK" -c 80 icmp >"$TMP/c.txt" 2>"$TMP/c.err" &
cap=$!
wait_sessions 1
lines0=$(wc -l <"$TMP/flows.jsonl")
ping_a 20
peers host-a2
kill -HUP "$FTD_PID"
for _ in $(seq 100); do grep -q "peer table now from" "$TMP/flowtapd.log" && break; sleep 0.05; done
grep -q "peer table now from $TMP/peers.json: 2 nodes" "$TMP/flowtapd.log" || fail "no reload in the log"
ping_a 20
wait "$cap" || fail "capture across the reload failed: $(cat "$TMP/c.err")"
[ "$(grep -c 'ICMP echo' "$TMP/c.txt")" = 80 ] || fail "capture across the reload: $(wc -l <"$TMP/c.txt") lines"
python3 - "$TMP/c.txt" <<'PY' || fail "names did not swap cleanly: $(cat "$TMP/c.txt")"
import re, sys
names = [re.search(r'192\.0\.2\.1\((host-a2?)\)', l).group(1) for l in open(sys.argv[1])]
# Names are resolved when the session writes a packet: the swap happens
# once, between batches; every packet hooked after the reload has the new
# name, and a packet before it the old one unless it was written late.
first_new = names.index('host-a2')
assert 0 < first_new <= 40 and all(n == 'host-a2' for n in names[first_new:]), names
PY
grep -q ', 0 dropped' "$TMP/c.err" || fail "capture summary shows drops: $(cat "$TMP/c.err")"
ok "SIGHUP swapped host-a for host-a2 mid-capture, 80 of 80 packets"
wait_total "$TMP/flows.jsonl" virtualTraffic 40 40 "$lines0" 192.0.2.2:0 192.0.2.1:0 ||
	fail "flow counts across the reload"
wait_flow "$TMP/flows.jsonl" '[n["name"] for n in m.get("dstNodes", [])] == ["host-a2"]' "$lines0"
ok "flow messages across the reload: every packet counted, then dstNodes [host-a2]"

# 4. A bad file at reload keeps the running table.
printf '{"peers": [\n  {"name": "x"}\n  {"name": "y"}]}\n' >"$TMP/peers.json"
kill -HUP "$FTD_PID"
for _ in $(seq 100); do grep -q "keeping the running peer table" "$TMP/flowtapd.log" && break; sleep 0.05; done
grep -q "reload: $TMP/peers.json:3:3: bad JSON.*keeping the running peer table" "$TMP/flowtapd.log" ||
	fail "no clear reload error in the log"
"$FT" capture --socket "$SOCK" -c 1 icmp >"$TMP/d.txt" 2>/dev/null &
cap=$!
wait_sessions 1
ping_a 1
wait "$cap"
grep -q '(host-a2)' "$TMP/d.txt" || fail "table lost after a bad reload: $(cat "$TMP/d.txt")"
ok "bad JSON at reload: logged with line and column, names kept"

# 5. Bad files at start: exit 2 and a message.
rc=0
out=$("$FTD" --socket "$TMP/x.sock" --peers "$TMP/peers.json" 2>&1) || rc=$?
[ $rc = 2 ] && [[ "$out" == *"$TMP/peers.json:3:3: bad JSON"* ]] ||
	fail "bad peer file at start: exit $rc, '$out'"
rc=0
out=$("$FTD" --socket "$TMP/x.sock" --peers "$TMP/none.json" 2>&1) || rc=$?
[ $rc = 2 ] && [[ "$out" == *"cannot open peer file '$TMP/none.json': No such file or directory"* ]] ||
	fail "missing peer file at start: exit $rc, '$out'"
ok "bad or missing peer file at start: exit 2 with the reason"
