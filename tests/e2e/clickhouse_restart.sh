#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# clickhouse_restart: no record lost or doubled across restarts of either
# side. A sender (`flowtap flows -r`, records format, HTTP sink with a
# spool) feeds a private clickhouse-server, which is killed (SIGKILL) in
# the middle of the run and started again on the same data directory; the
# sender exits with records still spooled and a second sender on the same
# spool delivers them. Afterwards ClickHouse holds every record written,
# none twice (count() = count of distinct ids), and the per-direction sums
# equal the two captures' ground truth. (A repeat is possible in a plain
# MergeTree table only if ClickHouse dies between storing an insert and
# answering it; the window is tiny, see clickhouse.sql.)
set -euo pipefail
. "$(dirname "$0")/clickhouse_lib.bash"
FT=${FT_BUILD:?}/flowtap
GEN=${FT_SHARED:?}/bench/gen_pcap.py
SQL=${FT_SRC:?}/share/flowtap/clickhouse.sql
[ -r "$GEN" ] || skip "$GEN not found"
ch_require
T=$(mktemp -d /tmp/ftc-chrestart.XXXXXX)
SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; ch_kill; rm -rf "$T"' EXIT

python3 "$GEN" "$T/a.pcap" --packets 6000 --flows 200 --seed 31 >/dev/null
python3 "$GEN" "$T/b.pcap" --packets 6000 --flows 200 --seed 32 >/dev/null
ch_setup "$T/ch"
ch_start
ch_schema "$SQL" || fail "the schema did not apply"
URL=$(ch_insert_url flows)

# Feeds a capture file slowly (over about 5 s) so that the sender stays up.
slow_feed() {
	python3 - "$1" <<'PY'
import sys, time
d = open(sys.argv[1], 'rb').read()
out = sys.stdout.buffer
out.write(d[:24]); out.flush()
step = (len(d) - 24) // 50 + 1
for i in range(24, len(d), step):
    out.write(d[i:i + step]); out.flush(); time.sleep(0.1)
PY
}
sender() { # CAPTURE OUT
	"$FT" flows -r - --interval 0.002 --node-id n1 --log-exit-flows --flow-format records -w "$2" \
		--url "$URL" --spool "$T/spool" 2>>"$T/err"
}

slow_feed "$T/a.pcap" | sender - "$T/sent1.jsonl" &
SPID=$!
# Killed once the first records are stored, while more are coming.
for _ in $(seq 100); do
	before=$(ch_query "SELECT count() FROM flows")
	[ "$before" -gt 0 ] && break
	sleep 0.1
done
ch_kill
ok "ClickHouse killed with $before rows stored"
sleep 1
ch_start
ok "ClickHouse started again on the same data directory"
wait "$SPID" || fail "sender 1 failed: $(cat "$T/err")"
SPID=
left=$(ls "$T/spool" | wc -l)
ok "sender 1 exited; $left batches or messages left in its spool"

# A restarted sender on the same spool sends what is left first.
sender "$T/b.pcap" "$T/sent2.jsonl" <"$T/b.pcap"
for _ in $(seq 3); do
	[ -z "$(ls "$T/spool")" ] && break
	# Still spooled (ClickHouse slow to come back): one more drain.
	head -c 24 "$T/a.pcap" | sender - /dev/null
done
[ -z "$(ls "$T/spool")" ] || fail "records left in the spool: $(ls "$T/spool")"
grep -q "cannot POST to" "$T/err" || fail "no notice about the failed POSTs: $(cat "$T/err")"

read -r rows ids <<<"$(ch_query "SELECT count(), uniqExact(id) FROM flows")"
sent=$(cat "$T/sent1.jsonl" "$T/sent2.jsonl" | wc -l)
echo "sent $sent records; ClickHouse holds $rows rows, $ids distinct ids"
[ "$ids" -eq "$sent" ] || fail "records lost: $sent sent, $ids arrived"
[ "$rows" -eq "$ids" ] || fail "$((rows - ids)) records stored twice"
ok "every record arrived, none twice"

ch_query "SELECT proto, src, dst, sum(txPkts), sum(txBytes), sum(rxPkts), sum(rxBytes)
	FROM flows GROUP BY proto, src, dst FORMAT JSONEachRow" >"$T/sums.jsonl"
python3 - "$T/sums.jsonl" "$T/a.pcap.truth.json" "$T/b.pcap.truth.json" <<'PY'
import json, sys
truth = {}
for f in sys.argv[2:]:
    for k, (p, b) in json.load(open(f)).items():
        t = truth.setdefault(k, [0, 0]); t[0] += p; t[1] += b
got = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    p = int(r['proto'])
    s, d = (r['src'], r['dst']) if p in (6, 17) else (r['src'].rsplit(':', 1)[0], r['dst'].rsplit(':', 1)[0])
    for key, pk, by in ((f'{p} {s} > {d}', r['sum(txPkts)'], r['sum(txBytes)']),
                        (f'{p} {d} > {s}', r['sum(rxPkts)'], r['sum(rxBytes)'])):
        if int(pk) or int(by):
            g = got.setdefault(key, [0, 0]); g[0] += int(pk); g[1] += int(by)
bad = [k for k in set(got) | set(truth) if got.get(k) != truth.get(k)]
for k in sorted(bad)[:10]:
    print(f'FAIL: {k}: ClickHouse {got.get(k)}, truth {truth.get(k)}')
print(f'{len(truth)} directions, {sum(v[0] for v in truth.values())} packets, {len(bad)} differ')
sys.exit(1 if bad else 0)
PY
ok "per-direction packets and bytes equal the truth"
echo PASS
