#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtapd when a captured interface disappears and comes back: the source
# reports why in status (no busy loop meanwhile), and once an interface of
# that name exists again the running capture session receives its packets.
FTF_TAG=ig
source "$(dirname "$0")/flowtapd_lib.bash"

require_root_netns
need curl python3 ping
make_veth
start_flowtapd --interface "$VB"
"$FT" capture --socket "$SOCK" --format pcap -w "$TMP/c.pcap" icmp 2>"$TMP/cap.err" &
cap=$!
wait_sessions 1
ip -n "$NSB" link del "$VB" || fail "cannot delete the veth"
for _ in $(seq 60); do [ "$(source_field "$VB" open)" = False ] && break; sleep 0.05; done
[ "$(source_field "$VB" open)" = False ] || fail "source still open after its interface went away"
err=$(source_field "$VB" error)
[ -n "$err" ] || fail "no error in status"
ok "interface gone: status says '$err'"
t0=$(awk '{ print $14 + $15 }' /proc/"$FTD_PID"/stat)
sleep 1
t1=$(awk '{ print $14 + $15 }' /proc/"$FTD_PID"/stat)
[ $((t1 - t0)) -lt 10 ] || fail "flowtapd spent $((t1 - t0)) ticks in 1 s without its interface"
ok "no busy loop without the interface ($((t1 - t0)) ticks in 1 s)"

ip link add "$VA" netns "$NSA" type veth peer name "$VB" netns "$NSB" || fail "cannot recreate"
ip -n "$NSA" link set "$VA" up
ip -n "$NSB" link set "$VB" up
ip -n "$NSA" addr add 192.0.2.1/24 dev "$VA"
ip -n "$NSB" addr add 192.0.2.2/24 dev "$VB"
for _ in $(seq 60); do [ "$(source_field "$VB" open)" = True ] && break; sleep 0.05; done
[ "$(source_field "$VB" open)" = True ] || fail "source did not reopen: $(source_field "$VB" error)"
ip netns exec "$NSA" ping -c 3 -i 0.1 -W 1 192.0.2.2 >/dev/null || fail "ping failed"
sleep 0.5
kill -INT "$cap"
wait "$cap"
grep -q "^6 packets captured" "$TMP/cap.err" || fail "after the interface came back: $(cat "$TMP/cap.err")"
ok "interface back: the same session captured 6 packets"
exit 0
