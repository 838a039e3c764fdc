#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# clickhouse_truth: `flowtap flows -r` posts records (--flow-format records)
# through the HTTP sink into a private clickhouse-server with the shipped
# schema (share/flowtap/clickhouse.sql); the per-direction packet and byte
# sums queried from ClickHouse equal gen_pcap.py's ground truth exactly,
# every record arrived once, and the example queries of the schema run.
set -euo pipefail
. "$(dirname "$0")/clickhouse_lib.bash"
FT=${FT_BUILD:?}/flowtap
GEN=${FT_SHARED:?}/bench/gen_pcap.py
SQL=${FT_SRC:?}/share/flowtap/clickhouse.sql
[ -r "$GEN" ] || skip "$GEN not found"
ch_require
T=$(mktemp -d /tmp/ftc-chtruth.XXXXXX)
trap 'ch_kill; rm -rf "$T"' EXIT

# Bad input: a clear message and exit 2, before anything starts.
for cmd in "$FT flows -r x.pcap --flow-format rows" "$FT_BUILD/flowtap-tunnel --flow-format rows" \
	"$FT_BUILD/flowtapd --flow-format rows"; do
	set +e
	msg=$($cmd 2>&1 >/dev/null)
	rc=$?
	set -e
	[ "$rc" = 2 ] && [[ $msg == *"flow-format 'rows'"*"records or messages"* ]] ||
		fail "'$cmd': exit $rc, '$msg'"
done
ok "a bad --flow-format is refused with exit 2 by flowtap, flowtap-tunnel and flowtapd"

python3 "$GEN" "$T/s.pcap" --packets 20000 --flows 300 --seed 7 >/dev/null
ch_setup "$T/ch"
ch_start
ch_schema "$SQL" || fail "the schema did not apply"
ok "schema applied"

"$FT" flows -r "$T/s.pcap" --log-exit-flows --interval 0.05 --node-id n1 \
	--flow-format records -w "$T/records.jsonl" --url "$(ch_insert_url flows)" \
	--spool "$T/spool" 2>"$T/err" || fail "flowtap flows failed: $(cat "$T/err")"
[ -s "$T/err" ] && fail "unexpected notices: $(cat "$T/err")"
[ -z "$(ls "$T/spool")" ] || fail "records left in the spool: $(ls "$T/spool")"
nrec=$(wc -l <"$T/records.jsonl")

ch_query "SELECT proto, src, dst, sum(txPkts), sum(txBytes), sum(rxPkts), sum(rxBytes)
	FROM flows GROUP BY proto, src, dst FORMAT JSONEachRow" >"$T/sums.jsonl"
read -r rows ids <<<"$(ch_query "SELECT count(), uniqExact(id) FROM flows")"
python3 - "$T/sums.jsonl" "$T/s.pcap.truth.json" "$rows" "$ids" "$nrec" <<'PY'
import json, sys
sums, truth = sys.argv[1], json.load(open(sys.argv[2]))
rows, ids, nrec = map(int, sys.argv[3:6])
def addr(s, proto):
    return s if proto in (6, 17) else s.rsplit(':', 1)[0]
got = {}
for l in open(sums):
    r = json.loads(l)
    p = int(r['proto'])
    s, d = addr(r['src'], p), addr(r['dst'], p)
    tp, tb, rp, rb = (int(r[f'sum({k})']) for k in ('txPkts', 'txBytes', 'rxPkts', 'rxBytes'))
    for key, pk, by in ((f'{p} {s} > {d}', tp, tb), (f'{p} {d} > {s}', rp, rb)):
        if pk or by:
            g = got.setdefault(key, [0, 0])
            g[0] += pk; g[1] += by
bad = [k for k in set(got) | set(truth) if got.get(k) != truth.get(k)]
for k in sorted(bad)[:10]:
    print(f'FAIL: {k}: ClickHouse {got.get(k)}, truth {truth.get(k)}')
print(f'{rows} rows ({ids} distinct ids) for {nrec} records sent; {len(truth)} directions, '
      f'{sum(v[0] for v in truth.values())} packets, {len(bad)} differ')
sys.exit(1 if bad or rows != nrec or ids != rows else 0)
PY
ok "per-direction packets and bytes in ClickHouse equal the truth"

# The records' times arrive as the DateTime columns.
t=$(ch_query "SELECT min(start), max(\`end\`), countIf(class = 'exit') > 0 FROM flows")
[[ $t == 2023-11-14\ 22:13:2*$'\t'2023-11-14\ 22:13:2*$'\t'1 ]] || fail "times/classes: $t"
ok "start/end and classes stored: $t"
while IFS= read -r -d '' title && IFS= read -r -d '' sql; do
	out=$(ch_query "$sql") || fail "example query '$title' failed: $out"
	[ -n "$out" ] || [[ $title == Peers* ]] || fail "example query '$title' returned nothing"
	ok "example query: $title ($(wc -l <<<"$out") rows)"
done < <(ch_selects "$SQL")
echo PASS
