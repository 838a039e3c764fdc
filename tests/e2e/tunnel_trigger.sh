#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tunnel_trigger: flowtap-tunnel --trigger-dir saves its flight recorder when
# it drops a packet for a chosen reason (issue 16). A denies 100.64.0.2:7
# (--deny rule 1, reason acl-denied) and fires on acl-denied only: datagrams
# sent before, the denied one and those sent right after are in one pcapng
# whose comment names the drop; a no-route drop fires nothing; SIGUSR2 saves
# another file; stopping the tunnel completes a file being written. Bad
# usage: --trigger without --trigger-dir (exit 2), an unknown reason (exit 1
# naming it). B records the peer's path only (--recorder-paths).
set -euo pipefail
. "$(dirname "$0")/tunnel_lib.bash"
. "$(dirname "$0")/recorder_lib.bash"
tl_require curl python3 tshark capinfos
tl_setup trg
TDIR=$TMP/trig
mkdir -p "$TDIR"

set +e
"$TUNNEL" --addr 100.64.9.1/24 --trigger 'udp' 2>"$TMP/err1"
rc1=$?
"$TUNNEL" --addr 100.64.9.1/24 --trigger-dir "$TDIR" 2>"$TMP/err2"
rc2=$?
"$TUNNEL" --addr 100.64.9.1/24 --recorder 60 --trigger-dir "$TDIR" --trigger-keep 0 2>"$TMP/err3"
rc3=$?
"$TUNNEL" --addr 100.64.9.1/24 --recorder 60 --recorder-paths from-nowhere 2>"$TMP/err5"
rc5=$?
set -e
[ "$rc1" = 2 ] && grep -q "trigger options need --trigger-dir DIR" "$TMP/err1" ||
	fail "--trigger alone: exit $rc1 $(cat "$TMP/err1")"
[ "$rc2" = 2 ] && grep -q "trigger-dir needs --recorder" "$TMP/err2" ||
	fail "--trigger-dir without --recorder: exit $rc2 $(cat "$TMP/err2")"
[ "$rc3" = 2 ] && grep -q "bad trigger file count '0'" "$TMP/err3" ||
	fail "--trigger-keep 0: exit $rc3 $(cat "$TMP/err3")"
tl_bg "$NSA" "$TUNNEL" --tun fte1 --addr 100.64.7.1/24 --listen 192.0.2.1:4343 \
	--socket "$TMP/x.sock" --recorder 60 --trigger-dir "$TDIR" --trigger-drop nosuch \
	2>"$TMP/err4" && xpid=$!
wait "$xpid" && rc4=0 || rc4=$?
[ "$rc4" = 1 ] && grep -q "no drop reason 'nosuch'" "$TMP/err4" ||
	fail "--trigger-drop nosuch: exit $rc4 $(cat "$TMP/err4")"
[ "$rc5" = 2 ] && grep -q "recorder-paths: unknown path 'from-nowhere'" "$TMP/err5" ||
	fail "--recorder-paths from-nowhere: exit $rc5 $(cat "$TMP/err5")"
ok "bad trigger usage, bad recorder paths: exit 2; unknown drop reason: exit 1 naming it"

tl_tunnel a --keepalive 0 --deny 100.64.0.2:7 --recorder 60,16M --trigger-dir "$TDIR" \
	--trigger-drop acl-denied --trigger-after 2s --trigger-keep 5
tl_tunnel b --keepalive 0 --recorder 60 --recorder-paths from-peer

files() { ls "$TDIR" | grep '^flowtap-fte0-.*\.pcapng$' | sort || true; }
trig() { tl_status "$TMP/a.sock" | python3 -c '
import json, sys
print(json.load(sys.stdin)["taps"][0]["recorder"]["trigger"][sys.argv[1]])' "$1"; }
wait_files() {
	for _ in $(seq 400); do
		[ "$(files | wc -l)" -ge "$1" ] && [ "$(trig saving)" = False ] && return 0
		sleep 0.05
	done
	fail "want $1 files, have: $(files | tr '\n' ' ')"
}
send_to() { # PORT: one datagram from A's stack
	ip netns exec "$NSA" python3 -c 'import socket, sys
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("100.64.0.2", int(sys.argv[1])))' "$1"
}

rec_send "$NSA" 100.64.0.2 1 200
# No route for 100.64.5.5: a drop of another reason fires nothing.
ip netns exec "$NSA" ip route add 100.64.5.0/24 dev fte0 2>/dev/null || true
ip netns exec "$NSA" python3 -c 'import socket
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("100.64.5.5", 9))' || true
sleep 0.5
[ "$(trig fired)" = 0 ] || fail "a drop of another reason fired the trigger"
send_to 7
rec_send "$NSA" 100.64.0.2 201 300
wait_files 1
F=$TDIR/$(files | head -1)
rec_check_all "$F" 300 || fail "the file lacks datagrams of before and after the drop"
[ "$(tshark -n -r "$F" -Y 'udp.dstport == 7' | wc -l)" = 1 ] || fail "the denied datagram is not in $F"
capinfos "$F" | grep -q "flowtap trigger: drop: acl-denied rule 1" ||
	fail "comment: $(capinfos "$F" | grep -A1 -i comment)"
ok "an acl-denied drop saves the 300 datagrams around it; the comment names the reason"

# B records from-peer only: A's datagrams, not its own ICMP errors.
"$FLOWTAP" dump --socket "$TMP/b.sock" --last 60s -w "$TMP/b.pcap" 2>/dev/null ||
	fail "dump on b"
rec_check_all "$TMP/b.pcap" 300 || fail "b's recorder lacks A's datagrams"
[ "$(tshark -n -r "$TMP/b.pcap" -Y icmp | wc -l)" = 0 ] || fail "b recorded from-local packets"
"$FLOWTAP" status --socket "$TMP/b.sock" | grep -q "recorder paths: from-peer" ||
	fail "status of b: $("$FLOWTAP" status --socket "$TMP/b.sock")"
ok "--recorder-paths from-peer: only the peer's packets are recorded; status says so"

# SIGUSR2 saves another file; a stop completes a file being written.
kill -USR2 "$TUN_PID_A"
wait_files 2
"$FLOWTAP" trigger --socket "$TMP/a.sock" before the stop >/dev/null ||
	fail "flowtap trigger failed"
for _ in $(seq 100); do [ "$(trig saving)" = True ] && break; sleep 0.05; done
tl_stop "$TUN_PID_A"
[ "$(files | wc -l)" = 3 ] || fail "stop did not complete the open file: $(files | tr '\n' ' ')"
ls -a "$TDIR" | grep -q '\.part$' && fail "a hidden part file is left"
capinfos "$TDIR/$(files | tail -1)" | grep -q "flowtap trigger: API request by uid 0: before the stop" ||
	fail "the API file's comment"
ok "SIGUSR2 and flowtap trigger save files; stopping the tunnel completes the open one"
tl_stop "$TUN_PID_B"
