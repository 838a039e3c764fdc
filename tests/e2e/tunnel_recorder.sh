#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tunnel_recorder: flowtap-tunnel --recorder keeps the last minute (issue 16).
# A's stack sends sequence-numbered UDP datagrams through the tunnel, some
# before any capture. `flowtap capture --since 60s` started in the middle of
# the stream gets every datagram exactly once and in order, the recorded
# ones first, then live (tshark reads the pcapng back); the file's section
# comment names the tap and both windows. `flowtap dump --last` writes the
# history only, in pcapng and text; a window beyond what is recorded gets
# what there is and says so; status shows the recorder. Bad input: HTTP 400
# with the reason, 409 from a tunnel without a recorder, CLI exit 2. A
# support bundle holds the recorded datagrams before its live capture.
set -euo pipefail
. "$(dirname "$0")/tunnel_lib.bash"
. "$(dirname "$0")/recorder_lib.bash"
tl_require curl python3 tshark capinfos
tl_setup rec

tl_tunnel a --keepalive 0 --recorder 60,16M --recorder-snaplen 128
tl_tunnel b --keepalive 0
API=http://local/localapi/v0/debug-capture

# Bad input.
post() { # SOCK QUERY: the HTTP code, the body in $TMP/body
	curl -s -o "$TMP/body" -w '%{http_code}' --unix-socket "$1" -X POST "$API?$2"
}
code=$(post "$TMP/a.sock" 'since=abc')
[ "$code" = 400 ] && grep -q "bad value for parameter 'since'" "$TMP/body" ||
	fail "since=abc: HTTP $code $(cat "$TMP/body")"
code=$(post "$TMP/a.sock" 'since=0')
[ "$code" = 400 ] && grep -q "since must be more than 0" "$TMP/body" ||
	fail "since=0: HTTP $code $(cat "$TMP/body")"
code=$(post "$TMP/a.sock" 'history_only=1')
[ "$code" = 400 ] && grep -q "history_only needs since" "$TMP/body" ||
	fail "history_only alone: HTTP $code $(cat "$TMP/body")"
code=$(post "$TMP/b.sock" 'since=10s')
[ "$code" = 409 ] && grep -q "no flight recorder running" "$TMP/body" ||
	fail "recorder off: HTTP $code $(cat "$TMP/body")"
set +e
"$FLOWTAP" capture --socket "$TMP/a.sock" --since 5x -w /dev/null 2>"$TMP/err"
rc1=$?
"$FLOWTAP" dump --socket "$TMP/a.sock" -w /dev/null 2>"$TMP/err2"
rc2=$?
"$FLOWTAP" dump --socket "$TMP/b.sock" --last 10s -w /dev/null 2>"$TMP/err3"
rc3=$?
"$TUNNEL" --addr 100.64.9.1/24 --recorder 60,1K 2>"$TMP/err4"
rc4=$?
set -e
[ "$rc1" = 2 ] && grep -q "since: invalid '5x'" "$TMP/err" || fail "--since 5x: exit $rc1 $(cat "$TMP/err")"
[ "$rc2" = 2 ] && grep -q "last D is required" "$TMP/err2" || fail "dump without --last: exit $rc2"
[ "$rc3" != 0 ] && grep -q "no flight recorder running" "$TMP/err3" ||
	fail "dump without a recorder: exit $rc3 $(cat "$TMP/err3")"
[ "$rc4" = 2 ] && grep -q "recorder size '1K' out of range" "$TMP/err4" ||
	fail "--recorder 60,1K: exit $rc4 $(cat "$TMP/err4")"
ok "bad since, history_only alone: 400; recorder off: 409; CLI: exit 2"

rec_send "$NSA" 100.64.0.2 1 300
# The rest goes on while the capture joins.
rec_send "$NSA" 100.64.0.2 301 1500 &
SENDER=$!
sleep 0.5
"$FLOWTAP" capture --socket "$TMP/a.sock" --since 60s --format pcapng -w "$TMP/cap.pcapng" \
	'udp port 9999' 2>"$TMP/cap.err" &
CAP=$!
wait "$SENDER"
sleep 1
kill -INT "$CAP"
wait "$CAP" || fail "capture --since failed: $(cat "$TMP/cap.err")"
rec_check_all "$TMP/cap.pcapng" 1500 ||
	fail "history then live: not every datagram once, in order"
capinfos "$TMP/cap.pcapng" >"$TMP/capinfos"
grep -q "flowtap flight recorder, tap fte0: window asked 60.000 s, window held" \
	"$TMP/capinfos" || fail "section comment: $(grep -i comment "$TMP/capinfos")"
ok "capture --since 60s: 1500 datagrams once each, in order, around the seam; comment names both windows"

# History only, pcapng and text: everything sent, then the command ends.
"$FLOWTAP" dump --socket "$TMP/a.sock" --last 60s --format pcapng -w "$TMP/dump.pcapng" \
	'udp port 9999' 2>"$TMP/dump.err" || fail "dump: $(cat "$TMP/dump.err")"
