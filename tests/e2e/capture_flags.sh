#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# capture_flags.sh - `flowtap capture FLAGS` prints exactly what
# `flowtap read -r X FLAGS` prints for the same packets, for tcpdump's text
# flags (the text is made in the client from the datapath's pcapng); -x is
# hex only, as tcpdump's; `capture -w FILE -C/-G/-W` rotates with the names
# and packets per file of `read -w FILE -C/-W` (and tcpdump's rules); bad
# rotation options are refused with exit 2.
#
# The packets are the same for every capture: ft-testdp offers a fixed
# count only once all the sessions are attached, and each session takes
# them all (-c), so the comparisons are exact.
set -u
. "$(dirname "$0")/api_lib.bash"
api_require capinfos
api_setup capflags

SOCK=$TMP/s.sock
FLAGS=("-e" "-q" "-S" "-t" "-tt" "-ttt" "-tttt" "-ttttt" "-#" "-v" "-vv" "-vvv" "-x" "-xx"
	"-X" "-XX" "-A" "-e -vv -# -XX" "-q -tttt")
N=40
K=$((${#FLAGS[@]} + 1))
dp_start "$SOCK" --count $N --rate 400 --size 120 --wait-sessions $K --max-sessions 32

pids=()
"$FLOWTAP" capture --socket "$SOCK" -c $N -w "$TMP/ref.pcapng" --format pcapng 2>"$TMP/ref.err" &
pids+=($!)
for i in "${!FLAGS[@]}"; do
	# shellcheck disable=SC2086
	"$FLOWTAP" capture --socket "$SOCK" -c $N ${FLAGS[$i]} >"$TMP/cap.$i" 2>"$TMP/cap.$i.err" &
	pids+=($!)
done
EXTRA_PIDS=("${pids[@]}")
for p in "${pids[@]}"; do
	wait "$p" || fail "a capture failed: $(cat "$TMP"/*.err)"
done
EXTRA_PIDS=()
[ "$(npackets "$TMP/ref.pcapng")" = $N ] || fail "reference: $(npackets "$TMP/ref.pcapng") packets"
for i in "${!FLAGS[@]}"; do
	f=${FLAGS[$i]}
	grep -qx "$N packets captured, 0 dropped" "$TMP/cap.$i.err" ||
		fail "capture $f: summary $(cat "$TMP/cap.$i.err")"
	# shellcheck disable=SC2086
	"$FLOWTAP" read -r "$TMP/ref.pcapng" $f >"$TMP/read.$i" || fail "read $f"
	[ -s "$TMP/read.$i" ] || fail "read $f printed nothing"
	cmp -s "$TMP/read.$i" "$TMP/cap.$i" ||
		fail "capture $f differs from read $f: $(diff "$TMP/read.$i" "$TMP/cap.$i" | head -6)"
done
ok "capture = read of the same $N packets for ${#FLAGS[@]} flag sets: ${FLAGS[*]}"
grep -q ' disco ' "$TMP/cap.0" || fail "no registered path name (disco) in the text"
ok "the registered path is printed by name: $(grep -m1 ' disco ' "$TMP/cap.0" | cut -c1-60)"

# -x is hex only, like tcpdump -x (-X adds the ASCII column); its dump
# lines are tcpdump's.
ix=12 iX=14
[ "${FLAGS[$ix]}" = -x ] && [ "${FLAGS[$iX]}" = -X ] || fail "flag table order"
grep -q 'flowtap-testdp' "$TMP/cap.$ix" && fail "-x printed ASCII: $(grep -m1 flowtap-testdp "$TMP/cap.$ix")"
grep -q 'flowtap-testdp' "$TMP/cap.$iX" || fail "-X printed no ASCII"
if command -v tcpdump >/dev/null; then
	# As pcap: libpcap refuses a second raw-IP interface in pcapng.
	"$FLOWTAP" read -r "$TMP/ref.pcapng" -w "$TMP/ref.pcap" --format pcap || fail "to pcap"
	tcpdump -n -x -r "$TMP/ref.pcap" 2>/dev/null | grep $'^\t' >"$TMP/td.x"
	grep $'^\t' "$TMP/cap.$ix" >"$TMP/ft.x"
	[ -s "$TMP/td.x" ] && cmp -s "$TMP/td.x" "$TMP/ft.x" ||
		fail "-x dump lines differ from tcpdump's -x: $(diff "$TMP/td.x" "$TMP/ft.x" | head -4)"
	ok "-x: hex only, $(wc -l <"$TMP/ft.x") dump lines identical to those of tcpdump's -x"
else
	ok "-x: hex only (tcpdump not installed: lines not compared)"
fi
dp_stop
dp_start "$SOCK" --rate 1000

# A reader that goes away (head) ends the capture quietly, as tcpdump.
"$FLOWTAP" capture --socket "$SOCK" -e 2>"$TMP/head.err" | head -2 >"$TMP/head.out"
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] && [ "$(wc -l <"$TMP/head.out")" = 2 ] && ! grep -q 'cannot write' "$TMP/head.err" ||
	fail "capture | head -2: exit $rc, $(cat "$TMP/head.err")"
ok "capture | head -2: exit 0, $(cat "$TMP/head.err")"
dp_stop

# -C SIZE -W COUNT: a ring of COUNT files of SIZE million bytes, named and
# filled as read rotates the same packets.
M=3500
dp_start "$SOCK" --count $M --rate 5000 --size 1000 --wait-sessions 2
"$FLOWTAP" capture --socket "$SOCK" -c $M -w "$TMP/all.pcap" 2>"$TMP/all.err" &
p1=$!
"$FLOWTAP" capture --socket "$SOCK" -c $M -w "$TMP/ring" -C 1 -W 3 2>"$TMP/cring.err" &
p2=$!
EXTRA_PIDS=($p1 $p2)
wait $p1 || fail "capture -w all.pcap: $(cat "$TMP/all.err")"
wait $p2 || fail "capture -C 1 -W 3: $(cat "$TMP/cring.err")"
EXTRA_PIDS=()
grep -qx "$M packets captured, 0 dropped" "$TMP/cring.err" || fail "-C summary: $(cat "$TMP/cring.err")"
mkdir "$TMP/r"
"$FLOWTAP" read -r "$TMP/all.pcap" -w "$TMP/r/ring" -C 1 -W 3 || fail "read -C 1 -W 3"
want=$(cd "$TMP/r" && for f in *; do echo "$f $(npackets "$f")"; done)
got=$(cd "$TMP" && for f in ring*; do echo "$f $(npackets "$f")"; done)
[ "$want" = "$got" ] || fail "-C 1 -W 3: capture wrote '$got', read writes '$want'"
[ "$(echo "$got" | awk '{print $1}' | tr '\n' ' ')" = "ring0 ring1 ring2 " ] || fail "-W 3 names: $got"
ok "-C 1 -W 3: $(echo "$got" | tr '\n' ',') as read rotates the same packets"
dp_stop

# -G SECONDS -W COUNT: a new file (strftime name) every SECONDS, and the
# capture ends after COUNT files, every packet in one of them.
dp_start "$SOCK" --rate 500
"$FLOWTAP" capture --socket "$SOCK" -w "$TMP/g-%s.pcap" -G 1 -W 2 2>"$TMP/g.err" ||
	fail "-G 1 -W 2: $(cat "$TMP/g.err")"
grep -q 'Maximum file limit reached: 2' "$TMP/g.err" || fail "-G -W: $(cat "$TMP/g.err")"
grep -q deprecated "$TMP/g.err" && fail "-G with -w FILE taken as the old duration"
files=("$TMP"/g-*.pcap)
[ ${#files[@]} = 2 ] || fail "-G 1 -W 2 wrote ${#files[@]} files: ${files[*]}"
total=0
for f in "${files[@]}"; do
	[[ $(basename "$f") =~ ^g-[0-9]{10}\.pcap$ ]] || fail "-G name: $f"
	n=$(npackets "$f")
	[ "$n" -gt 0 ] || fail "-G: $f holds no packet"
	total=$((total + n))
done
n=$(grep -Eo '^[0-9]+ packets captured' "$TMP/g.err" | grep -Eo '^[0-9]+')
[ "$total" = "$n" ] || fail "-G: $total packets in the files, $n reported"
ok "-G 1 -W 2: $(cd "$TMP" && echo g-*.pcap), $total packets; $(head -1 "$TMP/g.err")"

# Rotated text and pcapng: -C with --format.
"$FLOWTAP" capture --socket "$SOCK" -c 300 -w "$TMP/t" --format pcapng -C 1 2>"$TMP/t.err" ||
	fail "-C --format pcapng: $(cat "$TMP/t.err")"
[ "$(npackets "$TMP/t")" = 300 ] || fail "-C pcapng: $(npackets "$TMP/t") packets"
ok "-C 1 --format pcapng: 300 packets in $(capinfos -Ec "$TMP/t" | awk -F': *' '/encapsulation/ {print $2}')"

# Bad rotation options: tcpdump's rules, exit 2 naming the problem.
for bad in "-C 1:need -w FILE" "-C 1 -w -:need -w FILE" "-G 1 -C 1:need -w FILE" \
	"-w $TMP/x -W 3:-W needs -C or -G" "-w $TMP/x -C 0:-C: invalid file size" \
	"-w $TMP/x -C x:-C: invalid file size" "-w $TMP/x -C 1 -W 0:-W: invalid value"; do
	args=${bad%%:*} want=${bad#*:}
	# shellcheck disable=SC2086
	"$FLOWTAP" capture --socket "$SOCK" $args >/dev/null 2>"$TMP/err"
	rc=$?
	[ "$rc" = 2 ] && grep -q -- "$want" "$TMP/err" || fail "capture $args: exit $rc, $(cat "$TMP/err")"
done
[ -e "$TMP/x" ] && fail "a refused capture left $TMP/x"
ok "bad -C/-W/-G: exit 2 naming the problem"
exit 0
