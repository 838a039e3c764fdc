#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/run_highrate.sh - flowtapd vs tcpdump at a rate tcpreplay cannot
# reach: trafgen (netsniff-ng) sends a fixed number of packets at top speed
# through a veth pair (TX_RING, qdisc bypassed, one process) into a namespace
# where flowtapd (AF_PACKET, --write FILE) and tcpdump (-w FILE) capture side
# by side with equal buffers (64 MiB).
#
# "Sent" is what the receiving veth counted (RX packets of the peer): every
# such packet went through the receive path and was offered to both capture
# sockets; packets the stack dropped before that (backlog full) reach neither
# and are not counted. Drops = sent minus the packets in each file (capinfos).
# The kernel drop lines are the sockets' own counts (ring full); flowtapd's
# session drops are its own buffer's (the file writer fell behind).
# FTH_BENCH_PERF=FILE: perf record -g of flowtapd (and of tcpdump into
# FILE.tcpdump) while trafgen sends; FTH_BENCH_TRACE=FILE: its system calls.
set -uo pipefail
: "${FT_BUILD:?}"
. "$(dirname "$0")/lib.bash"
TMP=${FT_BENCH_TMP:-/tmp}/fth-bench.$$
PKTS=${FTH_BENCH_PKTS:-2000000}
SIZE=${FTH_BENCH_SIZE:-128} # frame length in bytes, without the FCS
# Own names (not run_flowtapd.sh's), so the two may not collide.
NSA=fth-bencha NSB=fth-benchb VA=fth-bench0 VB=fth-bench1
SOCK=$TMP/flowtap.sock

