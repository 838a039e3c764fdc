#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Write a small Ethernet pcap exercising every decoder behind flowtap's text
format: TCP flags and options, HTTP, TLS ClientHello/ServerHello, SSH, UDP,
DNS (UDP and TCP), ICMP, ICMPv6 (echo, ND, errors), IPv6 extension headers
(hop-by-hop, destination options, routing, fragment, AH, ESP), IPv4 options
and fragments, ARP and VLAN tags.

Usage: gen_text_pcap.py OUT.pcap [--link eth|raw|sll|sll2|null|nflog]

The same packets can be wrapped in other link layers (IP packets only, for
all but eth): raw IP (LINKTYPE_RAW), Linux cooked SLL and SLL2 (alternately
incoming and outgoing), BSD loopback (NULL) and NFLOG with a prefix.
Deterministic; checksums are computed so tshark shows no complaints.
"""
import struct
import sys

from inet import addr, csum, l4csum

ETH_SRC = bytes.fromhex('020000000001')
ETH_DST = bytes.fromhex('020000000002')


def ip4(src, dst, proto, payload, ttl=64, ident=1, frag=0x4000, opts=b'', tot=None):
    hl = 20 + len(opts)
    if tot is None:
        tot = hl + len(payload)
    h = struct.pack('!BBHHHBBH4s4s', 0x40 | hl // 4, 0, tot, ident, frag, ttl, proto, 0,
                    addr(src), addr(dst)) + opts
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload


def ip6(src, dst, nh, payload, hlim=64, flow=0):
    return struct.pack('!IHBB16s16s', (6 << 28) | flow, len(payload), nh, hlim, addr(src),
                       addr(dst)) + payload


def tcp(src, dst, sp, dp, seq, ack, flags, data=b'', opts=b'', win=65535, urg=0):
    while len(opts) % 4:
        opts += b'\x00'
    off = (20 + len(opts)) // 4
    seg = struct.pack('!HHIIBBHHH', sp, dp, seq, ack, off << 4, flags, win, 0, urg) + opts + data
    c = l4csum(src, dst, 6, seg)
    return seg[:16] + struct.pack('!H', c) + seg[18:]


def udp(src, dst, sp, dp, data):
    seg = struct.pack('!HHHH', sp, dp, 8 + len(data), 0) + data
    c = l4csum(src, dst, 17, seg) or 0xffff
    return seg[:6] + struct.pack('!H', c)


def udp_full(src, dst, sp, dp, data):
    seg = struct.pack('!HHHH', sp, dp, 8 + len(data), 0) + data
    c = l4csum(src, dst, 17, seg) or 0xffff
    return seg[:6] + struct.pack('!H', c) + data


def icmp(t, code, rest, data=b''):
    m = struct.pack('!BBH', t, code, 0) + rest + data
    return m[:2] + struct.pack('!H', csum(m)) + m[4:]


def icmp6(src, dst, t, code, body):
    m = struct.pack('!BBH', t, code, 0) + body
    c = l4csum(src, dst, 58, m)
    return m[:2] + struct.pack('!H', c) + m[4:]


def eth(payload, etype):
    return ETH_DST + ETH_SRC + struct.pack('!H', etype) + payload


def v4(src, dst, proto, seg, **kw):
    return eth(ip4(src, dst, proto, seg, **kw), 0x0800)


def v6(src, dst, nh, payload, **kw):
    return eth(ip6(src, dst, nh, payload, **kw), 0x86dd)


def dns_name(n):
    out = b''
    for label in n.rstrip('.').split('.'):
        out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def dns_query(ident, name, qtype, edns=False):
    m = struct.pack('!HHHHHH', ident, 0x0100, 1, 0, 0, 1 if edns else 0)
    m += dns_name(name) + struct.pack('!HH', qtype, 1)
    if edns:
        m += b'\0' + struct.pack('!HHIH', 41, 4096, 0, 0)
    return m


def dns_response(ident, name, answers):
    m = struct.pack('!HHHHHH', ident, 0x8180, 1, len(answers), 0, 0)
    m += dns_name(name) + struct.pack('!HH', 1, 1)
    for t, rdata in answers:
        m += b'\xc0\x0c' + struct.pack('!HHIH', t, 1, 300, len(rdata)) + rdata
    return m


def tls_client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack('!HBH', len(name) + 3, 0, len(name)) + name
    exts = struct.pack('!HH', 0, len(sni_ext)) + sni_ext
    exts += struct.pack('!HHB', 43, 3, 2) + b'\x03\x04'
    body = b'\x03\x03' + bytes(32) + b'\x00' + struct.pack('!H', 4) + b'\x13\x01\x13\x02'
    body += b'\x01\x00' + struct.pack('!H', len(exts)) + exts
    hs = b'\x01' + struct.pack('!I', len(body))[1:] + body
    return b'\x16\x03\x01' + struct.pack('!H', len(hs)) + hs


def tls_server_hello():
    exts = struct.pack('!HHH', 43, 2, 0x0304)
    body = b'\x03\x03' + bytes(32) + b'\x00' + b'\x13\x01' + b'\x00'
    body += struct.pack('!H', len(exts)) + exts
    hs = b'\x02' + struct.pack('!I', len(body))[1:] + body
    return b'\x16\x03\x03' + struct.pack('!H', len(hs)) + hs


def packets():
    c4, s4 = '100.64.0.1', '100.64.0.2'
    c6, s6 = 'fd7a:115c:a1e0::1', 'fd7a:115c:a1e0::2'
    C4, S4, C6, S6 = addr(c4), addr(s4), addr(c6), addr(s6)
    syn_opts = (b'\x02\x04\x05\xb4' + b'\x04\x02' + b'\x08\x0a' + struct.pack('!II', 1, 0) +
                b'\x01' + b'\x03\x03\x07')
    P = []
    # TCP handshake, data, teardown (IPv4).
    P.append(v4(c4, s4, 6, tcp(C4, S4, 54321, 443, 1000, 0, 0x02, opts=syn_opts)))
    P.append(v4(s4, c4, 6, tcp(S4, C4, 443, 54321, 5000, 1001, 0x12, opts=syn_opts)))
    P.append(v4(c4, s4, 6, tcp(C4, S4, 54321, 443, 1001, 5001, 0x10)))
    P.append(v4(c4, s4, 6, tcp(C4, S4, 54321, 443, 1001, 5001, 0x18,
                                 data=tls_client_hello('example.com'))))
    P.append(v4(s4, c4, 6, tcp(S4, C4, 443, 54321, 5001, 1200, 0x18, data=tls_server_hello())))
    sack = b'\x01\x01\x05\x0a' + struct.pack('!II', 2000, 3000)
    P.append(v4(c4, s4, 6, tcp(C4, S4, 54321, 443, 1200, 5100, 0x10, opts=sack)))
    P.append(v4(c4, s4, 6, tcp(C4, S4, 54321, 443, 1200, 5100, 0x11)))
    P.append(v4(s4, c4, 6, tcp(S4, C4, 443, 54321, 5100, 0, 0x04)))
    P.append(v4(c4, s4, 6, tcp(C4, S4, 40000, 80, 7, 9, 0xf8, data=b'x', urg=1)))
    P.append(v4(c4, s4, 6, tcp(C4, S4, 40001, 80, 1, 1, 0x18,
                                 data=b'GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n')))
    P.append(v4(s4, c4, 6, tcp(S4, C4, 80, 40001, 1, 40, 0x18,
                                 data=b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')))
    P.append(v4(s4, c4, 6, tcp(S4, C4, 22, 40002, 1, 1, 0x18, data=b'SSH-2.0-OpenSSH_9.6\r\n')))
    # DNS over UDP and TCP, mDNS, plain UDP.
    P.append(v4(c4, s4, 17, udp_full(C4, S4, 33333, 53, dns_query(4660, 'example.com', 1, True))))
    P.append(v4(s4, c4, 17, udp_full(S4, C4, 53, 33333, dns_response(
        4660, 'example.com', [(5, dns_name('www.example.com')), (1, addr('93.184.216.34'))]))))
    P.append(v4(c4, s4, 17, udp_full(C4, S4, 33334, 53, dns_query(7, 'example.org', 28))))
    q = dns_query(9, 'example.net', 1)
    P.append(v4(c4, s4, 6, tcp(C4, S4, 33335, 53, 1, 1, 0x18, data=struct.pack('!H', len(q)) + q)))
    P.append(v4(c4, '224.0.0.251', 17, udp_full(C4, addr('224.0.0.251'), 5353, 5353,
                                                 dns_query(0, 'printer.local', 12))))
    P.append(v4(c4, s4, 17, udp_full(C4, S4, 40000, 41641, b'\x01' * 100)))
    # ICMP.
    P.append(v4(c4, s4, 1, icmp(8, 0, struct.pack('!HH', 1, 1), bytes(56))))
    P.append(v4(s4, c4, 1, icmp(0, 0, struct.pack('!HH', 1, 1), bytes(56))))
    inner = ip4(c4, s4, 17, udp(C4, S4, 33434, 33435, b''))[:28]
    P.append(v4(s4, c4, 1, icmp(3, 3, b'\0\0\0\0', inner)))
    P.append(v4(s4, c4, 1, icmp(11, 0, b'\0\0\0\0', inner)))
    P.append(v4(s4, c4, 1, icmp(3, 4, struct.pack('!HH', 0, 1400), inner)))
    # IPv4 options (NOP, RR, RA) and fragments.
    opts = b'\x01' + b'\x07\x07\x04' + bytes(4) + b'\x94\x04\x00\x00'
    P.append(v4(c4, s4, 17, udp_full(C4, S4, 1000, 2000, b'opt'), opts=opts))
    body = udp_full(C4, S4, 1001, 2001, bytes(64))
    P.append(v4(c4, s4, 17, body[:40], ident=77, frag=0x2000, tot=60))
    P.append(v4(c4, s4, 17, body[40:], ident=77, frag=5))
    # IPv6: TCP, UDP, ICMPv6.
    P.append(v6(c6, s6, 6, tcp(C6, S6, 50000, 443, 1, 0, 0x02, opts=syn_opts), flow=0x12345))
    P.append(v6(s6, c6, 6, tcp(S6, C6, 443, 50000, 9, 2, 0x12, opts=syn_opts)))
    P.append(v6(c6, s6, 17, udp_full(C6, S6, 50001, 53, dns_query(99, 'example.com', 28))))
    P.append(v6(c6, s6, 58, icmp6(C6, S6, 128, 0, struct.pack('!HH', 7, 3) + bytes(16))))
    P.append(v6(s6, c6, 58, icmp6(S6, C6, 129, 0, struct.pack('!HH', 7, 3) + bytes(16))))
    ll1, mc = 'fe80::1', 'ff02::1:ff00:2'
    P.append(v6(ll1, mc, 58, icmp6(addr(ll1), addr(mc), 135, 0, bytes(4) + addr('fe80::2')), hlim=255))
    P.append(v6('fe80::2', ll1, 58, icmp6(addr('fe80::2'), addr(ll1), 136, 0,
                                           b'\x60\0\0\0' + addr('fe80::2')), hlim=255))
    P.append(v6(ll1, 'ff02::2', 58, icmp6(addr(ll1), addr('ff02::2'), 133, 0, bytes(4)), hlim=255))
    inner6 = ip6(c6, s6, 17, udp(C6, S6, 1, 2, b''))[:48]
    P.append(v6(s6, c6, 58, icmp6(S6, C6, 2, 0, struct.pack('!I', 1280) + inner6)))
    P.append(v6(s6, c6, 58, icmp6(S6, C6, 1, 4, bytes(4) + inner6)))
    # IPv6 extension headers: HBH+UDP, DSTOPT+TCP, routing+ICMPv6, fragments, AH, ESP.
    hbh = bytes([17, 0]) + b'\x05\x02\x00\x00' + b'\x01\x00'
    P.append(v6(c6, s6, 0, hbh + udp_full(C6, S6, 5000, 6000, b'hbh')))
    dst = bytes([6, 0]) + b'\x01\x04\x00\x00\x00\x00'
    P.append(v6(c6, s6, 60, dst + tcp(C6, S6, 5001, 6001, 1, 1, 0x10)))
    rt = bytes([58, 2, 0, 1]) + bytes(4) + addr('fd7a:115c:a1e0::3')
    P.append(v6(c6, s6, 43, rt + icmp6(C6, S6, 128, 0, struct.pack('!HH', 1, 1))))
    body6 = udp_full(C6, S6, 5002, 6002, bytes(40))
    P.append(v6(c6, s6, 44, bytes([17, 0]) + struct.pack('!HI', 0x0001, 0xabcd) + body6[:24]))
    P.append(v6(c6, s6, 44, bytes([17, 0]) + struct.pack('!HI', 24, 0xabcd) + body6[24:]))
    ah = bytes([6, 4, 0, 0]) + struct.pack('!II', 0x1000, 5) + bytes(12)
    P.append(v6(c6, s6, 51, ah + tcp(C6, S6, 5003, 6003, 1, 1, 0x10)))
    P.append(v6(c6, s6, 50, struct.pack('!II', 0x2000, 6) + bytes(32)))
    # ARP, VLAN.
    arp = struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + ETH_SRC + C4 + bytes(6) + S4
    P.append(eth(arp, 0x0806))
    arp = struct.pack('!HHBBH', 1, 0x0800, 6, 4, 2) + ETH_DST + S4 + ETH_SRC + C4
    P.append(eth(arp, 0x0806))
    P.append(eth(struct.pack('!HH', 100, 0x0800) + ip4(c4, s4, 6, tcp(C4, S4, 1, 2, 3, 4, 0x10)),
                 0x8100))
    return P


LINKTYPES = {'eth': 1, 'raw': 101, 'sll': 113, 'sll2': 276, 'null': 0, 'nflog': 239}


def nflog_tlv(t, v):
    n = 4 + len(v)
    return struct.pack('<HH', n, t) + v + b'\0' * ((4 - n % 4) % 4)


def rewrap(frame, link, i):
    """Re-wrap an Ethernet frame's IP packet in @link; None for non-IP."""
    etype = struct.unpack('!H', frame[12:14])[0]
    if link == 'eth':
        return frame
    if etype not in (0x0800, 0x86dd):
        return None
    ip = frame[14:]
    v6 = etype == 0x86dd
    pkttype = 4 if i % 2 else 0  # outgoing / to us
    if link == 'raw':
        return ip
    if link == 'sll':
        return struct.pack('!HHH8sH', pkttype, 1, 6, ETH_SRC + b'\0\0', etype) + ip
    if link == 'sll2':
        return struct.pack('!HHIHBB8s', etype, 0, 2, 1, pkttype, 6, ETH_SRC + b'\0\0') + ip
    if link == 'null':
        return struct.pack('<I', 24 if v6 else 2) + ip
    # NFLOG: header, packet header TLV (hw protocol, hook), prefix, payload.
    return (bytes([10 if v6 else 2, 0]) + struct.pack('!H', 1) +
            nflog_tlv(1, struct.pack('!HBB', etype, 1, 0)) +
            nflog_tlv(10, b'flowtap-test\0') + nflog_tlv(9, ip))


def main():
    out = sys.argv[1]
    link = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == '--link' else 'eth'
    with open(out, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, LINKTYPES[link]))
        for i, p in enumerate(packets()):
            p = rewrap(p, link, i)
            if p is None:
                continue
            f.write(struct.pack('<IIII', 1700000000 + i, i * 10, len(p), len(p)) + p)


if __name__ == '__main__':
    main()
