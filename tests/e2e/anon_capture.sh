#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtap capture --anonymize KEYFILE [--headers-only]: the stream a running
# datapath sends is rewritten before it reaches the file (pcap, pcapng,
# user0 with its pre-NAT addresses); the addresses are those the key maps
# (flowtap anonymize-addr), checksums stay correct for tshark, payload goes
# with --headers-only; text is mapped too; bad keys are refused with exit 2.
# And anonymize=1 on the API, with the server's key (ft-testdp --anonymize,
# as flowtapd and flowtap-tunnel): pcapng, pcap, user0 and text are mapped
# on the server with the mapping the flow log uses; without a key, 409.
set -u
. "$(dirname "$0")/api_lib.bash"
api_require tshark capinfos
api_setup anoncap

SOCK=$TMP/s.sock
export FLOWTAP_SOCKET=$SOCK
dp_start "$SOCK" --rate 2000
"$FLOWTAP" anonymize-key-new "$TMP/k" || fail "anonymize-key-new"
read -r m1 m2 m9 m61 m62 m69 < <("$FLOWTAP" anonymize-addr "$TMP/k" 100.64.0.1 100.64.0.2 10.0.0.9 \
	fd7a:115c:a1e0::1 fd7a:115c:a1e0::2 fd00::9 | tr '\n' ' ')

addrs() { tshark -n -r "$1" -T fields -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst 2>/dev/null |
	tr '\t' '\n' | grep . | sort -u | tr '\n' ' '; }
"$FLOWTAP" capture -w "$TMP/a.pcap" -c 40 --anonymize "$TMP/k" 2>"$TMP/err" || fail "-w pcap: $(cat "$TMP/err")"
[ "$(npackets "$TMP/a.pcap")" = 40 ] || fail "pcap: $(npackets "$TMP/a.pcap") packets"
got=$(addrs "$TMP/a.pcap")
for a in $got; do
	case " $m1 $m2 $m61 $m62 " in *" $a "*) ;; *) fail "pcap: address $a is not a mapped one ($got)" ;; esac
done
[ -n "$got" ] || fail "pcap: no addresses"
nbad=$(tshark -n -r "$TMP/a.pcap" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
	-Y 'ip.checksum.status==0 || udp.checksum.status==0 || icmp.checksum.status==0 ||
	icmpv6.checksum.status==0' 2>/dev/null | wc -l)
[ "$nbad" = 0 ] || fail "pcap: tshark finds $nbad bad checksums"
ngood=$(tshark -n -r "$TMP/a.pcap" -o udp.check_checksum:TRUE -Y 'udp.checksum.status==1' 2>/dev/null | wc -l)
[ "$ngood" -gt 0 ] || fail "pcap: no UDP checksum verified"
ok "pcap: only mapped addresses ($got), $ngood UDP checksums verified, none bad"

"$FLOWTAP" capture -w "$TMP/h.pcapng" --format pcapng -c 30 --anonymize "$TMP/k" --headers-only \
	2>"$TMP/err" || fail "pcapng --headers-only: $(cat "$TMP/err")"
[ "$(npackets "$TMP/h.pcapng")" = 30 ] || fail "pcapng: $(npackets "$TMP/h.pcapng") packets"
grep -q flowtap-testdp "$TMP/h.pcapng" && fail "pcapng --headers-only: payload left"
short=$(tshark -n -r "$TMP/h.pcapng" -T fields -e frame.cap_len -e frame.len 2>/dev/null |
	awk '$1 < $2' | wc -l)
[ "$short" -gt 0 ] || fail "pcapng --headers-only: no packet cut"
for a in $(addrs "$TMP/h.pcapng"); do
	case " $m1 $m2 $m61 $m62 " in *" $a "*) ;; *) fail "pcapng: address $a is not mapped" ;; esac
done
"$FLOWTAP" read -r "$TMP/h.pcapng" >"$TMP/h.txt" || fail "read pcapng"
grep -q -E "pre-nat (src|dst) ($m9|$m69)" "$TMP/h.txt" || fail "pcapng: no mapped pre-NAT: $(head -3 "$TMP/h.txt")"
grep -q -E '10\.0\.0\.9|fd00::9|192\.168\.1\.5|fd00::5|100\.64\.0\.|fd7a:' "$TMP/h.txt" &&
	fail "pcapng: a real address: $(grep -m1 -E '10\.0\.0\.9|192\.168|fd00::' "$TMP/h.txt")"
tshark -n -r "$TMP/h.pcapng" -T fields -e frame.comment 2>/dev/null | grep -q pre-nat &&
	fail "pcapng: a pre-NAT comment with the real addresses is left"
ok "pcapng --headers-only: 30 packets, $short cut (lengths kept), no payload, mapped addresses and pre-NAT"

