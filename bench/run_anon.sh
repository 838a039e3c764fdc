#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench: flowtap read --anonymize (Crypto-PAn, checksums updated) on the
# 1,000,000-packet capture, against the same read without it, best of 3
# each, measured in the same run. Both write pcap (-w), the cheapest output,
# so the ratio is the anonymizer's cost at its most visible:
#   anonymize_read_mpps   million packets per second with --anonymize
#   anonymize_cost_ratio  time with --anonymize / time without (goal <= 2.0)
set -euo pipefail
FT=${FT_BUILD:?}/flowtap
tmp=${FT_BENCH_TMP:?}
gen=${FT_SHARED:-}/bench/gen_pcap.py
packets=${FT_BENCH_READ_PACKETS:-1000000}
[ -f "$gen" ] || { echo "SKIP: $gen absent"; exit 0; }
big=$tmp/big-$packets.pcap
[ -s "$big" ] || python3 "$gen" "$big" --packets "$packets" >/dev/null
key=$tmp/anon-bench.key
rm -f "$key"
"$FT" anonymize-key-new "$key"

# best CMD...: the fastest wall time of 3 runs, in seconds.
best() {
	local b="" t s e
	for _ in 1 2 3; do
		s=$(date +%s.%N)
		"$@" >/dev/null 2>&1 || { echo "bench: '$*' failed" >&2; return 1; }
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
	done
	printf '%.3f' "$b"
}
plain() { "$FT" read -r "$big" -w "$tmp/anon-plain.pcap"; }
anon() { "$FT" read -r "$big" -w "$tmp/anon-out.pcap" --anonymize "$key"; }

t0=$(best plain)
t1=$(best anon)
# The same packets went out, or the timing means nothing.
a=$(stat -c %s "$tmp/anon-plain.pcap")
b=$(stat -c %s "$tmp/anon-out.pcap")
[ "$a" = "$b" ] || echo "bench: --anonymize wrote $b bytes, the plain read $a (cut packets)" >&2
echo "BENCH anonymize_read_plain $t0 s"
echo "BENCH anonymize_read $t1 s"
printf "BENCH anonymize_read_mpps %.2f Mpps\n" "$(echo "$packets / $t1 / 1000000" | bc -l)"
printf "BENCH anonymize_cost_ratio %.2f x\n" "$(echo "$t1 / $t0" | bc -l)"
rm -f "$tmp/anon-plain.pcap" "$tmp/anon-out.pcap" "$key"

# Per address: cached, random (hostile: every lookup misses; 4x as many
# distinct addresses must cost the same per address), random IPv6.
"$FT_BUILD/bench_anon"
