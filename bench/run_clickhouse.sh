#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# ClickHouse and the records format:
#  - clickhouse_records_per_s: `flowtap flows -r` of the 1,000,000-packet
#    capture (gen_pcap.py, the same file as run_flows.sh) with
#    --flow-format records into a private clickhouse-server (HTTP sink with a
#    spool, the no-loss path): records stored per second, from the start of
#    flowtap until ClickHouse holds them all (count() checked); the peer,
#    clickhouse_curl_records_per_s: the same records in one curl POST;
#  - records_format_cost_ratio: CPU time (user+sys, best of 3, alternating)
#    of writing the records format to a file against the messages format,
#    at the default 5 s interval and (an extra line) at 10 ms, where an
#    interval has few packets per connection and formatting dominates.
set -uo pipefail
B=${FT_BUILD:?}
SRC=${FT_SRC:-$(dirname "$0")/..}
TMP=${FT_BENCH_TMP:-$(mktemp -d)}
GEN=${FT_SHARED:-$SRC/../shared}/bench/gen_pcap.py
PKTS=${FT_FLOWS_BENCH_PACKETS:-1000000}
FT=$B/flowtap
[ -r "$GEN" ] || { echo "bench: $GEN not found; skipping clickhouse" >&2; exit 0; }
BIG=$TMP/flows-big.pcap
[ -s "$BIG" ] || python3 "$GEN" "$BIG" --packets "$PKTS" --flows 20000 --seed 5 >/dev/null || exit 1

cpu() { # seconds of user+sys CPU of a command
	/usr/bin/time -f '%U %S' -o "$TMP/ch-time" "$@" >/dev/null 2>&1 || return 1
	awk '{print $1 + $2}' "$TMP/ch-time"
}
ratio() { # interval
	local best_m=999 best_r=999 m r
	for _ in 1 2 3; do
		rm -f "$TMP/ch-m.jsonl" "$TMP/ch-r.jsonl"
		m=$(cpu "$FT" flows -r "$BIG" --log-exit-flows --interval "$1" -w "$TMP/ch-m.jsonl") || return 1
		r=$(cpu "$FT" flows -r "$BIG" --log-exit-flows --interval "$1" --flow-format records \
			-w "$TMP/ch-r.jsonl") || return 1
		best_m=$(python3 -c "print(min($best_m, $m))")
		best_r=$(python3 -c "print(min($best_r, $r))")
	done
	python3 -c "print(f'{$best_r / max($best_m, 0.001):.2f}')"
	echo "bench: interval $1 s: messages $best_m s CPU ($(stat -c %s "$TMP/ch-m.jsonl") bytes)," \
		"records $best_r s CPU ($(stat -c %s "$TMP/ch-r.jsonl") bytes, $(wc -l <"$TMP/ch-r.jsonl") records)" >&2
}
r5=$(ratio 5) && echo "BENCH records_format_cost_ratio $r5 x"
r10=$(ratio 0.01) && echo "BENCH records_format_cost_ratio_interval_10ms $r10 x"

command -v clickhouse-server >/dev/null ||
	{ echo "bench: clickhouse-server not installed; skipping clickhouse_records_per_s" >&2; exit 0; }
. "$SRC/tests/e2e/clickhouse_lib.bash"
# After the library (its common.bash has test-style ones).
fail() { echo "bench: clickhouse: $*" >&2; exit 1; }
skip() { echo "bench: clickhouse: $*" >&2; exit 0; }
trap 'ch_kill; rm -rf "$TMP/ch"' EXIT
ch_setup "$TMP/ch"
ch_start
ch_schema "$SRC/share/flowtap/clickhouse.sql" || fail "schema"
# 1 s windows: about ten windows of up to 20,000 connections each.
want=$("$FT" flows -r "$BIG" --log-exit-flows --interval 1 --flow-format records | wc -l)
t0=$(date +%s.%N)
"$FT" flows -r "$BIG" --log-exit-flows --interval 1 --flow-format records -q \
	--url "$(ch_insert_url flows)" --spool "$TMP/ch/spool" || fail "flowtap flows failed"
for _ in $(seq 600); do
	[ "$(ch_query "SELECT count() FROM flows")" -ge "$want" ] && break
	sleep 0.05
done
t1=$(date +%s.%N)
got=$(ch_query "SELECT count() FROM flows")
[ "$got" -eq "$want" ] || fail "ClickHouse holds $got of $want records"
python3 -c "print(f'BENCH clickhouse_records_per_s {$want / ($t1 - $t0):.0f} records/s')"
echo "bench: $want records in $(python3 -c "print(f'{$t1 - $t0:.2f}')") s" >&2
# The peer: the same records posted by curl in one request (ClickHouse's
# own JSONEachRow ingest on this machine, which bounds the figure above).
"$FT" flows -r "$BIG" --log-exit-flows --interval 1 --flow-format records -w "$TMP/ch-all.jsonl"
ch_query "TRUNCATE TABLE flows" >/dev/null
t0=$(date +%s.%N)
ch_exec curl -sS --fail-with-body "$(ch_insert_url flows)" --data-binary @"$TMP/ch-all.jsonl" ||
	fail "curl insert"
t1=$(date +%s.%N)
rm -f "$TMP/ch-all.jsonl"
python3 -c "print(f'BENCH clickhouse_curl_records_per_s {$want / ($t1 - $t0):.0f} records/s')"
