#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtapd --user: after the API socket is open flowtapd runs as the user with
# only CAP_NET_RAW and CAP_NET_ADMIN, in every thread, and can still open its
# AF_PACKET and NFLOG sockets when a capture starts; a missing user is a
# clear error.
FTF_TAG=u
source "$(dirname "$0")/flowtapd_lib.bash"

require_root_netns
need curl python3 ping
id nobody >/dev/null 2>&1 || skip "no user 'nobody'"
make_veth
chmod 755 "$TMP"

ip netns exec "$NSB" "$FTD" --socket "$SOCK" --interface "$VB" --user no-such-user-ftf \
	2>"$TMP/err" && fail "started with an unknown user"
grep -q "unknown user 'no-such-user-ftf'" "$TMP/err" || fail "message: $(cat "$TMP/err")"
ok "unknown user: $(cat "$TMP/err")"

start_flowtapd --interface "$VB" --nflog 3 --user nobody
uid=$(id -u nobody)
# CAP_NET_ADMIN is bit 12, CAP_NET_RAW bit 13.
for st in /proc/"$FTD_PID"/task/*/status; do
	grep -q "^Uid:	$uid	$uid	$uid	$uid$" "$st" || fail "a thread is not uid $uid: $(grep Uid "$st")"
	grep -q "^CapEff:	0000000000003000$" "$st" || fail "thread capabilities: $(grep Cap "$st")"
	grep -q "^CapPrm:	0000000000003000$" "$st" || fail "thread capabilities: $(grep Cap "$st")"
done
ok "all $(ls /proc/"$FTD_PID"/task | wc -l) threads run as uid $uid with CAP_NET_RAW and CAP_NET_ADMIN only"

"$FT" capture --socket "$SOCK" --tap "$VB" --format pcap -w "$TMP/c.pcap" icmp 2>"$TMP/cap.err" &
cap=$!
wait_sessions 1
ip netns exec "$NSA" ping -c 3 -i 0.1 -W 1 192.0.2.2 >/dev/null || fail "ping failed"
sleep 0.5
kill -INT "$cap"
wait "$cap"
grep -q "^6 packets captured, 0 dropped" "$TMP/cap.err" ||
	fail "capture after the privilege drop: $(cat "$TMP/cap.err"); status: $(status)"
[ "$(source_field "$VB" error)" = "" ] || fail "source error: $(source_field "$VB" error)"
ok "AF_PACKET socket reopened after the drop: 6 packets"
exit 0
