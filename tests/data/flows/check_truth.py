#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Compare flowtap flow-log messages with gen_pcap.py's .truth.json.

Usage: check_truth.py MESSAGES.jsonl TRUTH.json [--max-bytes N]

Sums every message's connections per direction ("PROTO SRC:SPORT > DST:DPORT",
no ports for ICMP, as gen_pcap writes) and requires exact equality of packets
and bytes with the truth. Also checks the message shape: an "id" unique per
message, RFC 3339 start/end, no zero field, no empty array, size bound.
"""
import json, re, sys

TIME = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$')
ARRAYS = ('virtualTraffic', 'subnetTraffic', 'exitTraffic', 'physicalTraffic')

def addr(s, proto):
    return s if proto in (6, 17) else s.rsplit(':', 1)[0]

def main():
    msgs, truth = sys.argv[1], sys.argv[2]
    max_bytes = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == '--max-bytes' else 256 * 1024
    got, ids, bad = {}, set(), 0
    with open(msgs, 'rb') as f:
        lines = f.read().split(b'\n')
    if lines and lines[-1] == b'':
        lines.pop()
    for n, line in enumerate(lines, 1):
        if len(line) > max_bytes:
            print(f'message {n}: {len(line)} bytes > {max_bytes}'); bad += 1
        m = json.loads(line)
        if m['id'] in ids:
            print(f'message {n}: duplicate id {m["id"]}'); bad += 1
        ids.add(m['id'])
        for k in ('start', 'end'):
            if not TIME.match(m[k]):
                print(f'message {n}: bad {k} {m[k]!r}'); bad += 1
        for arr in ARRAYS:
            if arr in m and not m[arr]:
                print(f'message {n}: empty array {arr}'); bad += 1
            for c in m.get(arr, []):
                for k, v in c.items():
                    if v in (0, '', None):
                        print(f'message {n}: zero field {k} in {c}'); bad += 1
                p = c.get('proto', 0)
                s, d = addr(c['src'], p), addr(c['dst'], p)
                for key, pk, by in ((f'{p} {s} > {d}', 'txPkts', 'txBytes'),
                                    (f'{p} {d} > {s}', 'rxPkts', 'rxBytes')):
                    if c.get(pk, 0) or c.get(by, 0):
                        g = got.setdefault(key, [0, 0])
                        g[0] += c.get(pk, 0); g[1] += c.get(by, 0)
    want = json.load(open(truth))
    for k in sorted(set(want) | set(got)):
        if want.get(k) != got.get(k):
            bad += 1
            if bad < 20:
                print(f'mismatch {k}: want {want.get(k)} got {got.get(k)}')
    print(f'{len(lines)} messages, {len(got)} directions (truth {len(want)}), {bad} problems')
    sys.exit(1 if bad else 0)

main()