"$FLOWTAP" capture -o "$TMP/u.user0" -c 40 --path from-peer --anonymize "$TMP/k" 2>"$TMP/err" ||
	fail "-o user0: $(cat "$TMP/err")"
"$FLOWTAP" read -r "$TMP/u.user0" >"$TMP/u.txt" || fail "read user0"
grep -q -E "pre-nat dst ($m9|$m69)" "$TMP/u.txt" || fail "user0: no mapped pre-NAT: $(head -2 "$TMP/u.txt")"
grep -q -E '10\.0\.0\.9|fd00::9|100\.64\.0\.|fd7a:' "$TMP/u.txt" && fail "user0: a real address: $(head -2 "$TMP/u.txt")"
ok "user0: pre-NAT and packet addresses mapped"

# Text is made in the client: mapped as flowtap read maps (pre-NAT too).
"$FLOWTAP" capture -c 20 --anonymize "$TMP/k" >"$TMP/t.txt" 2>"$TMP/err" ||
	fail "text with --anonymize: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/t.txt")" = 20 ] || fail "text: $(wc -l <"$TMP/t.txt") lines"
grep -q -E "pre-nat dst ($m9|$m69)" "$TMP/t.txt" && grep -q -E " ($m1|$m61)\.40000 > " "$TMP/t.txt" ||
	fail "text: no mapped address: $(head -2 "$TMP/t.txt")"
grep -q -E '10\.0\.0\.9|fd00::9|192\.168\.1\.5|fd00::5|100\.64\.0\.|fd7a:' "$TMP/t.txt" &&
	fail "text: a real address: $(head -2 "$TMP/t.txt")"
ok "text: packet and pre-NAT addresses mapped"
chmod 604 "$TMP/k"
"$FLOWTAP" capture -w "$TMP/x.pcap" -c 2 --anonymize "$TMP/k" 2>"$TMP/err"
rc=$?
[ "$rc" = 2 ] && grep -q 'chmod 600' "$TMP/err" || fail "world-readable key: exit $rc $(cat "$TMP/err")"
ok "a world-readable key is refused with exit 2"
chmod 600 "$TMP/k"

# The server's key: anonymize=1 on the API.
cap() { curl -s -X POST --unix-socket "$SOCK" -o "$2" -w '%{http_code}' \
	"http://local/localapi/v0/debug-capture?$1" 2>/dev/null; }
code=$(cap 'anonymize=1&format=pcapng&count=2' "$TMP/nokey.out")
[ "$code" = 409 ] && grep -q 'no anonymization key' "$TMP/nokey.out" ||
	fail "anonymize=1 without a server key: $code $(cat "$TMP/nokey.out")"
ok "anonymize=1 on a server without a key: 409 ($(cat "$TMP/nokey.out"))"
"$FLOWTAP" capture -w "$TMP/nokey.pcap" -c 2 --server-anonymize 2>"$TMP/err"
rc=$?
[ "$rc" != 0 ] && grep -q 'no anonymization key' "$TMP/err" || fail "--server-anonymize without a key: exit $rc $(cat "$TMP/err")"
"$FLOWTAP" capture -w "$TMP/nokey.pcap" -c 2 --server-anonymize --anonymize "$TMP/k" 2>"$TMP/err"
rc=$?
[ "$rc" = 2 ] || fail "--server-anonymize with --anonymize: exit $rc $(cat "$TMP/err")"
ok "flowtap capture --server-anonymize: refused without a server key (exit $rc), and with --anonymize (exit 2)"
dp_stop

dp_start "$SOCK" --rate 2000 --flows 200 --anonymize "$TMP/k"
curl -sN --unix-socket "$SOCK" http://local/localapi/v0/flows -o "$TMP/s.flows" &
FLOWS=$!
code=$(cap 'anonymize=maybe' "$TMP/bad.out")
[ "$code" = 400 ] && grep -q "anonymize" "$TMP/bad.out" || fail "anonymize=maybe: $code $(cat "$TMP/bad.out")"
ok "anonymize=maybe: 400 ($(cat "$TMP/bad.out"))"
code=$(cap 'anonymize=1&format=pcapng&count=40' "$TMP/s.pcapng")
[ "$code" = 200 ] || fail "anonymize=1 pcapng: $code $(head -c 300 "$TMP/s.pcapng")"
[ "$(npackets "$TMP/s.pcapng")" = 40 ] || fail "server pcapng: $(npackets "$TMP/s.pcapng") packets"
got=$(addrs "$TMP/s.pcapng")
[ -n "$got" ] || fail "server pcapng: no addresses"
for a in $got; do
	case " $m1 $m2 $m61 $m62 " in *" $a "*) ;; *) fail "server pcapng: address $a is not mapped ($got)" ;; esac
