#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench: flowtap read versus tcpdump on the 1,000,000-packet capture, best of 3
# each, measured in the same run:
#   text:          flowtap read -r big.pcap > /dev/null   vs  tcpdump -n -r big.pcap > /dev/null
#   filter_write:  flowtap read -r big.pcap -w out.pcap 'tcp port 443'
#                  vs tcpdump -r big.pcap -w out.pcap 'tcp port 443'
set -euo pipefail
FT=${FT_BUILD:?}/flowtap
tmp=${FT_BENCH_TMP:?}
gen=${FT_SHARED:-}/bench/gen_pcap.py
packets=${FT_BENCH_READ_PACKETS:-1000000}
[ -f "$gen" ] || { echo "SKIP: $gen absent"; exit 0; }
command -v tcpdump >/dev/null || { echo "SKIP: tcpdump not installed"; exit 0; }
big=$tmp/big-$packets.pcap
[ -s "$big" ] || python3 "$gen" "$big" --packets "$packets" >/dev/null

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
sh_text_ft() { "$FT" read -r "$big" >/dev/null; }
sh_text_td() { tcpdump -n -r "$big" >/dev/null 2>&1; }
sh_fw_ft() { "$FT" read -r "$big" -w "$tmp/out-ft.pcap" 'tcp port 443'; }
sh_fw_td() { tcpdump -n -r "$big" -w "$tmp/out-td.pcap" 'tcp port 443' 2>/dev/null; }

ft=$(best sh_text_ft)
td=$(best sh_text_td)
echo "BENCH read_text_flowtap $ft s"
echo "BENCH read_text_tcpdump $td s"
echo "BENCH read_text_speedup $(echo "scale=2; $td / $ft" | bc -l) x"

ft=$(best sh_fw_ft)
td=$(best sh_fw_td)
echo "BENCH read_filter_write_flowtap $ft s"
echo "BENCH read_filter_write_tcpdump $td s"
echo "BENCH read_filter_write_speedup $(echo "scale=2; $td / $ft" | bc -l) x"
# Same packets selected, or the timing means nothing.
a=$(tcpdump -n -r "$tmp/out-ft.pcap" 2>/dev/null | wc -l)
b=$(tcpdump -n -r "$tmp/out-td.pcap" 2>/dev/null | wc -l)
[ "$a" = "$b" ] || { echo "bench: flowtap wrote $a packets, tcpdump $b" >&2; exit 1; }
echo "BENCH read_filter_write_packets $a packets"
rm -f "$tmp/out-ft.pcap" "$tmp/out-td.pcap"
