#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A peer holding one IPv6 /64 sends 60,000 one-packet flows whose source
# addresses were chosen to collide under the flow-counter hash flowtap used
# before it was keyed (tests/data/gen_hash_flood.py). Every flow must be
# counted, exactly once, with nothing sent to the overflow or collision
# buckets. The cost comparison against random flows is a benchmark
# (BENCH flows_hash_crafted_vs_random in bench/run_flows.sh), not a timed test.
set -euo pipefail
FT=${FT_BUILD:?}/flowtap
GEN=${FT_SRC:?}/tests/data/gen_hash_flood.py
T=$(mktemp -d /tmp/ftc-hflood.XXXXXX)
trap 'rm -rf "$T"' EXIT

python3 "$GEN" "$T/crafted.pcap" crafted 60000
"$FT" flows -r "$T/crafted.pcap" --log-exit-flows --max-conns 65536 > "$T/out.jsonl" 2> "$T/err"
if [ -s "$T/err" ]; then
	echo "FAIL: flowtap flows said:"; cat "$T/err"; exit 1
fi
python3 - "$T/out.jsonl" <<'PY'
import json, sys
flows = {}
for line in open(sys.argv[1]):
    m = json.loads(line)
    for e in m.get('exitTraffic', []):
        k = (e['src'], e['dst'], e['proto'])
        flows[k] = flows.get(k, 0) + e.get('txPkts', 0) + e.get('rxPkts', 0)
bad = [k for k, v in flows.items() if v != 1]
if len(flows) != 60000 or bad:
    sys.exit('FAIL: %d flows counted (want 60000), %d with a count other than 1'
             % (len(flows), len(bad)))
print('ok: 60000 crafted flows counted exactly once')
PY
