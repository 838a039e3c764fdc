#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# api_capture.sh - the local API's capture stream read by real tools: curl
# --unix-socket into tshark (with and without our Lua dissector), capinfos;
# the default stream's bytes, every format and query parameter, socket and
# directory permissions, stale and live sockets.
set -u
. "$(dirname "$0")/api_lib.bash"
api_require tshark capinfos
api_setup capture

RUN=$TMP/run # does not exist yet: the server creates it 0750
SOCK=$RUN/flowtap.sock
N=50
dp_start "$SOCK" --count $N --rate 1000 --wait-sessions 1

[ "$(stat -c %a "$RUN")" = 750 ] || fail "socket directory mode $(stat -c %a "$RUN"), want 750"
[ "$(stat -c %a "$SOCK")" = 660 ] || fail "socket mode $(stat -c %a "$SOCK"), want 660"
ok "socket 0660 in a directory created 0750"

# The default stream: curl stays until we let it go; the datapath offers N
# packets as soon as the session is attached.
curl -s -m 1.5 --unix-socket "$SOCK" -X POST http://local/localapi/v0/debug-capture \
	-D "$TMP/h" -o "$TMP/default.pcap"
[ $? = 28 ] || fail "curl did not keep streaming until its timeout"
grep -qi '^Content-Type: application/vnd.tcpdump.pcap' "$TMP/h" || fail "content type: $(cat "$TMP/h")"
hdr=$(head -c 24 "$TMP/default.pcap" | od -An -tx1 | tr -d ' \n')
[ "$hdr" = d4c3b2a102000400000000000000000000ff000093000000 ] ||
	[ "$hdr" = d4c3b2a1020004000000000000000000ffff000093000000 ] ||
	fail "default stream header $hdr is not pcap LE v2.4 snaplen 65535 linktype 147"
[ "$(npackets "$TMP/default.pcap")" = $N ] || fail "default stream: $(npackets "$TMP/default.pcap") packets, want $N"
ok "default stream: user0 pcap header (a1b2c3d4 LE, 2.4, 65535, 147), $N packets, content type"

# Piped straight into tshark with our dissector: path names and NAT fields.
dp_stop
dp_start "$SOCK" --count $N --rate 1000 --wait-sessions 1
curl -s -m 1.5 --unix-socket "$SOCK" -X POST http://local/localapi/v0/debug-capture |
	tshark -n -X lua_script:"$LUA" -r - -T fields -E separator=, -e flowtap.path -e flowtap.path_name \
		-e flowtap.snat.ip4 -e flowtap.snat.ip6 -e flowtap.dnat.ip4 -e flowtap.dnat.ip6 \
		-e ip.src -e ipv6.src -e udp.dstport -e udp.payload 2>/dev/null >"$TMP/fields"
[ "$(wc -l <"$TMP/fields")" = $N ] || fail "tshark saw $(wc -l <"$TMP/fields") packets, want $N"
paths=(0 1 2 3 254)
names=(from-local from-peer synthesized-to-local synthesized-to-peer disco)
i=0
while IFS=, read -r p name s4 s6 d4 d6 src4 src6 dport data; do
	k=$((i % 5))
	v6=$((i % 4 == 3))
	want_s4= want_s6= want_d4= want_d6=
	if [ $k = 0 ]; then
		if [ $v6 = 1 ]; then want_s6=fd00::5; else want_s4=192.168.1.5; fi
	elif [ $k = 1 ]; then
		if [ $v6 = 1 ]; then want_d6=fd00::9; else want_d4=10.0.0.9; fi
	fi
	got="$p $name [$s4] [$s6] [$d4] [$d6] $dport"
	want="${paths[$k]} ${names[$k]} [$want_s4] [$want_s6] [$want_d4] [$want_d6] $((47000 + ${paths[$k]}))"
	[ "$got" = "$want" ] || fail "packet $i: got '$got', want '$want'"
	if [ $v6 = 1 ]; then [ "$src6" = fd7a:115c:a1e0::1 ] || fail "packet $i: IPv6 source $src6"
	else [ "$src4" = 100.64.0.1 ] || fail "packet $i: IPv4 source $src4"; fi
	seq=$(printf '%08d' $i | od -An -tx1 | tr -d ' \n')
	[ "${data:0:16}" = "$seq" ] || fail "packet $i: payload starts ${data:0:16}, want $seq"
	i=$((i + 1))
