#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# capture_cli.sh - `flowtap capture`, `flowtap status` and `flowtap dissector`
# against a running datapath: text like tcpdump by default, -w/-o files read
# by tshark/capinfos, -c, -G, filters and paths, Ctrl-C leaving a well-formed
# file and a summary, --wireshark / -o "" feeding the stream to wireshark
# (a stand-in script that hands it to the real tshark, as there is no display).
set -u
. "$(dirname "$0")/api_lib.bash"
api_require tshark capinfos
api_setup cli

SOCK=$TMP/s.sock
export FLOWTAP_SOCKET=$SOCK
dp_start "$SOCK" --rate 2000

# Text on stdout by default, with -c; the socket from $FLOWTAP_SOCKET.
"$FLOWTAP" capture -c 10 >"$TMP/out" 2>"$TMP/err" || fail "capture -c 10: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/out")" = 10 ] || fail "text: $(wc -l <"$TMP/out") lines"
grep -Eq '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} (IN|OUT) [a-z-]+ IP6? ' "$TMP/out" ||
	fail "text lines: $(head -2 "$TMP/out")"
grep -qx '10 packets captured, 0 dropped' "$TMP/err" || fail "summary: $(cat "$TMP/err")"
ok "text by default: 10 lines like tcpdump; summary '$(cat "$TMP/err")'"

"$FLOWTAP" capture --socket "$SOCK" -c 5 -v -A --path from-peer udp >"$TMP/out" 2>/dev/null
# -v continues an IPv4 line on the next, as tcpdump; pre-NAT comes last.
[ "$(grep -Ec ' from-peer IP6? \((tos|hlim)' "$TMP/out")" = 5 ] &&
	[ "$(grep -Ec 'length [0-9]+ \[pre-nat dst' "$TMP/out")" = 5 ] || fail "--path/-v/-A: $(cat "$TMP/out")"
grep -q 'flowtap-testdp' "$TMP/out" || fail "-A printed no payload"
ok "--socket, --path, -v, -A and an expression"

# -w FILE: pcap (raw IP); -o FILE: the user0 stream; pcapng via --format.
"$FLOWTAP" capture -w "$TMP/a.pcap" -c 20 'udp dst port 47001' 2>"$TMP/err" || fail "-w: $(cat "$TMP/err")"
[ "$(npackets "$TMP/a.pcap")" = 20 ] || fail "-w: $(npackets "$TMP/a.pcap") packets"
grep -q 'Press Ctrl-C' "$TMP/err" && fail "Ctrl-C hint printed although stderr is not a terminal"
[ "$(tshark -n -r "$TMP/a.pcap" -T fields -e udp.dstport 2>/dev/null | sort -u)" = 47001 ] || fail "-w filter"
"$FLOWTAP" capture -o "$TMP/b.pcap" -c 10 2>/dev/null || fail "-o"
[ "$(capinfos -Ec "$TMP/b.pcap" | awk -F': *' '/encapsulation/ {print $2}')" = "USER 0" ] || fail "-o is not user0"
[ "$(tshark -n -X lua_script:"$LUA" -r "$TMP/b.pcap" -T fields -e flowtap.path_name 2>/dev/null | wc -l)" = 10 ] ||
	fail "-o file not decoded by the dissector"
"$FLOWTAP" capture -w - --format pcapng -c 7 2>/dev/null >"$TMP/c.pcapng"
[ "$(npackets "$TMP/c.pcapng")" = 7 ] || fail "-w - --format pcapng"
ok "-w FILE (pcap), -o FILE (user0), -w - --format pcapng, no Ctrl-C hint without a tty"
if command -v script >/dev/null; then
	script -qec "$FLOWTAP capture -w $TMP/tty.pcap -c 3" /dev/null >"$TMP/tty.out" 2>&1
	grep -q 'Press Ctrl-C to stop the capture.' "$TMP/tty.out" || fail "no Ctrl-C hint on a tty: $(cat "$TMP/tty.out")"
	[ "$(npackets "$TMP/tty.pcap")" = 3 ] || fail "capture under a tty"
	ok "stderr on a terminal: 'Press Ctrl-C to stop the capture.'"
fi

# --duration: stop after a duration (-G, its old spelling, still works and
# says it is deprecated: in tcpdump -G rotates files).
start=$(date +%s%N)
"$FLOWTAP" capture --duration 1 -w "$TMP/g.pcap" 2>/dev/null || fail "--duration 1"
ms=$((($(date +%s%N) - start) / 1000000))
n=$(npackets "$TMP/g.pcap")
[ "$ms" -ge 900 ] && [ "$ms" -lt 3000 ] && [ "$n" -ge 1000 ] || fail "--duration 1 took ${ms}ms for $n packets"
"$FLOWTAP" capture -G 500ms -w "$TMP/g2.pcap" 2>"$TMP/err" || fail "-G 500ms: $(cat "$TMP/err")"
grep -q 'deprecated: use --duration' "$TMP/err" || fail "-G: no deprecation message: $(cat "$TMP/err")"
ok "--duration 1: ended after ${ms}ms with $n packets; -G: $(head -1 "$TMP/err")"

