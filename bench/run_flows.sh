#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Flow statistics benchmarks:
#  - flowtap flows -r big.pcap (1,000,000 packets from gen_pcap.py), exporting
#    IPFIX to a local collector (unpaced, as softflowd sends) and printing JSON
#    lines, versus softflowd -r on the same file exporting IPFIX to the same
#    collector (best of 3 alternating runs each);
#  - counter updates with 4 threads at once (bench_flows_counters), against
#    the same benchmark built from the counters before the hash was keyed
#    (commit $FT_FLOWS_BASELINE, taken from git and compiled here with the
#    same compiler and flags), alternating runs so both see the same load;
#  - flowtap flows -r of 60,000 flows crafted to collide under that old hash,
#    against 60,000 random flows (tests/data/gen_hash_flood.py).
set -uo pipefail
B=${FT_BUILD:?}
TMP=${FT_BENCH_TMP:-$(mktemp -d)}
GEN=${FT_SHARED:-$(dirname "$0")/../../shared}/bench/gen_pcap.py
PKTS=${FT_FLOWS_BENCH_PACKETS:-1000000}

BASE=${FT_FLOWS_BASELINE:-f1b9f7b}
SRC=${FT_SRC:-$(dirname "$0")/..}
OLD=
if git -C "$SRC" cat-file -e "$BASE:src/flows/counters.c" 2>/dev/null; then
	mkdir -p "$TMP/flows-base"
	git -C "$SRC" archive "$BASE" src include | tar -x -C "$TMP/flows-base"
	d=$TMP/flows-base
	if ${CC:-cc} -O3 -DNDEBUG -pthread -I"$d/include" -I"$d/src/common" -I"$d/src/flows" \
		-o "$TMP/bench_flows_counters_base" "$SRC/bench/bench_flows_counters.c" \
		"$d/src/flows/counters.c" "$d/src/flows/parse.c" "$d/src/common/addr.c"; then
		OLD=$TMP/bench_flows_counters_base
	fi
fi
[ -n "$OLD" ] || echo "bench: no git history for $BASE; no baseline for the counters" >&2
# Three alternating runs each; the smallest figure of each side.
for i in 1 2 3; do
	"$B/bench_flows_counters" 4 5000000 > "$TMP/fc-new-$i"
	[ -z "$OLD" ] || "$OLD" 4 5000000 > "$TMP/fc-old-$i"
done
python3 - "$TMP" "$OLD" <<'PY'
import glob, sys
tmp, old = sys.argv[1], sys.argv[2]
def figures(side):
    best = {}
    for f in sorted(glob.glob(f'{tmp}/fc-{side}-*')):
        for line in open(f):
            if line.startswith('BENCH '):
                _, name, v, unit = line.split()
                best[name] = min(best.get(name, float('inf')), float(v))
    return best
new = figures('new')
for name, v in new.items():
    print(f'BENCH {name} {v:.1f} ns/pkt')
if old:
    base = figures('old')
    for name, v in base.items():
        print(f'BENCH {name}_baseline {v:.1f} ns/pkt')
        if name in new:
            print(f'BENCH {name}_vs_baseline {new[name] / v:.2f} x')
PY

GENF=$SRC/tests/data/gen_hash_flood.py
python3 "$GENF" "$TMP/hflood-crafted.pcap" crafted 60000 &&
	python3 "$GENF" "$TMP/hflood-random.pcap" random 60000 || exit 1
hbest() { # best of 3 wall-clock seconds of flowtap flows -r "$1"
	local b= t0 t1
	for _ in 1 2 3; do
		t0=$(date +%s.%N)
		"$B/flowtap" flows -r "$1" --log-exit-flows --max-conns 65536 -q || return 1
		t1=$(date +%s.%N)
		b=$(python3 -c "t=$t1-$t0; b='$b'; print(min(t, float(b)) if b else t)")
	done
	echo "$b"
}
hc=$(hbest "$TMP/hflood-crafted.pcap") && hr=$(hbest "$TMP/hflood-random.pcap") || exit 1
python3 -c "print('BENCH flows_hash_crafted_s %.3f s' % $hc)"
python3 -c "print('BENCH flows_hash_random_s %.3f s' % $hr)"
python3 -c "print('BENCH flows_hash_crafted_vs_random %.2f x' % ($hc / $hr))"

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

# one CMD...: wall-clock seconds of one run of CMD.
one() {
	local TIMEFORMAT='%R' t
	t=$({ time "$@" >/dev/null 2>&1; } 2>&1) || { echo "bench: $1 failed" >&2; return 1; }
	echo "$t"
}
minf() { awk -v a="$1" -v b="$2" 'BEGIN {print (a == "" || b < a) ? b : a}'; }

# Both export IPFIX to the same collector, unpaced: softflowd has no pacing,
# and flowtap's default pacing (2,000 datagrams a second, --ipfix-rate)
# sleeps rather than works; the paced time is printed beside. The two run
# alternately, 3 times each, so that both see the same load; fastest of each.
echo "bench: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
ft= sf=
for _ in 1 2 3; do
	t=$(one "$B/flowtap" flows -r "$BIG" --ipfix "127.0.0.1:$PORT" --ipfix-rate 0) || exit 1
	ft=$(minf "$ft" "$t")
	if command -v softflowd >/dev/null; then
		# -c none: without it softflowd 1.1.0 blocks in accept() on its control
		# socket before reading a file.
		t=$(one softflowd -r "$BIG" -n "127.0.0.1:$PORT" -v 10 -d -c none \
			-p "$TMP/softflowd.pid") || exit 1
		sf=$(minf "$sf" "$t")
	fi
done
echo "BENCH flows_read_flowtap $ft s"
t=$(one "$B/flowtap" flows -r "$BIG" --ipfix "127.0.0.1:$PORT") || exit 1
echo "BENCH flows_read_flowtap_paced $t s"
if [ -n "$sf" ]; then
	echo "BENCH flows_read_softflowd $sf s"
	python3 -c "print('BENCH flows_read_speedup %.2f x' % ($sf / $ft))"
else
	echo "bench: softflowd not installed; no ratio" >&2
fi
