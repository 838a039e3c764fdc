#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# e2e: for 40 tcpdump filter expressions, `flowtap read` selects exactly the
# packets tcpdump selects, on Ethernet and raw-IP captures; and the command's
# errors (bad filter, bad flag, missing, corrupt and truncated files, full
# disk, closed pipe) give a clear message and the documented exit code.
set -uo pipefail
FT=${FT_BUILD:?}/flowtap
command -v tcpdump >/dev/null || { echo "SKIP: tcpdump not installed"; exit 77; }
gen=${FT_SHARED:-/nonexistent}/bench/gen_pcap.py
[ -f "$gen" ] || { echo "SKIP: $gen absent (needs ../shared)"; exit 77; }
tmp=$(mktemp -d /tmp/ftb-filters.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # name expected actual
	if [ "$2" == "$3" ]; then echo "ok   $1"; else
		echo "FAIL $1: expected '$2', got '$3'"; fail=1; fi
}

python3 "$gen" "$tmp/eth.pcap" --packets 20000 >/dev/null
python3 "$gen" "$tmp/raw.pcap" --packets 20000 --link raw >/dev/null

exprs=(
	"tcp" "udp" "icmp" "ip6" "ip" "icmp6" "not tcp"
	"host 100.64.0.1" "src net 100.64.0.0/10" "dst net 10.1.0.0/16" "net fd7a:115c:a1e0::/48"
	"tcp port 443" "udp port 53" "port 80 or port 8080" "portrange 1000-2000"
	"tcp dst portrange 40000-65535" "src port 443 and tcp"
	"tcp[tcpflags] & tcp-syn != 0" "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn"
	"tcp[tcpflags] & tcp-fin != 0" "tcp[tcpflags] & tcp-rst != 0"
	"ip[8] < 64" "ip[9] == 17" "ip[2:2] > 1000" "tcp[0:2] == 443"
	"len > 100" "len <= 60" "greater 1000" "less 200"
	"ip proto 6" "ip proto \\udp" "ip6 proto 58" "ip6 and tcp" "ip and not udp"
	"(tcp or udp) and not port 443" "icmp[icmptype] == icmp-echo"
	"icmp6 and ip6[40] == 128" "dst host 8.8.8.8 or dst host 1.1.1.1" "net 93.184.216.0/24"
	"udp and (src net 100.64.0.0/10 and dst net 100.64.0.0/10)"
	"vlan"
)
check "at least 30 expressions" 1 "$(( ${#exprs[@]} >= 30 ))"
nonzero=0
for f in eth raw; do
	for e in "${exprs[@]}"; do
		# libpcap has no VLAN tags on raw IP (tested as an error below).
		[ $f = raw ] && [ "$e" = vlan ] && continue
		want=$(tcpdump -nr "$tmp/$f.pcap" "$e" 2>/dev/null | wc -l)
		# The expression is passed as separate words, joined as tcpdump does.
		# shellcheck disable=SC2086
		got=$("$FT" read -r "$tmp/$f.pcap" -w - $e | tcpdump -nr - 2>/dev/null | wc -l)
		text=$("$FT" read -r "$tmp/$f.pcap" "$e" | wc -l)
		check "$f: '$e' pcap count" "$want" "$got"
		check "$f: '$e' text lines" "$want" "$text"
		[ "$want" -gt 0 ] && nonzero=$((nonzero + 1))
	done
done
# Rewriting keeps everything tcpdump -w keeps: the files are byte-identical.
for f in eth raw; do
	for e in "tcp port 443" "ip6 or icmp" ""; do
		tcpdump -n -r "$tmp/$f.pcap" -w "$tmp/td.pcap" $e 2>/dev/null
		"$FT" read -r "$tmp/$f.pcap" -w "$tmp/ft.pcap" $e
		if cmp -s "$tmp/td.pcap" "$tmp/ft.pcap"; then echo "ok   $f: -w '$e' byte-identical to tcpdump -w"
		else echo "FAIL $f: -w '$e' differs from tcpdump -w"; fail=1; fi
	done
done

# Most expressions must select something, or the comparison proves little.
check "expressions selecting packets (>= 60)" 1 "$(( nonzero >= 60 ))"