done <"$TMP/fields"
ok "tshark -X lua_script: path, path name, pre-NAT IPv4/IPv6 fields and IP packets of all $N"
dp_stop

# Formats and parameters on continuous traffic (1000 packets/s).
dp_start "$SOCK" --rate 1000
cap() { curl -s -m 10 --unix-socket "$SOCK" -X POST "http://local/localapi/v0/debug-capture?$1" -D "$TMP/h" -o "$2"; }

cap "format=pcapng&count=10&snaplen=60" "$TMP/a.pcapng"
grep -qi '^Content-Type: application/x-pcapng' "$TMP/h" || fail "pcapng content type"
tshark -n -r "$TMP/a.pcapng" -T fields -e frame.interface_name -e frame.packet_flags_direction \
	-e frame.cap_len 2>/dev/null >"$TMP/f"
[ "$(wc -l <"$TMP/f")" = 10 ] || fail "pcapng count=10 gave $(wc -l <"$TMP/f") packets"
awk '$3 > 60 {exit 1}' "$TMP/f" || fail "snaplen=60 not applied: $(cat "$TMP/f")"
grep -q "^from-local	0x00000002" "$TMP/f" && grep -q "^from-peer	0x00000001" "$TMP/f" &&
	grep -q "^disco	" "$TMP/f" || fail "pcapng interface names/directions: $(cat "$TMP/f")"
ok "format=pcapng, count=10, snaplen=60: interface per path, EPB direction flags"

cap "format=pcap&count=5&filter=udp+dst+port+47001" "$TMP/b.pcap"
[ "$(tshark -n -r "$TMP/b.pcap" -T fields -e udp.dstport 2>/dev/null | sort -u)" = 47001 ] ||
	fail "filter=udp dst port 47001 not applied"
[ "$(capinfos -Ec "$TMP/b.pcap" 2>/dev/null | awk -F': *' '/encapsulation/ {print $2}')" = "Raw IP" ] ||
	fail "format=pcap is not raw IP: $(capinfos -E "$TMP/b.pcap")"
ok "format=pcap with filter= (raw IP, only matching packets)"

cap "format=text&count=5&path=from-peer&verbose=1&ascii=1" "$TMP/c.txt"
grep -qi '^Content-Type: text/plain' "$TMP/h" || fail "text content type"
[ "$(grep -c '\.47001: .*pre-nat dst' "$TMP/c.txt")" = 5 ] && [ "$(grep -Ec 'IN from-peer IP6? \(' "$TMP/c.txt")" = 5 ] ||
	fail "text: $(cat "$TMP/c.txt")"
grep -q 'flowtap-testdp' "$TMP/c.txt" || fail "ascii=1 printed no payload"
ok "format=text, path=from-peer, verbose/ascii: 5 lines with pre-NAT and payload"

cap "duration=500ms&path=from-peer,254&direction=in" "$TMP/d.pcap"
got=$(tshark -n -X lua_script:"$LUA" -r "$TMP/d.pcap" -T fields -e flowtap.path_name 2>/dev/null | sort -u | tr '\n' ' ')
[ "$got" = "disco from-peer " ] || fail "path=from-peer,254: got $got"
n=$(npackets "$TMP/d.pcap")
[ "$n" -ge 100 ] && [ "$n" -le 300 ] || fail "duration=500ms at 400 matching pps gave $n packets"
ok "duration=500ms, path=from-peer,254 (name and number), direction=in: $n packets"

cap "direction=out&count=20" "$TMP/e.pcap"
got=$(tshark -n -X lua_script:"$LUA" -r "$TMP/e.pcap" -T fields -e flowtap.path_name 2>/dev/null | sort -u | tr '\n' ' ')
[ "$got" = "from-local synthesized-to-peer " ] || fail "direction=out: got $got"
ok "direction=out selects from-local and synthesized-to-peer"

