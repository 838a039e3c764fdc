#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# What a first session with the README runs into, kept fixed:
#  - the README's `curl ... debug-capture | tshark ...` command, run as
#    written (socket path aside), prints packets live with their flowtap path
#    (the dissector is loaded), against ft-testdp (user0) and flowtapd (a
#    link-layer tap: pcap by default, not a 400);
#  - flowtapd's taps list only the paths they have, and a capture of a path a
#    tap does not have is refused (400 naming the tap's paths);
#  - every 405 carries the Allow header HTTP requires.
# flowtapd captures on lo of the test's own process (loopback only).
set -uo pipefail
. "$(dirname "$0")/api_lib.bash"
api_require tshark
FTD=$FT_BUILD/flowtapd
[ -x "$FTD" ] || fail "$FTD not built"
api_setup readme
SOCK=$TMP/api.sock
dp_start "$SOCK" --rate 50
readme=$FT_SRC/README.md

# The command as the README has it: from `curl ... debug-capture` to `-r -`.
cmd=$(awk '/curl .*--unix-socket .*-X POST/ {on=1} on {print} on && /-r -$/ {exit}' "$readme" |
	sed 's/^ *//')
[ -n "$cmd" ] && grep -q 'tshark' <<<"$cmd" || fail "no curl | tshark command in README.md"
grep -q -- 'curl -sN' <<<"$cmd" || fail "README's curl lacks -N (output would wait for curl's buffer): $cmd"
run_readme() { # SOCKET SECONDS
	local c=${cmd//\/run\/flowtap\/flowtap.sock/$1}
	PATH=$FT_BUILD:$PATH timeout "$2" bash -c "$c" 2>"$TMP/readme.err"
}

# 1. Against a tunnel-like datapath: user0, paths shown by the dissector.
run_readme "$SOCK" 6 >"$TMP/out"
n=$(grep -c '→' "$TMP/out")
[ "$n" -ge 20 ] || fail "the README command printed $n packets in 6 s at 50/s: $(head -5 "$TMP/out") $(cat "$TMP/readme.err")"
# (from-local goes to UDP port 47000, which a tshark heuristic claims as HCrt.)
for p in from-peer synthesized-to-local synthesized-to-peer disco; do
	grep -q "\[$p\]" "$TMP/out" || fail "no [$p] in the README command's output: $(head -5 "$TMP/out")"
done
ok "README curl | tshark on ft-testdp: $n packets live in 6 s, with their path names"

# 2. 405 answers name the allowed methods.
for m in "POST status GET, HEAD" "POST metrics GET, HEAD" "POST flows GET" "GET debug-capture POST"; do
	set -- $m
	curl -s -D "$TMP/h" -o /dev/null -X "$1" --unix-socket "$SOCK" "http://local/localapi/v0/$2"
	grep -q '^HTTP/1.1 405' "$TMP/h" || fail "$1 $2: $(head -1 "$TMP/h")"
	allow=$(sed -n 's/^Allow: \(.*\)\r$/\1/p' "$TMP/h")
	[ "$allow" = "${*:3}" ] || fail "$1 $2: Allow '$allow', expected '${*:3}'"
done
ok "405 for status, metrics, flows and debug-capture carries Allow"

# 3. A path the tap does not have is refused.
c=$(curl -s -o "$TMP/b" -w '%{http_code}' -X POST --unix-socket "$SOCK" \
	"http://local/localapi/v0/debug-capture?path=from-peer,99")
[ "$c" = 400 ] && grep -qx "tap 'testdp' has no path 99; its paths: from-local, from-peer, synthesized-to-local, synthesized-to-peer, disco" "$TMP/b" ||
	fail "path 99: $c $(cat "$TMP/b")"
ok "unknown path: 400 $(cat "$TMP/b")"

# 4. flowtapd: its tap has one path; from-peer is refused; the README
# command gets pcap (no 400) and shows the packets.
"$FTD" --socket "$TMP/d.sock" --interface lo >"$TMP/ftd.log" 2>&1 &
ftd=$!
EXTRA_PIDS+=("$ftd")
for _ in $(seq 100); do
	curl -sf --unix-socket "$TMP/d.sock" http://local/localapi/v0/status -o "$TMP/st" && break
	sleep 0.05
done
paths=$(jq -c '[.taps[] | select(.name == "lo") | .paths[].name]' "$TMP/st")
[ "$paths" = '["lo"]' ] || fail "flowtapd tap lo lists paths $paths, expected [\"lo\"]"
c=$(curl -s -o "$TMP/b" -w '%{http_code}' -X POST --unix-socket "$TMP/d.sock" \
	"http://local/localapi/v0/debug-capture?path=from-peer")
[ "$c" = 400 ] && grep -qx "tap 'lo' has no path 'from-peer' (1); its paths: lo" "$TMP/b" ||
	fail "from-peer on flowtapd: $c $(cat "$TMP/b")"
ok "flowtapd: tap lo lists only its path; from-peer is refused: $(cat "$TMP/b")"
(sleep 0.7; ping -n -c 4 -i 0.2 127.0.0.1 >/dev/null 2>&1) &
run_readme "$TMP/d.sock" 6 >"$TMP/out2"
n=$(grep -c 'ICMP' "$TMP/out2")
[ "$n" -ge 8 ] || fail "the README command against flowtapd printed $n ICMP packets: $(cat "$TMP/out2" "$TMP/readme.err")"
ok "README curl | tshark on flowtapd: pcap by default, $n ICMP packets"
