#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtap flows --ipfix-rate: bad values are refused (exit 2); a slow rate
# paces the datagrams (a lower bound on the time taken, never an upper one);
# unpaced (0), nfcapd receives every record: the truth's packets and bytes,
# no sequence error.
set -euo pipefail
FT=${FT_BUILD:?}/flowtap
GEN=${FT_SHARED:?}/bench/gen_pcap.py
[ -r "$GEN" ] || { echo "SKIP: $GEN not found"; exit 77; }
T=$(mktemp -d /tmp/ftc-ipfix-rate.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
free_udp_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
python3 "$GEN" "$T/g.pcap" --packets 20000 --flows 300 --seed 11 >/dev/null
python3 "$GEN" "$T/few.pcap" --packets 20000 --flows 10 --seed 11 >/dev/null

for bad in -1 1000001 x ""; do
	rc=0
	"$FT" flows -r "$T/g.pcap" --ipfix 127.0.0.1:9 --ipfix-rate "$bad" -q 2>"$T/err" || rc=$?
	[ $rc = 2 ] && grep -q "invalid --ipfix-rate" "$T/err" ||
		{ echo "FAIL: --ipfix-rate '$bad': exit $rc: $(cat "$T/err")"; exit 1; }
done
rc=0
"$FT" flows -r "$T/g.pcap" --ipfix-rate 0 -q 2>"$T/err" || rc=$?
[ $rc = 2 ] && grep -q "needs --ipfix" "$T/err" || { echo "FAIL: no --ipfix: exit $rc"; exit 1; }
echo "ok   bad values refused"

# 150 windows of few flows, a datagram each at least: at 200 a second,
# after the burst of 32, at least 0.59 s. Nothing listens on the port.
PORT=$(free_udp_port)
s=$(date +%s.%N)
"$FT" flows -r "$T/few.pcap" --interval 0.0013 --ipfix "127.0.0.1:$PORT" --ipfix-rate 200 -q
e=$(date +%s.%N)
python3 -c "import sys; t = $e - $s; print(f'paced at 200/s: {t:.2f} s'); sys.exit(0 if t >= 0.59 else 1)" ||
	{ echo "FAIL: --ipfix-rate 200 did not pace"; exit 1; }

if command -v nfcapd >/dev/null && command -v nfdump >/dev/null; then
	PORT=$(free_udp_port)
	mkdir "$T/nf"
	nfcapd -p "$PORT" -b 127.0.0.1 -w "$T/nf" -t 3600 >"$T/nfcapd.log" 2>&1 &
	NFPID=$!
	pids+=("$NFPID")
	sleep 0.5
	# A few windows: few enough datagrams for the default receive buffer.
	"$FT" flows -r "$T/g.pcap" --log-exit-flows --interval 0.05 --ipfix "127.0.0.1:$PORT" \
		--ipfix-rate 0 -q
	sleep 0.5
	kill -TERM "$NFPID"
	wait "$NFPID" || true
	grep -q "Sequence Errors: 0, Bad Packets: 0" "$T/nfcapd.log" ||
		{ echo "FAIL: nfcapd reported errors:"; cat "$T/nfcapd.log"; exit 1; }
	nfdump -R "$T/nf" -o csv >"$T/nf.csv"
	python3 - "$T/nf.csv" "$T/g.pcap.truth.json" <<'PY'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1])))
col = {n: i for i, n in enumerate(rows[0])}
pk = by = 0
for r in rows[1:]:
    if len(r) < len(rows[0]) or not r[col['sa']][:1].isalnum():
        continue
    try:
        pk += int(r[col['ipkt']]); by += int(r[col['ibyt']])
    except ValueError:
        pass
want = json.load(open(sys.argv[2]))
wp, wb = sum(v[0] for v in want.values()), sum(v[1] for v in want.values())
print(f'unpaced: nfdump packets {pk}/{wp}, bytes {by}/{wb}')
sys.exit(0 if (pk, by) == (wp, wb) else 1)
PY
fi
echo "PASS"
