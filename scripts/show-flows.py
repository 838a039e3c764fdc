#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""show-flows.py FILE - print a flow log (JSON lines) as a table, one block per
message (used by the demos)."""
import json
import sys

for line in open(sys.argv[1]):
    m = json.loads(line)
    print(f"   {m['start'][11:19]}-{m['end'][11:19]} nodeId={m.get('nodeId')}")
    for cls in ("virtualTraffic", "subnetTraffic", "exitTraffic", "physicalTraffic"):
        for e in m.get(cls, []):
            proto = f"proto {e['proto']:<2}" if "proto" in e else " " * 8
            print(f"     {cls:16} {proto} {e.get('src', ''):>21} -> "
                  f"{e.get('dst', ''):<21} tx {e.get('txPkts', 0):>5} pkts {e.get('txBytes', 0):>9} B"
                  f"  rx {e.get('rxPkts', 0):>5} pkts {e.get('rxBytes', 0):>9} B")
