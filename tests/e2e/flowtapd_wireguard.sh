#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtapd on a real WireGuard tunnel (Debian's wireguard-go and wg): three
# namespaces. A and B each have a veth to C, which routes between them (so
# deleting B leaves A's underlay up) and is also the host behind B: B's peer
# entry on A allows 0.0.0.0/0, so A reaches C's 198.51.100.3 through the
# tunnel as exit traffic. flowtapd in A captures the tunnel device and the
# underlay veth, with no other configuration, and must:
#  - classify from the device: pings to B's tunnel address are virtual
#    traffic with exact counts (a TCP transfer too, counted against tcpdump),
#    B's subnet allowed IP makes subnet traffic, C is exit traffic,
#    anonymized; the encrypted UDP on the underlay is not exit traffic;
#  - report B's physical traffic (overlay address -> endpoint) equal to
#    WireGuard's own rx_bytes/tx_bytes deltas;
#  - show the peer (public key, endpoint, allowed IPs, handshake) in status,
#    and mark it stale once B is gone while A still sends to it.
set -uo pipefail
: "${FT_BUILD:?FT_BUILD must point at the build directory}"
. "$(dirname "$0")/common.bash"
FTD=$FT_BUILD/flowtapd
FT=$FT_BUILD/flowtap
NSA=ftwg-a NSB=ftwg-b NSC=ftwg-c
WGA=ftwga WGB=ftwgb
TMP=$(mktemp -d /tmp/ftwg-e2e.XXXXXX)
SOCK=$TMP/flowtap.sock
PIDS=()
FTD_PID=

fail_details() {
	[ -s "$TMP/flowtapd.log" ] && sed 's/^/  flowtapd.log: /' "$TMP/flowtapd.log"
	[ -s "$TMP/flows" ] && sed 's/^/  flows: /' "$TMP/flows" | head -40
}

