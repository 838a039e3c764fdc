#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# api_sigterm.sh - SIGTERM ends every stream cleanly and loses nothing: the
# datapath (ft-testdp, which stops like flowtapd: the flow logger's final
# message, then ft_api_free) is stopped while five clients stream; each
# capture client gets every packet its session counted (or is told exactly
# what it did not get) and a clean end, the /flows client the final
# message. Slow readers (curl into a pipe read at about 1 MB/s) keep data in
# flight at the stop.
set -u
. "$(dirname "$0")/api_lib.bash"
api_require capinfos
api_setup sigterm

SOCK=$TMP/flowtap.sock
URL=http://local/localapi/v0
N=6000
# A flow-log interval longer than the test: the only message is the final one.
dp_start "$SOCK" --count $N --rate 20000 --size 1000 --wait-sessions 5 --flows 600000

# slow OUT: copy standard input to OUT at about 1 MB/s, steadily (curl's own
# --limit-rate reads in bursts with pauses of seconds).
slow() {
	python3 -c '
import sys, time
out = open(sys.argv[1], "wb")
while True:
    b = sys.stdin.buffer.read1(32768)
    if not b:
        break
    out.write(b)
    time.sleep(0.03)
' "$1"
}
(set -o pipefail; curl -s -N -m 60 --unix-socket "$SOCK" -X POST "$URL/debug-capture?format=pcap" \
	-D "$TMP/h.curl" | slow "$TMP/curl.pcap") &
C1=$!
(set -o pipefail; curl -s -N -m 60 --unix-socket "$SOCK" -X POST "$URL/debug-capture?format=text" \
	-D "$TMP/h.text" | slow "$TMP/curl.txt") &
C2=$!
"$FLOWTAP" capture --socket "$SOCK" --format pcap -w "$TMP/cli.pcap" 2>"$TMP/cli.pcap.err" &
C3=$!
"$FLOWTAP" capture --socket "$SOCK" --format pcapng -w "$TMP/cli.pcapng" 2>"$TMP/cli.pcapng.err" &
C4=$!
"$FLOWTAP" capture --socket "$SOCK" >"$TMP/cli.txt" 2>"$TMP/cli.txt.err" &
C5=$!
curl -s -N -m 60 --unix-socket "$SOCK" "$URL/flows" -o "$TMP/flows.ndjson" &
C6=$!
EXTRA_PIDS+=($C1 $C2 $C3 $C4 $C5 $C6)

# Stop as soon as everything was offered: the slow clients are far behind.
for _ in $(seq 200); do
	grep -q "offered $N packets" "$TMP/testdp.log" && break
	sleep 0.05
done
grep -q "offered $N packets" "$TMP/testdp.log" || fail "ft-testdp did not offer $N packets"
kill -TERM "$DP"
for p in $C1 $C2 $C3 $C4 $C5 $C6; do
	wait $p || fail "client $p (of $C1 $C2 $C3 $C4 $C5 $C6) did not end cleanly: exit $?"
done
wait "$DP" || fail "ft-testdp exit $?: $(cat "$TMP/testdp.log")"
DP_PIDS=()
ok "SIGTERM: all six clients (curl and flowtap capture) ended with exit 0"

# trailer FILE NAME: a trailer's value from curl's header dump.
trailer() { tr -d '\r' <"$1" | awk -F': ' -v k="$2" 'tolower($1) == tolower(k) {print $2}'; }

for f in curl text; do
	h=$TMP/h.$f
	m=$(trailer "$h" Flowtap-Matched) w=$(trailer "$h" Flowtap-Written) d=$(trailer "$h" Flowtap-Dropped)
	[ "$m" = $N ] || fail "$f: Flowtap-Matched '$m', want $N: $(cat "$h")"
	[ $((w + d)) = $N ] || fail "$f: written $w + dropped $d != $N"
	if [ $f = curl ]; then got=$(npackets "$TMP/curl.pcap")
	else got=$(grep -c '^[0-9]' "$TMP/curl.txt"); fi
	[ "$got" = "$w" ] || fail "$f: received $got packets, the session wrote $w"
	ok "curl $f: received all $w packets the session wrote ($d dropped), trailers say so"
done

# The CLI reports what it did not get: captured + dropped = what its session counted.
for f in pcap pcapng txt; do
	line=$(grep 'packets captured' "$TMP/cli.$f.err") || fail "cli $f: $(cat "$TMP/cli.$f.err")"
	got=$(echo "$line" | awk '{print $1}') d=$(echo "$line" | awk '{print $4}')
	[ $((got + d)) = $N ] || fail "cli $f: '$line': $got + $d != $N"
	if [ $f = txt ]; then n=$(grep -c '^[0-9]' "$TMP/cli.txt")
	else n=$(npackets "$TMP/cli.$f"); fi
	[ "$n" = "$got" ] || fail "cli $f: file has $n packets, the CLI says $got"
	ok "flowtap capture $f: '$line'"
done

# The final flow message reached the stream, complete.
[ "$(wc -l <"$TMP/flows.ndjson")" -ge 1 ] || fail "no flow message on the stream"
pk=$(jq -s '[.[] | .. | objects | (.txPkts // 0) + (.rxPkts // 0)] | add' "$TMP/flows.ndjson")
[ "$pk" = $N ] || fail "flow messages on the stream count $pk packets, want $N"
ok "GET /flows got the final flow message ($pk packets), then a clean end"
exit 0
