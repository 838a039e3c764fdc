#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtapd NFLOG source: nft rules in a namespace log pings to group 7 with a
# prefix; flowtapd --nflog 7 hands them to a capture whose pcapng, read by
# tshark, has every packet with its prefix, its in/out interface index, the
# direction and the interface named after the group.
FTF_TAG=n
source "$(dirname "$0")/flowtapd_lib.bash"

require_root_netns
need nft tshark curl python3 ping
make_veth
ip netns exec "$NSB" nft -f - <<'NFT' || skip "nft cannot load rules here (no nf_tables?)"
table inet ftf {
	chain in {
		type filter hook input priority 0;
		icmp type echo-request log group 7 prefix "ftf-in" queue-threshold 1
	}
	chain out {
		type filter hook output priority 0;
		icmp type echo-reply log group 7 prefix "ftf-out" queue-threshold 1
	}
}
NFT
ifindex=$(ip netns exec "$NSB" cat /sys/class/net/"$VB"/ifindex)
start_flowtapd --nflog 7

"$FT" capture --socket "$SOCK" --format pcapng -w "$TMP/nflog.pcapng" 2>"$TMP/cap.err" &
cap=$!
wait_sessions 1
ip netns exec "$NSA" ping -c 3 -i 0.2 -W 1 192.0.2.2 >/dev/null || fail "ping failed"
sleep 0.5
kill -INT "$cap"
wait "$cap"

tshark -n -r "$TMP/nflog.pcapng" -T fields -E separator=' ' -e frame.interface_name \
	-e frame.packet_flags_direction -e nflog.prefix -e nflog.ifindex_indev \
	-e nflog.ifindex_outdev -e icmp.type >"$TMP/fields" 2>"$TMP/tshark.err" ||
	fail "tshark cannot read the capture: $(cat "$TMP/tshark.err")"
cat "$TMP/fields"
in_lines=$(grep -c "^nflog-7 0x00000001 ftf-in $ifindex  8$" "$TMP/fields")
out_lines=$(grep -c "^nflog-7 0x00000002 ftf-out  $ifindex 0$" "$TMP/fields")
[ "$in_lines" = 3 ] || fail "expected 3 echo requests logged in through ifindex $ifindex, got $in_lines"
[ "$out_lines" = 3 ] || fail "expected 3 echo replies logged out through ifindex $ifindex, got $out_lines"
[ "$(wc -l <"$TMP/fields")" = 6 ] || fail "unexpected packets in the capture"
ok "NFLOG: 6 packets with prefixes, interfaces and directions"
[ "$(source_field nflog:7 received)" = 6 ] || fail "source counted $(source_field nflog:7 received) packets"
ok "NFLOG source counters"

# libpcap cannot compile expressions for NFLOG records: a clear 400, relayed.
"$FT" capture --socket "$SOCK" -c 1 icmp >/dev/null 2>"$TMP/cap2.err" && fail "filter accepted"
grep -q "NFLOG link-layer type filtering not implemented" "$TMP/cap2.err" ||
	fail "unclear error for a filter on NFLOG: $(cat "$TMP/cap2.err")"
ok "filter on NFLOG refused clearly: $(cat "$TMP/cap2.err")"

# Sessions select NFLOG records by direction (from the in/out interfaces).
curl -sN --unix-socket "$SOCK" -X POST -o "$TMP/in.pcap" \
	"http://local/localapi/v0/debug-capture?format=pcap&direction=in" &
cap=$!
wait_sessions 1
ip netns exec "$NSA" ping -c 2 -i 0.2 -W 1 192.0.2.2 >/dev/null || fail "ping failed"
sleep 1
kill "$cap"
wait "$cap" 2>/dev/null
n=$(tshark -n -r "$TMP/in.pcap" -Y 'nflog.prefix == "ftf-in"' 2>/dev/null | wc -l)
all=$(tshark -n -r "$TMP/in.pcap" 2>/dev/null | wc -l)
[ "$n" = 2 ] && [ "$all" = 2 ] || fail "direction=in capture: $n of $all packets are the 2 requests"
ok "direction=in selects the logged input packets"

# Flow logs from NFLOG: the logged packets, seen from the local side.
kill "$FTD_PID"
wait "$FTD_PID"
rm -f "$SOCK"
start_flowtapd --nflog 7 --flow-log "$TMP/flows.jsonl" --interval 0.5 --route 192.0.2.0/24
ip netns exec "$NSA" ping -c 3 -i 0.2 -W 1 192.0.2.2 >/dev/null || fail "ping failed"
wait_total "$TMP/flows.jsonl" subnetTraffic 3 3 0 192.0.2.2:0 192.0.2.1:0
ok "flow log from NFLOG: 3 requests in, 3 replies out for 192.0.2.2 <-> 192.0.2.1"
exit 0
