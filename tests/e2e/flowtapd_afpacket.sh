#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtapd AF_PACKET source: traffic replayed with tcpreplay --topspeed through
# a veth pair; flowtapd's capture (flowtap capture -w) holds exactly the
# packets tcpdump captured side by side, with 0 loss; the shared session
# filter is attached in the kernel (packets outside it never reach userspace,
# seen in the source's counters in /localapi/v0/status), and sessions with
# different filters leave only the direction filter in the kernel.
FTF_TAG=p
source "$(dirname "$0")/flowtapd_lib.bash"

require_root_netns
need tcpreplay tcpdump curl python3
GEN=${FT_SHARED:-}/bench/gen_pcap.py
[ -f "$GEN" ] || skip "$GEN absent (the shared bench directory is needed for traffic)"
python3 "$GEN" "$TMP/traffic.pcap" --packets 20000 --link eth >/dev/null ||
	fail "gen_pcap.py failed"
total=20000
udp=$(tcpdump -nr "$TMP/traffic.pcap" udp 2>/dev/null | wc -l)
[ "$udp" -gt 0 ] && [ "$udp" -lt "$total" ] || fail "unexpected UDP count $udp"

make_veth
start_flowtapd --interface "$VB" --buffer-size 64M
[ "$(source_field "$VB" open)" = False ] || fail "socket open while nobody watches"

replay() {
	ip netns exec "$NSA" tcpreplay -i "$VA" --topspeed "$TMP/traffic.pcap" \
		>"$TMP/replay.log" 2>&1 || fail "tcpreplay failed: $(cat "$TMP/replay.log")"
}

# 1. Same packets as tcpdump, at top speed, nothing lost.
ip netns exec "$NSB" tcpdump -n -i "$VB" -B 65536 -w "$TMP/tcpdump.pcap" \
	2>"$TMP/tcpdump.err" &
td=$!
"$FT" capture --socket "$SOCK" --format pcap -w "$TMP/flowtapd.pcap" 2>"$TMP/cap.err" &
cap=$!
wait_sessions 1
for _ in $(seq 100); do grep -q listening "$TMP/tcpdump.err" && break; sleep 0.05; done
[ "$(source_field "$VB" open)" = True ] || fail "socket not open while watched"
replay
sleep 1.5
kill -INT "$cap" "$td"
wait "$cap" "$td"
grep -q '^0 packets dropped by kernel' "$TMP/tcpdump.err" ||
	echo "note: tcpdump dropped: $(grep dropped "$TMP/tcpdump.err")"
pcap_digest "$TMP/tcpdump.pcap" >"$TMP/td.digest"
pcap_digest "$TMP/flowtapd.pcap" >"$TMP/ft.digest"
n_td=$(wc -l <"$TMP/td.digest")
n_ft=$(wc -l <"$TMP/ft.digest")
[ "$n_ft" = "$total" ] || fail "flowtapd captured $n_ft of $total packets ($(cat "$TMP/cap.err"))"
[ "$n_td" = "$total" ] || fail "tcpdump captured $n_td of $total packets"
cmp -s "$TMP/td.digest" "$TMP/ft.digest" || fail "flowtapd and tcpdump captured different packets"
[ "$(source_field "$VB" kernel_drops)" = 0 ] || fail "kernel drops reported"
grep -q ', 0 dropped' "$TMP/cap.err" || fail "capture summary shows drops: $(cat "$TMP/cap.err")"
ok "flowtapd and tcpdump hold the same $total packets, 0 lost ($(grep -o '[0-9.]* pps' "$TMP/replay.log" || echo top speed))"
# The source closes its sockets when the last session leaves.
for _ in $(seq 40); do [ "$(source_field "$VB" open)" = False ] && break; sleep 0.05; done
[ "$(source_field "$VB" open)" = False ] || fail "socket still open after the capture ended"
ok "AF_PACKET sockets open only while watched"

