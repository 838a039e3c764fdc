#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tunnel_underlay: the UDP side of flowtap-tunnel. Both tunnels listen on
# dual-stack sockets ([::]:4242); A has an IPv4 --peer, B learns its peer from
# the first valid datagram (reported as 192.0.2.1, not ::ffff:192.0.2.1).
# A datagram from another host is dropped as foreign; garbage is dropped as
# invalid and does not redirect a learning tunnel. Counters in the status;
# what A drops shows with `--path dropped` (every drop), on the path it was
# on, with its reason in the pcapng comment.
set -euo pipefail
. "$(dirname "$0")/tunnel_lib.bash"
tl_require ping curl python3
tl_setup underlay

ip -n "$NSA" addr add 2001:db8::1/64 dev fte-veth-a nodad
ip -n "$NSB" addr add 2001:db8::2/64 dev fte-veth-b nodad
ip -n "$NSB" addr add 2001:db8::3/64 dev fte-veth-b nodad
tl_bg "$NSA" "$TUNNEL" --tun fte0 --addr 100.64.0.1/24 --listen '[::]:4242' \
	--peer 192.0.2.2:4242 --keepalive 0 --socket "$TMP/a.sock" 2>"$TMP/a.log"
TUN_PID_A=$!
tl_bg "$NSB" "$TUNNEL" --tun fte0 --addr 100.64.0.2/24 --listen '[::]:4242' \
	--keepalive 0 --socket "$TMP/b.sock" 2>"$TMP/b.log"
TUN_PID_B=$!
tl_wait_api "$TMP/a.sock" && tl_wait_api "$TMP/b.sock" || fail "tunnels did not start"

# tunnel SOCK EXPR: a Python expression over t (the status's "tunnel" object).
tunnel() {
	tl_status "$1" | python3 -c "import json,sys; t=json.load(sys.stdin)['tunnel']; print($2)"
}

ip netns exec "$NSA" ping -c 3 -i 0.1 -q 100.64.0.2 >/dev/null || fail "ping through the tunnel"
[ "$(tunnel "$TMP/b.sock" 't["peer"]')" = 192.0.2.1:4242 ] ||
	fail "B learned peer $(tunnel "$TMP/b.sock" 't["peer"]'), expected 192.0.2.1:4242"
[ "$(tunnel "$TMP/b.sock" 't["peer_addr"]')" = 100.64.0.1 ] || fail "B did not learn A's tunnel address"
ok "dual-stack sockets; B learned its peer 192.0.2.1:4242 (100.64.0.1)"

# send NS SRC DST HEX: one UDP datagram from [SRC]:5555 to [DST]:4242.
send() {
	ip netns exec "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5555))
s.sendto(bytes.fromhex(sys.argv[3]), (sys.argv[2], 4242))' "$2" "$3" "$4"
}
# An echo request 100.64.0.9 -> 100.64.0.1, a valid IPv4 packet.
ECHO=4500001c000000004001000064400009644000010800f7ff00000000

"$FLOWTAP" capture --socket "$TMP/a.sock" --path dropped --format pcapng -c 2 \
	-w "$TMP/dropped.pcapng" 2>"$TMP/cap.err" &
CAP=$!
tl_wait_sessions "$TMP/a.sock" 1
before=$(tunnel "$TMP/a.sock" 't["counters"]["tun_tx"]')
send "$NSB" 2001:db8::3 2001:db8::1 "$ECHO"
# And a UDP datagram from A's stack to the service address (only pings are answered).
ip netns exec "$NSA" python3 -c '
import socket
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("100.100.100.100", 9))'
sleep 0.3
[ "$(tunnel "$TMP/a.sock" 't["counters"]["dropped"]["foreign"]')" = 1 ] ||
	fail "A did not drop the datagram from 2001:db8::3: $(tunnel "$TMP/a.sock" t)"
[ "$(tunnel "$TMP/a.sock" 't["counters"]["tun_tx"]')" = "$before" ] ||
	fail "A delivered a packet from a host that is not its peer"
ok "a datagram from another host is dropped as foreign and never delivered"
timeout 5 tail --pid="$CAP" -f /dev/null || fail "capture of the dropped path did not end"
wait "$CAP" || fail "capture failed: $(cat "$TMP/cap.err")"
got=$(tshark -n -r "$TMP/dropped.pcapng" -T fields -e frame.interface_name \
	-e frame.packet_flags_direction -e ip.src -e ip.dst -e ip.proto -e frame.comment \
	2>/dev/null | sort | tr '\t\n' ' |')
want="from-local 0x00000002 100.64.0.1 100.100.100.100 17 drop: service|"
want+="from-peer 0x00000001 100.64.0.9 100.64.0.1 1 drop: foreign-source|"
[ "$got" = "$want" ] || fail "dropped path: got '$got', expected '$want'"
ok "--path dropped shows the foreign packet (in) and the UDP datagram to the service address (out), with reasons"

send "$NSA" 2001:db8::1 2001:db8::2 68656c6c6f # "hello"
sleep 0.3
[ "$(tunnel "$TMP/b.sock" 't["counters"]["dropped"]["invalid"]')" = 1 ] ||
	fail "B did not count the garbage datagram: $(tunnel "$TMP/b.sock" t)"
[ "$(tunnel "$TMP/b.sock" 't["peer"]')" = 192.0.2.1:4242 ] || fail "garbage redirected B's peer"
ip netns exec "$NSA" ping -c 2 -i 0.1 -q 100.64.0.2 >/dev/null || fail "tunnel broken after garbage"
ok "garbage is dropped as invalid and does not redirect a learning tunnel"

tl_stop "$TUN_PID_A"
tl_stop "$TUN_PID_B"
