#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# make demo-clickhouse: flow logs straight into ClickHouse. Starts a private
# clickhouse-server on loopback (its own minimal config, data in a temp dir;
# tests/e2e/clickhouse_lib.bash), creates the table of
# share/flowtap/clickhouse.sql, posts the records of two "nodes" computed by
# `flowtap flows -r` from generated captures, prints the answers of the
# example queries, and removes everything on exit or Ctrl-C.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
FT_BUILD=${FT_BUILD:-$here/build}
FT=$FT_BUILD/flowtap
GEN=${FT_SHARED:-$here/../shared}/bench/gen_pcap.py
SQL=$here/share/flowtap/clickhouse.sql
[ -x "$FT" ] || { echo "demo-clickhouse: $FT not built (run make)" >&2; exit 1; }
[ -r "$GEN" ] || { echo "demo-clickhouse: $GEN not found (FT_SHARED)" >&2; exit 1; }
command -v clickhouse-server >/dev/null ||
	{ echo "demo-clickhouse: clickhouse-server is not installed (make deps)" >&2; exit 1; }
. "$here/tests/e2e/clickhouse_lib.bash"
skip() { echo "demo-clickhouse: $*" >&2; exit 1; }
tmp=$(mktemp -d /tmp/flowtap-demo-ch.XXXXXX)
trap 'ch_kill; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "A private clickhouse-server on loopback (data in $tmp/ch)"
ch_setup "$tmp/ch"
ch_start
echo "ClickHouse $(ch_query 'SELECT version()') answers on http://127.0.0.1:$CH_HTTP/"
ch_schema "$SQL"
echo "created the table of share/flowtap/clickhouse.sql:"
ch_query "SELECT arrayStringConcat(groupArray(concat(name, ' ', type)), ', ')
	FROM system.columns WHERE database = currentDatabase() AND table = 'flows'" | sed "s#\\\\'#'#g" | fold -s -w 76 |
	sed 's/^/  /'

URL=$(ch_insert_url flows)
for n in 1 2; do
	step "node-$n: flowtap flows -r (a generated capture) --flow-format records --url ClickHouse"
	python3 "$GEN" "$tmp/node$n.pcap" --packets 30000 --flows 300 --seed $((40 + n)) >/dev/null
	printf '$ flowtap flows -r node%s.pcap --node-id node-%s --route 10.1.0.0/16 --interval 1 \\\n' "$n" "$n"
	printf '    --flow-format records --spool spool%s --url %q -q\n' "$n" "$URL"
	"$FT" flows -r "$tmp/node$n.pcap" --node-id "node-$n" --route 10.1.0.0/16 --interval 1 \
		--flow-format records --spool "$tmp/spool$n" --url "$URL" -q
done
"$FT" flows -r "$tmp/node1.pcap" --node-id node-1 --route 10.1.0.0/16 --interval 1 \
	--flow-format records -w "$tmp/records.jsonl"
step "What was posted: one JSON object per connection per interval"
sed -n '1,2p' "$tmp/records.jsonl"
echo "rows: $(ch_query "SELECT count() FROM flows")"

# The example queries, over the captures' own addresses.
peer=$(ch_query "SELECT srcAddr FROM flows WHERE class = 'virtual' GROUP BY srcAddr
	ORDER BY sum(txBytes + rxBytes) DESC LIMIT 1")
while IFS= read -r -d '' title && IFS= read -r -d '' sql; do
	sql=${sql//100.64.0.1/$peer}
	step "${title//100.64.0.1/$peer}"
	echo "$sql" | sed 's/^/  /'
	ch_query "$sql FORMAT PrettyCompactMonoBlock"
done < <(ch_selects "$SQL")
step "Done: ClickHouse stopped, $tmp removed"
