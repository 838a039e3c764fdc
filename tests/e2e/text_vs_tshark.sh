#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Text format vs tshark: for every packet of a generated capture (TCP flags
# and options, UDP, DNS, ICMP, ICMPv6, IPv6 extension headers, IPv4 options
# and fragments, ARP, VLAN), the addresses, ports, TCP flags, lengths and
# ICMP types that `flowtap read` prints must equal what `tshark -T fields`
# decodes from the same file. The IP packets are also wrapped in raw IP,
# Linux SLL and SLL2 (direction checked too), NULL and NFLOG (prefix checked)
# link layers. Then -x must equal tcpdump -X.
set -euo pipefail
: "${FT_BUILD:?}" "${FT_SRC:?}"

command -v tshark >/dev/null || { echo "SKIP: tshark not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/compare.py" <<'EOF'
import re, sys

link = sys.argv[4]
def records(path):
    """One string per packet: -v continues IPv4 lines on indented ones."""
    out = []
    for l in open(path).read().splitlines():
        if l.startswith((' ', '\t')) and out:
            out[-1] += ' ' + l.strip()
        else:
            out.append(l)
    return out

ours = records(sys.argv[1])
ours_v = records(sys.argv[2])
rows = [l.split('|') for l in open(sys.argv[3]).read().splitlines()]
names = ['no', 'ip_src', 'ip_dst', 'ip6_src', 'ip6_dst', 'tsp', 'tdp', 'tflags', 'tlen',
         'usp', 'udp', 'ulen', 'icmp', 'icmp6', 'iplen', 'iphl', 'plen', 'nxt', 'ttl', 'id',
         'arpop', 'arpsrc', 'arpdst', 'fragoff', 'pkttype', 'prefix']
FLAGS = {'F': 0x01, 'S': 0x02, 'R': 0x04, 'P': 0x08, '.': 0x10, 'U': 0x20, 'E': 0x40, 'W': 0x80}
ICMP = {'echo request': '8', 'echo reply': '0', 'unreachable': '3', 'time exceeded': '11'}
ICMP6 = {'echo request': '128', 'echo reply': '129', 'neighbor solicitation': '135',
         'neighbor advertisement': '136', 'router solicitation': '133',
         'packet too big': '2', 'destination unreachable': '1'}
errors = []
checks = 0

def fail(n, what, want, got, line):
    errors.append('packet %s: %s: tshark %r, flowtap %r\n  %s' % (n, what, want, got, line))

def split_ep(tok, v6):
    """'1.2.3.4.80' -> ('1.2.3.4', '80'); 'fd7a::1.443' -> ('fd7a::1', '443')."""
    if v6:
        if '.' in tok:
            a, p = tok.rsplit('.', 1)
            return a, p
        return tok, ''
    parts = tok.split('.')
    return '.'.join(parts[:4]), (parts[4] if len(parts) == 5 else '')

if len(ours) != len(rows):
    print('FAIL: flowtap printed %d lines, tshark %d packets' % (len(ours), len(rows)))
    sys.exit(1)

for line, vline, row in zip(ours, ours_v, rows):
    f = dict(zip(names, row + [''] * (len(names) - len(row))))
    n = f['no']
    def eq(what, want, got):
        global checks
        checks += 1
        if str(want) != str(got):
            fail(n, what, want, got, line)
    body = line.split(' ', 1)[1]
    # Direction from the cooked header's packet type, NFLOG prefix.
    if link in ('sll', 'sll2'):
        want = {'0': 'IN', '4': 'OUT'}.get(f['pkttype'], '')
        eq('direction', want, body.split(' ', 1)[0])
        if body.startswith(want + ' '):
            body = body[len(want) + 1:]
    if link == 'nflog':
        m = re.match(r'NFLOG prefix "([^"]*)" ', body)
        eq('nflog prefix', f['prefix'], m.group(1) if m else None)
        body = body[m.end():] if m else body
    if f['arpop']:
        m = re.search(r'ARP, (?:Request who-has (\S+) tell (\S+),|Reply (\S+) is-at)', body)
        if not m:
            fail(n, 'arp', f['arpop'], None, line)
            continue
        if m.group(1):
            eq('arp op', f['arpop'], '1')
            eq('arp target', f['arpdst'], m.group(1))
            eq('arp sender', f['arpsrc'], m.group(2))
        else:
            eq('arp op', f['arpop'], '2')
            eq('arp sender', f['arpsrc'], m.group(3))
        continue
    v6 = bool(f['ip6_src'])
    eq('network layer', 'IP6' if v6 else 'IP', body.split(' ', 1)[0])
    # The last "A > B:" pair names the transport endpoints.
    pairs = re.findall(r'(\S+) > (\S+): ', body)
    if not pairs:
        fail(n, 'endpoints', 'A > B', None, line)
        continue
    src, sp = split_ep(pairs[-1][0], v6)
    dst, dp = split_ep(pairs[-1][1], v6)
    eq('src', f['ip6_src'] if v6 else f['ip_src'], src)
    eq('dst', f['ip6_dst'] if v6 else f['ip_dst'], dst)
    if f['tsp']:
        eq('tcp sport', f['tsp'], sp)
        eq('tcp dport', f['tdp'], dp)
        m = re.search(r'Flags \[([^\]]*)\]', body)
        bits = 0
        for c in (m.group(1) if m and m.group(1) != 'none' else ''):
            bits |= FLAGS[c]
        eq('tcp flags', int(f['tflags'], 16) & 0xff, bits)
        m = re.search(r'win \d+, (?:urg \d+, )?(?:options \[[^]]*\], )?length (\d+)', body)
        eq('tcp payload length', f['tlen'], m.group(1) if m else None)
    elif f['usp'] and not f['icmp'] and not f['icmp6']:
        eq('udp sport', f['usp'], sp)
        eq('udp dport', f['udp'], dp)
        m = re.search(r'UDP, length (\d+)$|\((\d+)\)$', body)
        got = (m.group(1) or m.group(2)) if m else None
        eq('udp payload length', int(f['ulen']) - 8, got)
    elif f['icmp'] or f['icmp6']:
        table, want = (ICMP, f['icmp']) if f['icmp'] else (ICMP6, f['icmp6'])
        got = next((t for k, t in table.items() if k in body), None)
        eq('icmp type', want, got)
        m = re.search(r', length (\d+)$', body)
        if f['icmp']:
            eq('icmp length', int(f['iplen']) - int(f['iphl']), m.group(1) if m else None)
        elif f['nxt'] == '58':
            eq('icmp6 length', f['plen'], m.group(1) if m else None)
    else:
        # A later fragment: no transport header, so no ports either.
        eq('later fragment has no ports', '', sp + dp)
        if f['fragoff']:
            eq('fragment offset', int(f['fragoff']) * 8, re.search(r'offset (\d+)', body).group(1))
    if not v6 and f['ttl']:
        m = re.search(r'\(tos 0x[0-9a-f]+,?\S*, ttl (\d+), id (\d+), .*?length (\d+)', vline)
        eq('-v ttl/id/len', (f['ttl'], str(int(f['id'], 16)), f['iplen']), m.groups() if m else None)

if errors:
    print('\n'.join(errors))
    print('FAIL: %d of %d field checks differ' % (len(errors), checks))
    sys.exit(1)
print('PASS: %s: %d packets, %d field checks equal to tshark' % (link, len(rows), checks))
EOF

fail=0
for link in eth raw sll sll2 null nflog; do
	python3 "$FT_SRC/tests/data/gen_text_pcap.py" "$tmp/t.pcap" --link $link
	"$FT_BUILD/flowtap" read -r "$tmp/t.pcap" >"$tmp/ours.txt"
	"$FT_BUILD/flowtap" read -r "$tmp/t.pcap" -v >"$tmp/ours-v.txt"
	tshark -r "$tmp/t.pcap" -n -o ip.defragment:FALSE -o ipv6.defragment:FALSE \
		-o tcp.desegment_tcp_streams:FALSE -T fields -E separator='|' -E occurrence=f \
		-e frame.number -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst \
		-e tcp.srcport -e tcp.dstport -e tcp.flags -e tcp.len \
		-e udp.srcport -e udp.dstport -e udp.length -e icmp.type -e icmpv6.type \
		-e ip.len -e ip.hdr_len -e ipv6.plen -e ipv6.nxt -e ip.ttl -e ip.id \
		-e arp.opcode -e arp.src.proto_ipv4 -e arp.dst.proto_ipv4 -e ip.frag_offset \
		-e sll.pkttype -e nflog.prefix \
		>"$tmp/tshark.txt" 2>"$tmp/tshark.err"
	python3 "$tmp/compare.py" "$tmp/ours.txt" "$tmp/ours-v.txt" "$tmp/tshark.txt" $link || fail=1
done
[ "$fail" -eq 0 ] || exit 1
# From here on, the Ethernet capture.
python3 "$FT_SRC/tests/data/gen_text_pcap.py" "$tmp/t.pcap"

# -X must be byte for byte tcpdump -X (dump lines only; the summaries differ
# where tcpdump decodes more or less than flowtap).
command -v tcpdump >/dev/null || { echo "SKIP part 2: tcpdump not installed"; exit 0; }
tcpdump -n -X -r "$tmp/t.pcap" 2>/dev/null | grep -P '^\t0x' >"$tmp/tcpdump-x.txt"
"$FT_BUILD/flowtap" read -r "$tmp/t.pcap" -X | grep -P '^\t0x' >"$tmp/ours-x.txt"
if ! cmp -s "$tmp/tcpdump-x.txt" "$tmp/ours-x.txt"; then
	echo "FAIL: -x differs from tcpdump -X:"
	diff "$tmp/tcpdump-x.txt" "$tmp/ours-x.txt" | head -20
	exit 1
fi
echo "PASS: -x equals tcpdump -X on $(wc -l <"$tmp/ours-x.txt") dump lines"
