#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench: flowtap read versus tcpdump on the 1,000,000-packet capture, best of 5
# alternating runs each, measured in the same run:
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

# The two sides of each pair run alternately, 5 times each, so that both
# see the same load of a shared machine (files are cached after the first
# run); the fastest wall time of each side makes the ratio. The CPU time
# (user + system) of the fastest-CPU run is printed beside: on a loaded
# machine the wall time is mostly time spent waiting for a core.
runs=${FT_BENCH_READ_RUNS:-5}
# run1 FN: "WALL CPU" seconds of one run of FN.
run1() {
	local TIMEFORMAT='%R %U %S' t
	t=$({ time "$1" >/dev/null 2>&1; } 2>&1) || { echo "bench: '$1' failed" >&2; return 1; }
	awk '{printf "%.3f %.3f\n", $1, $2 + $3}' <<<"$t"
}
# pair NAME FT_FN TD_FN: the BENCH lines of one comparison.
pair() {
	local fw=999 fc=999 tw=999 tc=999 w c
	for _ in $(seq "$runs"); do
		read -r w c <<<"$(run1 "$2")" && [ -n "$w" ] || exit 1
		fw=$(awk -v a="$fw" -v b="$w" 'BEGIN {print (b < a) ? b : a}')
		fc=$(awk -v a="$fc" -v b="$c" 'BEGIN {print (b < a) ? b : a}')
		read -r w c <<<"$(run1 "$3")" && [ -n "$w" ] || exit 1
		tw=$(awk -v a="$tw" -v b="$w" 'BEGIN {print (b < a) ? b : a}')
		tc=$(awk -v a="$tc" -v b="$c" 'BEGIN {print (b < a) ? b : a}')
	done
	echo "BENCH ${1}_flowtap $fw s"
	echo "BENCH ${1}_tcpdump $tw s"
	echo "BENCH ${1}_speedup $(awk -v a="$tw" -v b="$fw" 'BEGIN {printf "%.2f", a / b}') x"
	echo "BENCH ${1}_cpu_flowtap $fc s"
	echo "BENCH ${1}_cpu_tcpdump $tc s"
	echo "BENCH ${1}_cpu_speedup $(awk -v a="$tc" -v b="$fc" 'BEGIN {printf "%.2f", a / b}') x"
}
sh_text_ft() { "$FT" read -r "$big" >/dev/null; }
sh_text_td() { tcpdump -n -r "$big" >/dev/null 2>&1; }
# Each run writes a new file, as the first would.
sh_fw_ft() { rm -f "$tmp/out-ft.pcap"; "$FT" read -r "$big" -w "$tmp/out-ft.pcap" 'tcp port 443'; }
sh_fw_td() { rm -f "$tmp/out-td.pcap"; tcpdump -n -r "$big" -w "$tmp/out-td.pcap" 'tcp port 443' 2>/dev/null; }

echo "bench: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# tcpdump takes some 15 s to print the file: 3 runs there.
runs=3 pair read_text sh_text_ft sh_text_td
pair read_filter_write sh_fw_ft sh_fw_td
# Same packets selected, or the timing means nothing.
a=$(tcpdump -n -r "$tmp/out-ft.pcap" 2>/dev/null | wc -l)
b=$(tcpdump -n -r "$tmp/out-td.pcap" 2>/dev/null | wc -l)
[ "$a" = "$b" ] || { echo "bench: flowtap wrote $a packets, tcpdump $b" >&2; exit 1; }
echo "BENCH read_filter_write_packets $a packets"
rm -f "$tmp/out-ft.pcap" "$tmp/out-td.pcap"
