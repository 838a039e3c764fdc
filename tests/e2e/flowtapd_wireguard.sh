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
#    and mark it stale once B is gone while A still sends to it;
#  - name the peer in the flow log (its public key as the nodeId of
#    dstNodes for every flow to or from it) and in text captures: a name
#    derived from the key with no peer file, the file's name where an entry
#    has the key as nodeId, or owns the peer's address (after a SIGHUP);
#  - count the stale peer in the flow log (staleNodes), with the threshold
#    from --wg-stale, whose bad values are a usage error (exit 2).
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

# --wg-stale: whole seconds 1-86400, checked before anything starts.
for v in 0 -1 abc 1.5 86401 3m; do
	"$FTD" --wg-stale "$v" --interface lo >$TMP/bad.out 2>&1
	rc=$?
	[ $rc = 2 ] || fail "--wg-stale '$v': exit $rc, want 2"
	grep -q "^flowtapd: bad wg-stale '$v' (whole seconds, 1-86400)$" $TMP/bad.out ||
		fail "--wg-stale '$v': $(cat $TMP/bad.out)"
done
"$FTD" --wg-stale "" --interface lo >$TMP/bad.out 2>&1
[ $? = 2 ] && grep -q "'wg-stale' needs a value" $TMP/bad.out || fail "--wg-stale '': $(cat $TMP/bad.out)"
printf 'interface lo\nwg-stale 0\n' >$TMP/bad.conf
"$FTD" --config $TMP/bad.conf >$TMP/bad.out 2>&1
[ $? = 2 ] && grep -q "bad.conf:2: bad wg-stale '0'" $TMP/bad.out || fail "config wg-stale 0: $(cat $TMP/bad.out)"
ok "--wg-stale: bad values are exit 2 with a message (flag and config file)"

