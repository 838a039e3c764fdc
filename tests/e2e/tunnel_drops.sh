#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tunnel_drops: flowtap-tunnel reports what it drops, with why. A denies
# 100.64.0.2:7 (--deny rule 2) and drops a datagram from a host that is not
# its peer (foreign-source); B, which has no peer yet, drops what its stack
# sends (no-route). Each is captured with its reason (pcapng comment, text
# marker), counted per reason in status and in Prometheus metrics (checked
# by promtool), and the denied flow shows in A's
# flow log (dropPkts, dropReason) and in IPFIX: nfdump shows the dropped
# record, tshark decodes its forwardingStatus "ACL deny" (129). (nfdump
# 1.7.1 stores IE 89 of IPFIX as 0, so %fwd cannot show it.)
set -euo pipefail
. "$(dirname "$0")/tunnel_lib.bash"
tl_require curl python3 tshark nfcapd nfdump promtool
tl_setup drops

ip -n "$NSB" addr add 192.0.2.3/24 dev fte-veth-b
mkdir "$TMP/nf"
ip netns exec "$NSA" nfcapd -p 2055 -b 127.0.0.1 -w "$TMP/nf" -t 3600 >"$TMP/nfcapd.log" 2>&1 &
NFPID=$!
TL_PIDS+=("$NFPID")
ip netns exec "$NSA" tshark -n -i lo -f 'udp port 2055' -w "$TMP/ipfix.pcap" -q \
	>"$TMP/tshark.log" 2>&1 &
TSPID=$!
TL_PIDS+=("$TSPID")
tl_tunnel a --keepalive 0 --deny 10.9.9.0/24 --deny 100.64.0.2:7 --flow-log "$TMP/a.flows" \
	--flow-interval 0.5 --ipfix 127.0.0.1:2055
tl_bg "$NSB" "$TUNNEL" --tun fte0 --addr 100.64.0.2/24 --listen 192.0.2.2:4242 \
	--keepalive 0 --socket "$TMP/b.sock" 2>"$TMP/b.log"
TUN_PID_B=$!
tl_wait_api "$TMP/b.sock" || fail "tunnel b did not come up"

# Bad selections are refused with exit 2 and a message naming the problem.
set +e
"$FLOWTAP" capture --socket "$TMP/a.sock" --drop-reason no-such-reason -c 1 >/dev/null \
	2>"$TMP/err"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "unknown drop reason 'no-such-reason'; known: no-route acl-denied" \
	"$TMP/err" || fail "unknown --drop-reason: exit $rc, $(cat "$TMP/err")"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' --unix-socket "$TMP/a.sock" -X POST \
	'http://local/localapi/v0/debug-capture?drops=maybe')
[ "$code" = 400 ] && grep -q "bad value for parameter 'drops'" "$TMP/body" ||
	fail "drops=maybe: HTTP $code $(cat "$TMP/body")"
ok "unknown reason: exit 2 naming the reasons; drops=maybe: HTTP 400"

"$FLOWTAP" capture --socket "$TMP/a.sock" --drops --format pcapng -c 2 -w "$TMP/a.pcapng" \
	2>"$TMP/capa.err" &
CAPA=$!
"$FLOWTAP" capture --socket "$TMP/b.sock" --drops -c 1 >"$TMP/b.txt" 2>"$TMP/capb.err" &
CAPB=$!
tl_wait_sessions "$TMP/a.sock" 1
tl_wait_sessions "$TMP/b.sock" 1

# 1. B has no peer: its stack's datagram to A is dropped as no-route.
ip netns exec "$NSB" python3 -c '
import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("100.64.0.1", 9))'
# 2. A denies its stack's datagrams to 100.64.0.2:7 (rule 2); port 8 passes.
ip netns exec "$NSA" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"denied", ("100.64.0.2", 7)); s.sendto(b"passes", ("100.64.0.2", 8))'
# 3. A datagram to A from 192.0.2.3, not its peer: foreign-source.
ip netns exec "$NSB" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("192.0.2.3", 5555))
s.sendto(bytes.fromhex("4500001c000000004001000064400009644000010800f7ff00000000"),
         ("192.0.2.1", 4242))'

timeout 5 tail --pid="$CAPA" -f /dev/null || fail "capture on A did not end"
timeout 5 tail --pid="$CAPB" -f /dev/null || fail "capture on B did not end"
wait "$CAPA" || fail "capture on A: $(cat "$TMP/capa.err")"
wait "$CAPB" || fail "capture on B: $(cat "$TMP/capb.err")"

# The time and the ephemeral source port vary.
got=$(cut -d' ' -f2- "$TMP/b.txt" | sed -E 's/100\.64\.0\.2\.[0-9]+ /100.64.0.2.P /')
[ "$got" = "OUT from-local DROP(no-route) IP 100.64.0.2.P > 100.64.0.1.9: UDP, length 1" ] ||
	fail "B's text: '$(cat "$TMP/b.txt")'"
ok "B: $got"

got=$(tshark -n -r "$TMP/a.pcapng" -T fields -e frame.interface_name -e ip.src -e ip.dst \
	-e udp.dstport -e frame.comment 2>/dev/null | tr '\t\n' ' |')
