#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# api_async.sh - the API's loop never waits: while a session attaches slowly
# (ft-testdp --attach-delay, as a capture source opening its kernel rings
# does), while one is torn down (its detach is as slow) and while the
# datapath removes its tap, a status request is still answered within
# 100 ms. The slow capture itself still gets its packets and a clean end.
set -u
. "$(dirname "$0")/api_lib.bash"
api_require capinfos
api_setup async

SOCK=$TMP/flowtap.sock
URL=http://local/localapi/v0
DELAY=3000
LIMIT=0.100
[ -n "${FT_SANITIZE:-}" ] && LIMIT=0.400 # sanitizers slow every request
dp_start "$SOCK" --rate 1000 --attach-delay $DELAY

# status_fast WHAT: three status requests, each answered within $LIMIT s.
status_fast() {
	local t
	for _ in 1 2 3; do
		t=$(curl -s -o /dev/null -w '%{time_total}' -m 5 --unix-socket "$SOCK" "$URL/status")
		awk -v t="$t" -v l=$LIMIT 'BEGIN {exit !(t < l)}' ||
			fail "$1: status took ${t} s (limit $LIMIT s)"
		sleep 0.1
	done
	ok "$1: status answered in under $LIMIT s (last ${t} s)"
}

# A capture whose attach takes 1.5 s.
t0=$(date +%s%N)
curl -s -m 20 --unix-socket "$SOCK" -X POST "$URL/debug-capture?format=pcap&count=20" \
	-D "$TMP/h1" -o "$TMP/a.pcap" &
CAP=$!
EXTRA_PIDS+=("$CAP")
sleep 0.3
# Still attaching while status is measured (the delay leaves a wide margin).
[ "$(status "$SOCK" '.sessions[0].state')" = starting ] ||
	fail "session not shown as starting: $(status "$SOCK" '.sessions')"
status_fast "during a ${DELAY} ms attach"
[ "$(status "$SOCK" '.sessions[0].state')" = starting ] ||
	fail "the attach ended before status was measured: $(status "$SOCK" '.sessions')"
wait "$CAP" || fail "capture after a slow attach: curl exit $?"
ms=$((($(date +%s%N) - t0) / 1000000))
[ $ms -ge $DELAY ] || fail "the capture did not wait for the attach ($ms ms)"
n=$(npackets "$TMP/a.pcap")
[ "$n" = 20 ] || fail "slow-attach capture: $n packets, want 20"
grep -qi '^Flowtap-Written: 20' "$TMP/h1" || fail "no trailer with the count: $(cat "$TMP/h1")"
ok "the slow capture got its 20 packets and a last chunk with Flowtap-Written: 20 (${ms} ms)"

# A client that leaves: the session's detach takes 1.5 s, off the loop.
curl -s -m 30 --unix-socket "$SOCK" -X POST "$URL/debug-capture" -o /dev/null &
CAP=$!
EXTRA_PIDS+=("$CAP")
wait_status "$SOCK" '.sessions[0].state' running 5 || fail "second capture did not start"
kill "$CAP"
wait "$CAP" 2>/dev/null
sleep 0.2
[ "$(status "$SOCK" '.sessions[0].state')" = ending ] ||
	fail "the left client's session is not being ended: $(status "$SOCK" '.sessions')"
status_fast "during a ${DELAY} ms teardown"
wait_status "$SOCK" '.sessions | length' 0 5 || fail "the client that left was not freed"

# The datapath removes its tap (SIGUSR1) while a session streams.
curl -s -m 30 --unix-socket "$SOCK" -X POST "$URL/debug-capture?format=pcapng" \
	-o "$TMP/r.pcapng" &
CAP=$!
EXTRA_PIDS+=("$CAP")
wait_status "$SOCK" '.sessions[0].state' running 5 || fail "third capture did not start"
kill -USR1 "$DP"
sleep 0.2
[ "$(status "$SOCK" '.sessions[0].state')" = ending ] ||
	fail "the removed tap's session is not being ended: $(status "$SOCK" '.sessions')"
status_fast "during ft_api_remove_tap with a ${DELAY} ms detach"
wait "$CAP" || fail "stream of a removed tap did not end cleanly: curl exit $?"
ok "the stream of the removed tap ended cleanly"
exit 0
