#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""gen_anon_pcap.py OUT.pcap MARKER - an Ethernet capture whose payloads all
carry MARKER, over every protocol the anonymizer knows and some it does
not, with correct checksums: TCP, UDP and ICMP echo over IPv4 and IPv6, a
DNS answer, GRE, and an unknown EtherType."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from inet import addr, csum, l4csum  # noqa: E402

S4, D4 = addr("10.20.30.40"), addr("192.0.2.77")
S6, D6 = addr("2001:db8:1::10"), addr("2001:db8:2::20")
MAC = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02"


def ip4(proto, seg):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 1, 0x4000, 64, proto, 0, S4, D4)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + seg


def ip6(proto, seg):
    return struct.pack("!IHBB16s16s", 0x60000000, len(seg), proto, 64, S6, D6) + seg


def l4(proto, seg, v6, ck_at):
    s, d = (S6, D6) if v6 else (S4, D4)
    c = l4csum(s, d, proto, seg)
    seg = seg[:ck_at] + struct.pack("!H", c) + seg[ck_at + 2:]
    return ip6(proto, seg) if v6 else ip4(proto, seg)


def tcp(data, v6=False):
    seg = struct.pack("!HHIIBBHHH", 40000, 80, 1, 1, 0x50, 0x18, 65535, 0, 0) + data
    return l4(6, seg, v6, 16)


def udp(data, v6=False, sport=40000, dport=9999):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    return l4(17, seg, v6, 6)


def icmp_echo(data):
    seg = struct.pack("!BBHHH", 8, 0, 0, 1, 1) + data
    return ip4(1, seg[:2] + struct.pack("!H", csum(seg)) + seg[4:])


def icmp6_echo(data):
    return l4(58, struct.pack("!BBHHH", 128, 0, 0, 1, 1) + data, True, 2)


def dns_answer(marker):
    name = bytes([len(marker)]) + marker + b"\x00"
    msg = struct.pack("!HHHHHH", 7, 0x8180, 1, 1, 0, 0) + name + b"\x00\x01\x00\x01"
    msg += b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + addr("198.51.100.9")
    return udp(msg, sport=53, dport=40001)


def main():
    out, marker = sys.argv[1], sys.argv[2].encode()
    data = b"GET /" + marker + b" HTTP/1.1\r\n\r\n"
    frames = [MAC + b"\x08\x00" + p for p in
              (tcp(data), udp(data), icmp_echo(data), dns_answer(marker), ip4(47, data))]
    frames += [MAC + b"\x86\xdd" + p for p in (tcp(data, True), udp(data, True), icmp6_echo(data))]
    frames.append(MAC + b"\x88\xb5" + data)
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)) + fr)


main()
