#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tunnel_paths: every packet sent through flowtap-tunnel appears in a capture
# exactly once per path it crossed, with the right direction and the pre-NAT
# addresses. Two tunnels in two namespaces; on tunnel A a pcapng capture
# (flowtap capture) and a user0 stream (curl), on tunnel B a user0 stream
# (flowtap capture -o); tshark reads them, with our Lua dissector for user0.
#
# Traffic from A, told apart by ping payload size (IP length):
#   92 bytes  ping 100.64.0.2       from-local -> peer -> from-peer
#   100 bytes ping 100.100.100.100  from-local -> synthesized-to-local (A answers)
#   108 bytes ping 100.64.9.9       DNAT to 100.64.0.2 (A: pre-NAT addresses)
#   IPv6 ping fd7a:115c:a1e0::2     from-local -> peer -> from-peer
#   52 bytes  keepalives (ICMP id 0x4654) both ways: synthesized-to-peer/from-peer
# and a TCP transfer (tests/tools/tcpxfer.py, 512 KiB) to the DNAT address: every TCP segment
# A sends is on A's from-local (with its pre-DNAT destination) and on B's
# from-peer, and every one B sends is on B's from-local and A's from-peer.
set -euo pipefail
. "$(dirname "$0")/tunnel_lib.bash"
tl_require ping tshark curl python3
tl_setup paths

tl_tunnel a --dnat 100.64.9.9=100.64.0.2 --keepalive 1 --addr fd7a:115c:a1e0::1/64
tl_tunnel b --keepalive 1 --addr fd7a:115c:a1e0::2/64

"$FLOWTAP" capture --socket "$TMP/a.sock" --format pcapng -w "$TMP/a.pcapng" 2>"$TMP/cap-a.err" &
CAP_A=$!
"$FLOWTAP" capture --socket "$TMP/b.sock" -o "$TMP/b.user0" 2>"$TMP/cap-b.err" &
CAP_B=$!
curl -sN --unix-socket "$TMP/a.sock" -X POST http://local/localapi/v0/debug-capture \
	-o "$TMP/a.user0" &
CURL_A=$!
tl_wait_sessions "$TMP/a.sock" 2
tl_wait_sessions "$TMP/b.sock" 1

ip netns exec "$NSA" ping -c 5 -i 0.1 -s 64 -q 100.64.0.2 >/dev/null
ip netns exec "$NSA" ping -c 3 -i 0.1 -s 72 -q 100.100.100.100 >/dev/null
ip netns exec "$NSA" ping -c 4 -i 0.1 -s 80 -q 100.64.9.9 >/dev/null
ip netns exec "$NSA" ping -6 -c 3 -i 0.1 -s 96 -q fd7a:115c:a1e0::2 >/dev/null
tl_bg "$NSB" python3 "$XFER" recv 100.64.0.2 5201
ip netns exec "$NSA" timeout 20 python3 "$XFER" send 100.64.9.9 5201 524288 >/dev/null ||
	fail "TCP transfer through the DNAT address failed"
sleep 2.5 # at least two keepalive rounds each way

kill -INT "$CAP_A" "$CAP_B"
wait "$CAP_A" || fail "flowtap capture on A failed: $(cat "$TMP/cap-a.err")"
wait "$CAP_B" || fail "flowtap capture on B failed: $(cat "$TMP/cap-b.err")"
sleep 0.3 # let the last flush reach curl
kill -TERM "$CURL_A"
wait "$CURL_A" || true
grep -q ' 0 dropped' "$TMP/cap-a.err" || fail "capture on A dropped packets: $(cat "$TMP/cap-a.err")"

LUA=$FT_SRC/share/flowtap/flowtap.lua
fields=(-e frame.interface_name -e frame.packet_flags_direction -e ip.src -e ip.dst
	-e icmp.type -e icmp.ident -e icmp.seq -e ip.len)
tshark -n -r "$TMP/a.pcapng" -T fields -Y icmp "${fields[@]}" >"$TMP/a.tsv" 2>/dev/null
ufields=(-e flowtap.path_name -e flowtap.snat.ip4 -e flowtap.dnat.ip4 -e ip.src -e ip.dst
	-e icmp.type -e icmp.ident -e icmp.seq -e ip.len -e tcp.srcport -e tcp.dstport
	-e tcp.seq_raw -e tcp.ack_raw -e tcp.flags -e tcp.len -e tcp.checksum.status)