# The established user0 stream carries raw IP only: asked for on an
# Ethernet tap, a clear 400 (without a format, such a tap streams pcap).
code=$(curl -s --max-time 10 -o "$TMP/u0.body" -w '%{http_code}' --unix-socket "$SOCK" -X POST \
	'http://local/localapi/v0/debug-capture?format=user0')
[ "$code" = 400 ] && grep -q "format user0 needs raw IP packets; tap '$VB' has link type EN10MB" \
	"$TMP/u0.body" || fail "user0 on an Ethernet tap: HTTP $code $(cat "$TMP/u0.body")"
ok "user0 on an Ethernet interface: $(cat "$TMP/u0.body")"

# wait_kfilter F: the source applies a new shared filter once it is told
# of a session, a moment after status lists it (longer under ASan).
wait_kfilter() {
	for _ in $(seq 100); do
		[ "$(source_field "$VB" kernel_filter)" = "$1" ] && return 0
		sleep 0.05
	done
}

# 2. One session with a filter: it is attached in the kernel.
before=$(source_field "$VB" received)
"$FT" capture --socket "$SOCK" --format pcap -w "$TMP/udp.pcap" udp 2>"$TMP/cap2.err" &
cap=$!
wait_sessions 1
wait_kfilter udp
kf=$(source_field "$VB" kernel_filter)
[ "$kf" = udp ] || fail "kernel filter is '$kf', expected 'udp'"
"$FT" status --socket "$SOCK" | grep -q "^  $VB *afpacket, open, .*kernel filter 'udp'" ||
	fail "flowtap status does not show the source: $("$FT" status --socket "$SOCK")"
replay
sleep 1.5
after=$(source_field "$VB" received)
kill -INT "$cap"
wait "$cap"
got=$(pcap_digest "$TMP/udp.pcap" | wc -l)
[ "$got" = "$udp" ] || fail "filtered capture has $got packets, $udp UDP packets were sent"
[ $((after - before)) = "$udp" ] ||
	fail "source received $((after - before)) packets with the kernel filter 'udp'; $udp match, $total were sent"
ok "kernel filter 'udp': $((after - before)) of $total packets reached userspace"

# 3. Two sessions with different filters: only the direction stays in the kernel.
"$FT" capture --socket "$SOCK" --format pcap -w /dev/null udp 2>/dev/null &
c1=$!
"$FT" capture --socket "$SOCK" --format pcap -w /dev/null tcp 2>/dev/null &
c2=$!
wait_sessions 2
wait_kfilter ""
kf=$(source_field "$VB" kernel_filter)
[ -z "$kf" ] || fail "kernel filter '$kf' with two different session filters"
kill -INT "$c1" "$c2"
wait "$c1" "$c2"
ok "different session filters: no shared kernel filter"

# 4. Kernel drops (a 64 KiB ring at top speed) reach status and the pcapng ISB.
kill "$FTD_PID"
wait "$FTD_PID"
rm -f "$SOCK"
start_flowtapd --interface "$VB" --buffer-size 64K --write "$VB=$TMP/small.pcapng"
replay
sleep 1
kd=$(source_field "$VB" kernel_drops)
kill "$FTD_PID"
wait "$FTD_PID"
FTD_PID=
sess_drops=$(sed -n "s/.*$VB: [0-9]* packets written to its file, \([0-9]*\) dropped.*/\1/p" "$TMP/flowtapd.log")
read -r ifrecv ifdrop < <(pcapng_isb "$TMP/small.pcapng") || fail "no ISB in the --write file"
if [ "$kd" = 0 ]; then
	echo "note: no kernel drops with a 64 KiB ring on this machine; ISB drop check not possible"
	exit 0
fi
[ "$ifdrop" = $((kd + sess_drops)) ] ||
	fail "ISB ifdrop $ifdrop, expected kernel $kd + session $sess_drops"
grep -q "$VB: [0-9]* packets received, $kd dropped by the kernel" "$TMP/flowtapd.log" ||
	fail "exit statistics do not show the $kd kernel drops"
ok "kernel drops: $kd in status, in the exit log and in the ISB ($ifdrop with $sess_drops buffer drops)"
exit 0
