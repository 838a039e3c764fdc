#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtapd --syslog: messages go to syslog (facility daemon, ident flowtapd)
# and not to stderr. A private /dev/log - a datagram socket on a tmpfs /dev in
# a mount namespace of the test's own - receives them.
FTF_TAG=l
source "$(dirname "$0")/flowtapd_lib.bash"

require_root_netns
need unshare python3
ip netns add "$NSB" && ip -n "$NSB" link set lo up || fail "cannot create namespace"

export FTD SOCK NSB TMP
unshare -m bash -c '
	mount -t tmpfs ftf-dev /dev && mknod -m 666 /dev/null c 1 3 || exit 3
	python3 - "$TMP/syslog.txt" <<"PY" &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
s.settimeout(5)
with open(sys.argv[1], "w") as out:
    try:
        while True:
            out.write(s.recv(4096).decode(errors="replace") + "\n")
            out.flush()
    except socket.timeout:
        pass
PY
	listener=$!
	for _ in $(seq 100); do [ -S /dev/log ] && break; sleep 0.05; done
	ip netns exec "$NSB" "$FTD" --socket "$SOCK" --interface lo --syslog >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	for _ in $(seq 100); do grep -q "listening on" "$TMP/syslog.txt" && break; sleep 0.05; done
	kill -TERM $pid
	wait $pid
	echo $? >"$TMP/rc"
	sleep 0.2
	kill $listener 2>/dev/null
	exit 0
' || fail "cannot set up a private /dev/log"
cat "$TMP/syslog.txt"
rc=$(cat "$TMP/rc" 2>/dev/null)
[ "$rc" = 0 ] || fail "flowtapd exited with ${rc:-?}: $(cat "$TMP/err")"
[ ! -s "$TMP/err" ] || fail "messages on stderr with --syslog: $(cat "$TMP/err")"
# <30> = facility daemon (3) * 8 + info (6)
grep -q "^<30>.*flowtapd\[[0-9]*\]: listening on $SOCK with 1 sources" "$TMP/syslog.txt" ||
	fail "no start message in syslog"
grep -q "^<30>.*flowtapd\[[0-9]*\]: Terminated: stopping" "$TMP/syslog.txt" ||
	fail "no stop message in syslog"
ok "--syslog: daemon.info messages, nothing on stderr"
exit 0
