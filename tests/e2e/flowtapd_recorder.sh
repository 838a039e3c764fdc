#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtapd --recorder on an AF_PACKET source (issue 16): the source stays
# open with nobody watching (the recorder is), no kernel filter drops what
# the recorder keeps, and `flowtap capture --since 60s udp` started in the
# middle of a stream of sequence-numbered datagrams gets each exactly once,
# in order (tshark reads the pcapng back); `flowtap dump --last 60s` writes
# them all in pcapng with a section comment naming tap and windows. Bad
# values of --recorder and --recorder-snaplen: exit 2 naming them.
FTF_TAG=rc
source "$(dirname "$0")/flowtapd_lib.bash"
source "$(dirname "$0")/recorder_lib.bash"

require_root_netns
need curl python3 tshark capinfos
"$FTD" --socket "$TMP/x.sock" --interface lo --recorder 60,10 >/dev/null 2>"$TMP/bad1"
rc1=$?
"$FTD" --socket "$TMP/x.sock" --interface lo --recorder 60 --recorder-snaplen 0 >/dev/null \
	2>"$TMP/bad2"
rc2=$?
[ "$rc1" = 2 ] && grep -q "recorder size '10' out of range" "$TMP/bad1" ||
	fail "--recorder 60,10: exit $rc1 $(cat "$TMP/bad1")"
[ "$rc2" = 2 ] && grep -q "bad recorder-snaplen '0'" "$TMP/bad2" ||
	fail "--recorder-snaplen 0: exit $rc2 $(cat "$TMP/bad2")"
ok "bad --recorder, --recorder-snaplen: exit 2 naming the value"

make_veth
start_flowtapd --interface "$VB" --recorder 60,8M
for _ in $(seq 100); do [ "$(source_field "$VB" open)" = True ] && break; sleep 0.05; done
[ "$(source_field "$VB" open)" = True ] || fail "the recorder's source is not open"

rec_send "$NSA" 192.0.2.2 1 300
rec_send "$NSA" 192.0.2.2 301 1500 &
sender=$!
sleep 0.5
"$FT" capture --socket "$SOCK" --since 60s --format pcapng -w "$TMP/cap.pcapng" udp \
	2>"$TMP/cap.err" &
cap=$!
wait_sessions 1
[ "$(source_field "$VB" kernel_filter)" = "" ] ||
	fail "kernel filter '$(source_field "$VB" kernel_filter)' while recording"
wait "$sender"
sleep 1
kill -INT "$cap"
wait "$cap" || fail "capture --since: $(cat "$TMP/cap.err")"
rec_check_all "$TMP/cap.pcapng" 1500 || fail "capture --since 60s: not every datagram once, in order"
ok "capture --since 60s over AF_PACKET: 1500 datagrams once each, in order, around the seam"

"$FT" dump --socket "$SOCK" --last 60s --format pcapng -w "$TMP/dump.pcapng" udp \
	2>"$TMP/dump.err" || fail "dump: $(cat "$TMP/dump.err")"
rec_check_all "$TMP/dump.pcapng" 1500 || fail "dump --last 60s: not every datagram"
capinfos "$TMP/dump.pcapng" | grep -q "flowtap flight recorder, tap $VB: window asked 60.000 s" ||
	fail "section comment: $(capinfos "$TMP/dump.pcapng" | grep -i comment)"
"$FT" status --socket "$SOCK" | grep -q "recorder: on, holds" || fail "status: $("$FT" status --socket "$SOCK")"
ok "dump --last 60s: all 1500 in pcapng, the comment names tap $VB; status shows the recorder"
