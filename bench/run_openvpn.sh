#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/run_openvpn.sh - what flowtap costs OpenVPN 2.7.6 (integrations/openvpn).
#
# iperf3 TCP (A -> B, FTOV_BENCH_SECONDS each, best of FTOV_BENCH_LOOPS)
# through two OpenVPN peers in network namespaces:
#  - the patched OpenVPN, nobody watching (flowtap's API up, flows counted);
#  - the same with one `flowtap capture -w FILE` client of everything;
#  - the same with tcpdump -n -w FILE on the tun device instead (the peer
#    tool, same run);
#  - the unpatched OpenVPN of the same tarball and configure line.
# Prints the Mbit/s of each and the ratios. Skips (exit 0, with a message)
# where the tarball is absent or without root.
set -uo pipefail
: "${FT_BUILD:?}"
FT_SRC=${FT_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
skip() {
	echo "bench: run_openvpn skipped: $*" >&2
	exit 0
}
fail() {
	echo "bench: run_openvpn failed: $*" >&2
	exit 1
}
. "$FT_SRC/integrations/openvpn/peers.bash"
SECONDS_=${FTOV_BENCH_SECONDS:-3}
LOOPS=${FTOV_BENCH_LOOPS:-3}

ov_require iperf3 tcpdump python3 curl
ov_build --unpatched
UNPATCHED=$OPENVPN
ov_build
PATCHED=$OPENVPN
ov_setup bench

# peers BINARY FLOWTAP(0|1): (re)start both peers.
peers() {
	[ -n "${OV_PID_A:-}" ] && ov_stop a && ov_stop b
	OPENVPN=$1 OV_FLOWTAP=$2
	ov_peer a
	ov_peer b
	ov_wait_up a
	ov_wait_up b
}

# iperf: one bounded run A -> B; prints Mbit/s.
iperf() {
	ip netns exec "$NSA" timeout $((SECONDS_ + 20)) iperf3 -c 10.8.0.2 -t "$SECONDS_" -J \
		>"$TMP/iperf.json" 2>&1 || fail "iperf3 failed: $(tail -5 "$TMP/iperf.json")"
	python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e6))' \
		"$TMP/iperf.json" || fail "no iperf3 result: $(tail -5 "$TMP/iperf.json")"
}

best() {
	local b=0 v
	for _ in $(seq "$LOOPS"); do
		v=$(iperf) || exit 1
		b=$(python3 -c "print(max($b, $v))")
	done
	echo "$b"
}

ov_bg "$NSB" iperf3 -s >/dev/null 2>&1

# Unpatched and patched-unwatched alternate, peers restarted each round, so
# that drift in the machine's load hits both alike.
unpatched=0 none=0
for _ in $(seq "$LOOPS"); do
	peers "$UNPATCHED" 0
	v=$(iperf) || exit 1
	unpatched=$(python3 -c "print(max($unpatched, $v))")
	peers "$PATCHED" 1
	v=$(iperf) || exit 1
	none=$(python3 -c "print(max($none, $v))")
done
ov_wait_api "$TMP/a.sock"

"$FLOWTAP" capture --socket "$TMP/a.sock" --format pcapng -w "$TMP/ft.pcapng" 2>"$TMP/ft.err" &
cap=$!
ov_wait_sessions "$TMP/a.sock" 1
flowtap=$(best) || exit 1
kill -INT $cap
wait $cap
ft_stats=$(cat "$TMP/ft.err")
rm -f "$TMP/ft.pcapng"

ip netns exec "$NSA" tcpdump -n -i ftov0 -w "$TMP/td.pcap" 2>"$TMP/td.err" &
cap=$!
for _ in $(seq 50); do grep -q listening "$TMP/td.err" && break; sleep 0.1; done
tcpdump=$(best) || exit 1
kill -INT $cap
wait $cap
td_stats=$(grep -E 'captured|dropped by kernel' "$TMP/td.err" | tr '\n' ' ')
rm -f "$TMP/td.pcap"

r() { python3 -c "print(f'{$1 / $2:.3f}')"; }
echo "BENCH openvpn_tcp_no_capture $none Mbit/s"
echo "BENCH openvpn_tcp_flowtap_capture $flowtap Mbit/s"
echo "BENCH openvpn_tcp_tcpdump_capture $tcpdump Mbit/s"
echo "BENCH openvpn_tcp_unpatched $unpatched Mbit/s"
echo "BENCH openvpn_flowtap_vs_tcpdump $(r "$flowtap" "$tcpdump") ratio"
echo "BENCH openvpn_unwatched_vs_unpatched $(r "$none" "$unpatched") ratio"
echo "flowtap capture: $ft_stats"
echo "tcpdump: $td_stats"
