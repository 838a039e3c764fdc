#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtap read's text against tcpdump -n's, line by line (a line being a
# packet's record: -v continues IPv4 lines on indented ones). Prints the
# share of identical records for the synthetic overlay capture (default,
# -S, -v: each must be at least 98%) and for the shared corpus files of the
# protocols flowtap decodes (printed, no floor: they hold malformed packets
# on purpose, and flowtap-text(7) lists where it prints less or more).
set -euo pipefail
: "${FT_BUILD:?}" "${FT_SHARED:?}"
. "$(dirname "$0")/common.bash"

gen="$FT_SHARED/bench/gen_pcap.py"
[ -f "$gen" ] || skip "$gen absent"
command -v tcpdump >/dev/null || skip "tcpdump not installed"
command -v python3 >/dev/null || skip "python3 not installed"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$gen" "$tmp/syn.pcap" --packets 20000 >/dev/null

cat >"$tmp/share.py" <<'PY'
import sys
def records(path):
    out = []
    for l in open(path, errors='replace').read().splitlines():
        if l[:1] in (' ', '\t') and out:
            out[-1] += '\n' + l
        else:
            out.append(l)
    return out
a, b = records(sys.argv[1]), records(sys.argv[2])
same = sum(x == y for x, y in zip(a, b))
n = max(len(a), len(b))
pct = 100.0 * same / n if n else 100.0
print('%.2f %d %d' % (pct, same, n))
for x, y in zip(a, b):
    if x != y and len(sys.argv) > 3:
        print('  flowtap: ' + x.replace('\n', '\\n'), file=sys.stderr)
        print('  tcpdump: ' + y.replace('\n', '\\n'), file=sys.stderr)
        break
PY

# compare FILE FLAGS...: prints "PCT SAME TOTAL".
compare() {
	local f=$1
	shift
	TZ=UTC "$FT_BUILD/flowtap" read -r "$f" "$@" >"$tmp/ft.txt" 2>/dev/null || true
	TZ=UTC tcpdump -n "$@" -r "$f" >"$tmp/td.txt" 2>/dev/null </dev/null || true
	python3 "$tmp/share.py" "$tmp/ft.txt" "$tmp/td.txt" show
}

bad=0
for flags in "" "-S" "-v"; do
	read -r pct same n < <(compare "$tmp/syn.pcap" $flags)
	echo "identical lines, synthetic capture${flags:+ $flags}: $pct% ($same of $n)"
	if [ "$(echo "$pct < 98" | bc -l)" = 1 ]; then
		echo "FAIL: under 98% with '${flags:-default}'"
		bad=1
	fi
done

corpus="$FT_SHARED/corpus/tcpdump"
if [ -d "$corpus" ]; then
	tot_same=0 tot=0
	for f in dns_tcp dns_udp dns-zlip-1 dns-badcookie dns-badvers icmpv6 \
		tcp_eight_lowest_weight_flags_set ipv6-routing-header arp-too-long-tha \
		icmp-rfc5837 ipv6-bad-version; do
		p="$corpus/$f.pcap"
		[ -f "$p" ] || continue
		read -r pct same n < <(compare "$p" 2>/dev/null)
		echo "identical lines, corpus $f: $pct% ($same of $n)"
		tot_same=$((tot_same + same)) tot=$((tot + n))
	done
	[ "$tot" -gt 0 ] && echo "identical lines, corpus files together: $(echo "scale=2; 100 * $tot_same / $tot" | bc -l)% ($tot_same of $tot)"
fi
[ "$bad" = 0 ] || exit 1
ok "flowtap read prints tcpdump -n's lines"