[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
for t in wireguard-go wg ip tcpdump python3 jq curl; do
	command -v $t >/dev/null || skip "$t is not installed"
done
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

A() { ip netns exec $NSA "$@"; }
B() { ip netns exec $NSB "$@"; }
C() { ip netns exec $NSC "$@"; }
# capture_names REQUEST REPLY: a text capture of 4 ICMP packets of the
# tunnel's tap while A pings B until they are in (the session may attach
# late on a loaded machine): each must be B's echo request or reply, as
# REQUEST or REPLY shows it, and both must be there.
capture_names() {
	timeout 60 "$FT" capture --socket $SOCK -i $WGA -c 4 icmp >$TMP/cap.txt 2>$TMP/cap.err &
	local cap=$! q r
	for i in $(seq 150); do
		kill -0 $cap 2>/dev/null || break
		A ping -c 1 -W 1 100.64.0.2 >/dev/null
		sleep 0.2
	done
	wait $cap || fail "text capture of $WGA: $(cat $TMP/cap.err)"
	q=$(grep -cF "$1" $TMP/cap.txt)
	r=$(grep -cF "$2" $TMP/cap.txt)
	[ "$q" -ge 1 ] && [ "$r" -ge 1 ] && [ $((q + r)) = 4 ] ||
		fail "text capture, want '$1' and '$2': $(cat $TMP/cap.txt)"
}
# wait_peer: until flowtapd's status shows the tunnel's peer.
wait_peer() {
	for i in $(seq 50); do
		curl -s --unix-socket $SOCK http://l/localapi/v0/status 2>/dev/null | jq -e '.wireguard[0].peers[0]' >/dev/null && return
		sleep 0.1
	done
}

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
wait_peer
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

# Immediate mode: packets still in libpcap's ring block when tcpdump is
# stopped would be lost (tcpdump says "N received by filter, 0 captured");
# a short snaplen and a big buffer, so its ring holds the whole transfer
# while a loaded machine keeps tcpdump waiting (only headers are counted).
ip netns exec $NSA tcpdump -n -U --immediate-mode -s 128 -B 8192 -i $WGA -w $TMP/tcp.pcap 'tcp port 5201' 2>$TMP/tcpdump.err &
TD=$!
for i in $(seq 100); do grep -q "listening on" $TMP/tcpdump.err && break; sleep 0.1; done
DERIVED="wg-$(head -c 8 $TMP/pb | tr '+/' '-_')"
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

# Identity per flow: every virtual, subnet and physical entry is B's, so
# every message with one lists exactly B in dstNodes: its key as nodeId,
# the derived name, its host allowed IP (routes and 0.0.0.0/0 left out).
# Exit traffic (anonymized, ours only) names nobody; no srcNode (the UAPI
# does not tell the device's own key, and there is no peer file).
python3 - $TMP/flows "$(cat $TMP/pb)" "$DERIVED" <<'PY' || fail "flow-log identity (above)"
import json, sys
key, name = sys.argv[2], sys.argv[3]
want = [{"nodeId": key, "name": name, "addresses": ["100.64.0.2"]}]
n = 0
for line in open(sys.argv[1]):
    m = json.loads(line)
    assert "srcNode" not in m, m
    ents = [e for c in ("virtualTraffic", "subnetTraffic", "physicalTraffic") for e in m.get(c, [])]
    for e in ents:  # the remote end of each flow is B's
        remote = e["src"] if e["src"].startswith("100.64.0.2:") else e.get("dst", "")
        assert remote.split(":")[0] in ("100.64.0.2", "10.77.0.1"), e
    if ents:
        assert m.get("dstNodes") == want, (m.get("dstNodes"), want)
        n += len(ents)
    else:
        assert "dstNodes" not in m, m
assert n >= 3, n
print("identity checked on %d flows" % n)
PY
ok "flow log: B's key is the nodeId of dstNodes for every flow to or from it"

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

# A peer file names B: first by its key as nodeId, then (SIGHUP) by an
# entry owning B's address; the nodeId stays B's key. Before both, a file
# that does not know B: B keeps the name derived from its key. Self from
# the file.
cat >$TMP/peers.json <<J
{"self": {"nodeId": "self-a", "name": "host-a", "addresses": ["100.64.0.1"]},
 "peers": [{"nodeId": "n-other", "name": "other", "addresses": ["100.64.0.9"]}]}
J
FLOWTAPD_WG_STALE_SEC=200 ip netns exec $NSA "$FTD" --interface $WGA --flow-log $TMP/flows4 \
	--interval 1 --socket $SOCK --peers $TMP/peers.json >>$TMP/flowtapd.log 2>&1 &
FTD_PID=$!
wait_peer
st=$(curl -s --unix-socket $SOCK http://l/localapi/v0/status)
[ "$(jq -r '.wireguard[0].stale_after_s' <<<"$st")" = 200 ] || fail "FLOWTAPD_WG_STALE_SEC ignored: $st"
capture_names "100.64.0.1(host-a) > 100.64.0.2($DERIVED): ICMP echo request" \
	"100.64.0.2($DERIVED) > 100.64.0.1(host-a): ICMP echo reply"
ok "text capture names the peer $DERIVED (derived from its key; the file does not know it)"
reload_peers() { # the file is in $TMP/peers.json; waits for the reload
	local n
	n=$(grep -c "peer table now from" $TMP/flowtapd.log)
	kill -HUP $FTD_PID
	for i in $(seq 100); do
		[ "$(grep -c "peer table now from" $TMP/flowtapd.log)" -gt "$n" ] && return
		sleep 0.05
	done
	fail "no reload in the log"
}
cat >$TMP/peers.json <<J
{"self": {"nodeId": "self-a", "name": "host-a", "addresses": ["100.64.0.1"]},
 "peers": [{"nodeId": "$(cat $TMP/pb)", "name": "peer-b", "os": "linux", "user": "bob@example.com"},
           {"nodeId": "n-other", "name": "other", "addresses": ["100.64.0.9"]}]}
J
reload_peers
capture_names "100.64.0.1(host-a) > 100.64.0.2(peer-b): ICMP echo request" \
	"100.64.0.2(peer-b) > 100.64.0.1(host-a): ICMP echo reply"
ok "text capture names the peer from the file (matched by key): peer-b"
wflow() { # FILE PYTHON-CONDITION [SKIP-LINES]: poll until a message satisfies it
	for i in $(seq 100); do
		python3 -c 'import json, sys
ms = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[3]):]
sys.exit(0 if any(eval(sys.argv[2]) for m in ms) else 1)' "$1" "$2" "${3:-0}" && return 0
		sleep 0.1
	done
	return 1
}
PB=$(cat $TMP/pb)
wflow $TMP/flows4 "m.get('srcNode') == {'nodeId': 'self-a', 'name': 'host-a', 'addresses': ['100.64.0.1']} and m.get('dstNodes') == [{'nodeId': '$PB', 'name': 'peer-b', 'addresses': ['100.64.0.2'], 'os': 'linux', 'user': 'bob@example.com'}]" ||
	fail "flow log with a peer file: $(tail -3 $TMP/flows4)"