done
nbad=$(tshark -n -r "$TMP/s.pcapng" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
	-Y 'ip.checksum.status==0 || udp.checksum.status==0' 2>/dev/null | wc -l)
ngood=$(tshark -n -r "$TMP/s.pcapng" -o udp.check_checksum:TRUE -Y 'udp.checksum.status==1' 2>/dev/null | wc -l)
[ "$nbad" = 0 ] && [ "$ngood" -gt 0 ] || fail "server pcapng: $nbad bad checksums, $ngood good"
"$FLOWTAP" read -r "$TMP/s.pcapng" >"$TMP/s.txt" || fail "read server pcapng"
grep -q -E "pre-nat (src|dst) ($m9|$m69)" "$TMP/s.txt" || fail "server pcapng: no mapped pre-NAT"
grep -q -E '10\.0\.0\.9|fd00::9|192\.168\.1\.5|fd00::5|100\.64\.0\.|fd7a:' "$TMP/s.txt" &&
	fail "server pcapng: a real address: $(grep -m1 -E '10\.0\.0\.9|192\.168|fd00::|100\.64' "$TMP/s.txt")"
grep -q -a -E '10\.0\.0\.9|192\.168\.1\.5|fd00::' "$TMP/s.pcapng" && fail "server pcapng: a real address in a comment"
ok "anonymize=1 pcapng: only mapped addresses ($got), pre-NAT mapped, $ngood UDP checksums good, none bad"

code=$(cap 'anonymize=1&format=pcap&count=20' "$TMP/s.pcap")
[ "$code" = 200 ] && [ "$(npackets "$TMP/s.pcap")" = 20 ] || fail "anonymize=1 pcap: $code"
for a in $(addrs "$TMP/s.pcap"); do
	case " $m1 $m2 $m61 $m62 " in *" $a "*) ;; *) fail "server pcap: address $a is not mapped" ;; esac
done
code=$(cap 'anonymize=1&count=20&path=from-peer' "$TMP/s.user0")
[ "$code" = 200 ] || fail "anonymize=1 user0: $code"
"$FLOWTAP" read -r "$TMP/s.user0" >"$TMP/su.txt" || fail "read server user0"
grep -q -E "pre-nat dst ($m9|$m69)" "$TMP/su.txt" || fail "server user0: no mapped pre-NAT: $(head -2 "$TMP/su.txt")"
code=$(cap 'anonymize=1&format=text&count=20' "$TMP/st.txt")
[ "$code" = 200 ] && [ "$(wc -l <"$TMP/st.txt")" = 20 ] || fail "anonymize=1 text: $code"
grep -q -E " ($m1|$m61)\.40000 > " "$TMP/st.txt" || fail "server text: no mapped address: $(head -2 "$TMP/st.txt")"
for f in su.txt st.txt; do
	grep -q -E '10\.0\.0\.9|fd00::9|192\.168\.1\.5|fd00::5|100\.64\.0\.|fd7a:' "$TMP/$f" &&
		fail "server $f: a real address: $(head -2 "$TMP/$f")"
done
ok "anonymize=1 pcap, user0 (pre-NAT too) and text: only mapped addresses"
"$FLOWTAP" capture -c 20 --server-anonymize >"$TMP/sc.txt" 2>"$TMP/err" ||
	fail "flowtap capture --server-anonymize: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/sc.txt")" = 20 ] && grep -q -E " ($m1|$m61)\.40000 > " "$TMP/sc.txt" ||
	fail "--server-anonymize: $(head -2 "$TMP/sc.txt")"
grep -q -E '10\.0\.0\.9|fd00::9|192\.168\.1\.5|fd00::5|100\.64\.0\.|fd7a:' "$TMP/sc.txt" &&
	fail "--server-anonymize: a real address: $(head -2 "$TMP/sc.txt")"
ok "flowtap capture --server-anonymize: 20 lines, only mapped addresses"

# The flow log (same key) names the same mapped addresses as the captures.
for _ in $(seq 100); do
	grep -q -F "$m1" "$TMP/s.flows" && grep -q -F "$m2" "$TMP/s.flows" && break
	sleep 0.1
done
kill "$FLOWS" 2>/dev/null
wait "$FLOWS" 2>/dev/null
grep -q -F "$m1" "$TMP/s.flows" && grep -q -F "$m2" "$TMP/s.flows" ||
	fail "flow log: no $m1 / $m2: $(head -c 400 "$TMP/s.flows")"
grep -q -E '100\.64\.0\.|fd7a:' "$TMP/s.flows" && fail "flow log: a real address"
ok "flow log with the server's key: $m1 and $m2, as in the captures"
dp_stop
