#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tunnel_peers: flowtap-tunnel names its peers. Tunnel A builds its table
# from --node/--peer-name, tunnel B reads --peers FILE: captures through
# either API name both ends ("100.64.0.1(laptop-a) > 100.64.0.2(laptop-b)"),
# A's flow log carries srcNode laptop-a and dstNodes [laptop-b]; SIGHUP
# re-reads B's file and the next packets carry the new name; bad tables are
# exit 2 with the reason.
set -euo pipefail
. "$(dirname "$0")/tunnel_lib.bash"
tl_require ping curl python3
tl_setup peers

cat >"$TMP/b.json" <<'J'
{"self": {"nodeId": "nB", "name": "laptop-b", "addresses": ["100.64.0.2"], "os": "linux"},
 "peers": [{"nodeId": "nA", "name": "laptop-a", "addresses": ["100.64.0.1"], "os": "linux"}]}
J
# Bad tables first: nothing is set up.
rc=0
out=$("$TUNNEL" --addr 100.64.0.1/24 --peers "$TMP/none.json" 2>&1) || rc=$?
[ $rc = 2 ] && [[ "$out" == *"cannot open peer file '$TMP/none.json'"* ]] ||
	fail "missing --peers file: exit $rc, '$out'"
rc=0
out=$("$TUNNEL" --addr 100.64.0.1/24 --peers "$TMP/b.json" --node x 2>&1) || rc=$?
[ $rc = 2 ] && [[ "$out" == *"--node and --peer-name build a table without --peers"* ]] ||
	fail "--peers with --node: exit $rc, '$out'"
ok "bad peer tables: exit 2 with the reason"

tl_tunnel a --keepalive 0 --node laptop-a --node-id nA --peer-name laptop-b \
	--flow-log "$TMP/a.flows" --flow-interval 0.5
tl_tunnel b --keepalive 0 --peers "$TMP/b.json"

capture() { # SIDE COUNT OUT
	"$FLOWTAP" capture --socket "$TMP/$1.sock" -c "$2" icmp >"$3" 2>"$3.err" &
	cap=$!
	tl_wait_sessions "$TMP/$1.sock" 1
}
capture a 2 "$TMP/a.txt"
ip netns exec "$NSA" ping -c 1 -W 2 100.64.0.2 >/dev/null || fail "ping failed"
wait "$cap" || fail "capture on A: $(cat "$TMP/a.txt.err")"
grep -q 'IP 100.64.0.1(laptop-a) > 100.64.0.2(laptop-b): ICMP echo request' "$TMP/a.txt" ||
	fail "A's capture: $(cat "$TMP/a.txt")"
ok "A (--node/--peer-name) names both ends"
capture b 2 "$TMP/b.txt"
ip netns exec "$NSA" ping -c 1 -W 2 100.64.0.2 >/dev/null || fail "ping failed"
wait "$cap" || fail "capture on B: $(cat "$TMP/b.txt.err")"
grep -q 'IP 100.64.0.1(laptop-a) > 100.64.0.2(laptop-b): ICMP echo request' "$TMP/b.txt" ||
	fail "B's capture: $(cat "$TMP/b.txt")"
ok "B (--peers FILE) names both ends"

for _ in $(seq 50); do
	python3 - "$TMP/a.flows" <<'PY' && break
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if (m.get("srcNode", {}).get("name") == "laptop-a" and m["srcNode"]["nodeId"] == "nA"
            and m["srcNode"]["addresses"] == ["100.64.0.1"]
            and [n["name"] for n in m.get("dstNodes", [])] == ["laptop-b"]):
        sys.exit(0)
sys.exit(1)
PY
	sleep 0.1
done || true
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/a.flows"
grep -q '"dstNodes":\[{"nodeId":"","name":"laptop-b"' "$TMP/a.flows" ||
	fail "A's flow log lacks the nodes: $(cat "$TMP/a.flows")"
ok "A's flow log: srcNode laptop-a, dstNodes [laptop-b]"

sed -i 's/"laptop-a"/"laptop-a2"/' "$TMP/b.json"
kill -HUP "$TUN_PID_B"
for _ in $(seq 50); do grep -q "peer table reloaded" "$TMP/b.log" && break; sleep 0.1; done
grep -q "SIGHUP: peer table reloaded from $TMP/b.json: 2 nodes" "$TMP/b.log" ||
	fail "no reload in B's log: $(cat "$TMP/b.log")"
capture b 2 "$TMP/b2.txt"
ip netns exec "$NSA" ping -c 1 -W 2 100.64.0.2 >/dev/null || fail "ping failed"
wait "$cap" || fail "capture on B: $(cat "$TMP/b2.txt.err")"
grep -q 'IP 100.64.0.1(laptop-a2) > 100.64.0.2(laptop-b)' "$TMP/b2.txt" ||
	fail "B after SIGHUP: $(cat "$TMP/b2.txt")"
ok "SIGHUP re-read B's table: laptop-a2"
tl_stop "$TUN_PID_A"
tl_stop "$TUN_PID_B"
