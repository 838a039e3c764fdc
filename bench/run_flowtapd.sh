#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/run_flowtapd.sh - flowtapd vs tcpdump on the same traffic: tcpreplay
# --topspeed through a veth pair into a namespace where flowtapd and tcpdump
# (-w a pcap file) capture side by side. Two flowtapd cases, each against a
# tcpdump of the same run:
#  - flowtapd --write IF=FILE: flowtapd itself writes the pcapng file
#    (FTF_BENCH_WRITE=pcap: a classic pcap file, like tcpdump's)
#    (flowtapd_* lines, the headline ratio);
#  - the capture streamed over the local API into `flowtap capture -w FILE`
#    in its default format, pcap, as `tcpdump -w` writes (flowtapd_api_*
#    lines; CPU of flowtapd plus its client), and the same with --format
#    pcapng (flowtapd_api_pcapng_* lines).
# Reports packets lost (sent minus captured) and CPU seconds (user + system)
# per million packets captured.
set -uo pipefail
: "${FT_BUILD:?}"
. "$(dirname "$0")/lib.bash"
FT_SHARED=${FT_SHARED:-$(dirname "$0")/../../shared}
TMP=${FT_BENCH_TMP:-/tmp}/ftf-bench.$$
PKTS=${FTF_BENCH_PKTS:-100000}
LOOPS=${FTF_BENCH_LOOPS:-10}
WEXT=${FTF_BENCH_WRITE:-pcapng} # the --write file's format, by its name
NSA=ftf-bencha NSB=ftf-benchb VA=ftf-bench0 VB=ftf-bench1
SOCK=$TMP/flowtap.sock

