#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/run_tunnel.sh - what watching flowtap-tunnel costs its traffic.
#
# TCP transfers (tests/tools/tcpxfer.py, every byte checked) through two
# flowtap-tunnels in network namespaces, best of FTE_BENCH_LOOPS runs each:
#  - no capture (the datapath alone);
#  - `flowtap capture -w FILE --format pcapng` on tunnel A through the local API;
#  - tcpdump -w FILE on tunnel A's TUN interface, the conventional way (the peer
#    tool: same traffic, same machine, same run);
#  - a capture client that stops reading (must cost nothing: ratio ~1).
# Prints Mbit/s per case, packets captured and dropped, and the ratios.
set -uo pipefail
: "${FT_BUILD:?}"
FT_SRC=${FT_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
. "$FT_SRC/tests/e2e/tunnel_lib.bash"
skip() {
	echo "bench: run_tunnel skipped: $*" >&2
	exit 0
}
BYTES=${FTE_BENCH_BYTES:-$((256 << 20))}
LOOPS=${FTE_BENCH_LOOPS:-3}

tl_require curl python3 tcpdump
tl_setup bench
tl_tunnel a --keepalive 0
tl_tunnel b --keepalive 0

# xfer: one transfer A -> B; prints its Mbit/s.
xfer() {
	local out
	ip netns exec "$NSB" python3 "$XFER" recv 100.64.0.2 5201 &
	out=$(ip netns exec "$NSA" timeout 120 python3 "$XFER" send 100.64.0.2 5201 "$BYTES") ||
		fail "transfer did not complete: $out"
	wait $!
	echo "${out##*mbps=}"
}

best() {
	local b=0 v
	for _ in $(seq "$LOOPS"); do
		v=$(xfer)
		b=$(python3 -c "print(max($b, $v))")
	done
	echo "$b"
}

none=$(best)

"$FLOWTAP" capture --socket "$TMP/a.sock" --format pcapng -w "$TMP/ft.pcapng" 2>"$TMP/ft.err" &
cap=$!
tl_wait_sessions "$TMP/a.sock" 1
flowtap=$(best)
kill -INT $cap
wait $cap
ft_stats=$(cat "$TMP/ft.err")
rm -f "$TMP/ft.pcapng"

ip netns exec "$NSA" tcpdump -i fte0 -n -w "$TMP/td.pcap" 2>"$TMP/td.err" &
cap=$!
sleep 1 # tcpdump has no readiness signal
tcpdump=$(best)
kill -INT $cap
wait $cap
td_stats=$(grep -E 'captured|dropped by kernel' "$TMP/td.err" | tr '\n' ' ')
rm -f "$TMP/td.pcap"

rm -f "$TMP/stall"
mkfifo "$TMP/stall"
exec 7<>"$TMP/stall" # held open, never read
curl -sN --unix-socket "$TMP/a.sock" -X POST http://local/localapi/v0/debug-capture >"$TMP/stall" &
cap=$!
tl_wait_sessions "$TMP/a.sock" 1
stalled=$(best)
kill $cap
wait $cap 2>/dev/null
exec 7>&-

r() { python3 -c "print(f'{$1 / $2:.3f}')"; }
echo "BENCH tunnel_tcp_no_capture $none Mbit/s"
echo "BENCH tunnel_tcp_flowtap_capture $flowtap Mbit/s"
echo "BENCH tunnel_tcp_tcpdump_capture $tcpdump Mbit/s"
echo "BENCH tunnel_tcp_stalled_client $stalled Mbit/s"
echo "BENCH tunnel_flowtap_capture_vs_tcpdump $(r "$flowtap" "$tcpdump") ratio"
echo "BENCH tunnel_flowtap_capture_vs_none $(r "$flowtap" "$none") ratio"
echo "BENCH tunnel_stalled_client_vs_none $(r "$stalled" "$none") ratio"
echo "flowtap capture: $ft_stats"
echo "tcpdump: $td_stats"