ok "flow log: dstNodes [B's key, named peer-b by the file], srcNode host-a"
cat >$TMP/peers.json <<J
{"self": {"nodeId": "self-a", "name": "host-a", "addresses": ["100.64.0.1"]},
 "peers": [{"nodeId": "n-b", "name": "b-by-ip", "addresses": ["100.64.0.2", "10.77.0.0/16"]}]}
J
lines0=$(wc -l <$TMP/flows4)
reload_peers
A ping -c 3 -i 0.2 100.64.0.2 >/dev/null || fail "ping after SIGHUP"
wflow $TMP/flows4 "m.get('dstNodes') == [{'nodeId': '$PB', 'name': 'b-by-ip', 'addresses': ['100.64.0.2']}]" "$lines0" ||
	fail "after SIGHUP, B not named by address: $(tail -3 $TMP/flows4)"
ok "SIGHUP: the file's entry owning B's address names it (b-by-ip), nodeId still B's key"
kill $FTD_PID; wait $FTD_PID; FTD_PID=

# Stale after 8 s instead of 180 here (--wg-stale wins over the variable). B goes away (its underlay too; A's
# stays, through C) and A keeps sending into the tunnel: WireGuard still
# sends (tx grows) but no handshake answers, so the peer turns stale.
FLOWTAPD_WG_STALE_SEC=100 ip netns exec $NSA "$FTD" --interface $WGA --flow-log $TMP/flows2 --interval 1 \
	--wg-stale 8 --socket $SOCK >>$TMP/flowtapd.log 2>&1 &
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
[ "$(jq -r '.wireguard[0].stale_after_s' <<<"$st")" = 8 ] || fail "--wg-stale 8 did not win over the variable: $st"
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
# The flow log counts it: staleNodes with B's key, one event (it turned
# stale once), still stale; the same key as B's dstNodes entry.
A ping -c 3 -i 0.3 -W 1 100.64.0.2 >/dev/null 2>&1
wflow $TMP/flows2 "m.get('staleNodes') == [{'nodeId': '$PB', 'stale': True, 'staleEvents': 1}]" ||
	fail "no staleNodes message: $(tail -3 $TMP/flows2)"
kill $FTD_PID; wait $FTD_PID; FTD_PID=
python3 - $TMP/flows2 "$PB" "$DERIVED" <<'PY' || fail "staleNodes in the flow log (above)"
import json, sys
key, name = sys.argv[2], sys.argv[3]
events, listed = 0, 0
for m in map(json.loads, open(sys.argv[1])):
    for n in m.get("staleNodes", []):
        assert n["nodeId"] == key and n["stale"] is True, n
        events += n.get("staleEvents", 0)
        listed += 1
    for n in m.get("dstNodes", []):
        assert n["nodeId"] == key and n["name"] == name, n
assert events == 1 and listed >= 1, (events, listed)
print("stale in %d messages, %d event" % (listed, events))
PY
ok "flow log: staleNodes lists B's key, one stale event"
# Under the sanitizers (CI), a report in any flowtapd run fails the test.
grep -E "AddressSanitizer|LeakSanitizer|runtime error" $TMP/flowtapd.log && fail "sanitizer report"
echo "PASS"