# Options after the expression, as tcpdump and read take them.
"$FLOWTAP" capture udp -c 2 >"$TMP/out" 2>"$TMP/err" || fail "capture udp -c 2: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/out")" = 2 ] || fail "capture udp -c 2: $(cat "$TMP/out")"
ok "capture udp -c 2: options after the expression"

# -A text: payload lines (the IP id 10 is a newline byte) are not packets.
"$FLOWTAP" capture -c 30 -A >"$TMP/out" 2>"$TMP/err" || fail "-c 30 -A: $(cat "$TMP/err")"
grep -qx '30 packets captured, 0 dropped' "$TMP/err" || fail "-c 30 -A summary: $(cat "$TMP/err")"
ok "-c 30 -A: '$(cat "$TMP/err")'"

# -s 0 is tcpdump's 262144; bad -c/-s/--duration are refused by the CLI with
# its own option names (exit 2), not as an HTTP 400 about API parameters.
"$FLOWTAP" capture -s 0 -c 1 >/dev/null 2>"$TMP/err" || fail "-s 0: $(cat "$TMP/err")"
for bad in "-c -1:-c: invalid packet count" "-c 0:-c: invalid packet count" \
	"-s 300000:-s: invalid snaplen" "--duration -1:--duration: invalid" \
	"-G x:--duration: invalid" "-K:-K is a tcpdump option flowtap does not support"; do
	args=${bad%%:*} want=${bad#*:}
	# shellcheck disable=SC2086
	"$FLOWTAP" capture $args >/dev/null 2>"$TMP/err"
	rc=$?
	[ "$rc" = 2 ] && grep -q -- "$want" "$TMP/err" || fail "capture $args: exit $rc, $(cat "$TMP/err")"
done
ok "-s 0 works; bad -c, -s, --duration, -G, -K: exit 2 naming the option"

# -D lists the taps; -i picks one by name.
tap=$("$FLOWTAP" capture -D) || fail "-D"
[[ "$tap" =~ ^1\.[^[:space:]]+$ ]] || fail "-D: $tap"
"$FLOWTAP" capture -i "${tap#1.}" -c 1 >/dev/null 2>&1 || fail "-i ${tap#1.}"
ok "-D: $tap; -i ${tap#1.} captures"

# Who may not open the socket is told so, and which group may.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chmod 755 "$TMP"
	chmod 660 "$SOCK"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$FLOWTAP" capture -c 1 \
		>/dev/null 2>"$TMP/err"
	rc=$?
	chmod 700 "$TMP"
	grp=$(stat -c %G "$SOCK")
	[ "$rc" = 1 ] && grep -q "permission denied; root and members of group '$grp' may connect" \
		"$TMP/err" || fail "EACCES: exit $rc, $(cat "$TMP/err")"
	ok "EACCES: $(cat "$TMP/err")"
fi

# --wireshark without Wireshark installed stops, exit 1, and captures nothing.
if ! PATH=/usr/bin:/bin command -v wireshark >/dev/null; then
	PATH=/usr/bin:/bin "$FLOWTAP" capture --wireshark -c 5 >/dev/null 2>"$TMP/err"
	rc=$?
	[ "$rc" = 1 ] && grep -q 'cannot start wireshark' "$TMP/err" ||
		fail "--wireshark without wireshark: exit $rc, $(cat "$TMP/err")"
	ok "--wireshark without wireshark: exit 1, $(cat "$TMP/err")"
fi

# Ctrl-C: a well-formed file (whole records only) and a summary.
for fmt in user0 pcapng text; do
	"$FLOWTAP" capture -w "$TMP/int.$fmt" --format $fmt 2>"$TMP/err" &
	pid=$!
	sleep 0.7
	kill -INT $pid
	wait $pid || fail "Ctrl-C ($fmt): exit status $?"
	grep -Eq '^[0-9]+ packets captured, [0-9]+ dropped$' "$TMP/err" || fail "Ctrl-C summary: $(cat "$TMP/err")"
	n=$(grep -Eo '^[0-9]+' "$TMP/err")
	if [ $fmt = text ]; then
		[ "$(wc -l <"$TMP/int.$fmt")" = "$n" ] && [ -z "$(tail -c1 "$TMP/int.$fmt")" ] ||
			fail "Ctrl-C text: $n reported, $(wc -l <"$TMP/int.$fmt") lines"
	else
		capinfos "$TMP/int.$fmt" >"$TMP/ci" 2>&1 || fail "Ctrl-C left a broken $fmt file: $(cat "$TMP/ci")"
		[ "$(npackets "$TMP/int.$fmt")" = "$n" ] || fail "Ctrl-C $fmt: $n reported, $(npackets "$TMP/int.$fmt") in file"
	fi
	[ "$n" -gt 100 ] || fail "Ctrl-C $fmt: only $n packets"
done
ok "Ctrl-C: well-formed user0/pcapng/text files, summary matches the file ($(cat "$TMP/err"))"

# --wireshark and -o "": wireshark -X lua_script:<dissector> -k -i - reads the
# stream. The stand-in records its arguments and hands stdin to tshark.
mkdir "$TMP/bin"
cat >"$TMP/bin/wireshark" <<EOF
#!/bin/bash
echo "\$@" >"$TMP/ws.args"
lua=
while [ \$# -gt 0 ]; do
	case \$1 in -X) lua=\$2; shift ;; esac
	shift
done
exec tshark -n -X "\$lua" -r - -T fields -e flowtap.path_name -e flowtap.dnat.ip4 >"$TMP/ws.out" 2>/dev/null
EOF
chmod +x "$TMP/bin/wireshark"
PATH=$TMP/bin:$PATH "$FLOWTAP" capture --wireshark -c 25 2>/dev/null || fail "--wireshark"
lua=$("$FLOWTAP" dissector --path)
[ "$(cat "$TMP/ws.args")" = "-X lua_script:$lua -k -i -" ] || fail "wireshark args: $(cat "$TMP/ws.args")"
[ "$(wc -l <"$TMP/ws.out")" = 25 ] && grep -q '^from-peer	10.0.0.9$' "$TMP/ws.out" || fail "wireshark got: $(cat "$TMP/ws.out")"
rm "$TMP/ws.out"
PATH=$TMP/bin:$PATH "$FLOWTAP" capture -o "" -c 5 2>/dev/null || fail '-o ""'
[ "$(wc -l <"$TMP/ws.out")" = 5 ] || fail '-o "" did not feed wireshark'
ok "--wireshark and -o \"\": $(cat "$TMP/ws.args") decoded with the dissector"

# flowtap status, flowtap dissector.
"$FLOWTAP" capture -w /dev/null 2>/dev/null &
bg=$!
EXTRA_PIDS=($bg)
wait_status "$SOCK" '.sessions | length' 1 2 || fail "session not listed"
"$FLOWTAP" status >"$TMP/st" || fail "status"
grep -q "^  testdp " "$TMP/st" && grep -q 'disco(254)' "$TMP/st" &&
	grep -Eq "^  [0-9]+ +capture +testdp +0 +$bg +pcap " "$TMP/st" || fail "status: $(cat "$TMP/st")"
"$FLOWTAP" status --json | jq -e ".sessions[0].pid == $bg and .sessions[0].format == \"pcap\"" >/dev/null ||
	fail "status --json"
kill -INT $bg
wait $bg
ok "flowtap status lists the tap, its paths and our session (pid $bg); --json"
"$FLOWTAP" dissector >"$TMP/d.lua" || fail "dissector"
cmp -s "$TMP/d.lua" "$LUA" || cmp -s "$TMP/d.lua" "$(dirname "$lua")/flowtap.lua" || fail "dissector output differs"
grep -q 'wtap.USER0' "$TMP/d.lua" || fail "dissector does not register for USER0"
ok "flowtap dissector prints $lua"
# A server whose stream turns to garbage after 3 records: the CLI keeps the
# 3 whole records (batched writes are flushed) and names the problem.
python3 - "$TMP/bad.sock" <<'EOF' &
import socket, struct, sys
srv = socket.socket(socket.AF_UNIX)
srv.bind(sys.argv[1])
srv.listen(1)
c, _ = srv.accept()
c.recv(65536)
body = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101)
for i in range(3):
    pkt = bytes([0x45, 0, 0, 28]) + bytes(24)
    body += struct.pack("<IIII", 1700000000 + i, 0, len(pkt), len(pkt)) + pkt
body += struct.pack("<IIII", 1700000009, 0, 0x7fffffff, 0x7fffffff) + b"junk"
c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.tcpdump.pcap\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body)
c.close()
EOF
BAD=$!
EXTRA_PIDS+=($BAD)
for _ in $(seq 50); do [ -S "$TMP/bad.sock" ] && break; sleep 0.05; done
"$FLOWTAP" capture --socket "$TMP/bad.sock" -w "$TMP/bad.pcap" 2>"$TMP/bad.err" &&
	fail "a malformed stream exited 0"
grep -q "malformed stream" "$TMP/bad.err" || fail "malformed stream message: $(cat "$TMP/bad.err")"
[ "$(npackets "$TMP/bad.pcap")" = 3 ] || fail "records before the garbage: $(npackets "$TMP/bad.pcap"), want 3"
ok "a malformed stream: $(cat "$TMP/bad.err"); the 3 records before it are kept"
exit 0