rec_check_all "$TMP/dump.pcapng" 1500 || fail "dump --last 60s: not every datagram"
n=$("$FLOWTAP" dump --socket "$TMP/a.sock" --last 60s 'udp port 9999' | grep -c '9999: UDP')
[ "$n" = 1500 ] || fail "dump as text: $n lines"
# Cut to the recorder's snap length (128), the wire length kept.
ip netns exec "$NSA" python3 -c '
import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x" * 1000, ("100.64.0.2", 9998))'
"$FLOWTAP" dump --socket "$TMP/a.sock" --last 60s -w "$TMP/big.pcap" 'udp port 9998' 2>/dev/null
lens=$(tshark -n -r "$TMP/big.pcap" -T fields -e frame.cap_len -e frame.len)
[ "$lens" = "128	1028" ] || fail "a 1028-byte packet recorded as: $lens"
ok "dump --last 60s: pcapng and text, 1500 datagrams, then the command ends"

# Beyond what is recorded: what there is, and says so.
"$FLOWTAP" dump --socket "$TMP/a.sock" --last 1h --format pcapng -w "$TMP/long.pcapng" \
	2>"$TMP/long.err" || fail "dump --last 1h: $(cat "$TMP/long.err")"
grep -q "the recorder holds .* of the 3600.000 s asked for" "$TMP/long.err" ||
	fail "no note on stderr: $(cat "$TMP/long.err")"
capinfos "$TMP/long.pcapng" | grep -q "window asked 3600.000 s.*shorter than asked" ||
	fail "comment of --last 1h: $(capinfos "$TMP/long.pcapng" | grep -i comment)"
curl -s -D "$TMP/head" -o /dev/null --unix-socket "$TMP/a.sock" -X POST \
	"$API?since=2h&history_only=1&format=pcap"
grep -qi "^Flowtap-History-Partial: yes" "$TMP/head" || fail "headers: $(cat "$TMP/head")"
ok "since beyond the window: what is held, a note, a comment and a header"

# Status: on, what it holds, its counters.
"$FLOWTAP" status --socket "$TMP/a.sock" >"$TMP/status"
grep -q "recorder: on, holds" "$TMP/status" || fail "flowtap status: $(cat "$TMP/status")"
"$FLOWTAP" status --socket "$TMP/b.sock" | grep -q "recorder: off" || fail "status of b"
tl_status "$TMP/a.sock" | python3 -c '
import json, sys
r = json.load(sys.stdin)["taps"][0]["recorder"]
assert r["on"] and r["recorded"] >= 1500 and r["bytes"] > 0 and r["window_s"] > 0, r
assert r["max_bytes"] <= 16 << 20 and r["snaplen"] == 128 and r["overwritten"] == 0, r
' || fail "GET status: $(tl_status "$TMP/a.sock")"
ok "status: recorder on/off, window, bytes, recorded, overwritten"

# A support bundle takes the recorder's window, then a short live capture
# (ICMP port unreachables quoting the datagrams left out);
# without a recorder it is the live capture alone.
"$FLOWTAP" bundle -o "$TMP/b.tar.gz" --socket "$TMP/a.sock" --duration 1 --no-anonymize \
	2>"$TMP/bundle.err" || fail "bundle: $(cat "$TMP/bundle.err")"
mkdir "$TMP/bx" && tar xzf "$TMP/b.tar.gz" -C "$TMP/bx" || fail "tar xzf"
python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
cap = [f for f in m["files"] if f["name"] == "capture.pcapng"]
assert m["recorderSeconds"] == 60 and m["captureExit"] == 0, m
assert len(cap) == 1 and "flight recorder" in cap[0]["what"], m
' "$TMP/bx/manifest.json" || fail "bundle manifest: $(cat "$TMP/bx/manifest.json")"
tshark -n -r "$TMP/bx/capture.pcapng" -Y 'udp.dstport == 9999 && !icmp' -w "$TMP/bx/seq.pcapng" ||
	fail "tshark cannot read the bundle's capture"
rec_check_all "$TMP/bx/seq.pcapng" 1500 || fail "the bundle lacks the recorded datagrams"
capinfos "$TMP/bx/capture.pcapng" | grep -q "flowtap flight recorder, tap fte0" ||
	fail "the bundle's capture has no recorder comment"
"$FLOWTAP" bundle -o "$TMP/nb.tar.gz" --socket "$TMP/b.sock" --duration 1 --no-anonymize \
	2>"$TMP/bundle.err" || fail "bundle without a recorder: $(cat "$TMP/bundle.err")"
tar xzf "$TMP/nb.tar.gz" -O manifest.json | python3 -c '
import json, sys
m = json.load(sys.stdin)
assert m["recorderSeconds"] == 0 and m["captureExit"] == 0, m' ||
	fail "bundle without a recorder: $(tar xzf "$TMP/nb.tar.gz" -O manifest.json)"
ok "bundle: the recorder's 1500 datagrams, then live; without a recorder, live only"

tl_stop "$TUN_PID_A"
tl_stop "$TUN_PID_B"
