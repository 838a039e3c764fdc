#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtapd recorder triggers (issue 16): a TCP RST in a namespace (a connect
# to a closed port) saves a pcapng holding the datagrams of the window before
# it and of --trigger-after after it, its comment naming the trigger; a
# second RST inside the window extends that file; SIGUSR2 and the API
# (flowtap trigger) fire it too; --trigger-keep bounds the directory (oldest
# removed, counted, logged); bad trigger options exit 2 naming them.
FTF_TAG=tg
source "$(dirname "$0")/flowtapd_lib.bash"
source "$(dirname "$0")/recorder_lib.bash"

require_root_netns
need curl python3 tshark capinfos
TDIR=$TMP/triggers
mkdir -p "$TDIR"

bad() { # bad EXPECTED-MESSAGE ARGS...: exit 2 with the message
	local want=$1
	shift
	"$FTD" --socket "$TMP/x.sock" --interface lo "$@" >/dev/null 2>"$TMP/bad"
	local rc=$?
	[ "$rc" = 2 ] && grep -qF -- "$want" "$TMP/bad" ||
		fail "$*: exit $rc, want 2 and '$want': $(cat "$TMP/bad")"
}
bad "--trigger needs --trigger-dir DIR" --recorder 60 --trigger tcp
bad "--trigger-dir needs --recorder" --trigger-dir "$TDIR"
bad "bad trigger 'tcp and and'" --recorder 60 --trigger-dir "$TDIR" --trigger 'tcp and and'
bad "bad trigger-keep '0'" --recorder 60 --trigger-dir "$TDIR" --trigger-keep 0
bad "bad trigger-after '2h'" --recorder 60 --trigger-dir "$TDIR" --trigger-after 2h
ok "bad trigger options: exit 2 naming them"

# files: the completed files, oldest first.
files() { ls "$TDIR" | grep '^flowtap-.*\.pcapng$' | sort; }
# wait_files N: until N files are complete and none is being written.
wait_files() {
	for _ in $(seq 400); do
		[ "$(files | wc -l)" -ge "$1" ] && [ "$(trig_field saving)" = False ] && return 0
		sleep 0.05
	done
	fail "want $1 trigger files, have: $(files | tr '\n' ' ')"
}
trig_field() {
	status | python3 -c '
import json, sys
t = [t for t in json.load(sys.stdin)["taps"] if t["name"] == sys.argv[1]][0]
print(t["recorder"]["trigger"][sys.argv[2]])' "$VB" "$1"
}
rst() { # a connect to a closed port of B: B answers with a RST
	ip netns exec "$NSA" bash -c 'exec 3<>/dev/tcp/192.0.2.2/7' 2>/dev/null
}
rsts() { tshark -n -r "$1" -Y 'tcp.flags.reset == 1' | wc -l; }
comment() { capinfos "$1" | grep -A1 '^Capture comment' | tr '\n' ' '; }

make_veth
start_flowtapd --interface "$VB" --recorder 60,8M --trigger-dir "$TDIR" \
	--trigger 'tcp[tcpflags] & tcp-rst != 0' --trigger-after 4s --trigger-keep 3
[ "$(trig_field fired)" = 0 ] || fail "status: trigger not shown"

# 1. Datagrams, the RST, more datagrams within the 4 s after it.
rec_send "$NSA" 192.0.2.2 1 200
rst
rec_send "$NSA" 192.0.2.2 201 300
wait_files 1
F1=$TDIR/$(files | head -1)
rec_check_all "$F1" 300 || fail "trigger file: not every datagram of before and after once"
[ "$(rsts "$F1")" -ge 1 ] || fail "the RST is not in $F1"
comment "$F1" | grep -qF "flowtap trigger: a packet matched 'tcp[tcpflags] & tcp-rst != 0'" ||
	fail "comment of $F1: $(comment "$F1")"
comment "$F1" | grep -qF "flowtap flight recorder, tap $VB" || fail "window comment: $(comment "$F1")"
ok "a RST saves the 300 datagrams before and after it; the comment names the trigger"

