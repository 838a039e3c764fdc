#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtapd --write TAP=FILE: a FILE named *.pcap is classic pcap (what
# tcpdump -w writes), any other name pcapng. Both captures of the same pings
# hold the same packets, byte for byte, as tcpdump and tshark read them; the
# pcap file is complete at SIGTERM and its counts are logged.
FTF_TAG=wp
source "$(dirname "$0")/flowtapd_lib.bash"

require_root_netns
need curl python3 ping tcpdump tshark capinfos
make_veth

start_flowtapd --interface "$VB" --write "$VB=$TMP/w.pcap" --write "$VB=$TMP/w.pcapng"
ip netns exec "$NSA" ping -q -c 6 -i 0.05 -W 1 192.0.2.2 >/dev/null 2>&1
sleep 0.3
kill -TERM "$FTD_PID"
wait "$FTD_PID"
rc=$?
FTD_PID=
[ $rc = 0 ] || fail "flowtapd exited with $rc on SIGTERM"

capinfos -t "$TMP/w.pcap" >"$TMP/ci" 2>&1 || fail "w.pcap not well-formed: $(cat "$TMP/ci")"
grep -q "File type: *Wireshark/tcpdump/... - pcap$" "$TMP/ci" ||
	fail "w.pcap is not classic pcap: $(cat "$TMP/ci")"
capinfos -t "$TMP/w.pcapng" >"$TMP/ci" 2>&1 || fail "w.pcapng not well-formed"
grep -q "File type: *Wireshark/... - pcapng" "$TMP/ci" ||
	fail "w.pcapng is not pcapng: $(cat "$TMP/ci")"
n=$(tcpdump -n -r "$TMP/w.pcap" icmp 2>/dev/null | wc -l)
[ "$n" = 12 ] || fail "w.pcap holds $n ICMP packets, expected 12"
# The same packets in both files, in the same order, at the same times.
# Times to the microsecond: classic pcap has no more.
fields() {
	tshark -n -r "$1" -T fields -e frame.time_epoch -e frame.len -e frame.cap_len \
		-e eth.src -e ip.src -e icmp.seq -e data.data 2>/dev/null |
		awk '{ split($1, t, "."); $1 = t[1] "." substr(t[2], 1, 6) } 1'
}
a=$(fields "$TMP/w.pcap")
b=$(fields "$TMP/w.pcapng")
[ -n "$a" ] && [ "$a" = "$b" ] || fail "w.pcap and w.pcapng differ:
$(diff <(echo "$a") <(echo "$b") | head)"
grep -q "$VB: [0-9]* packets written to its file, 0 dropped" "$TMP/flowtapd.log" ||
	fail "no statistics of the --write sessions at exit"
ok "--write: *.pcap is classic pcap, the same packets as the pcapng file"
exit 0