# An HTTP/1.0 client gets the body unchunked, ended by closing the connection.
curl -s -m 10 --http1.0 --unix-socket "$SOCK" -X POST \
	"http://local/localapi/v0/debug-capture?format=pcapng&count=25" -D "$TMP/h" -o "$TMP/g.pcapng"
grep -q '^HTTP/1.0 200' "$TMP/h" && ! grep -qi '^Transfer-Encoding' "$TMP/h" ||
	fail "HTTP/1.0 reply head: $(cat "$TMP/h")"
[ "$(npackets "$TMP/g.pcapng")" = 25 ] || fail "HTTP/1.0: $(npackets "$TMP/g.pcapng") packets"
# Also when it asks to keep the connection alive: no "Content-Length: 0".
curl -s -m 10 --http1.0 -H "Connection: keep-alive" --unix-socket "$SOCK" -X POST \
	"http://local/localapi/v0/debug-capture?format=pcapng&count=25" -D "$TMP/h" -o "$TMP/g.pcapng" ||
	fail "HTTP/1.0 keep-alive: curl exit $?"
! grep -qi '^Content-Length' "$TMP/h" && grep -qi '^Connection: close' "$TMP/h" ||
	fail "HTTP/1.0 keep-alive reply head: $(cat "$TMP/h")"
[ "$(npackets "$TMP/g.pcapng")" = 25 ] || fail "HTTP/1.0 keep-alive: $(npackets "$TMP/g.pcapng") packets"
ok "HTTP/1.0 client: unchunked pcapng body of 25 packets, also when asking for keep-alive"

[ "$(status "$SOCK" '.taps[0].sessions')" = 0 ] || fail "sessions left attached"
dp_stop

# Packets past 256 bytes (which the session writes differently from short
# ones): an HTTP/1.1 (chunked) pcap stream and an HTTP/1.0 pcap-ns stream
# of the same packets hold the same packets.
dp_start "$SOCK" --count 300 --rate 3000 --size 1400 --wait-sessions 2
curl -s -m 30 --unix-socket "$SOCK" -X POST \
	"http://local/localapi/v0/debug-capture?format=pcap&count=300" -o "$TMP/big11.pcap" &
p11=$!
curl -s -m 30 --http1.0 --unix-socket "$SOCK" -X POST \
	"http://local/localapi/v0/debug-capture?format=pcap-ns&count=300" -o "$TMP/big10.pcap"
wait $p11 || fail "HTTP/1.1 pcap stream: curl exit $?"
for f in big11 big10; do
	[ "$(npackets "$TMP/$f.pcap")" = 300 ] || fail "$f: $(npackets "$TMP/$f.pcap") packets, want 300"
	tcpdump -n -t -xx -r "$TMP/$f.pcap" >"$TMP/$f.txt" 2>/dev/null || fail "tcpdump cannot read $f"
done
cmp -s "$TMP/big11.txt" "$TMP/big10.txt" || fail "chunked pcap and HTTP/1.0 pcap-ns streams differ"
[ "$(grep -c 'length 1[34][0-9][0-9]' "$TMP/big11.txt")" -gt 0 ] || fail "no packet past 1300 bytes"
ok "pcap (HTTP/1.1, chunked) and pcap-ns (HTTP/1.0) streams of 300 packets up to 1400 bytes agree"
dp_stop

# The socket of a dead server is replaced; a live one is refused.
[ -S "$SOCK" ] && fail "socket not removed on exit"
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$SOCK"
dp_start "$SOCK" --rate 10
ok "stale socket replaced"
"$TESTDP" --socket "$SOCK" 2>"$TMP/err" && fail "second server on a live socket started"
grep -q "in use by a running server" "$TMP/err" || fail "live socket error: $(cat "$TMP/err")"
ok "second server on a live socket: $(cat "$TMP/err")"
exit 0
