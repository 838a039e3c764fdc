#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# IPFIX export: nfcapd receives flowtap's IPFIX and nfdump shows exactly the
# flows, packets and bytes of gen_pcap.py's truth (both directions, IPv4 and
# IPv6); tshark's cflow dissector decodes every message (templates included,
# resent periodically) without a malformed-packet warning.
set -euo pipefail
FT=${FT_BUILD:?}/flowtap
GEN=${FT_SHARED:?}/bench/gen_pcap.py
[ -r "$GEN" ] || { echo "SKIP: $GEN not found"; exit 77; }
command -v nfcapd >/dev/null && command -v nfdump >/dev/null || { echo "SKIP: nfcapd/nfdump not installed"; exit 77; }
T=$(mktemp -d /tmp/ftc-ipfix.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
free_udp_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

python3 "$GEN" "$T/g.pcap" --packets 20000 --flows 300 --seed 11

echo "== nfcapd / nfdump"
PORT=$(free_udp_port)
mkdir "$T/nf"
nfcapd -p "$PORT" -b 127.0.0.1 -w "$T/nf" -t 3600 > "$T/nfcapd.log" 2>&1 &
NFPID=$!; pids+=("$NFPID")
sleep 0.5
# Several windows, so flows appear in several records that nfdump must sum.
"$FT" flows -r "$T/g.pcap" --log-exit-flows --interval 0.05 --ipfix "127.0.0.1:$PORT" -q
sleep 0.5
kill -TERM "$NFPID"; wait "$NFPID" || true
grep -q "Sequence Errors: 0, Bad Packets: 0" "$T/nfcapd.log" || { echo "FAIL: nfcapd reported errors:"; cat "$T/nfcapd.log"; exit 1; }
nfdump -R "$T/nf" -o csv > "$T/nf.csv"
python3 - "$T/nf.csv" "$T/g.pcap.truth.json" <<'PY'
import csv, json, sys, ipaddress
rows = list(csv.reader(open(sys.argv[1])))
hdr = rows[0]; col = {n: i for i, n in enumerate(hdr)}
protos = {'TCP': 6, 'UDP': 17, 'ICMP': 1, 'ICMP6': 58}
def h(a):
    a = ipaddress.ip_address(a)
    return f'[{a}]' if a.version == 6 else str(a)
got = {}
n = 0
for r in rows[1:]:
    if len(r) < len(hdr) or not r[col['sa']][:1].isalnum() or r[0].startswith('Summary'):
        continue
    try:
        p = protos.get(r[col['pr']]) or int(r[col['pr']])
    except ValueError:
        continue
    n += 1
    s, d = h(r[col['sa']]), h(r[col['da']])
    key = f"{p} {s}:{r[col['sp']]} > {d}:{r[col['dp']]}" if p in (6, 17) else f'{p} {s} > {d}'
    g = got.setdefault(key, [0, 0])
    g[0] += int(r[col['ipkt']]); g[1] += int(r[col['ibyt']])
want = json.load(open(sys.argv[2]))
bad = [k for k in set(want) | set(got) if want.get(k) != got.get(k)]
for k in bad[:10]:
    print('mismatch', k, 'want', want.get(k), 'nfdump', got.get(k))
print(f'nfdump: {n} records, {len(got)} flow directions (truth {len(want)}), {len(bad)} mismatches')
sys.exit(1 if bad or not want else 0)
PY

echo "== tshark cflow dissector"
if command -v tcpdump >/dev/null && command -v tshark >/dev/null; then
	PORT=$(free_udp_port)
	tcpdump -n -Z root -i lo -U -B 16384 -w "$T/ipfix.pcap" "udp port $PORT" 2> "$T/tcpdump.err" &
	TDPID=$!; pids+=("$TDPID")
	for _ in $(seq 50); do grep -q listening "$T/tcpdump.err" && break; sleep 0.1; done
	if grep -q listening "$T/tcpdump.err"; then
		# 150 windows: templates are sent again after 100 messages.
		"$FT" flows -r "$T/g.pcap" --log-exit-flows --interval 0.0013 --ipfix "127.0.0.1:$PORT" -q
		sleep 1; kill "$TDPID"; wait "$TDPID" 2>/dev/null || true
		tshark -n -r "$T/ipfix.pcap" -d "udp.port==$PORT,cflow" -V > "$T/tshark.txt" 2>/dev/null
		python3 - "$T/tshark.txt" "$T/g.pcap.truth.json" <<'PY'
import json, re, sys
txt = open(sys.argv[1]).read()
want = json.load(open(sys.argv[2]))
pk = sum(int(x) for x in re.findall(r'^\s+Packets: (\d+)$', txt, re.M))
by = sum(int(x) for x in re.findall(r'^\s+Octets: (\d+)$', txt, re.M))
tmpl = len(re.findall(r'\(Data Template\): 256,257', txt))
v6 = len(re.findall(r'^\s+SrcAddr: [0-9a-f:]+:[0-9a-f:]*$', txt, re.M))
bad = len(re.findall(r'Malformed|Unknown|Data \(\d+ bytes\), no template', txt))
wp, wb = sum(v[0] for v in want.values()), sum(v[1] for v in want.values())
print(f'tshark: packets {pk}/{wp}, octets {by}/{wb}, template sets {tmpl}, IPv6 records {v6}, problems {bad}')
sys.exit(0 if (pk, by) == (wp, wb) and tmpl >= 2 and v6 > 0 and bad == 0 else 1)
PY
	else
		echo "note: cannot capture on lo here; tshark check skipped: $(cat "$T/tcpdump.err")"
	fi
fi
echo "PASS"