cleanup() {
	stop_pids
	ip netns del $NSA 2>/dev/null
	ip netns del $NSB 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
for t in tcpreplay tcpdump python3 curl capinfos; do
	command -v $t >/dev/null || skip "$t not installed"
done
[ -x "$FT_BUILD/flowtapd" ] && [ -x "$FT_BUILD/flowtap" ] || skip "flowtapd/flowtap not built"
[ -f "$FT_SHARED/bench/gen_pcap.py" ] || skip "$FT_SHARED/bench/gen_pcap.py absent"
mkdir -p "$TMP"
python3 "$FT_SHARED/bench/gen_pcap.py" "$TMP/traffic.pcap" --packets "$PKTS" --link eth >/dev/null ||
	skip "gen_pcap.py failed"

veth_pair $NSA $NSB $VA $VB

# run_case write|api|aping: prints "sent ft_got td_got ft_cpu td_cpu rate kernel_drops client_cpu"
# (client_cpu: the part of ft_cpu spent by the `flowtap capture` client)
run_case() {
	local mode=$1 out ftd cap= td ft0 td0 ft1 td1 cl0=0 cl1=0 ft_got td_got sent rate kd watch
	rm -f "$SOCK"
	if [ "$mode" = write ]; then
		ip netns exec $NSB "$FT_BUILD/flowtapd" --socket "$SOCK" --interface $VB \
			--buffer-size 64M --write "$VB=$TMP/flowtapd.$WEXT" 2>"$TMP/flowtapd.log" &
	else
		ip netns exec $NSB "$FT_BUILD/flowtapd" --socket "$SOCK" --interface $VB \
			--buffer-size 64M 2>"$TMP/flowtapd.log" &
	fi
	ftd=$!
	pids+=($ftd)
	for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
	watch=$ftd
	if [ "$mode" != write ]; then
		# No --format for api: `flowtap capture -w` writes pcap, as tcpdump.
		local fmt=()
		[ "$mode" = aping ] && fmt=(--format pcapng)
		"$FT_BUILD/flowtap" capture --socket "$SOCK" "${fmt[@]}" \
			-w "$TMP/flowtapd.pcapng" 2>"$TMP/cap.err" &
		cap=$!
		pids+=($cap)
		watch="$ftd $cap"
	fi
	ip netns exec $NSB tcpdump -n -i $VB -B 65536 -w "$TMP/tcpdump.pcap" 2>"$TMP/tcpdump.err" &
	td=$!
	pids+=($td)
	for _ in $(seq 100); do grep -q listening "$TMP/tcpdump.err" && break; sleep 0.05; done
	sleep 0.5
	ft0=$(cpu $watch)
	td0=$(cpu $td)
	[ -n "$cap" ] && cl0=$(cpu $cap)
	ip netns exec $NSA tcpreplay -i $VA --topspeed --loop "$LOOPS" "$TMP/traffic.pcap" \
		>"$TMP/replay.log" 2>&1 || skip "tcpreplay failed: $(tail -3 "$TMP/replay.log")"
	sleep 1.5
	ft1=$(cpu $watch)
	td1=$(cpu $td)
	[ -n "$cap" ] && cl1=$(cpu $cap)
	kd=$(curl -sf --unix-socket "$SOCK" http://local/localapi/v0/status |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["sources"][0]["kernel_drops"])')
	kill -INT $td $cap $ftd 2>/dev/null
	wait $td $cap $ftd 2>/dev/null
	sent=$(grep -o 'Actual: [0-9]* packets' "$TMP/replay.log" | grep -o '[0-9]*')
	rate=$(grep -o '[0-9.]* pps' "$TMP/replay.log" | grep -o '^[0-9.]*')
	out=$TMP/flowtapd.pcapng
	[ "$mode" = write ] && out=$TMP/flowtapd.$WEXT
	ft_got=$(capinfos -c -M "$out" 2>/dev/null | grep -o 'packets: *[0-9]*' | grep -o '[0-9]*$')
	td_got=$(grep -o '^[0-9]* packets captured' "$TMP/tcpdump.err" | grep -o '^[0-9]*')
	[ -n "$sent" ] && [ -n "$ft_got" ] && [ -n "$td_got" ] || skip "could not read the counts ($mode)"
	echo "$sent $ft_got $td_got $(echo "$ft1 - $ft0" | bc) $(echo "$td1 - $td0" | bc) $rate $kd $(echo "$cl1 - $cl0" | bc)"
	rm -f "$out" "$TMP/tcpdump.pcap"
}

report() {
	python3 - "$@" <<'PY'
import sys
prefix = sys.argv[1]
sent, ft_n, td_n = map(int, sys.argv[2:5])
ft_cpu, td_cpu, rate = map(float, sys.argv[5:8])
kd = int(sys.argv[8])
client_cpu = float(sys.argv[9])
ft = ft_cpu / (ft_n / 1e6) if ft_n else float('nan')
td = td_cpu / (td_n / 1e6) if td_n else float('nan')
print("BENCH %s_replay_rate %.0f pps" % (prefix, rate))
print("BENCH %s_drops %d pkts" % (prefix, sent - ft_n))
print("BENCH %s_kernel_drops %d pkts" % (prefix, kd))
print("BENCH %s_tcpdump_drops %d pkts" % (prefix, sent - td_n))
print("BENCH %s_cpu_s_per_mpkt %.3f s" % (prefix, ft))
print("BENCH %s_tcpdump_cpu_s_per_mpkt %.3f s" % (prefix, td))
print("BENCH %s_cpu_ratio %.2f x" % (prefix, ft / td if td > 0 else float('nan')))
if client_cpu > 0 and ft_n:
    print("BENCH %s_client_cpu_s_per_mpkt %.3f s" % (prefix, client_cpu / (ft_n / 1e6)))
    print("BENCH %s_server_cpu_s_per_mpkt %.3f s" % (prefix, (ft_cpu - client_cpu) / (ft_n / 1e6)))
PY
}

w=$(run_case write) && [ -n "$w" ] || exit 0
a=$(run_case api) && [ -n "$a" ] || exit 0
ang=$(run_case aping) && [ -n "$ang" ] || exit 0
# Headline lines (flowtapd writing the pcapng file itself) under the names
# the issue asks for, then every figure of both cases.
report flowtapd $w | sed -n 's/^BENCH flowtapd_tcpdump_drops/BENCH tcpdump_drops/p; s/^BENCH flowtapd_tcpdump_cpu_s_per_mpkt/BENCH tcpdump_cpu_s_per_mpkt/p; /flowtapd_\(drops\|kernel_drops\|cpu_s_per_mpkt\|cpu_ratio\|replay_rate\)/p'
report flowtapd_api $a
report flowtapd_api_pcapng $ang
