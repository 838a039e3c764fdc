#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Write classic pcap files that exercise a reader's corner cases.

Usage: mkodd_pcap.py DIR

DIR/be.pcap       big-endian (byte-swapped) microsecond file
DIR/ns.pcap       little-endian nanosecond file
DIR/odd.pcap      records with an original length below the captured one, a
                  captured length above the file's snaplen, and a microsecond
                  field of 1,500,000 (all rewritten by a pcap writer)
DIR/trunc.pcap    last record's data cut short
DIR/trunchdr.pcap last record's header cut short
DIR/badcap.pcap   third record claims 300,000 captured bytes
"""
import os, struct, sys

def ip_udp(i, size):
    payload = bytes((i + k) & 0xff for k in range(max(0, size - 28)))
    ulen = 8 + len(payload)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + ulen, i & 0xffff, 0, 64, 17, 0,
                     bytes([100, 64, 0, 1]), bytes([100, 64, 0, 2]))
    return ip + struct.pack('!HHHH', 1000 + i % 7, 443 if i % 3 else 53, ulen, 0) + payload

def frame(i, size):
    return b'\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00' + ip_udp(i, size)

def write(path, endian, magic, snaplen, recs, tail=b''):
    with open(path, 'wb') as f:
        f.write(struct.pack(endian + 'IHHiIII', magic, 2, 4, 0, 0, snaplen, 1))
        for sec, frac, data, orig in recs:
            f.write(struct.pack(endian + 'IIII', sec, frac, len(data), orig) + data)
        f.write(tail)

def main():
    d = sys.argv[1]
    recs = [(1700000000 + i // 10, (i * 12345) % 1000000, frame(i, 40 + (i * 37) % 1400), 0)
            for i in range(300)]
    recs = [(s, u, f, len(f)) for s, u, f, _ in recs]
    write(os.path.join(d, 'be.pcap'), '>', 0xa1b2c3d4, 65535, recs)
    ns = [(s, u * 1000 + 7, f, o) for s, u, f, o in recs]
    write(os.path.join(d, 'ns.pcap'), '<', 0xa1b23c4d, 65535, ns)
    odd = list(recs[:50])
    s, u, f, o = odd[10]
    odd[10] = (s, u, f, o - 10)          # original length < captured length
    s, u, f, o = odd[20]
    odd[20] = (s, 1500000, f, o)         # microseconds out of range
    big = frame(99, 400)
    odd[30] = (s, 5, big, len(big))      # captured length > snaplen (300)
    write(os.path.join(d, 'odd.pcap'), '<', 0xa1b2c3d4, 300, odd)
    s, u, f, o = recs[49]
    write(os.path.join(d, 'trunc.pcap'), '<', 0xa1b2c3d4, 65535, recs[:49],
          struct.pack('<IIII', s, u, len(f), o) + f[:len(f) // 2])
    write(os.path.join(d, 'trunchdr.pcap'), '<', 0xa1b2c3d4, 65535, recs[:49],
          struct.pack('<IIII', s, u, len(f), o)[:9])
    s, u, f, o = recs[2]
    write(os.path.join(d, 'badcap.pcap'), '<', 0xa1b2c3d4, 65535, recs[:2],
          struct.pack('<IIII', s, u, 300000, 300000) + f)

main()
