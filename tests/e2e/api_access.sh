#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# api_access.sh - who may do what, and every error answer: a non-root uid
# (setpriv) gets 403 on capture and flows but reads status; members of the
# capture group may capture; 405, 400 (filter text, bad parameters), 404,
# 503 over the session limit; the CLI's messages for each, and for a socket
# nobody listens on.
set -u
. "$(dirname "$0")/api_lib.bash"
api_require setpriv
[ "$(id -u)" = 0 ] || skip "needs root to run clients as another uid"
id nobody >/dev/null 2>&1 || skip "no user 'nobody'"
getent group nogroup >/dev/null || skip "no group 'nogroup'"
api_setup access
chmod 1777 "$TMP" # clients run as nobody write their answers here

SOCK=$TMP/s.sock
URL=http://local/localapi/v0
# 0666 so that any uid can connect; capture is decided by credentials.
dp_start "$SOCK" --rate 200 --mode 0666 --max-sessions 3 --flows 200

as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
code() { curl -s -o "$TMP/body" -w '%{http_code}' --unix-socket "$SOCK" "$@"; }

c=$(as_nobody curl -s -o "$TMP/body" -w '%{http_code}' --unix-socket "$SOCK" -X POST "$URL/debug-capture")
[ "$c" = 403 ] && grep -qx 'debug access denied' "$TMP/body" || fail "nobody capture: $c $(cat "$TMP/body")"
c=$(as_nobody curl -s -o "$TMP/body" -w '%{http_code}' --unix-socket "$SOCK" "$URL/flows")
[ "$c" = 403 ] && grep -qx 'debug access denied' "$TMP/body" || fail "nobody flows: $c $(cat "$TMP/body")"
c=$(as_nobody curl -s -o "$TMP/body" -w '%{http_code}' --unix-socket "$SOCK" "$URL/status")
[ "$c" = 200 ] && jq -e '.taps[0].name == "testdp"' "$TMP/body" >/dev/null || fail "nobody status: $c"
ok "uid nobody: 403 'debug access denied' on capture and flows, 200 on status"

as_nobody "$FLOWTAP" capture --socket "$SOCK" -c 1 -w "$TMP/denied.pcap" 2>"$TMP/err" &&
	fail "CLI capture as nobody succeeded"
grep -q 'debug access denied' "$TMP/err" || fail "CLI 403 message: $(cat "$TMP/err")"
[ -e "$TMP/denied.pcap" ] && fail "a refused capture left an empty file"
as_nobody "$FLOWTAP" status --socket "$SOCK" >"$TMP/out" || fail "CLI status as nobody failed"
grep -q '^  testdp' "$TMP/out" || fail "CLI status: $(cat "$TMP/out")"
ok "CLI as nobody: $(head -1 "$TMP/err"); status works"
[ "$(status "$SOCK" .counters.denied)" = 3 ] || fail "denied counter $(status "$SOCK" .counters.denied)"

# A member of the capture group (here as a supplementary group) may capture.
dp_stop
dp_start "$SOCK" --rate 200 --mode 0666 --group nogroup
[ "$(stat -c %G "$SOCK")" = nogroup ] || fail "socket group $(stat -c %G "$SOCK"), want nogroup"
c=$(setpriv --reuid=nobody --regid=daemon --groups=nogroup curl -s -o "$TMP/g.pcap" -w '%{http_code}' \
	--unix-socket "$SOCK" -X POST "$URL/debug-capture?count=3")
[ "$c" = 200 ] && [ "$(npackets "$TMP/g.pcap")" = 3 ] || fail "group member capture: $c"
c=$(as_nobody curl -s -o "$TMP/g.pcap" -w '%{http_code}' --unix-socket "$SOCK" -X POST "$URL/debug-capture?count=3")
[ "$c" = 200 ] || fail "primary-group member capture: $c"
ok "members of the capture group (primary or supplementary) may capture; socket owned by the group"
dp_stop
dp_start "$SOCK" --rate 200 --max-sessions 3 --flows 200

for m in GET PUT DELETE; do
	c=$(code -X $m "$URL/debug-capture")
	[ "$c" = 405 ] && grep -qx 'POST required' "$TMP/body" || fail "$m capture: $c $(cat "$TMP/body")"
