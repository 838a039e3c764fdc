#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Write a small, deterministic user0 debug-capture stream (linktype 147).

Usage: mkcapture.py OUT.user0 [RAW.pcap]

The stream is what a datapath's capture hook produces: per record a u16 LE
path, a u8 pre-SNAT address length + address, a u8 pre-DNAT length + address,
then the raw IP packet, in a little-endian classic pcap (us, snaplen 65535).
It holds a TCP handshake with a TLS ClientHello (SNI), an HTTP exchange, DNS
answered by the datapath, a NATed ICMP echo, IPv6 UDP/ICMPv6, and a disco
frame, over the paths from-local, from-peer, synthesized-to-local,
synthesized-to-peer and 254 (disco). Used by the tests and by `make demo`.
With RAW.pcap, the same IP packets are also written as a plain raw-IP pcap
(LINKTYPE_RAW), the reference for what a reader must hand out.
"""
import struct
import sys

from inet import addr as a, csum, l4csum as l4sum


def ip(src, dst, proto, seg, ident=1, ttl=64):
    src, dst = a(src), a(dst)
    if proto in (6, 17, 58):
        off = 16 if proto == 6 else (6 if proto == 17 else 2)
        seg = seg[:off] + b'\0\0' + seg[off + 2:]
        seg = seg[:off] + struct.pack('!H', l4sum(src, dst, proto, seg)) + seg[off + 2:]
    elif proto == 1:
        seg = seg[:2] + struct.pack('!H', csum(seg[:2] + b'\0\0' + seg[4:])) + seg[4:]
    if len(src) == 16:
        return struct.pack('!IHBB', 6 << 28, len(seg), proto, ttl) + src + dst + seg
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(seg), ident, 0x4000, ttl, proto, 0, src, dst)
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + seg


def tcp(sp, dp, seq, ack, flags, data=b'', opts=b''):
    off = (20 + len(opts)) // 4
    return struct.pack('!HHIIBBHHH', sp, dp, seq, ack, off << 4, flags, 65535, 0, 0) + opts + data


def udp(sp, dp, data):
    return struct.pack('!HHHH', sp, dp, 8 + len(data), 0) + data


def dns_name(n):
    return b''.join(bytes([len(p)]) + p.encode() for p in n.split('.')) + b'\0'


def dns(ident, name, answer=None):
    flags, an = (0x8180, 1) if answer else (0x0100, 0)
    m = struct.pack('!HHHHHH', ident, flags, 1, an, 0, 0) + dns_name(name) + struct.pack('!HH', 1, 1)
    if answer:
        m += b'\xc0\x0c' + struct.pack('!HHIH', 1, 1, 300, 4) + a(answer)
    return m


def client_hello(sni):
    host = sni.encode()
    sni_ext = struct.pack('!HBH', len(host) + 3, 0, len(host)) + host
    exts = struct.pack('!HH', 0, len(sni_ext)) + sni_ext
    body = b'\x03\x03' + bytes(32) + b'\x00' + b'\x00\x02\x13\x01' + b'\x01\x00'
    body += struct.pack('!H', len(exts)) + exts
    hs = b'\x01' + struct.pack('!I', len(body))[1:] + body
    return b'\x16\x03\x01' + struct.pack('!H', len(hs)) + hs


SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
SYNOPTS = b'\x02\x04\x05\x00\x04\x02\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x00\x01\x03\x03\x07'
L, P, R = '100.64.0.1', '100.64.0.2', '100.64.0.3'
L6, P6 = 'fd7a:115c:a1e0::1', 'fd7a:115c:a1e0::2'
GET = b'GET /index.html HTTP/1.1\r\nHost: 100.64.0.3\r\n\r\n'
OK = b'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'

# (path, pre-SNAT, pre-DNAT, packet)
PACKETS = [
    (0, None, None, ip(L, P, 6, tcp(54321, 443, 1000, 0, SYN, opts=SYNOPTS))),
    (1, None, None, ip(P, L, 6, tcp(443, 54321, 5000, 1001, SYN | ACK, opts=SYNOPTS))),
    (0, None, None, ip(L, P, 6, tcp(54321, 443, 1001, 5001, ACK))),
    (0, None, None, ip(L, P, 6, tcp(54321, 443, 1001, 5001, PSH | ACK, client_hello('example.com')))),
    (0, None, None, ip(L, R, 6, tcp(40000, 80, 1, 0, SYN, opts=SYNOPTS))),
    (1, None, None, ip(R, L, 6, tcp(80, 40000, 7, 2, SYN | ACK, opts=SYNOPTS))),
    (0, None, None, ip(L, R, 6, tcp(40000, 80, 2, 8, PSH | ACK, GET))),
    (1, None, None, ip(R, L, 6, tcp(80, 40000, 8, 2 + len(GET), PSH | ACK, OK))),
    (0, None, None, ip(L, R, 6, tcp(40000, 80, 2 + len(GET), 8 + len(OK), FIN | ACK))),
    (0, None, None, ip(L, '100.100.100.100', 17, udp(33333, 53, dns(0x1234, 'peer.example.ts.net')))),
    (2, None, None, ip('100.100.100.100', L, 17, udp(53, 33333, dns(0x1234, 'peer.example.ts.net', P)))),
    (0, '192.168.1.10', None, ip(L, P, 1, struct.pack('!BBHHH', 8, 0, 0, 7, 1) + b'ping' * 4)),
    (1, None, '192.168.1.10', ip(P, L, 1, struct.pack('!BBHHH', 0, 0, 0, 7, 1) + b'ping' * 4)),
    (3, None, None, ip(L6, P6, 17, udp(41641, 41641, b'wireguard-ish payload'))),
    (0, None, 'fd00::10', ip(L6, P6, 58, struct.pack('!BBHHH', 128, 0, 0, 9, 1) + b'v6ping')),
    (1, None, None, ip(P6, L6, 58, struct.pack('!BBHHH', 129, 0, 0, 9, 1) + b'v6ping')),
    (254, None, None, ip(L, P, 17, udp(41641, 41641, b'TS\xf0\x9f\x92\xac' + bytes(26)))),
]


def addr(x):
    if x is None:
        return b'\0'
    b = a(x)
    return bytes([len(b)]) + b


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 147)
    raw = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101)
    t = 1700000000 * 1000000
    for i, (path, snat, dnat, pkt) in enumerate(PACKETS):
        rec = struct.pack('<H', path) + addr(snat) + addr(dnat) + pkt
        ts = t + i * 1500
        out += struct.pack('<IIII', ts // 1000000, ts % 1000000, len(rec), len(rec)) + rec
        raw += struct.pack('<IIII', ts // 1000000, ts % 1000000, len(pkt), len(pkt)) + pkt
    with open(sys.argv[1], 'wb') as f:
        f.write(out)
    if len(sys.argv) == 3:
        with open(sys.argv[2], 'wb') as f:
            f.write(raw)


if __name__ == '__main__':
    main()
