#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# One key, one mapping: the connections of a flow log computed with
# `flowtap flows -r IN --anonymize K` (messages and records) are exactly
# those tshark finds in the pcapng `flowtap read -r IN --anonymize K`
# writes; the flow log holds no real address; a bad key is exit 2.
set -uo pipefail
: "${FT_BUILD:?}" "${FT_SRC:?}"
# shellcheck source=common.bash
source "$FT_SRC/tests/e2e/common.bash"
command -v tshark >/dev/null || skip "tshark is not installed"
command -v jq >/dev/null || skip "jq is not installed"
F=$FT_BUILD/flowtap
tmp=$(mktemp -d /tmp/ft-anon-flows.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

"$F" anonymize-key-new "$tmp/k" || fail "anonymize-key-new failed"
python3 "$FT_SRC/tests/data/gen_anon_pcap.py" "$tmp/in.pcap" MARK || fail "generator failed"
"$F" read -r "$tmp/in.pcap" -w "$tmp/a.pcapng" --format pcapng --anonymize "$tmp/k" ||
	fail "read --anonymize failed"
"$F" flows -r "$tmp/in.pcap" --log-exit-flows --anonymize "$tmp/k" >"$tmp/msgs" ||
	fail "flows --anonymize failed"
"$F" flows -r "$tmp/in.pcap" --log-exit-flows --anonymize "$tmp/k" --flow-format records \
	>"$tmp/recs" || fail "flows --anonymize --flow-format records failed"

# "proto src dst" with [v6]:port, from the pcapng and from the flow log.
tshark -n -r "$tmp/a.pcapng" -Y ip.src -T fields -E occurrence=f -e ip.proto -e ip.src -e ip.dst \
	-e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport 2>/dev/null |
	awk -F'\t' '{ sp = $4 $6; dp = $5 $7; if (sp == "") sp = dp = 0
		print $1, $2 ":" sp, $3 ":" dp }' >"$tmp/pc"
tshark -n -r "$tmp/a.pcapng" -Y ipv6.src -T fields -E occurrence=f -e ipv6.nxt -e ipv6.src \
	-e ipv6.dst -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport 2>/dev/null |
	awk -F'\t' '{ sp = $4 $6; dp = $5 $7; if (sp == "") sp = dp = 0
		print $1, "[" $2 "]:" sp, "[" $3 "]:" dp }' >>"$tmp/pc"
sort -o "$tmp/pc" "$tmp/pc"
jq -r '(.exitTraffic // [])[] | "\(.proto) \(.src) \(.dst)"' "$tmp/msgs" | sort >"$tmp/fl"
[ "$(wc -l <"$tmp/pc")" = 8 ] || fail "tshark found $(wc -l <"$tmp/pc") connections, expected 8"
diff "$tmp/pc" "$tmp/fl" >"$tmp/d" || fail "pcapng and flow log differ: $(head -6 "$tmp/d")"
ok "8 connections: the anonymized pcapng and flow-log messages name the same mapped ends"

jq -r '"\(.proto) \(.src) \(.dst)"' "$tmp/recs" 2>/dev/null | sort >"$tmp/fr"
if ! diff -q "$tmp/fr" "$tmp/pc" >/dev/null; then
	# Records may spell the ends as separate address and port fields.
	jq -r '"\(.proto) \(.srcAddr // .src) \(.dstAddr // .dst)"' "$tmp/recs" | head -2 >&2
	fail "records and pcapng differ: $(diff "$tmp/fr" "$tmp/pc" | head -4)"
fi
ok "flow-log records name the same mapped ends"

grep -E -q '10\.20\.30\.40|192\.0\.2\.77|2001:db8:' "$tmp/msgs" "$tmp/recs" &&
	fail "the anonymized flow log shows a real address"
"$F" flows -r "$tmp/in.pcap" --log-exit-flows >"$tmp/plain" || fail "plain flows failed"
grep -q '10.20.30.40' "$tmp/plain" || fail "the plain flow log lacks the real address"
ok "no real address in the anonymized flow log (the plain one has them)"

chmod 644 "$tmp/k"
"$F" flows -r "$tmp/in.pcap" --anonymize "$tmp/k" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" = 2 ] && grep -q "chmod 600" "$tmp/err" || fail "readable key: exit $rc, $(cat "$tmp/err")"
"$F" flows -r "$tmp/in.pcap" --anonymize "$tmp/nokey" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" = 2 ] && grep -q "cannot open key file" "$tmp/err" || fail "missing key: exit $rc"
ok "flows: a readable or missing key file is exit 2"

# The daemons take the same key files and refuse bad ones before starting.
chmod 600 "$tmp/k"
head -c 40 "$tmp/k" >"$tmp/short" && chmod 600 "$tmp/short"
for prog in flowtapd flowtap-tunnel; do
	[ -x "$FT_BUILD/$prog" ] || continue
	for bad in nokey short; do
		"$FT_BUILD/$prog" --anonymize "$tmp/$bad" --flow-log - >/dev/null 2>"$tmp/err"
		rc=$?
		[ "$rc" = 2 ] && grep -q -- "--anonymize: .*key file" "$tmp/err" ||
			fail "$prog --anonymize $bad: exit $rc, $(cat "$tmp/err")"
	done
done
ok "flowtapd and flowtap-tunnel: a missing or short key file is exit 2"
