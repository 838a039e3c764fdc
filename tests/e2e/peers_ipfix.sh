#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# e2e: with a peer table the flow log names its nodes in IPFIX too:
# templates 260/261 carry enterprise elements 32473/2 (source node name)
# and 32473/3 (destination node name), variable-length strings that
# tshark's cflow dissector decodes (-V shows each enterprise element and
# its bytes); records without a named end keep templates 256/257, and
# without a table no template 260/261 is sent. The JSON messages of the
# same run carry srcNode and dstNodes.
set -euo pipefail
FT=${FT_BUILD:?}/flowtap
SRC=${FT_SRC:?}
for t in tshark python3; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
tmp=$(mktemp -d /tmp/ftp-peers-ipfix.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
python3 "$SRC/tests/data/gen_peers_pcap.py" "$tmp/p.pcap"
cat >"$tmp/peers.json" <<'J'
{"self": {"nodeId": "n1", "name": "laptop-a", "addresses": ["100.64.0.1", "fd7a:115c:a1e0::1"]},
 "peers": [{"nodeId": "n2", "name": "laptop-b", "addresses": ["100.64.0.2", "fd7a:115c:a1e0::2"]}]}
J
# A UDP collector that keeps each datagram, then wraps them in IPv4/UDP
# (raw IP pcap) for tshark.
COLLECTOR='
import signal, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[2], "w").write(str(s.getsockname()[1]))
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
def done(*a):
    out.close()
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
while True:
    d = s.recv(65535)
    udp = struct.pack("!HHHH", 40000, 4739, 8 + len(d), 0) + d
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])) + udp
    out.write(struct.pack("<IIII", 0, 0, len(ip), len(ip)) + ip)
    out.flush()
'
fail=0
run() { # NAME [--peers FILE]: the flow log of p.pcap as IPFIX into NAME.pcap, JSON into NAME.json
	local name=$1 port col
	shift
	python3 -c "$COLLECTOR" "$tmp/$name.pcap" "$tmp/$name.port" &
	col=$!
	pids+=("$col")
	for _ in $(seq 50); do [ -s "$tmp/$name.port" ] && break; sleep 0.1; done
	port=$(cat "$tmp/$name.port")
	"$FT" flows -r "$tmp/p.pcap" --log-exit-flows --ipfix "127.0.0.1:$port" "$@" >"$tmp/$name.json"
	sleep 0.5
	kill -TERM "$col"
	wait "$col" 2>/dev/null || true
	tshark -n -r "$tmp/$name.pcap" -d udp.port==4739,cflow -V >"$tmp/$name.txt" 2>/dev/null
}
run named --peers "$tmp/peers.json"
run plain
python3 - "$tmp/named.txt" "$tmp/plain.txt" "$tmp/named.json" <<'PY' || fail=1
import json, re, sys
named, plain = open(sys.argv[1]).read(), open(sys.argv[2]).read()
ok = True
def check(what, cond, detail=""):
    global ok
    print(("ok   " if cond else "FAIL ") + what + ("" if cond else ": " + str(detail)))
    ok &= bool(cond)
check("templates 260 and 261 announced", re.search(r'\(Data Template\): [0-9,]*260,261', named),
      re.findall(r'\(Data Template\): [0-9,]+', named)[:3])
check("no names template without a table", '260' not in ''.join(re.findall(r'\(Data Template\): [0-9,]+', plain)))
# Each enterprise element 32473/2 and /3, in the template and as record bytes.
tf = re.findall(r'Type: ([23]) \[pen: Example Enterprise Number for Documentation Use\]\n\s+Length: 65535 \[i.e.: "Variable Length"\]\n\s+PEN: [^\n]*\(32473\)', named)
check("template fields 32473/2 and /3, variable length", tf.count('2') == 2 and tf.count('3') == 2, tf)
vals = re.findall(r'Enterprise Private entry: \(Example Enterprise Number for Documentation Use\) Type ([23]): Value \(hex bytes\): ([0-9a-f ]+)', named)
names = sorted({(t, bytes.fromhex(v.replace(' ', '')).decode()) for t, v in vals})
check("record names decoded", ('2', 'laptop-a') in names and ('3', 'laptop-b') in names and
      ('2', 'laptop-b') in names and ('3', 'laptop-a') in names, names)
# Six records: five tx, the exit one (8.8.8.8, no names on its far end: an
# empty destination name), and tshark decoded every one.
check("no malformed packets", 'Malformed' not in named and 'Malformed' not in plain)
msgs = [json.loads(l) for l in open(sys.argv[3])]
check("JSON srcNode/dstNodes in the same run", msgs and msgs[0]["srcNode"]["name"] == "laptop-a"
      and [n["name"] for n in msgs[0]["dstNodes"]] == ["laptop-b"], msgs)
sys.exit(0 if ok else 1)
PY
exit $fail
