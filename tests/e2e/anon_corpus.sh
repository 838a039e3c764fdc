#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtap read --anonymize over the tcpdump corpus: tshark finds no NEW bad
# IP/TCP/UDP/ICMP/ICMPv6 checksum (every packet whose checksum was correct
# before is not reported bad after), and --headers-only goes through too.
# The classic pcap files are merged per link type first, so tshark runs a
# dozen times rather than 800. (Every file of the corpus, pcapng too, goes
# through the rewriter in-process in unit/test_anon, under ASan with make
# asan.)
set -uo pipefail
: "${FT_BUILD:?}" "${FT_SRC:?}" "${FT_SHARED:?}"
# shellcheck source=common.bash
source "$FT_SRC/tests/e2e/common.bash"
corpus=$FT_SHARED/corpus/tcpdump
[ -d "$corpus" ] || skip "$corpus is absent"
command -v tshark >/dev/null || skip "tshark is not installed"
F=$FT_BUILD/flowtap
tmp=$(mktemp -d /tmp/ft-anon-corpus.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
"$F" anonymize-key-new "$tmp/k" || fail "anonymize-key-new failed"

mkdir "$tmp/m"
python3 "$FT_SRC/tests/tools/pcap_concat.py" "$tmp/m" "$corpus"/* >"$tmp/lts" || fail "pcap_concat failed"
ckbad() {
	tshark -n -r "$1" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE \
		-Y 'ip.checksum.status==0 || tcp.checksum.status==0 || udp.checksum.status==0 ||
		icmp.checksum.status==0 || icmpv6.checksum.status==0' -T fields -e frame.number 2>/dev/null | sort
}
ckgood() {
	tshark -n -r "$1" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE \
		-Y 'ip.checksum.status==1 || tcp.checksum.status==1 || udp.checksum.status==1' \
		-T fields -e frame.number 2>/dev/null | wc -l
}
checked=0 total_good=0
for lt in 0 1 101 108 113 228 229 276; do
	in=$tmp/m/lt-$lt.pcap
	[ -f "$in" ] || continue
	"$F" read -r "$in" -w "$tmp/a.pcap" --anonymize "$tmp/k" 2>"$tmp/err" ||
		fail "linktype $lt: flowtap read --anonymize failed: $(head -3 "$tmp/err")"
	"$F" read -r "$in" -w "$tmp/h.pcapng" --format pcapng --anonymize "$tmp/k" --headers-only \
		2>"$tmp/err" || fail "linktype $lt: --headers-only failed: $(head -3 "$tmp/err")"
	ckbad "$in" >"$tmp/before"
	ckbad "$tmp/a.pcap" >"$tmp/after"
	new=$(comm -13 "$tmp/before" "$tmp/after" | head -5 | tr '\n' ' ')
	[ -z "$new" ] || fail "linktype $lt: new checksum errors in frames $new"
	g=$(ckgood "$tmp/a.pcap")
	total_good=$((total_good + g))
	checked=$((checked + 1))
done
[ "$checked" -ge 3 ] || fail "only $checked link types checked"
[ "$total_good" -gt 1000 ] || fail "only $total_good packets with verified checksums after (expected > 1000)"
ok "$checked link types: no new checksum errors, $total_good packets with checksums tshark verifies"