cleanup() {
	stop_pids
	ip netns del $NSA 2>/dev/null
	ip netns del $NSB 2>/dev/null
	[ -n "${FTH_KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
for t in trafgen tcpdump python3 curl capinfos bc; do
	command -v $t >/dev/null || skip "$t not installed (trafgen: Debian package netsniff-ng)"
done
[ -x "$FT_BUILD/flowtapd" ] || skip "flowtapd not built"
[ "$SIZE" -ge 64 ] && [ "$SIZE" -le 1514 ] || skip "FTH_BENCH_SIZE must be 64..1514"
mkdir -p "$TMP"

veth_pair $NSA $NSB $VA $VB

# Four UDP/TCP packets, round robin, with ports counting up (many flows);
# the payload fills the frame to SIZE bytes (14 + 20 + 8 or 20 + payload).
cat >"$TMP/trafgen.cfg" <<EOF
{ eth(da=02:00:00:00:00:02, sa=02:00:00:00:00:01), ipv4(saddr=10.77.0.1, daddr=10.77.0.2),
  udp(sp=dinc(1024, 9000), dp=5001), fill(0x41, $((SIZE - 42))) }
{ eth(da=02:00:00:00:00:01, sa=02:00:00:00:00:02), ipv4(saddr=10.77.0.2, daddr=10.77.0.1),
  udp(sp=5001, dp=dinc(1024, 9000)), fill(0x42, $((SIZE - 42))) }
{ eth(da=02:00:00:00:00:02, sa=02:00:00:00:00:01), ipv4(saddr=10.77.1.1, daddr=10.77.1.2),
  tcp(sp=dinc(20000, 30000), dp=443, ack, seq=1, ackseq=1), fill(0x43, $((SIZE - 54))) }
{ eth(da=02:00:00:00:00:02, sa=02:00:00:00:00:01), ipv4(saddr=10.77.2.1, daddr=10.77.2.2),
  udp(sp=dinc(1024, 9000), dp=51820), fill(0x44, $((SIZE - 42))) }
EOF

rx_packets() {
	ip -n $NSB -s -j link show dev $VB |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}
status_field() {
	curl -sf --unix-socket "$SOCK" http://local/localapi/v0/status |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["sources"][0]["'"$1"'"])'
}
# CPU seconds (user + system, all threads) of a process so far.
file_count() {
	capinfos -c -M "$1" 2>/dev/null | grep -o 'packets: *[0-9]*' | grep -o '[0-9]*$'
}

ip netns exec $NSB "$FT_BUILD/flowtapd" --socket "$SOCK" --interface $VB --buffer-size 64M \
	--write "$VB=$TMP/flowtapd.pcapng" 2>"$TMP/flowtapd.log" &
ftd=$!
pids+=("$ftd")
ip netns exec $NSB tcpdump -n -i $VB -B 65536 -w "$TMP/tcpdump.pcap" 2>"$TMP/tcpdump.err" &
td=$!
pids+=("$td")
ready=
for _ in $(seq 200); do
	if grep -q listening "$TMP/tcpdump.err" && [ -S "$SOCK" ] &&
		[ "$(status_field open 2>/dev/null)" = True ]; then
		ready=1
		break
	fi
	kill -0 $ftd 2>/dev/null || skip "flowtapd exited: $(tail -3 "$TMP/flowtapd.log")"
	sleep 0.05
done
[ -n "$ready" ] || skip "flowtapd or tcpdump did not start"
sleep 0.5 # both are in their poll loops

prof=
if [ -n "${FTH_BENCH_PERF:-}" ]; then # a profile of flowtapd while trafgen sends
	perf record -q -g -p $ftd -o "$FTH_BENCH_PERF" 2>/dev/null &
	prof=$!
	perf record -q -g -p $td -o "$FTH_BENCH_PERF.tcpdump" 2>/dev/null &
	prof="$prof $!"
	sleep 0.5
elif [ -n "${FTH_BENCH_TRACE:-}" ]; then # or its system calls per thread
	perf trace -s -p $ftd -o "$FTH_BENCH_TRACE" 2>/dev/null &
	prof=$!
	sleep 0.5
fi
rx0=$(rx_packets)
fc0=$(cpu $ftd)
tc0=$(cpu $td)
t0=$(date +%s.%N)
# -P 1: one process (two would share the veth's one TX queue); qdisc bypass
# is trafgen's default. --no-sock-mem/--notouch-irq: leave system settings alone.
timeout 120 ip netns exec $NSA trafgen -o $VA -c "$TMP/trafgen.cfg" -n "$PKTS" -P 1 \
	--no-sock-mem --notouch-irq -C >"$TMP/trafgen.log" 2>&1 ||
	skip "trafgen failed: $(tail -3 "$TMP/trafgen.log")"
t1=$(date +%s.%N)
rx1=$(rx_packets)
[ -n "$prof" ] && kill -INT $prof && wait $prof
# Both drain their rings (block timeouts are milliseconds).
sleep 2
fc1=$(cpu $ftd)
tc1=$(cpu $td)
kd=$(status_field kernel_drops)
sd=$(status_field write | python3 -c 'import ast,sys; print(ast.literal_eval(sys.stdin.read())["dropped"])')
kill -INT $td $ftd 2>/dev/null
wait $td $ftd 2>/dev/null
sent=$((rx1 - rx0))
ft_got=$(file_count "$TMP/flowtapd.pcapng")
td_got=$(file_count "$TMP/tcpdump.pcap")
td_kd=$(grep -o '^[0-9]* packets dropped by kernel' "$TMP/tcpdump.err" | grep -o '^[0-9]*')
[ -n "$ft_got" ] && [ -n "$td_got" ] && [ -n "$kd" ] || skip "could not read the counts"
python3 - "$PKTS" "$sent" "$ft_got" "$td_got" "$kd" "${td_kd:-0}" "${sd:-0}" "$t0" "$t1" \
	"$(echo "$fc1 - $fc0" | bc)" "$(echo "$tc1 - $tc0" | bc)" <<'PY'
import sys
pkts, sent, ft, td, kd, tkd, sd = map(int, sys.argv[1:8])
t0, t1, fc, tc = map(float, sys.argv[8:12])
print("BENCH highrate_send_rate %.0f pps" % (sent / (t1 - t0)))
print("BENCH highrate_sent %d pkts" % sent)
print("BENCH highrate_stack_drops %d pkts" % (pkts - sent))
print("BENCH flowtapd_highrate_drops %d pkts" % (sent - ft))
print("BENCH tcpdump_highrate_drops %d pkts" % (sent - td))
print("BENCH flowtapd_highrate_kernel_drops %d pkts" % kd)
print("BENCH tcpdump_highrate_kernel_drops %d pkts" % tkd)
print("BENCH flowtapd_highrate_session_drops %d pkts" % sd)
# CPU per million packets each wrote, as in run_flowtapd.sh.
if ft and td and tc > 0:
    print("BENCH flowtapd_highrate_cpu_s_per_mpkt %.3f s" % (fc / (ft / 1e6)))
    print("BENCH tcpdump_highrate_cpu_s_per_mpkt %.3f s" % (tc / (td / 1e6)))
    print("BENCH flowtapd_highrate_cpu_ratio %.2f x" % ((fc / ft) / (tc / td)))
PY
