#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# demo-tunnel.sh - flowtap end to end (what `make demo` runs).
#
# Two network namespaces joined by a veth pair, a flowtap-tunnel in each
# (a reference userspace datapath embedding libflowtap). Pings and a TCP
# transfer cross the tunnel while `flowtap capture` watches tunnel A live as
# text and writes demo.pcapng; at the end tshark reads the file back (one
# interface per capture path) and the flow-log messages are printed.
#
# Needs root. Builds nothing: binaries come from $FT_BUILD (default build/).
# demo.pcapng goes to $FT_DEMO_OUT (default: the current directory).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
FT_BUILD=${FT_BUILD:-$SRC/build}
OUT=${FT_DEMO_OUT:-$PWD}
TUNNEL=$FT_BUILD/flowtap-tunnel
FLOWTAP=$FT_BUILD/flowtap
XFER=$SRC/tests/tools/tcpxfer.py
NSA=fte-demo-a
NSB=fte-demo-b

bold= norm=
if [ -t 1 ]; then
	bold=$(tput bold 2>/dev/null || true)
	norm=$(tput sgr0 2>/dev/null || true)
fi
step() { printf '\n%s== %s ==%s\n' "$bold" "$*" "$norm"; }
note() { printf '   %s\n' "$*"; }
die() {
	echo "demo: $*" >&2
	exit 1
}

if [ "$(id -u)" -ne 0 ]; then
	die "needs root: it creates network namespaces and TUN devices (run: sudo make demo)"
fi
[ -c /dev/net/tun ] || die "no /dev/net/tun: this kernel or container has no TUN support"
for b in "$TUNNEL" "$FLOWTAP"; do
	[ -x "$b" ] || die "$b is missing: build first (make demo builds; or set FT_BUILD)"
done
for t in ip ping tshark capinfos python3 curl; do
	command -v "$t" >/dev/null || die "$t is not installed (run: make deps)"
done
mkdir -p "$OUT"
PCAP=$OUT/demo.pcapng

