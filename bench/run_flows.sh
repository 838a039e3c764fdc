#!/usr/bin/env bash
# Flow statistics benchmarks:
#  - flowtap flows -r big.pcap (1,000,000 packets from gen_pcap.py), exporting
#    IPFIX to a local collector and printing JSON lines, versus softflowd -r on
#    the same file exporting IPFIX to the same collector (best of 3 each);
#  - counter updates with 4 threads at once (bench_flows_counters).
set -uo pipefail
B=${FT_BUILD:?}
TMP=${FT_BENCH_TMP:-$(mktemp -d)}
GEN=${FT_SHARED:-$(dirname "$0")/../../shared}/bench/gen_pcap.py
PKTS=${FT_FLOWS_BENCH_PACKETS:-1000000}

"$B/bench_flows_counters" 4 5000000

[ -r "$GEN" ] || { echo "bench: $GEN not found; skipping flows_read" >&2; exit 0; }
BIG=$TMP/flows-big.pcap
[ -s "$BIG" ] || python3 "$GEN" "$BIG" --packets "$PKTS" --flows 20000 --seed 5 || exit 1
PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
NP=
if command -v nfcapd >/dev/null; then
	mkdir -p "$TMP/flows-nf"
	nfcapd -p "$PORT" -b 127.0.0.1 -w "$TMP/flows-nf" -t 3600 >/dev/null 2>&1 &
	NP=$!
	sleep 0.3
fi
trap '[ -n "$NP" ] && kill "$NP" 2>/dev/null; wait 2>/dev/null' EXIT

best() { # best of 3 wall-clock seconds of "$@"
	local b=
	for _ in 1 2 3; do
		local t0 t1
		t0=$(date +%s.%N)
		"$@" > /dev/null 2>&1 || { echo "bench: $1 failed" >&2; return 1; }
		t1=$(date +%s.%N)
		b=$(python3 -c "t=$t1-$t0; b='$b'; print(min(t, float(b)) if b else t)")
	done
	printf '%.3f' "$b"
}

ft=$(best "$B/flowtap" flows -r "$BIG" --ipfix "127.0.0.1:$PORT") || exit 1
echo "BENCH flows_read_flowtap $ft s"
if command -v softflowd >/dev/null; then
	# -c none: without it softflowd 1.1.0 blocks in accept() on its control
	# socket before reading a file.
	sf=$(best softflowd -r "$BIG" -n "127.0.0.1:$PORT" -v 10 -d -c none -p "$TMP/softflowd.pid") || exit 1
	echo "BENCH flows_read_softflowd $sf s"
	python3 -c "print('BENCH flows_read_speedup %.2f x' % ($sf / $ft))"
else
	echo "bench: softflowd not installed; no ratio" >&2
fi
