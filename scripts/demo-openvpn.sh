#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# demo-openvpn.sh - flowtap inside OpenVPN 2.7.6 (what `make demo-openvpn` runs).
#
# Builds OpenVPN from ../shared/third_party/openvpn-2.7.6.tar.gz with the
# 8-line patch of integrations/openvpn (cached under $FT_BUILD), starts two
# peers in two network namespaces joined by a veth pair (peer-to-peer TLS,
# self-signed certificates pinned with --peer-fingerprint), pings and sends
# a TCP transfer through the tunnel while `flowtap capture` watches both
# peers, then shows the pcapng read by tshark, `flowtap status` of the
# OpenVPN process and its flow-log messages. Removes its namespaces on exit
# or Ctrl-C. Needs root. Output: $FT_DEMO_OUT/demo-openvpn.pcapng.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
export FT_BUILD=${FT_BUILD:-$SRC/build}
OUT=${FT_DEMO_OUT:-$PWD}

bold= norm=
if [ -t 1 ]; then
	bold=$(tput bold 2>/dev/null || true)
	norm=$(tput sgr0 2>/dev/null || true)
fi
step() { printf '\n%s== %s ==%s\n' "$bold" "$*" "$norm"; }
note() { printf '   %s\n' "$*"; }
die() {
	echo "demo-openvpn: $*" >&2
	exit 1
}
skip() { die "$*"; }
fail() { die "$*"; }

. "$SRC/integrations/openvpn/peers.bash"
[ -x "$FLOWTAP" ] || die "$FLOWTAP is missing: build first (make demo-openvpn builds; or set FT_BUILD)"
ov_require ping tshark python3 curl
mkdir -p "$OUT"
PCAP=$OUT/demo-openvpn.pcapng

step "Building OpenVPN 2.7.6 with the flowtap patch (cached in $FT_BUILD/openvpn-2.7.6)"
patch=$SRC/integrations/openvpn/openvpn-2.7.6-flowtap.patch
note "patch: $(grep -c '^+[^+]' "$patch") lines added, $(grep -c '^-[^-]' "$patch") removed in OpenVPN; glue: integrations/openvpn/flowtap_openvpn.c"
ov_build
note "$OPENVPN"

step "Two namespaces joined by a veth pair, certificates made with openssl"
ov_setup demo
note "$NSA: 198.51.100.1  <-- UDP 1194 -->  $NSB: 198.51.100.2; $NSB also owns 10.99.0.1 (a LAN)"
note "peer-a: $(cat "$TMP/a.fp" | cut -c1-23)...  peer-b: $(cat "$TMP/b.fp" | cut -c1-23)..."

step "OpenVPN in each: --ifconfig 10.8.0.1 <-> 10.8.0.2, A adds --route 10.99.0.0/16"
note "FLOWTAP_SOCKET=.../a.sock FLOWTAP_FLOW_LOG=.../a.flows openvpn --tls-server --peer-fingerprint ..."
ov_peer a
ov_peer b
ov_wait_up a
ov_wait_up b
ov_wait_api "$TMP/a.sock"
ov_wait_api "$TMP/b.sock"
grep -h "flowtap:" "$TMP/a.log" "$TMP/b.log" | sed 's/^/   /'

step "flowtap capture on both peers (text below: ICMP, TCP SYN/FIN), all of A to $PCAP"
FILTER='icmp or tcp[tcpflags] & (tcp-syn|tcp-fin) != 0'
note "\$ flowtap capture --socket a.sock '$FILTER'   (lines prefixed A |, B |)"
"$FLOWTAP" capture --socket "$TMP/a.sock" "$FILTER" 2>"$TMP/text-a.err" > >(sed -u 's/^/   A | /') &
TEXT_A=$!
OV_PIDS+=($TEXT_A)
"$FLOWTAP" capture --socket "$TMP/b.sock" "$FILTER" 2>"$TMP/text-b.err" > >(sed -u 's/^/   B | /') &
TEXT_B=$!
OV_PIDS+=($TEXT_B)
"$FLOWTAP" capture --socket "$TMP/a.sock" --format pcapng -w "$PCAP" 2>"$TMP/pcap.err" &
CAP=$!
OV_PIDS+=($CAP)
ov_wait_sessions "$TMP/a.sock" 2
ov_wait_sessions "$TMP/b.sock" 1

step "ping 10.8.0.2 (A: from-local OUT, from-peer IN; B: from-peer IN, from-local OUT)"
ip netns exec "$NSA" ping -c 2 -i 0.3 -q 10.8.0.2 >/dev/null
sleep 0.3
step "ping 10.99.0.1 through --route (flow class subnet)"
ip netns exec "$NSA" ping -c 2 -i 0.3 -q 10.99.0.1 >/dev/null
sleep 0.3
step "TCP transfer of 4 MB from A to B through the tunnel"
ip netns exec "$NSB" python3 "$XFER" recv 10.8.0.2 5201 &
OV_PIDS+=($!)
sleep 0.3
result=$(ip netns exec "$NSA" timeout 30 python3 "$XFER" send 10.8.0.2 5201 4000000)
sleep 0.3
note "transfer: $result"

step "flowtap status of OpenVPN A: its tap, paths, capture sessions and the openvpn object"
"$FLOWTAP" status --socket "$TMP/a.sock" | sed 's/^/   /'

step "Stopping the captures"
kill -INT "$CAP" "$TEXT_A" "$TEXT_B"
wait "$CAP" || true
wait "$TEXT_A" "$TEXT_B" 2>/dev/null || true
note "pcapng capture: $(cat "$TMP/pcap.err")"
note "text capture A: $(cat "$TMP/text-a.err")"

step "tshark -n reads demo-openvpn.pcapng: one interface per capture path"
note "\$ tshark -n -r demo-openvpn.pcapng -T fields -e frame.interface_name -e frame.packet_flags_direction | sort | uniq -c"
tshark -n -r "$PCAP" -T fields -e frame.interface_name -e frame.packet_flags_direction 2>/dev/null |
	sort | uniq -c | sed 's/^/   /'
note "(direction 1 = inbound, 2 = outbound)"
note "\$ tshark -n -r demo-openvpn.pcapng -Y icmp"
tshark -n -r "$PCAP" -Y icmp 2>/dev/null | sed 's/^/   /'

step "Flow log of OpenVPN A (JSON lines; final counts flushed as it exits on SIGTERM)"
ov_stop a
python3 "$SRC/scripts/show-flows.py" "$TMP/a.flows"
note "one raw message:"
grep physicalTraffic "$TMP/a.flows" | head -1 | cut -c1-300 | sed 's/^/   /'

step "Done: $PCAP (open it with: wireshark $PCAP)"