for side in a b; do
	tshark -n -X "lua_script:$LUA" -o tcp.check_checksum:TRUE -r "$TMP/$side.user0" -T fields \
		"${ufields[@]}" >"$TMP/$side-u0.tsv" 2>/dev/null
	tshark -n -X "lua_script:$LUA" -r "$TMP/$side.user0" -Y 'icmpv6.type == 128 || icmpv6.type == 129' \
		-T fields -e flowtap.path_name -e ipv6.src -e ipv6.dst -e icmpv6.type \
		-e icmpv6.echo.sequence_number -e ipv6.plen >"$TMP/$side-v6.tsv" 2>/dev/null
done

python3 - "$TMP" <<'EOF'
import collections, sys

tmp = sys.argv[1]
A, B, SVC, DNAT = "100.64.0.1", "100.64.0.2", "100.100.100.100", "100.64.9.9"
KA = 0x4654
errors = []

def rows(name):
    with open(f"{tmp}/{name}") as f:
        return [l.rstrip("\n").split("\t") for l in f if l.strip()]

def check(what, got, want):
    if got != want:
        extra = got - want
        missing = want - got
        errors.append(f"{what}: unexpected {dict(extra)} missing {dict(missing)}")
    else:
        print(f"ok - {what}: {sum(want.values())} packets, each once per path")

def expect(spec):
    c = collections.Counter()
    for key, seqs in spec:
        for s in seqs:
            c[key + (s,)] += 1
    return c

def keepalives(what, pkts, probes_path, probes_src, answers_path):
    """Probes from @probes_src on @probes_path, answered on @answers_path."""
    req = collections.Counter(p for p in pkts if p[1] == "8" and p[2] == probes_src)
    rep = collections.Counter(p for p in pkts if p[1] == "0" and p[3] == probes_src)
    rseq = {k[-1] for k in req}
    aseq = {k[-1] for k in rep}
    paths_ok = {k[0] for k in req} == {probes_path} and {k[0] for k in rep} <= {answers_path}
    once = all(v == 1 for v in req.values()) and all(v == 1 for v in rep.values())
    if len(req) < 2 or not paths_ok or not once or not aseq <= rseq or len(rseq - aseq) > 1:
        errors.append(f"{what}: requests {dict(req)} replies {dict(rep)}")
    else:
        print(f"ok - {what}: {len(req)} probes on {probes_path}, {len(rep)} answers on {answers_path}")

# --- tunnel A, pcapng: path = interface name, direction flag 1 in / 2 out.
pkts = rows("a.tsv")
ka = [(p[0] + "/" + p[1], p[4], p[2], p[3], int(p[6])) for p in pkts if p[5] and int(p[5]) == KA]
pings = collections.Counter((p[0], p[1], p[2], p[3], p[4], int(p[7]), int(p[6]))
                            for p in pkts if not (p[5] and int(p[5]) == KA))
IN, OUT = "0x00000001", "0x00000002"
check("A pcapng pings", pings, expect([
    (("from-local", OUT, A, B, "8", 92), range(1, 6)),
    (("from-peer", IN, B, A, "0", 92), range(1, 6)),
    (("from-local", OUT, A, SVC, "8", 100), range(1, 4)),
    (("synthesized-to-local", IN, SVC, A, "0", 100), range(1, 4)),
    (("from-local", OUT, A, B, "8", 108), range(1, 5)),
    (("from-peer", IN, DNAT, A, "0", 108), range(1, 5)),
]))
ka = [(k[0], k[1], k[2], k[3], k[4]) for k in ka]
keepalives("A's keepalives (pcapng)", ka, "synthesized-to-peer/" + OUT, A, "from-peer/" + IN)
keepalives("B's keepalives answered by A (pcapng)", ka, "from-peer/" + IN, B,
           "synthesized-to-peer/" + OUT)

# --- user0 streams: path from the prefix, NAT metadata from the dissector.
def user0(name):
    pk = [p for p in rows(name) if p[5]]  # ICMP only
    ka = [(p[0], p[5], p[3], p[4], int(p[7])) for p in pk if p[6] and int(p[6]) == KA]
    pings = collections.Counter((p[0], p[1], p[2], p[3], p[4], p[5], int(p[8]), int(p[7]))
                                for p in pk if not (p[6] and int(p[6]) == KA))
    return pings, ka

