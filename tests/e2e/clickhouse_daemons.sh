#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# clickhouse_daemons: flowtap-tunnel and flowtapd with --url to ClickHouse
# and --flow-format records, and a ClickHouse that refuses the records.
#
# A private clickhouse-server runs in namespace A (loopback and the
# underlay address 192.0.2.1). Tunnel A posts to a table that does not exist
# yet (ClickHouse answers 404 with its message), then to one with a wrong
# column type (500, a parse error): each message is logged once, shows in
# status (flowlog.http_error, flowtap status), the records stay spooled and
# the sink backs off instead of retrying in a loop. Once the table is right
# every record the tunnel wrote (its --flow-log in records format) arrives
# once, virtual and physical traffic both. flowtapd in namespace B, capturing
# tunnel B's TUN device, posts records over the underlay: rows of virtual
# traffic under its node id.
set -euo pipefail
. "$(dirname "$0")/tunnel_lib.bash"
. "$(dirname "$0")/clickhouse_lib.bash"
FTD=$FT_BUILD/flowtapd
SQL=$FT_SRC/share/flowtap/clickhouse.sql
tl_require ping curl python3
ch_require
[ -x "$FTD" ] || fail "$FTD not built"
tl_setup chd
trap 'ch_kill; tl_cleanup' EXIT
CH_NETNS=$NSA CH_HOST=192.0.2.1
ch_setup "$TMP/ch"
ch_start
ch_schema "$SQL" || fail "the schema did not apply"

fl() { # FIELD: a field of tunnel A's flowlog status
	curl -sf --unix-socket "$TMP/a.sock" http://local/localapi/v0/status |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["flowlog"][sys.argv[1]])' "$1"
}
logged() { grep -cF "$1" "$TMP/a.log" || true; }

tl_tunnel a --keepalive 0 --node-id tun-a --flow-interval 0.3 --flow-format records \
	--flow-log "$TMP/a.records" --url "$(ch_insert_url nope)" --spool "$TMP/spool"
tl_tunnel b --keepalive 0
ip netns exec "$NSA" ping -c 5 -i 0.1 -q 100.64.0.2 >/dev/null || fail "ping through the tunnel"

echo "== no such table: 404 with ClickHouse's message"
for _ in $(seq 50); do [[ $(fl http_error) == *"doesn't exist"* ]] && break; sleep 0.1; done
err=$(fl http_error)
[[ $err == *"HTTP status 404: Code: 60"*"Table default.nope doesn't exist"* ]] ||
	fail "status http_error: '$err'"
ok "status shows: $err"
"$FLOWTAP" status --socket "$TMP/a.sock" | grep -F "HTTP error: " | grep -qF "doesn't exist" ||
	fail "flowtap status shows no HTTP error: $("$FLOWTAP" status --socket "$TMP/a.sock")"
ok "flowtap status shows the HTTP error"
sleep 3
n=$(logged "Table default.nope doesn't exist")
[ "$n" = 1 ] || fail "ClickHouse's message logged $n times: $(cat "$TMP/a.log")"
r=$(fl http_retries)
# Backoff 0.5, 1, 2 s...: a handful of attempts in these seconds, not a loop.
[ "$r" -ge 2 ] && [ "$r" -le 6 ] || fail "$r failed attempts in about 4 s"
[ "$(fl http_dropped)" = 0 ] || fail "records dropped on a 4xx"
[ -n "$(ls "$TMP/spool")" ] || fail "nothing spooled"
ok "logged once, $r attempts with backoff, records kept in the spool ($(ls "$TMP/spool" | wc -l) files)"

echo "== wrong column type: 500, another message, logged once"
ch_query "CREATE TABLE nope (id String, class UInt8) ENGINE = MergeTree ORDER BY id" >/dev/null
for _ in $(seq 100); do [[ $(fl http_error) == *"Cannot parse"* ]] && break; sleep 0.1; done
err=$(fl http_error)
[[ $err == *"HTTP status 500: Code: 27"*"Cannot parse"* ]] || fail "status http_error: '$err'"
sleep 1
n=$(logged "Code: 27")
[ "$n" = 1 ] || fail "the parse error logged $n times: $(cat "$TMP/a.log")"
ok "logged once: $err"

echo "== the table fixed: every record arrives once"
ch_query "DROP TABLE nope" >/dev/null
ch_query "CREATE TABLE nope AS flows" >/dev/null
ip netns exec "$NSA" ping -c 3 -i 0.1 -q 100.64.0.2 >/dev/null || fail "ping through the tunnel"
tl_stop "$TUN_PID_A" # final interval flushed, the spool drained
[ -z "$(ls "$TMP/spool")" ] || fail "records left in the spool: $(ls "$TMP/spool")"
grep -q "reachable again" "$TMP/a.log" || fail "no recovery notice: $(cat "$TMP/a.log")"
read -r rows ids <<<"$(ch_query "SELECT count(), uniqExact(id) FROM nope")"
sent=$(wc -l <"$TMP/a.records")
[ "$ids" = "$sent" ] && [ "$rows" = "$ids" ] ||
	fail "tunnel wrote $sent records; ClickHouse holds $rows rows, $ids distinct"
classes=$(ch_query "SELECT groupUniqArray(toString(class)) FROM
	(SELECT class FROM nope WHERE nodeId = 'tun-a' ORDER BY class)")
[[ $classes == *virtual* && $classes == *physical* ]] || fail "classes: $classes"
pk=$(ch_query "SELECT sum(txPkts), sum(rxPkts) FROM nope WHERE class = 'virtual' AND proto = 1
	AND dst = '100.64.0.2:0'")
[ "$pk" = $'8\t8' ] || fail "ping packets in ClickHouse: $pk (want 8 each way)"
ok "$rows records of tunnel A, each once; classes $classes; 8 pings each way"

echo "== flowtapd on tunnel B's TUN device, posting over the underlay"
ip netns exec "$NSB" "$FTD" --socket "$TMP/ftd.sock" --interface fte0 --interval 0.3 \
	--node-id ftd-b --flow-format records --url "$(ch_insert_url flows 192.0.2.1)" \
	--spool-dir "$TMP/ftd-spool" >"$TMP/ftd.log" 2>&1 &
FTD_PID=$!
TL_PIDS+=("$FTD_PID")
tl_wait_api "$TMP/ftd.sock" || fail "flowtapd did not start: $(cat "$TMP/ftd.log")"
tl_tunnel a --keepalive 0
ip netns exec "$NSA" ping -c 4 -i 0.1 -q 100.64.0.2 >/dev/null || fail "ping through the tunnel"
kill -TERM "$FTD_PID"
wait "$FTD_PID" || fail "flowtapd exited with an error: $(cat "$TMP/ftd.log")"
pk=$(ch_query "SELECT sum(txPkts), sum(rxPkts) FROM flows WHERE nodeId = 'ftd-b'
	AND class = 'virtual' AND proto = 1")
[ "$pk" = $'4\t4' ] || fail "flowtapd's virtual ICMP rows: '$pk' (want 4 each way); $(cat "$TMP/ftd.log")"
ok "flowtapd posted records of virtual traffic: $pk packets"
tl_stop "$TUN_PID_B"
echo PASS