TMP=$(mktemp -d /tmp/fte-demo.XXXXXX)
PIDS=()
cleanup() {
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	ip netns del "$NSA" 2>/dev/null || true
	ip netns del "$NSB" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted, cleaning up"; exit 130' INT TERM

step "Two namespaces joined by a veth pair"
ip netns del "$NSA" 2>/dev/null || true
ip netns del "$NSB" 2>/dev/null || true
ip netns add "$NSA"
ip netns add "$NSB"
ip link add fte-veth-a netns "$NSA" type veth peer name fte-veth-b netns "$NSB"
ip -n "$NSA" addr add 192.0.2.1/24 dev fte-veth-a
ip -n "$NSB" addr add 192.0.2.2/24 dev fte-veth-b
for ns in "$NSA" "$NSB"; do ip -n "$ns" link set lo up; done
ip -n "$NSA" link set fte-veth-a up
ip -n "$NSB" link set fte-veth-b up
note "$NSA: 192.0.2.1 (fte-veth-a)  <-- physical -->  $NSB: 192.0.2.2 (fte-veth-b)"

step "A flowtap-tunnel in each: TUN <-> UDP, IP-in-UDP (no encryption: a reference datapath)"
ip netns exec "$NSA" "$TUNNEL" --tun fte0 --addr 100.64.0.1/24 --listen 192.0.2.1:4242 \
	--peer 192.0.2.2:4242 --peer-addr 100.64.0.2 --dnat 100.64.9.9=100.64.0.2 \
	--deny 100.64.0.2:9 --keepalive 2 --socket "$TMP/a.sock" --flow-log "$TMP/a.flows" --flow-interval 2 \
	--node-id tunnel-a 2>"$TMP/a.log" &
PIDS+=($!)
ip netns exec "$NSB" "$TUNNEL" --tun fte0 --addr 100.64.0.2/24 --listen 192.0.2.2:4242 \
	--peer 192.0.2.1:4242 --peer-addr 100.64.0.1 --keepalive 2 --socket "$TMP/b.sock" \
	2>"$TMP/b.log" &
PIDS+=($!)
for s in a b; do
	for _ in $(seq 50); do
		curl -sf --unix-socket "$TMP/$s.sock" http://local/localapi/v0/status >/dev/null 2>&1 && break
		sleep 0.1
	done
	curl -sf --unix-socket "$TMP/$s.sock" http://local/localapi/v0/status >/dev/null ||
		die "tunnel $s did not start: $(cat "$TMP/$s.log")"
done
note "tunnel A: fte0 100.64.0.1/24, answers pings for 100.100.100.100, DNAT 100.64.9.9 -> 100.64.0.2,"
note "          --deny 100.64.0.2:9 (rule 1)"
note "tunnel B: fte0 100.64.0.2/24; both send keepalive probes every 2 s"
note "local APIs: $TMP/a.sock, $TMP/b.sock"

step "flowtap capture on tunnel A: text below (ICMP and TCP SYN/FIN), everything to $PCAP"
FILTER='icmp or udp port 9 or tcp[tcpflags] & (tcp-syn|tcp-fin) != 0'
note "\$ flowtap capture --socket a.sock '$FILTER'"
"$FLOWTAP" capture --socket "$TMP/a.sock" "$FILTER" 2>"$TMP/text.err" > >(sed -u 's/^/   | /') &
TEXT=$!
PIDS+=($TEXT)
"$FLOWTAP" capture --socket "$TMP/a.sock" --format pcapng -w "$PCAP" 2>"$TMP/pcap.err" &
CAP=$!
PIDS+=($CAP)
for _ in $(seq 50); do
	n=$(curl -sf --unix-socket "$TMP/a.sock" http://local/localapi/v0/status |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)["sessions"]))')
	[ "$n" = 2 ] && break
	sleep 0.1
done

step "ping 100.64.0.2 through the tunnel (from-local out, from-peer in)"
ip netns exec "$NSA" ping -c 2 -i 0.3 -q 100.64.0.2 >/dev/null
sleep 0.3
step "ping 100.100.100.100: tunnel A answers itself (synthesized-to-local)"
ip netns exec "$NSA" ping -c 2 -i 0.3 -q 100.100.100.100 >/dev/null
sleep 0.3
step "ping 100.64.9.9: DNAT to 100.64.0.2; the capture shows the pre-NAT address"
ip netns exec "$NSA" ping -c 2 -i 0.3 -q 100.64.9.9 >/dev/null
sleep 0.3
step "UDP to 100.64.0.2 port 9: tunnel A drops it (--deny rule 1); the text shows why"
ip netns exec "$NSA" python3 -c '
import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("100.64.0.2", 9))'
sleep 0.3
step "TCP transfer of 4 MB from A to B through the tunnel"
ip netns exec "$NSB" python3 "$XFER" recv 100.64.0.2 5201 &
PIDS+=($!)
result=$(ip netns exec "$NSA" timeout 30 python3 "$XFER" send 100.64.0.2 5201 4000000)
sleep 0.3
note "transfer: $result"
step "keepalive probes (synthesized-to-peer) and their answers (from-peer)"
sleep 2.2

step "flowtap status: tunnel A's tap, its paths, its drops and the two capture sessions"
"$FLOWTAP" status --socket "$TMP/a.sock" | sed 's/^/   /'

step "Stopping the captures"
kill -INT "$CAP"
wait "$CAP" || true
note "pcapng capture: $(cat "$TMP/pcap.err")"
kill -INT "$TEXT"
wait "$TEXT" 2>/dev/null || true
note "text capture: $(cat "$TMP/text.err")"

step "tshark reads demo.pcapng: one interface per capture path"
note "\$ capinfos -c -I demo.pcapng"
capinfos -c -I "$PCAP" 2>/dev/null | grep -E 'Number of packets|Interface #|Name =' |
	sed 's/^/   /' | head -20
note "\$ tshark -n -r demo.pcapng -T fields -e frame.interface_name | sort | uniq -c"
tshark -n -r "$PCAP" -T fields -e frame.interface_name 2>/dev/null | sort | uniq -c | sed 's/^/   /'

step "Flow log of tunnel A (JSON lines; final counts flushed as it stops)"
kill -TERM "${PIDS[0]}"
wait "${PIDS[0]}" || true
grep "tun_rx" "$TMP/a.log" | sed 's/^/   /' || true
python3 "$SRC/scripts/show-flows.py" "$TMP/a.flows"
note "one raw message:"
head -1 "$TMP/a.flows" | cut -c1-300 | sed 's/^/   /'

step "Done: $PCAP (open it with: wireshark $PCAP)"