cleanup() {
	[ -n "$FTD_PID" ] && kill "$FTD_PID" 2>/dev/null && wait "$FTD_PID" 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for n in $NSA $NSB $NSC; do ip netns del "$n" 2>/dev/null; done
	rm -f /var/run/wireguard/$WGA.sock /var/run/wireguard/$WGB.sock
	rm -rf "$TMP"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
for t in wireguard-go wg ip tcpdump python3 jq curl; do
	command -v $t >/dev/null || skip "$t is not installed"
done
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

A() { ip netns exec $NSA "$@"; }
B() { ip netns exec $NSB "$@"; }
C() { ip netns exec $NSC "$@"; }

for n in $NSA $NSB $NSC; do ip netns del $n 2>/dev/null; ip netns add $n || fail "cannot create namespace $n"; ip -n $n link set lo up; done
ip link add name ftwgv-a netns $NSA type veth peer name ftwgv-ca netns $NSC || fail "veth"
ip link add name ftwgv-b netns $NSB type veth peer name ftwgv-cb netns $NSC || fail "veth"
ip -n $NSA addr add 192.0.2.1/24 dev ftwgv-a
ip -n $NSC addr add 192.0.2.254/24 dev ftwgv-ca
ip -n $NSB addr add 203.0.113.2/24 dev ftwgv-b
ip -n $NSC addr add 203.0.113.254/24 dev ftwgv-cb
ip -n $NSC addr add 198.51.100.3/32 dev lo
ip -n $NSB addr add 10.77.0.1/32 dev lo
for l in "$NSA ftwgv-a" "$NSB ftwgv-b" "$NSC ftwgv-ca" "$NSC ftwgv-cb"; do set -- $l; ip -n $1 link set $2 up; done
ip -n $NSA route add 203.0.113.0/24 via 192.0.2.254
ip -n $NSB route add default via 203.0.113.254
ip -n $NSC route add 100.64.0.0/24 via 203.0.113.2
for n in $NSB $NSC; do ip netns exec $n sysctl -qw net.ipv4.ip_forward=1; done

umask 077
wg genkey >$TMP/ka && wg pubkey <$TMP/ka >$TMP/pa
wg genkey >$TMP/kb && wg pubkey <$TMP/kb >$TMP/pb
# Background processes are started with ip netns exec itself (not through
# the A/B functions), so $! is the process to stop.
ip netns exec $NSA env WG_PROCESS_FOREGROUND=1 wireguard-go $WGA >$TMP/wga.log 2>&1 &
PIDS+=($!)
ip netns exec $NSB env WG_PROCESS_FOREGROUND=1 wireguard-go $WGB >$TMP/wgb.log 2>&1 &
PIDS+=($!)
for i in $(seq 50); do [ -S /var/run/wireguard/$WGA.sock ] && [ -S /var/run/wireguard/$WGB.sock ] && break; sleep 0.1; done
A wg set $WGA private-key $TMP/ka listen-port 51820 \
	peer "$(cat $TMP/pb)" allowed-ips 100.64.0.2/32,10.77.0.0/16,0.0.0.0/0 endpoint 203.0.113.2:51820 || fail "wg set A"
B wg set $WGB private-key $TMP/kb listen-port 51820 \
	peer "$(cat $TMP/pa)" allowed-ips 100.64.0.1/32 endpoint 192.0.2.1:51820 || fail "wg set B"
ip -n $NSA addr add 100.64.0.1/24 dev $WGA && ip -n $NSA link set $WGA up
ip -n $NSB addr add 100.64.0.2/24 dev $WGB && ip -n $NSB link set $WGB up
ip -n $NSA route add 10.77.0.0/16 dev $WGA
ip -n $NSA route add 198.51.100.0/24 dev $WGA
A ping -c 1 -W 2 100.64.0.2 >/dev/null || fail "the tunnel does not carry a ping"
A ping -c 1 -W 2 198.51.100.3 >/dev/null || fail "A cannot reach C through B"
ok "wireguard-go tunnel up"

# A quiet tunnel now: WireGuard's counters before flowtapd starts.
read -r _ base_rx base_tx < <(A wg show $WGA transfer)
ip netns exec $NSA "$FTD" --interface $WGA --interface ftwgv-a --flow-log $TMP/flows \
	--interval 1 --socket $SOCK >$TMP/flowtapd.log 2>&1 &
FTD_PID=$!
for i in $(seq 50); do
	curl -s --unix-socket $SOCK http://l/localapi/v0/status 2>/dev/null | jq -e '.wireguard[0].peers[0]' >/dev/null && break
	sleep 0.1
done
st=$(curl -s --unix-socket $SOCK http://l/localapi/v0/status) || fail "no status"
[ "$(jq -r '.wireguard[0].via' <<<"$st")" = uapi ] || fail "device not read through the UAPI socket: $st"
[ "$(jq -r '.wireguard[0].peers[0].public_key' <<<"$st")" = "$(cat $TMP/pb)" ] || fail "peer key: $st"
[ "$(jq -r '.wireguard[0].peers[0].endpoint' <<<"$st")" = 203.0.113.2:51820 ] || fail "endpoint: $st"
[ "$(jq -c '.wireguard[0].peers[0].allowed_ips' <<<"$st")" = '["100.64.0.2/32","10.77.0.0/16","0.0.0.0/0"]' ] ||
	fail "allowed ips: $st"
age=$(jq -r '.wireguard[0].peers[0].handshake_age_s' <<<"$st")
[ "$age" -ge 0 ] && [ "$age" -lt 60 ] || fail "handshake age $age"
[ "$(jq -r '.wireguard[0].peers[0].stale' <<<"$st")" = false ] || fail "fresh peer marked stale"
grep -q "private" <<<"$st" && fail "status mentions a private key"
grep -q "$(cat $TMP/ka)" <<<"$st" && fail "status holds the private key"
"$FT" status --socket $SOCK >$TMP/status.txt || fail "flowtap status"
grep -q "peer $(cat $TMP/pb)" $TMP/status.txt || fail "flowtap status shows no peer: $(cat $TMP/status.txt)"
grep -q "endpoint 203.0.113.2:51820, allowed ips 100.64.0.2/32, 10.77.0.0/16, 0.0.0.0/0" $TMP/status.txt ||
	fail "flowtap status: $(cat $TMP/status.txt)"
ok "status shows the peer, its endpoint, allowed IPs and a fresh handshake"
sleep 1.2 # the watcher's first read sets the classes and the counters' base

ip netns exec $NSA tcpdump -n -U -i $WGA -w $TMP/tcp.pcap 'tcp port 5201' 2>$TMP/tcpdump.err &
TD=$!
for i in $(seq 100); do grep -q "listening on" $TMP/tcpdump.err && break; sleep 0.1; done
A ping -c 5 -i 0.1 100.64.0.2 >/dev/null || fail "virtual ping"
A ping -c 3 -i 0.1 10.77.0.1 >/dev/null || fail "subnet ping"
A ping -c 2 -i 0.1 198.51.100.3 >/dev/null || fail "exit ping"
ip netns exec $NSB python3 -c '
import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("100.64.0.2", 5201)); s.listen(1); c, _ = s.accept(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
c.sendall(b"%d" % n); c.close()' &
PIDS+=($!)
sleep 0.3
got=$(A python3 -c '
import socket, time
for i in range(100):  # the server may not listen yet on a loaded machine
    try:
        s = socket.create_connection(("100.64.0.2", 5201)); break
    except ConnectionRefusedError:
        time.sleep(0.05)
s.sendall(b"x" * 200000)
s.shutdown(socket.SHUT_WR); print(s.recv(100).decode())') || fail "TCP transfer"
[ "$got" = 200000 ] || fail "TCP transfer delivered $got bytes"
sleep 0.5
kill $TD; wait $TD 2>/dev/null
sleep 1.5
st=$(curl -s --unix-socket $SOCK http://l/localapi/v0/status)
[ "$(jq -r '.wireguard[0].peers[0].stale' <<<"$st")" = false ] || fail "a peer that answers is stale: $st"

# Stop flowtapd: its final message carries the last interval.
kill $FTD_PID; wait $FTD_PID; FTD_PID=
read -r _ end_rx end_tx < <(A wg show $WGA transfer)

sum() { jq -s "[.[] | .$1 // [] | .[] | select($2) | .$3 // 0] | add // 0" $TMP/flows; }
[ "$(sum virtualTraffic '.proto == 1 and .dst == "100.64.0.2:0"' txPkts)" = 5 ] || fail "virtual ICMP tx packets"
[ "$(sum virtualTraffic '.proto == 1 and .dst == "100.64.0.2:0"' rxPkts)" = 5 ] || fail "virtual ICMP rx packets"
tcp_pkts=$(tcpdump -n -r $TMP/tcp.pcap 2>/dev/null | wc -l)
tcp_tx=$(tcpdump -n -r $TMP/tcp.pcap 'src host 100.64.0.1' 2>/dev/null | wc -l)
ft_tx=$(sum virtualTraffic '.proto == 6 and .dst == "100.64.0.2:5201"' txPkts)
ft_rx=$(sum virtualTraffic '.proto == 6 and .dst == "100.64.0.2:5201"' rxPkts)
[ "$ft_tx" = "$tcp_tx" ] && [ $((ft_tx + ft_rx)) = "$tcp_pkts" ] ||
	fail "TCP virtual traffic: flowtapd $ft_tx+$ft_rx packets, tcpdump $tcp_tx of $tcp_pkts ($(cat $TMP/tcpdump.err; tcpdump -n -r $TMP/tcp.pcap 2>&1 | tail -2))"
ok "virtual traffic: 5+5 ICMP and $tcp_pkts TCP packets, as tcpdump saw them"
[ "$(sum subnetTraffic '.proto == 1 and .dst == "10.77.0.1:0"' txPkts)" = 3 ] || fail "subnet traffic"
ok "subnet traffic: the peer's 10.77.0.0/16"
[ "$(sum exitTraffic '.proto == 1' txPkts)" = 2 ] || fail "exit traffic"
[ "$(sum exitTraffic '.proto == 17' txPkts)" = 0 ] || fail "the underlay's encrypted UDP counted as exit traffic"
# Anonymized: only overlay addresses (ours) stay; C's address never appears.
grep -q 198.51.100 $TMP/flows && fail "exit traffic not anonymized"
jq -e -s '[.[] | .exitTraffic // [] | .[] | select(.dst)] | length == 0' $TMP/flows >/dev/null ||
	fail "exit traffic keeps a remote address"
ok "exit traffic through the 0.0.0.0/0 peer, anonymized; underlay UDP not counted twice"
ptx=$(sum physicalTraffic '.src == "100.64.0.2:0" and .dst == "203.0.113.2:51820"' txBytes)
prx=$(sum physicalTraffic '.src == "100.64.0.2:0" and .dst == "203.0.113.2:51820"' rxBytes)
[ "$ptx" = $((end_tx - base_tx)) ] && [ "$prx" = $((end_rx - base_rx)) ] ||
	fail "physical traffic tx $ptx rx $prx, WireGuard's deltas tx $((end_tx - base_tx)) rx $((end_rx - base_rx))"
ok "physical traffic per peer equals WireGuard's counters (tx $ptx, rx $prx bytes)"

# --overlay: a datapath that is not WireGuard names its overlay itself; the
# underlay veth's pings between 192.0.2.1 and .2 are then virtual traffic.
ip netns exec $NSA "$FTD" --interface ftwgv-a --overlay 192.0.2.0/24 --flow-log $TMP/flows3 \
	--interval 1 --socket $SOCK >>$TMP/flowtapd.log 2>&1 &
FTD_PID=$!
for i in $(seq 50); do [ -S $SOCK ] && break; sleep 0.1; done
sleep 0.5
A ping -c 4 -i 0.1 192.0.2.254 >/dev/null || fail "underlay ping"
kill $FTD_PID; wait $FTD_PID; FTD_PID=
n=$(jq -s '[.[] | .virtualTraffic // [] | .[] | select(.proto == 1 and .dst == "192.0.2.254:0") | .txPkts] | add // 0' $TMP/flows3)
[ "$n" = 4 ] || fail "--overlay 192.0.2.0/24: $n virtual ICMP packets, want 4"
ok "--overlay makes the given range virtual traffic"

# Stale after 8 s instead of 180 here. B goes away (its underlay too; A's
# stays, through C) and A keeps sending into the tunnel: WireGuard still
# sends (tx grows) but no handshake answers, so the peer turns stale.
FLOWTAPD_WG_STALE_SEC=8 ip netns exec $NSA "$FTD" --interface $WGA --flow-log $TMP/flows2 --interval 1 \
	--socket $SOCK >>$TMP/flowtapd.log 2>&1 &
FTD_PID=$!
kill "${PIDS[1]}"
ip netns del $NSB
stale=
for i in $(seq 30); do
	A ping -c 2 -i 0.2 -W 1 100.64.0.2 >/dev/null 2>&1
	st=$(curl -s --unix-socket $SOCK http://l/localapi/v0/status 2>/dev/null)
	[ "$(jq -r '.wireguard[0].peers[0].stale' <<<"$st" 2>/dev/null)" = true ] && stale=1 && break
done
[ -n "$stale" ] || fail "peer not marked stale after B was deleted: $st"
"$FT" status --socket $SOCK | grep -q STALE || fail "flowtap status does not show STALE"
grep -q "is stale" $TMP/flowtapd.log || fail "no log line for the stale peer"
ok "a peer that stopped answering is marked stale in status and the log"
m=$(curl -s --unix-socket $SOCK http://l/localapi/v0/metrics)
grep -q "^flowtap_wireguard_peer_stale{interface=\"$WGA\",peer=\"$(cat $TMP/pb)\"} 1$" <<<"$m" ||
	fail "no stale metric: $(grep wireguard <<<"$m")"
if command -v promtool >/dev/null; then
	promtool check metrics <<<"$m" >$TMP/promtool.out 2>&1 || fail "promtool: $(cat $TMP/promtool.out)"
fi
ok "flowtap_wireguard_peer_* metrics, stale included"
echo "PASS"
