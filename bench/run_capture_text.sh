#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench: the cost of live text in the flowtap capture client, which makes
# it from the datapath's pcapng stream with flowtap read's formatter, next
# to writing the stream to a file (-w) and to the datapath's own text
# (format=text through curl). ft-testdp offers the same 200,000 packets to
# each, at 200,000 packets/s; reported: the client's CPU (user + system) in
# ns per packet, and the packets each got.
set -euo pipefail
FT=${FT_BUILD:?}/flowtap
# The stand-in datapath is a test tool: the bench build (no tests) has
# none, the test build next to it does.
DP=$FT_BUILD/ft-testdp
[ -x "$DP" ] || DP=${FT_SRC:-.}/build/ft-testdp
tmp=${FT_BENCH_TMP:?}
N=${FT_BENCH_CAPTEXT_PACKETS:-200000}
[ -x "$DP" ] || { echo "SKIP: ft-testdp not built (make)"; exit 0; }
sock=$tmp/captext.sock

# run NAME CMD...: one datapath offering N packets once the command is
# attached; CPU of the command per packet, and its packet count.
run() {
	local name=$1 dp t n
	shift
	rm -f "$sock"
	"$DP" --socket "$sock" --count "$N" --rate 200000 --wait-sessions 1 \
		--session-buf 67108864 2>/dev/null &
	dp=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	TIMEFORMAT='%U %S'
	t=$( { time "$@" >"$tmp/captext.out" 2>"$tmp/captext.err"; } 2>&1)
	kill "$dp" 2>/dev/null
	wait "$dp" 2>/dev/null || true
	n=$(grep -Eo '^[0-9]+ packets captured' "$tmp/captext.err" | grep -Eo '^[0-9]+' || true)
	[ -n "$n" ] || n=$(grep -c '^[0-9]' "$tmp/captext.out" || true)
	echo "BENCH capture_${name}_client_cpu $(echo "$t" | awk -v n="$N" '{printf "%.0f", ($1 + $2) * 1e9 / n}') ns/packet"
	echo "BENCH capture_${name}_packets $n packets"
}
# --duration bounds a run whose session dropped packets (-c never reached).
run text "$FT" capture --socket "$sock" -c "$N" --duration 30
run text_vv_X "$FT" capture --socket "$sock" -c "$N" --duration 30 -vv -X
run pcap "$FT" capture --socket "$sock" -c "$N" --duration 30 -w "$tmp/captext.pcap"
run server_text curl -sN --max-time 40 --unix-socket "$sock" -X POST \
	"http://local/localapi/v0/debug-capture?format=text&count=$N&duration=30"
