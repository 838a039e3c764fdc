#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Write a capture of one-packet IPv6 UDP flows from one /64 (LINKTYPE_RAW).

Usage: gen_hash_flood.py OUT.pcap crafted|random [FLOWS]

"crafted": every flow hashes to the same value under the flow-counter hash
flowtap used before it was keyed (src/flows/counters.c up to f1b9f7b), as a
peer holding 2001:db8:1:2::/64 could choose its source addresses:

    side(a, port) = (lo ^ hi * C1 ^ port) * C2    (lo, hi: the address's
                                                    two 64-bit halves, LE)
    hash = mix(side(src, sport) + side(dst, dport) + proto)

so with the interface id hi = (T ^ lo ^ port) * C1^-1 (mod 2^64) the side
hash of (src, port) is T * C2 for every port: 60,000 ports, 60,000 flows,
one hash value. "random": the same flows with random interface ids, the
reference. Used by tests/e2e/flows_hash_flood.sh and bench/run_flows.sh.
"""
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from inet import addr, l4csum  # noqa: E402

C1 = 0x9e3779b97f4a7c15
C2 = 0xff51afd7ed558ccd
M64 = (1 << 64) - 1


def old_side(a, port):
    lo = int.from_bytes(a[:8], 'little')
    hi = int.from_bytes(a[8:], 'little')
    return ((lo ^ ((hi * C1) & M64) ^ port) * C2) & M64


def old_hash(src, sport, dst, dport, proto):
    h = (old_side(src, sport) + old_side(dst, dport) + proto) & M64
    h = ((h ^ (h >> 29)) * 0xc4ceb9fe1a85ec53) & M64
    return h ^ (h >> 32)


def main():
    out, mode = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 60000
    if mode not in ('crafted', 'random') or not 1 <= n <= 64000:
        sys.exit('usage: gen_hash_flood.py OUT.pcap crafted|random [FLOWS<=64000]')
    prefix = addr('2001:db8:1:2::')[:8]
    dst = addr('2001:db8:ff::1')
    lo = int.from_bytes(prefix, 'little')
    inv = pow(C1, -1, 1 << 64)
    rnd = random.Random(7)
    target = 0x5eed5eed5eed5eed
    hashes = set()
    with open(out, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
        for i in range(n):
            sport = 1024 + i
            if mode == 'crafted':
                hi = ((target ^ lo ^ sport) * inv) & M64
            else:
                hi = rnd.getrandbits(64)
            src = prefix + hi.to_bytes(8, 'little')
            if mode == 'crafted':
                hashes.add(old_hash(src, sport, dst, 443, 17))
            udp = struct.pack('!HHHH', sport, 443, 8 + 4, 0) + b'ping'
            udp = udp[:6] + struct.pack('!H', l4csum(src, dst, 17, udp)) + udp[8:]
            pkt = struct.pack('!IHBB', 6 << 28, len(udp), 17, 64) + src + dst + udp
            f.write(struct.pack('<IIII', 1700000000 + i // 1000, (i % 1000) * 1000, len(pkt),
                                len(pkt)))
            f.write(pkt)
    if mode == 'crafted' and len(hashes) != 1:
        sys.exit('gen_hash_flood: crafted flows do not collide (%d hashes)' % len(hashes))


if __name__ == '__main__':
    main()
