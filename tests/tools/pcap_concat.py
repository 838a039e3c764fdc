#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""pcap_concat.py OUTDIR FILE... - append the records of classic pcap files
into one little-endian microsecond pcap per link type (OUTDIR/lt-N.pcap), so
a test can run tshark once per link type instead of once per file. A
truncated record ends that file's contribution; pcapng and unknown files are
skipped. Prints the link types written."""
import os
import struct
import sys

MAGICS = {b"\xd4\xc3\xb2\xa1": ("<", 1000), b"\xa1\xb2\xc3\xd4": (">", 1000),
          b"\x4d\x3c\xb2\xa1": ("<", 1), b"\xa1\xb2\x3c\x4d": (">", 1)}


def records(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24 or data[:4] not in MAGICS:
        return None, []
    end, div = MAGICS[data[:4]]
    lt = struct.unpack(end + "I", data[20:24])[0] & 0xFFFF
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, cap, wire = struct.unpack(end + "IIII", data[off:off + 16])
        if cap > 262144 or off + 16 + cap > len(data):
            break
        out.append((sec, frac // div, max(cap, wire), data[off + 16:off + 16 + cap]))
        off += 16 + cap
    return lt, out


def main():
    outdir, files = sys.argv[1], sys.argv[2:]
    groups = {}
    for path in files:
        lt, recs = records(path)
        if lt is not None and recs:
            groups.setdefault(lt, []).extend(recs)
    for lt, recs in sorted(groups.items()):
        with open(os.path.join(outdir, "lt-%d.pcap" % lt), "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, lt))
            for sec, usec, wire, pkt in recs:
                f.write(struct.pack("<IIII", sec, usec, len(pkt), wire) + pkt)
        print(lt)


main()
