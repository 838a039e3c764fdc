#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Write a raw-IP pcap of UDP packets between tailnet addresses, for the peer
name tests: 100.64.0.1 <-> 100.64.0.2, fd7a:115c:a1e0::1 <-> ::2, one to a
subnet route 10.0.0.77 and one to 8.8.8.8 (no peer).

Usage: gen_peers_pcap.py OUT.pcap
"""
import struct
import sys

from inet import addr, csum, l4csum

PAIRS = [('100.64.0.1', '100.64.0.2'), ('100.64.0.2', '100.64.0.1'),
         ('fd7a:115c:a1e0::1', 'fd7a:115c:a1e0::2'), ('100.64.0.1', '10.0.0.77'),
         ('100.64.0.1', '8.8.8.8')]


def udp(src, dst, sport, dport, payload):
    s, d = addr(src), addr(dst)
    seg = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    c = l4csum(s, d, 17, seg) or 0xffff
    seg = seg[:6] + struct.pack('!H', c) + seg[8:]
    if len(s) == 4:
        h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(seg), 1, 0x4000, 64, 17, 0, s, d)
        h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    else:
        h = struct.pack('!IHBB16s16s', 6 << 28, len(seg), 17, 64, s, d)
    return h + seg


def main():
    out = open(sys.argv[1], 'wb')
    out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
    for i, (s, d) in enumerate(PAIRS):
        p = udp(s, d, 40000 + i, 443, b'hello peers')
        out.write(struct.pack('<IIII', 1700000000 + i, 0, len(p), len(p)) + p)


main()