expect_err() { # name exit-code message-regex command...
	local name=$1 code=$2 re=$3; shift 3
	local out rc
	out=$("$@" 2>&1 >/dev/null); rc=$?
	check "$name: exit $code" "$code" "$rc"
	if grep -Eq -- "$re" <<<"$out"; then echo "ok   $name: message"; else
		echo "FAIL $name: message '$out' does not match /$re/"; fail=1; fi
}
expect_err "bad filter" 2 '^flowtap: bad filter expression: .*syntax error' \
	"$FT" read -r "$tmp/eth.pcap" tcp port
expect_err "bad address" 2 "^flowtap: bad filter expression: .*invalid IPv4 address '300.1.2.3'" \
	"$FT" read -r "$tmp/eth.pcap" host 300.1.2.3
expect_err "vlan on raw IP" 2 '^flowtap: bad filter expression: no VLAN support for Raw IP' \
	"$FT" read -r "$tmp/raw.pcap" vlan
expect_err "ether on raw IP" 2 '^flowtap: bad filter expression: .*ether' \
	"$FT" read -r "$tmp/raw.pcap" ether host 01:02:03:04:05:06
expect_err "bad flag" 2 "unknown option '--bogus'" "$FT" read --bogus -r "$tmp/eth.pcap"
expect_err "bad format" 2 "unknown format 'json'" "$FT" read -r "$tmp/eth.pcap" --format json
expect_err "bad count" 2 "invalid packet count 'x'" "$FT" read -r "$tmp/eth.pcap" -c x
expect_err "bad snaplen" 2 "invalid snaplen '999999'" "$FT" read -r "$tmp/eth.pcap" -s 999999
expect_err "bad path" 2 "unknown path 'nowhere'" "$FT" read -r "$tmp/eth.pcap" --path nowhere
expect_err "bad direction" 2 "bad direction 'up'" "$FT" read -r "$tmp/eth.pcap" --direction up
expect_err "no -r" 2 '-r FILE is required' "$FT" read tcp
expect_err "missing file" 1 "^flowtap: $tmp/nope.pcap: No such file or directory" \
	"$FT" read -r "$tmp/nope.pcap"
printf 'this is not a capture\n%.0s' {1..10} >"$tmp/text.txt"
expect_err "not a capture" 1 "^flowtap: $tmp/text.txt: .*(unknown file format|format)" \
	"$FT" read -r "$tmp/text.txt"
expect_err "unwritable output" 1 "^flowtap: cannot create '/nonexistent/o.pcap'" \
	"$FT" read -r "$tmp/eth.pcap" -w /nonexistent/o.pcap
if [ -w /dev/full ]; then
	expect_err "disk full" 1 "^flowtap: cannot write to '/dev/full': No space left on device" \
		"$FT" read -r "$tmp/eth.pcap" -w /dev/full
fi

# A file cut in the middle of a record: everything before it is printed,
# then the reason, and a non-zero exit.
size=$(stat -c %s "$tmp/eth.pcap")
head -c $((size / 2 + 7)) "$tmp/eth.pcap" >"$tmp/cut.pcap"
want=$(tcpdump -nr "$tmp/cut.pcap" 2>/dev/null | wc -l)
got=$("$FT" read -r "$tmp/cut.pcap" 2>"$tmp/err" | wc -l)
rc=${PIPESTATUS[0]}
check "truncated: packets before the cut printed" "$want" "$got"
check "truncated: exit 1" 1 "$rc"
check "truncated: message" 1 "$(grep -Ec "^flowtap: $tmp/cut.pcap: truncated dump file" "$tmp/err")"
got=$("$FT" read -r "$tmp/cut.pcap" -w - 2>/dev/null | tcpdump -nr - 2>/dev/null | wc -l)
check "truncated: rewrite keeps the readable packets" "$want" "$got"
# A corrupt record header (an absurd captured length).
cp "$tmp/raw.pcap" "$tmp/bad.pcap"
printf '\xff\xff\xff\x7f' | dd of="$tmp/bad.pcap" bs=1 seek=$((24 + 8)) conv=notrunc 2>/dev/null
expect_err "corrupt record" 1 "^flowtap: $tmp/bad.pcap: .*(invalid|larger|big)" "$FT" read -r "$tmp/bad.pcap"

# A reader that goes away: EPIPE is reported, not a silent death by SIGPIPE.
"$FT" read -r "$tmp/eth.pcap" 2>"$tmp/err" | head -1 >/dev/null
rc=${PIPESTATUS[0]}
check "closed pipe: exit 1" 1 "$rc"
check "closed pipe: message" 1 "$(grep -c "^flowtap: cannot write to 'standard output': Broken pipe" "$tmp/err")"
exit $fail