done
c=$(code -X POST "$URL/status")
[ "$c" = 405 ] || fail "POST status: $c"
ok "405 'POST required' for GET/PUT/DELETE on debug-capture; 405 for POST on status"

c=$(code -X POST "$URL/debug-capture?filter=tcp+port+http2x")
[ "$c" = 400 ] && grep -q 'http2x' "$TMP/body" || fail "bad filter: $c $(cat "$TMP/body")"
ok "400 with libpcap's text: $(cat "$TMP/body")"
for q in format=gif snaplen=262145 snaplen=abc count=-1 duration=5x direction=up path=nowhere verbose=maybe bogus=1; do
	c=$(code -X POST "$URL/debug-capture?$q")
	[ "$c" = 400 ] || fail "$q: $c $(cat "$TMP/body")"
	[ -s "$TMP/body" ] || fail "$q: 400 without a reason"
done
c=$(code -X POST "$URL/debug-capture?tap=nosuch")
[ "$c" = 404 ] || fail "tap=nosuch: $c"
c=$(code "$URL/nothing")
[ "$c" = 404 ] || fail "unknown endpoint: $c"
ok "400 for bad format/snaplen/count/duration/direction/path/bool/unknown parameter; 404 unknown tap"

"$FLOWTAP" capture --socket "$SOCK" 'tcp port http2x' >/dev/null 2>"$TMP/err" && fail "CLI bad filter succeeded"
grep -q 'http2x' "$TMP/err" || fail "CLI 400: $(cat "$TMP/err")"
ok "CLI bad filter: $(cat "$TMP/err")"

# The session limit (3 here) counts capture and flow streams.
EXTRA_PIDS=()
for _ in 1 2; do
	curl -s --unix-socket "$SOCK" -X POST "$URL/debug-capture" -o /dev/null &
	EXTRA_PIDS+=($!)
done
curl -sN --unix-socket "$SOCK" "$URL/flows" -o "$TMP/flows.ndjson" &
EXTRA_PIDS+=($!)
wait_status "$SOCK" '.sessions | length' 3 5 || fail "3 streams not attached"
c=$(code -X POST "$URL/debug-capture")
[ "$c" = 503 ] || fail "over the limit: $c"
"$FLOWTAP" capture --socket "$SOCK" -c 1 >/dev/null 2>"$TMP/err" && fail "CLI over the limit succeeded"
grep -q '503' "$TMP/err" || fail "CLI 503: $(cat "$TMP/err")"
ok "503 over the session limit (CLI: $(cat "$TMP/err"))"
for _ in $(seq 40); do # flow-log messages every 200 ms
	[ "$(grep -c '^{.*}$' "$TMP/flows.ndjson")" -ge 2 ] && break
	sleep 0.05
done
kill "${EXTRA_PIDS[@]}"
wait "${EXTRA_PIDS[@]}" 2>/dev/null
# curl was killed: drop a message it had only partly written.
[ -z "$(tail -c1 "$TMP/flows.ndjson")" ] || sed -i '$d' "$TMP/flows.ndjson"
jq -e -s 'length >= 1 and all(.nodeId == "testdp") and (map(.virtualTraffic | length) | add) > 0' \
	"$TMP/flows.ndjson" >/dev/null || fail "flows stream: $(head -c 300 "$TMP/flows.ndjson")"
ok "GET /flows streamed $(wc -l <"$TMP/flows.ndjson") NDJSON flow-log messages"
wait_status "$SOCK" '.sessions | length' 0 2 || fail "streams not freed within 1 s of the clients leaving"
c=$(code -X POST "$URL/debug-capture?count=1")
[ "$c" = 200 ] || fail "capture after the others left: $c"
ok "clients that left are freed; capture possible again"

dp_stop
"$FLOWTAP" capture --socket "$SOCK" >/dev/null 2>"$TMP/err" && fail "CLI capture without a server succeeded"
grep -qx "flowtap: cannot connect to $SOCK: is flowtapd or the datapath running?" "$TMP/err" ||
	fail "CLI no server: $(cat "$TMP/err")"
FLOWTAP_SOCKET=$SOCK "$FLOWTAP" status >/dev/null 2>"$TMP/err" && fail "CLI status without a server succeeded"
grep -q "cannot connect to $SOCK" "$TMP/err" || fail "CLI status no server: $(cat "$TMP/err")"
ok "nothing listening: $(cat "$TMP/err")"
exit 0
