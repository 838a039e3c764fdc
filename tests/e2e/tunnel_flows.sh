#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tunnel_flows: flowtap-tunnel's flow-log counts equal what was sent.
#
# Tunnel A logs flows (JSON lines file, 1 s interval, and the local API's
# GET /localapi/v0/flows) while a user0 capture of every path runs. Then:
#  - the ping connections carry exactly the packets ping sent (7 to the peer,
#    3 to the DNAT address, 4 to the service address), 84 bytes each;
#  - classes: 10.77.0.1 (behind B, inside A's --route) is subnet traffic,
#    198.51.100.7 (behind B, routed by hand, outside --route) exit traffic,
#    anonymized into one entry per local address and protocol;
#  - every connection's packets and bytes (TCP: headers included) equal the
#    sums computed from the capture: tunnel layer = what crossed the TUN
#    device (from-local as tx, keyed by the pre-DNAT destination; from-peer
#    after un-DNAT and synthesized-to-local as rx), socket layer = what
#    crossed the UDP socket (one entry: peer 100.64.0.2 -> 192.0.2.2:4242);
#  - the /flows stream and an HTTP collector (--url, a real HTTP server
#    process) received the same messages as the file.
set -euo pipefail
. "$(dirname "$0")/tunnel_lib.bash"
tl_require ping tshark curl python3
tl_setup flows

# An HTTP collector in A's namespace: appends every POST body to a file.
tl_bg "$NSA" python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(sys.argv[1], "ab") as f:
            f.write(body if body.endswith(b"\n") else body + b"\n")
        self.send_response(200)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", 8380), H).serve_forever()' "$TMP/http.flows"
tl_tunnel a --dnat 100.64.9.9=100.64.0.2 --keepalive 0 --flow-log "$TMP/a.flows" \
	--flow-interval 1 --node-id node-a --url http://127.0.0.1:8380/flows --route 10.77.0.0/16
tl_tunnel b --keepalive 0
ip -n "$NSB" addr add 10.77.0.1/32 dev lo
ip -n "$NSB" addr add 198.51.100.7/32 dev lo
ip -n "$NSA" route add 198.51.100.0/24 dev fte0

curl -sN --unix-socket "$TMP/a.sock" http://local/localapi/v0/flows -o "$TMP/api.flows" &
CURL=$!
"$FLOWTAP" capture --socket "$TMP/a.sock" -o "$TMP/a.user0" 2>"$TMP/cap.err" &
CAP=$!
tl_wait_sessions "$TMP/a.sock" 2

tl_bg "$NSB" python3 "$XFER" recv 100.64.0.2 5201
ip netns exec "$NSA" ping -c 7 -i 0.1 -q 100.64.0.2 >/dev/null
ip netns exec "$NSA" ping -c 3 -i 0.1 -q 100.64.9.9 >/dev/null
ip netns exec "$NSA" ping -c 4 -i 0.1 -q 100.100.100.100 >/dev/null
ip netns exec "$NSA" ping -c 2 -i 0.1 -q 10.77.0.1 >/dev/null
ip netns exec "$NSA" ping -c 3 -i 0.1 -q 198.51.100.7 >/dev/null
ip netns exec "$NSA" timeout 20 python3 "$XFER" send 100.64.0.2 5201 1048576 >/dev/null ||
	fail "TCP transfer failed"
sleep 1.5 # past one flow-log interval, so the stream carries messages

# Status shows the logger's delivery: messages went to the collector, none lost.
curl -sf --unix-socket "$TMP/a.sock" http://local/localapi/v0/status | python3 -c '
import json, sys
fl = json.load(sys.stdin).get("flowlog")
sys.exit(None if fl and fl["messages"] > 0 and fl["http_sent"] > 0 and fl["http_dropped"] == 0
         else "flowlog counters in status: %r" % fl)' || fail "status has no flow-log delivery"
"$FLOWTAP" status --socket "$TMP/a.sock" | grep -q "^flow log:" || fail "flowtap status shows no flow log"

kill -INT "$CAP"
wait "$CAP" || fail "capture failed: $(cat "$TMP/cap.err")"
grep -q ' 0 dropped' "$TMP/cap.err" || fail "the capture dropped packets: $(cat "$TMP/cap.err")"
tl_stop "$TUN_PID_A" # the final flush writes the last counts
kill -TERM "$CURL" 2>/dev/null || true
wait "$CURL" || true

tshark -n -X "lua_script:$FT_SRC/share/flowtap/flowtap.lua" -r "$TMP/a.user0" -T fields \
	-e flowtap.path_name -e flowtap.snat.ip4 -e flowtap.dnat.ip4 -e ip.src -e ip.dst \
	-e ip.proto -e tcp.srcport -e tcp.dstport -e ip.len >"$TMP/a.tsv" 2>/dev/null

python3 - "$TMP" <<'EOF'
import collections, ipaddress, json, sys

tmp = sys.argv[1]
A, B, SVC, DNAT = "100.64.0.1", "100.64.0.2", "100.100.100.100", "100.64.9.9"
errors = []

def zero():
    return {"txPkts": 0, "txBytes": 0, "rxPkts": 0, "rxBytes": 0}

