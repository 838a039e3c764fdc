#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtap read --anonymize KEYFILE [--headers-only]: key files (made with
# mode 0600; missing, short or group/world-readable ones refused with exit
# 2), the mapping against an independent Python Crypto-PAn for IPv4 and
# IPv6, mapped addresses in text, pcap and pcapng with checksums tshark
# still finds correct, and --headers-only leaving no payload byte.
set -uo pipefail
: "${FT_BUILD:?}" "${FT_SRC:?}"
# shellcheck source=common.bash
source "$FT_SRC/tests/e2e/common.bash"
command -v tshark >/dev/null || skip "tshark is not installed"
command -v openssl >/dev/null || skip "openssl is not installed"
F=$FT_BUILD/flowtap
tmp=$(mktemp -d /tmp/ft-anon-read.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# Keys.
"$F" anonymize-key-new "$tmp/k" || fail "anonymize-key-new failed"
[ "$(stat -c %a "$tmp/k")" = 600 ] || fail "new key has mode $(stat -c %a "$tmp/k"), not 600"
[ "$(tr -d '\n' <"$tmp/k" | wc -c)" = 64 ] || fail "new key is not 64 hex digits"
"$F" anonymize-key-new "$tmp/k2" && ! cmp -s "$tmp/k" "$tmp/k2" || fail "two new keys are equal"
"$F" anonymize-key-new "$tmp/k" 2>"$tmp/err" && fail "anonymize-key-new replaced a key"
grep -q "exists" "$tmp/err" || fail "no 'exists' message: $(cat "$tmp/err")"
python3 "$FT_SRC/tests/data/gen_anon_pcap.py" "$tmp/in.pcap" SECRETMARKER || fail "generator failed"
bad_key() { # NAME EXPECTED-TEXT
	"$F" read -r "$tmp/in.pcap" -w "$tmp/x.pcap" --anonymize "$tmp/$1" 2>"$tmp/err"
	rc=$?
	[ "$rc" = 2 ] || fail "key '$1': exit $rc, expected 2"
	grep -q -- "$2" "$tmp/err" || fail "key '$1': message lacks '$2': $(cat "$tmp/err")"
}
bad_key missing "cannot open key file"
head -c 20 "$tmp/k" >"$tmp/short" && chmod 600 "$tmp/short"
bad_key short "too short"
cp "$tmp/k" "$tmp/world" && chmod 644 "$tmp/world"
bad_key world "chmod 600"
cp "$tmp/k" "$tmp/group" && chmod 640 "$tmp/group"
bad_key group "group or others"
ok "key files: new one 0600, missing/short/readable ones refused with exit 2"

# The mapping against a second implementation (Python, openssl enc).
python3 - >"$tmp/addrs" <<'PY'
import ipaddress, random
r = random.Random(7)
for _ in range(40):
    print(ipaddress.IPv4Address(r.getrandbits(32)))
for _ in range(80):
    print(ipaddress.IPv6Address(r.getrandbits(128)))
print("::"); print("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"); print("2001:db8::1")
PY
mapfile -t addrs <"$tmp/addrs"
"$F" anonymize-addr "$tmp/k" "${addrs[@]}" >"$tmp/c.txt" || fail "anonymize-addr failed"
python3 "$FT_SRC/tests/tools/cryptopan.py" "$tmp/k" "${addrs[@]}" >"$tmp/py.txt" || fail "python failed"
diff "$tmp/c.txt" "$tmp/py.txt" >/dev/null || fail "C and Python mappings differ: $(diff "$tmp/c.txt" "$tmp/py.txt" | head -5)"
ok "${#addrs[@]} IPv4/IPv6 addresses map as the independent Python implementation does"

# Text, pcap and pcapng carry the mapped addresses, never the real ones.
read -r m4s m4d m6s m6d m4a < <("$F" anonymize-addr "$tmp/k" 10.20.30.40 192.0.2.77 \
	2001:db8:1::10 2001:db8:2::20 198.51.100.9 | tr '\n' ' ')
"$F" read -r "$tmp/in.pcap" --anonymize "$tmp/k" >"$tmp/text" || fail "text read failed"
grep -q "$m4s.40000 > $m4d.80" "$tmp/text" || fail "text lacks $m4s > $m4d: $(head -3 "$tmp/text")"
grep -q "$m6s.40000 > $m6d.80" "$tmp/text" || fail "text lacks $m6s > $m6d"
grep -q "A $m4a" "$tmp/text" || fail "text lacks the mapped DNS answer $m4a"
grep -E -q '10\.20\.30\.40|192\.0\.2\.77|2001:db8:|198\.51\.100\.9' "$tmp/text" && fail "text shows a real address"
for fmt in pcap pcapng; do
	"$F" read -r "$tmp/in.pcap" -w "$tmp/o.$fmt" --format $fmt --anonymize "$tmp/k" || fail "$fmt write failed"
	tshark -n -r "$tmp/o.$fmt" -T fields -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst -e dns.a \
		>"$tmp/ts" 2>/dev/null || fail "tshark cannot read $fmt"
	grep -q "$m4s	$m4d" "$tmp/ts" || fail "$fmt: tshark lacks $m4s $m4d"
	grep -q "$m6s	$m6d" "$tmp/ts" || fail "$fmt: tshark lacks $m6s $m6d"
	grep -q "$m4a" "$tmp/ts" || fail "$fmt: tshark lacks the DNS answer $m4a"
	nbad=$(tshark -n -r "$tmp/o.$fmt" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-o udp.check_checksum:TRUE -Y 'ip.checksum.status==0 || tcp.checksum.status==0 ||
		udp.checksum.status==0 || icmp.checksum.status==0 || icmpv6.checksum.status==0' 2>/dev/null | wc -l)
	[ "$nbad" = 0 ] || fail "$fmt: tshark finds $nbad packets with bad checksums"
	ngood=$(tshark -n -r "$tmp/o.$fmt" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-o udp.check_checksum:TRUE -Y 'tcp.checksum.status==1 || udp.checksum.status==1 ||
		icmp.checksum.status==1 || icmpv6.checksum.status==1' 2>/dev/null | wc -l)
	[ "$ngood" = 7 ] || fail "$fmt: tshark verifies $ngood transport checksums, expected 7"
done
ok "text, pcap and pcapng show mapped addresses; tshark verifies all 7 transport checksums"

# --headers-only: no payload byte left, original lengths kept.
grep -c SECRETMARKER "$tmp/in.pcap" >/dev/null || fail "the marker is not in the input"
"$F" read -r "$tmp/in.pcap" -w "$tmp/h.pcap" --anonymize "$tmp/k" --headers-only || fail "headers-only failed"
grep -q SECRETMARKER "$tmp/h.pcap" && fail "--headers-only left the payload marker in"
"$F" read -r "$tmp/in.pcap" -A -x --anonymize "$tmp/k" --headers-only 2>&1 | grep -q SECRETMARKER &&
	fail "--headers-only text shows the payload marker"
cmp <(tshark -n -r "$tmp/in.pcap" -T fields -e frame.len 2>/dev/null) \
	<(tshark -n -r "$tmp/h.pcap" -T fields -e frame.len 2>/dev/null) || fail "--headers-only changed lengths"
hl=$(tshark -n -r "$tmp/h.pcap" -T fields -e frame.cap_len 2>/dev/null | tr '\n' ' ')
[ "$hl" = "54 42 42 42 34 74 62 62 14 " ] || fail "--headers-only captured lengths: $hl"
"$F" read -r "$tmp/in.pcap" -w "$tmp/h2.pcap" --headers-only || fail "--headers-only alone failed"
grep -q SECRETMARKER "$tmp/h2.pcap" && fail "--headers-only alone left the marker in"
tshark -n -r "$tmp/h2.pcap" -T fields -e ip.src 2>/dev/null | grep 10.20.30.40 >/dev/null ||
	fail "--headers-only alone changed addresses"
ok "--headers-only: no marker byte in pcap or text, lengths kept, headers to the transport"

echo '[]' >"$tmp/peers.json"
"$F" read -r "$tmp/in.pcap" --anonymize "$tmp/k" --peers "$tmp/peers.json" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" = 2 ] && grep -q "exclude each other" "$tmp/err" || fail "--peers with --anonymize: exit $rc, $(cat "$tmp/err")"
ok "--peers with --anonymize is refused (names would undo the mapping)"
