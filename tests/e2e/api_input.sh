#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# api_input.sh - what a client sends is checked and shown safely: control
# characters in a filter are refused (tabs and line ends read as spaces),
# a NUL in a parameter and a repeated parameter are 400s, every echoed
# client string is escaped, status and `flowtap status` carry no control
# bytes, and 0 means "no limit" for count and duration alike.
set -u
. "$(dirname "$0")/api_lib.bash"
api_require
api_setup input

SOCK=$TMP/flowtap.sock
URL=http://local/localapi/v0
dp_start "$SOCK" --rate 200

# req QUERY: POST a capture with a 3 s cap; the body in $TMP/body, the code printed.
req() {
	curl -s -m 3 -o "$TMP/body" -w '%{http_code}' --unix-socket "$SOCK" -X POST \
		"$URL/debug-capture?$1"
}
# no_ctl FILE: no control byte but newline in FILE.
no_ctl() { ! LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$1"; }

c=$(req "count=1&filter=udp%1b%5b2J")
[ "$c" = 400 ] && grep -q 'byte 0x1b' "$TMP/body" && no_ctl "$TMP/body" ||
	fail "ESC in a filter: $c $(cat -v "$TMP/body")"
ok "ESC in a filter: 400 $(cat "$TMP/body")"

c=$(req "count=1&filter=udp%00and+port+1")
[ "$c" = 400 ] && grep -q "'filter' contains a NUL byte" "$TMP/body" ||
	fail "NUL in a filter: $c $(cat -v "$TMP/body")"
c=$(req "count=1&count=2")
[ "$c" = 400 ] && grep -q "'count' given twice" "$TMP/body" || fail "repeated count: $c $(cat "$TMP/body")"
c=$(req "format=pcap&count=1&format=text")
[ "$c" = 400 ] || fail "repeated format: $c"
ok "NUL in a parameter and a repeated parameter: 400 ($(cat "$TMP/body"))"

for q in "tap=%1b%5d0%3bpwned%07" "%1b%5b2J=1" "path=%1b%5b31m" "direction=%0d%0aX"; do
	c=$(req "$q")
	[ "${c:0:1}" = 4 ] && no_ctl "$TMP/body" && grep -q '\\x' "$TMP/body" ||
		fail "$q: $c $(cat -v "$TMP/body")"
done
ok "tap, parameter name, path and value echoed escaped in errors: $(cat "$TMP/body")"

# CR/LF/tab in a filter read as spaces; status and the CLI show it clean.
curl -s -m 10 --unix-socket "$SOCK" -X POST \
	"$URL/debug-capture?format=pcap&filter=udp%0d%0aand%09dst+port+47001" -o /dev/null &
EXTRA_PIDS+=($!)
wait_status "$SOCK" '.sessions[0].filter' "udp  and dst port 47001" 5 ||
	fail "filter in status: $(status "$SOCK" '.sessions[0].filter' | cat -v)"
curl -s --unix-socket "$SOCK" "$URL/status" -o "$TMP/status.json"
"$FLOWTAP" status --socket "$SOCK" >"$TMP/status.txt" || fail "flowtap status failed"
no_ctl "$TMP/status.txt" || fail "flowtap status prints control bytes: $(cat -v "$TMP/status.txt")"
grep -q 'udp  and dst port 47001' "$TMP/status.txt" || fail "flowtap status: $(cat "$TMP/status.txt")"
ok "a filter with CR/LF/tab is read with spaces; status and flowtap status show no control bytes"

# 0 = no limit, for count and duration alike; limits are checked when given.
for q in "count=0" "duration=0" "count=0&duration=0"; do
	curl -s -m 1 --unix-socket "$SOCK" -X POST "$URL/debug-capture?format=pcap&$q" -o /dev/null
	[ $? = 28 ] || fail "$q did not stream until the client's timeout"
done
for q in "duration=87601h" "duration=1e20" "snaplen=262145" "count=18446744073709551616"; do
	c=$(req "$q")
	[ "$c" = 400 ] || fail "$q: $c $(cat "$TMP/body")"
done
ok "count=0 and duration=0 both stream until the client leaves; out-of-range limits are 400"
exit 0