pings, ka = user0("a-u0.tsv")
check("A user0 pings with NAT metadata", pings, expect([
    (("from-local", "", "", A, B, "8", 92), range(1, 6)),
    (("from-peer", "", "", B, A, "0", 92), range(1, 6)),
    (("from-local", "", "", A, SVC, "8", 100), range(1, 4)),
    (("synthesized-to-local", "", "", SVC, A, "0", 100), range(1, 4)),
    (("from-local", "", DNAT, A, B, "8", 108), range(1, 5)),
    (("from-peer", B, "", DNAT, A, "0", 108), range(1, 5)),
]))
keepalives("A's keepalives (user0)", ka, "synthesized-to-peer", A, "from-peer")

pings, ka = user0("b-u0.tsv")
check("B user0 pings (no NAT at B, service pings never reach B)", pings, expect([
    (("from-peer", "", "", A, B, "8", 92), range(1, 6)),
    (("from-local", "", "", B, A, "0", 92), range(1, 6)),
    (("from-peer", "", "", A, B, "8", 108), range(1, 5)),
    (("from-local", "", "", B, A, "0", 108), range(1, 5)),
]))
keepalives("B's keepalives (user0 on B)", ka, "synthesized-to-peer", B, "from-peer")
keepalives("A's keepalives answered by B (user0 on B)", ka, "from-peer", A, "synthesized-to-peer")

# --- IPv6 goes through unchanged.
A6, B6 = "fd7a:115c:a1e0::1", "fd7a:115c:a1e0::2"
def v6(name):
    return collections.Counter((p[0], p[1], p[2], p[3], int(p[5]), int(p[4])) for p in rows(name))
check("A user0 IPv6 pings", v6("a-v6.tsv"), expect([
    (("from-local", A6, B6, "128", 104), range(1, 4)),
    (("from-peer", B6, A6, "129", 104), range(1, 4)),
]))
check("B user0 IPv6 pings", v6("b-v6.tsv"), expect([
    (("from-peer", A6, B6, "128", 104), range(1, 4)),
    (("from-local", B6, A6, "129", 104), range(1, 4)),
]))

# --- TCP through the DNAT address, compared segment by segment across A and B.
def tcp(name):
    return [p for p in rows(name) if p[9]]

def segs(pk, path):
    return collections.Counter((p[1], p[2], p[3], p[4]) + tuple(p[9:15])
                               for p in pk if p[0] == path)

ta, tb = tcp("a-u0.tsv"), tcp("b-u0.tsv")
bad = [p for p in ta + tb if p[15] != "1"]  # 1: checksum good
if bad:
    errors.append(f"{len(bad)} TCP segments with a bad checksum, e.g. {bad[0]}")
a_out, b_in = segs(ta, "from-local"), segs(tb, "from-peer")
# A's segments: after DNAT to B, pre-DNAT destination in the metadata; B sees them as is.
want = collections.Counter({("", "", A, B) + k[4:]: v for k, v in a_out.items()})
if not a_out or a_out != collections.Counter({("", DNAT) + k[2:]: v for k, v in want.items()}):
    errors.append(f"A from-local TCP segments lack the DNAT metadata: {list(a_out)[:3]}")
check("TCP segments A sent, on B's from-peer", b_in, want)
b_out, a_in = segs(tb, "from-local"), segs(ta, "from-peer")
want = collections.Counter({(B, "", DNAT, A) + k[4:]: v for k, v in b_out.items()})
check("TCP segments B sent, on A's from-peer after un-DNAT", a_in, want)
if set(p[0] for p in ta + tb) != {"from-local", "from-peer"}:
    errors.append("TCP segments on unexpected paths")

if errors:
    print("\n".join("FAIL: " + e for e in errors), file=sys.stderr)
    sys.exit(1)
EOF

# The tunnel's own counters in the local API's status.
tl_status "$TMP/a.sock" | python3 -c '
import json, sys
t = json.load(sys.stdin)["tunnel"]
c = t["counters"]
assert t["interface"] == "fte0" and t["peer"] == "192.0.2.2:4242", t
assert c["echo_local"] == 3, c
assert t["dnat_translated"] >= 4 and t["dnat_replies"] >= 4, t
assert c["keepalive_tx"] >= 2 and c["keepalive_rx"] >= 2 and c["echo_peer"] >= 2, c
assert not any(c["dropped"].values()), c
print("ok - status: tunnel counters", c)' || fail "status of tunnel A"
tl_stop "$TUN_PID_A"
tl_stop "$TUN_PID_B"
grep -q "echo_local 3," "$TMP/a.log" || fail "A's summary: $(cat "$TMP/a.log")"
ok "tunnels stopped cleanly; A answered the 3 service pings"