# 2. A second RST 1.5 s after the first extends the file: with datagrams
# flowing all along, the file holds them until 4 s after the second RST,
# well past the first one's window (4 s after it).
rec_send "$NSA" 192.0.2.2 301 3300 &
sender=$!
sleep 0.3
rst
sleep 1.5
rst
wait "$sender"
wait_files 2
[ "$(files | wc -l)" = 2 ] || fail "two RSTs in one window made $(files | wc -l) files"
F2=$TDIR/$(files | tail -1)
[ "$(rsts "$F2")" -ge 2 ] || fail "the second RST is not in $F2"
span=$(tshark -n -r "$F2" -Y '(tcp.flags.reset == 1) or (udp.dstport == 9999 and not icmp)' \
	-T fields -e frame.time_epoch -e tcp.flags.reset | python3 -c '
import sys
rsts, last = [], 0.0
for l in sys.stdin:
    f = l.split()
    t = float(f[0])
    if len(f) > 1 and f[1] in ("1", "True"):
        rsts.append(t)
    last = max(last, t)
# The history holds the RST of step 1 too: the first of this step is the
# second to last.
print("%.2f" % (last - rsts[-2]))')
python3 -c "import sys; sys.exit(0 if float('$span') > 4.8 else 1)" ||
	fail "the file ends $span s after the first RST: not extended past its 4 s window"
ok "a second RST inside the window extends the same file ($span s past the first RST)"

# 3. SIGUSR2 and the API fire it; the directory keeps 3 files.
kill -USR2 "$FTD_PID"
wait_files 3
"$FT" trigger --socket "$SOCK" lost handshake >"$TMP/trig.out" 2>&1 || fail "flowtap trigger: $(cat "$TMP/trig.out")"
grep -q "recorder trigger fired; files go to $TDIR" "$TMP/trig.out" || fail "flowtap trigger: $(cat "$TMP/trig.out")"
for _ in $(seq 400); do [ "$(trig_field files)" = 4 ] && [ "$(trig_field saving)" = False ] && break; sleep 0.05; done
[ "$(trig_field files)" = 4 ] || fail "4 files expected, status: $(trig_field files)"
[ "$(files | wc -l)" = 3 ] || fail "--trigger-keep 3: $(files | wc -l) files"
[ "$(trig_field removed)" = 1 ] || fail "removed: $(trig_field removed)"
[ ! -e "$F1" ] || fail "the oldest file was kept"
grep -q "removed $(basename "$F1")" "$TMP/flowtapd.log" || fail "removal not logged"
LAST=$TDIR/$(files | tail -1)
comment "$LAST" | grep -qF "flowtap trigger: API request by uid 0: lost handshake" ||
	fail "API comment: $(comment "$LAST")"
comment "$TDIR/$(files | sed -n 2p)" | grep -qF "flowtap trigger: SIGUSR2" || fail "SIGUSR2 comment"
"$FT" status --socket "$SOCK" | grep -q "trigger: saves 60.0 s before and 4.0 s after to $TDIR" ||
	fail "flowtap status: $("$FT" status --socket "$SOCK" | grep trigger)"
ok "SIGUSR2 and flowtap trigger save files; --trigger-keep 3 removed the oldest, logged"

# 4. API errors.
code() { curl -s -o "$TMP/body" -w '%{http_code}' --unix-socket "$SOCK" "$@"; }
[ "$(code -X POST 'http://l/localapi/v0/recorder-trigger?tap=nope')" = 404 ] || fail "unknown tap: not 404"
[ "$(code 'http://l/localapi/v0/recorder-trigger')" = 405 ] || fail "GET: not 405"
[ "$(code -X POST 'http://l/localapi/v0/recorder-trigger?when=now')" = 400 ] &&
	grep -q "unknown parameter 'when'" "$TMP/body" || fail "bad parameter: $(cat "$TMP/body")"
ok "recorder-trigger: 404 unknown tap, 405 GET, 400 unknown parameter"