want="from-local 100.64.0.1 100.64.0.2 7 drop: acl-denied rule 2|"
want+="from-peer 100.64.0.9 100.64.0.1  drop: foreign-source|"
[ "$got" = "$want" ] || fail "A's drops: got '$got', expected '$want'"
n=$(tshark -n -r "$TMP/a.pcapng" -Y 'frame.comment contains "acl-denied"' 2>/dev/null | wc -l)
[ "$n" = 1 ] || fail "tshark -Y 'frame.comment contains \"acl-denied\"' found $n packets"
ok "A's pcapng: the denied datagram (rule 2) and the foreign one, found by tshark -Y"

# Counted per reason in status and in flowtap status.
drops() {
	tl_status "$1" | python3 -c '
import json, sys
print(" ".join("%s=%d" % (d["reason"], d["packets"]) for d in json.load(sys.stdin)["taps"][0]["drops"]))'
}
[ "$(drops "$TMP/a.sock")" = "acl-denied=1 foreign-source=1" ] || fail "A's status drops: $(drops "$TMP/a.sock")"
[ "$(drops "$TMP/b.sock")" = "no-route=1" ] || fail "B's status drops: $(drops "$TMP/b.sock")"
"$FLOWTAP" status --socket "$TMP/a.sock" | grep -q "drops: acl-denied 1 (34 bytes), foreign-source 1 (28 bytes)" ||
	fail "flowtap status: $("$FLOWTAP" status --socket "$TMP/a.sock")"
ok "status counts A: acl-denied 1, foreign-source 1; B: no-route 1"

# The same counts in Prometheus metrics, which promtool accepts.
curl -sf --unix-socket "$TMP/a.sock" http://local/localapi/v0/metrics -o "$TMP/a.prom" ||
	fail "GET /localapi/v0/metrics on A failed"
promtool check metrics <"$TMP/a.prom" >"$TMP/lint" 2>&1 && [ ! -s "$TMP/lint" ] ||
	fail "promtool check metrics: $(cat "$TMP/lint")"
for m in 'flowtap_tap_dropped_packets_total{tap="fte0",reason="acl-denied"} 1' \
	'flowtap_tap_dropped_packets_total{tap="fte0",reason="foreign-source"} 1' \
	'flowtap_tap_dropped_bytes_total{tap="fte0",reason="acl-denied"} 34' \
	'flowtap_tap_dropped_bytes_total{tap="fte0",reason="foreign-source"} 28'; do
	grep -qxF "$m" "$TMP/a.prom" || fail "no line '$m' in A's metrics: $(grep drop "$TMP/a.prom")"
done
[ "$(grep -c '^flowtap_tap_dropped_packets_total{' "$TMP/a.prom")" = 2 ] ||
	fail "A's metrics have other drop reasons: $(grep '^flowtap_tap_dropped' "$TMP/a.prom")"
ok "A's metrics: dropped packets/bytes per reason as in status; promtool passes"

# Flow log: the denied connection with dropPkts/dropBytes/dropReason, and
# the per-reason totals (which ride on a window with traffic: one ping).
ip netns exec "$NSA" ping -c 1 -W 2 100.64.0.2 >/dev/null || fail "ping through the tunnel"
sleep 1.2
python3 - "$TMP/a.flows" <<'PY' || fail "flow log has no dropped connection"
import json, sys
tot = {}
for line in open(sys.argv[1]):
    for r, v in json.loads(line).get("drops", {}).items():
        tot[r] = [a + b for a, b in zip(tot.get(r, [0, 0]), [v["pkts"], v["bytes"]])]
assert tot == {"acl-denied": [1, 34], "foreign-source": [1, 28]}, tot
print("ok - flow log per-reason totals:", tot)
for line in open(sys.argv[1]):
    m = json.loads(line)
    for c in m.get("virtualTraffic", []):
        if c.get("dst") == "100.64.0.2:7":
            assert (c.get("dropPkts"), c.get("dropBytes"), c.get("dropReason")) == (1, 34, "acl-denied"), c
            assert "txPkts" not in c, c
            print("ok - flow log:", json.dumps(c))
            sys.exit(0)
sys.exit(1)
PY

tl_stop "$TUN_PID_A"
kill -TERM "$NFPID"
wait "$NFPID" || true
nfdump -R "$TMP/nf" -q -o 'fmt:%sa %da %dp %fwd %pkt %byt' >"$TMP/nf.txt" 2>&1 || true
grep -Eq '100\.64\.0\.1 +100\.64\.0\.2 +7 +[0-9]+ +1 +34' "$TMP/nf.txt" ||
	fail "nfdump has no record of the dropped datagram: $(cat "$TMP/nf.txt")"
ok "nfdump: $(grep -E ' 7 +[0-9]+ +1 +34' "$TMP/nf.txt" | tr -s ' ')"
sleep 0.5
kill -INT "$TSPID"
wait "$TSPID" || true
got=$(tshark -n -r "$TMP/ipfix.pcap" -d udp.port==2055,cflow -Y 'cflow.forwarding_status' \
	-T fields -e cflow.forwarding_status -e cflow.forwarding_status_drop_code \
	2>/dev/null | sort -u | tr '\t\n' ' |')
[ "$got" = "2 1|" ] || fail "tshark forwardingStatus: '$got' (want dropped (2), ACL deny (1))"
ok "tshark: the one dropped record has forwardingStatus dropped, ACL deny (129)"
tl_stop "$TUN_PID_B"