# Flow-log messages, summed over intervals.
msgs = [json.loads(l) for l in open(f"{tmp}/a.flows") if l.strip()]
logged = collections.defaultdict(zero)
phys = collections.defaultdict(zero)
for m in msgs:
    if m.get("nodeId") != "node-a":
        errors.append(f"message without nodeId node-a: {m}")
    for cls in ("virtualTraffic", "subnetTraffic", "exitTraffic"):
        for e in m.get(cls, []):
            k = (cls, e.get("proto", 0), e.get("src", ""), e.get("dst", ""))
            for f in zero():
                logged[k][f] += e.get(f, 0)
    for e in m.get("physicalTraffic", []):
        k = (e["src"], e["dst"])
        for f in zero():
            phys[k][f] += e.get(f, 0)

def classify(proto, src, dst):
    """The class of a connection, and its key as logged (exit: anonymized)."""
    remote = ipaddress.ip_address(dst.rsplit(":", 1)[0])
    if remote in ipaddress.ip_network("10.77.0.0/16"):
        return ("subnetTraffic", proto, src, dst)
    if remote in ipaddress.ip_network("100.64.0.0/10"):
        return ("virtualTraffic", proto, src, dst)
    return ("exitTraffic", proto, src.rsplit(":", 1)[0] + ":0", "")

# The same from the capture.
want = collections.defaultdict(zero)
want_phys = collections.defaultdict(zero)
pk = [l.rstrip("\n").split("\t") for l in open(f"{tmp}/a.tsv") if l.strip()]
for path, snat, dnat, src, dst, proto, sp, dp, iplen in pk:
    proto, n = int(proto), int(iplen)
    sp, dp = sp or "0", dp or "0"
    if path == "from-local":
        k, d = (proto, f"{src}:{sp}", f"{dnat or dst}:{dp}"), "tx"
        if dst != SVC:
            want_phys[(f"{B}:0", "192.0.2.2:4242")]["txPkts"] += 1
            want_phys[(f"{B}:0", "192.0.2.2:4242")]["txBytes"] += n
    elif path == "from-peer":
        # After un-DNAT the packet is as the local stack gets it.
        k, d = (proto, f"{dst}:{dp}", f"{src}:{sp}"), "rx"
        if src == DNAT and snat != B:
            errors.append(f"reply from {src} without its pre-NAT source {B}")
        want_phys[(f"{B}:0", "192.0.2.2:4242")]["rxPkts"] += 1
        want_phys[(f"{B}:0", "192.0.2.2:4242")]["rxBytes"] += n
    elif path == "synthesized-to-local":
        k, d = (proto, f"{dst}:{dp}", f"{src}:{sp}"), "rx"
    else:
        errors.append(f"unexpected path {path} with keepalives off")
        continue
    k = classify(*k)
    want[k][d + "Pkts"] += 1
    want[k][d + "Bytes"] += n

# Pings: exactly what ping sent, independent of the capture.
for cls, dst, count in (("virtualTraffic", f"{B}:0", 7), ("virtualTraffic", f"{DNAT}:0", 3),
                        ("virtualTraffic", f"{SVC}:0", 4), ("subnetTraffic", "10.77.0.1:0", 2),
                        ("exitTraffic", "", 3)):
    got = logged.get((cls, 1, f"{A}:0", dst))
    exp = {"txPkts": count, "txBytes": 84 * count, "rxPkts": count, "rxBytes": 84 * count}
    if got != exp:
        errors.append(f"ping to {dst}: logged {got}, sent {exp}")
    else:
        print(f"ok - ping to {dst or 'the exit address'}: {count} packets each way in {cls}, as sent")

tcp = [k for k in want if k[1] == 6]
if len(tcp) != 1:
    errors.append(f"expected the TCP transfer's connection, got {tcp}")
if dict(logged) != dict(want):
    for k in sorted(set(logged) | set(want)):
        if logged.get(k) != want.get(k):
            errors.append(f"{k}: logged {logged.get(k)}, captured {want.get(k)}")
else:
    tb = sum(want[k]["txBytes"] + want[k]["rxBytes"] for k in tcp)
    print(f"ok - all {len(want)} connections match the capture exactly ({tb} TCP bytes)")
if dict(phys) != dict(want_phys):
    errors.append(f"physical: logged {dict(phys)}, captured {dict(want_phys)}")
else:
    print(f"ok - physical traffic matches the capture: {dict(want_phys)}")

api = [json.loads(l) for l in open(f"{tmp}/api.flows") if l.strip()]
byid = {m["id"]: m for m in msgs}
if not api or any(byid.get(m.get("id")) != m for m in api):
    errors.append(f"/flows stream: {len(api)} messages, not all equal to the file's")
else:
    print(f"ok - /flows streamed {len(api)} of the {len(msgs)} messages, identical to the file")

http = [json.loads(l) for l in open(f"{tmp}/http.flows") if l.strip()]
if sorted(m["id"] for m in http) != sorted(byid) or any(byid[m["id"]] != m for m in http):
    errors.append(f"HTTP collector: {len(http)} messages, the file has {len(msgs)}")
else:
    print(f"ok - the HTTP collector received all {len(http)} messages, identical to the file")

if errors:
    print("\n".join("FAIL: " + e for e in errors), file=sys.stderr)
    sys.exit(1)
EOF
tl_stop "$TUN_PID_B"
