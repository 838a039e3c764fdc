#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Prometheus metrics of flowtapd: GET /localapi/v0/metrics on the API socket
# and GET /metrics on --metrics-listen pass `promtool check metrics`; a real
# Prometheus server (its own config and data directory, on loopback in the
# test's namespace, scrape_interval 1s) scrapes flowtapd and its query API
# returns our series with the packets a capture saw. The TCP listener serves
# nothing else (404, 405 with Allow) and a bad --metrics-listen is exit 2.
FTF_TAG=mx
source "$(dirname "$0")/flowtapd_lib.bash"

require_root_netns
need curl python3 promtool prometheus ping
PORT=9464
PROM=9490

make_veth
rc=0
"$FTD" --socket "$TMP/x.sock" --interface lo --metrics-listen localhost:9 2>"$TMP/bad.err" || rc=$?
[ $rc = 2 ] && grep -q "bad --metrics-listen 'localhost:9'" "$TMP/bad.err" ||
	fail "bad --metrics-listen: exit $rc, $(cat "$TMP/bad.err")"
ok "bad --metrics-listen: exit 2, $(cat "$TMP/bad.err")"

start_flowtapd --interface "$VB" --metrics-listen "$PORT"
nsb() { ip netns exec "$NSB" "$@"; }

# Packets through a capture session, so the source's socket opens and counts.
"$FT" capture --socket "$SOCK" -c 3 -w "$TMP/c.pcap" icmp 2>"$TMP/cap.err" &
cap=$!
wait_sessions 1
ip netns exec "$NSA" ping -c 3 -i 0.2 -W 1 192.0.2.2 >/dev/null || fail "ping failed"
wait $cap || fail "capture failed: $(cat "$TMP/cap.err")"

# 1. The exposition, on both endpoints, passes promtool.
curl -sf --unix-socket "$SOCK" http://local/localapi/v0/metrics -o "$TMP/api.prom" ||
	fail "GET /localapi/v0/metrics failed"
nsb curl -sf -D "$TMP/h" "http://127.0.0.1:$PORT/metrics" -o "$TMP/tcp.prom" ||
	fail "GET /metrics on 127.0.0.1:$PORT failed"
grep -qi '^Content-Type: text/plain; version=0.0.4' "$TMP/h" || fail "content type: $(cat "$TMP/h")"
for f in api tcp; do
	promtool check metrics <"$TMP/$f.prom" >"$TMP/lint" 2>&1 ||
		fail "promtool check metrics ($f): $(cat "$TMP/lint")"
	[ ! -s "$TMP/lint" ] || fail "promtool lint ($f): $(cat "$TMP/lint")"
done
for m in 'flowtap_build_info{version="[0-9.]*"} 1' \
	"flowtap_source_kernel_drops_total{tap=\"$VB\",kind=\"afpacket\"} 0" \
	"flowtap_tap_packets_offered_total{tap=\"$VB\"} [1-9][0-9]*" \
	"flowtap_session_dropped_packets_total{tap=\"$VB\"} 0" \
	"flowtap_session_packets_written_total{tap=\"$VB\"} 3" \
	'flowtap_flowlog_http_messages_sent_total 0' 'flowtap_api_requests_total [0-9]*'; do
	grep -qx "$m" "$TMP/tcp.prom" || fail "no line '$m' in /metrics: $(cat "$TMP/tcp.prom")"
done
ok "promtool check metrics passes (API socket and TCP); $(grep -c '^# TYPE' "$TMP/tcp.prom") families"

# 2. The TCP listener serves /metrics only, loopback only by default.
c=$(nsb curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/localapi/v0/status")
[ "$c" = 404 ] || fail "status over TCP: $c, expected 404"
nsb curl -s -D "$TMP/h" -o /dev/null -X POST "http://127.0.0.1:$PORT/metrics"
grep -q '^HTTP/1.1 405' "$TMP/h" && grep -qi '^Allow: GET, HEAD' "$TMP/h" ||
	fail "POST /metrics: $(cat "$TMP/h")"
nsb curl -s -m 2 -o /dev/null "http://192.0.2.2:$PORT/metrics" &&
	fail "metrics reachable on 192.0.2.2 without being asked"
ok "TCP: 404 for other paths, 405 with Allow for POST, bound to 127.0.0.1 only"

# 3. A real Prometheus scrapes flowtapd.
mkdir -p "$TMP/prom"
cat >"$TMP/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: flowtapd
    static_configs:
      - targets: ['127.0.0.1:$PORT']
EOF
nsb prometheus --config.file="$TMP/prom/prometheus.yml" --storage.tsdb.path="$TMP/prom/data" \
	--web.listen-address="127.0.0.1:$PROM" --log.level=warn >"$TMP/prom.log" 2>&1 &
PROM_PID=$!
trap 'kill $PROM_PID 2>/dev/null; wait $PROM_PID 2>/dev/null; cleanup' EXIT
query() {
	nsb curl -sf --data-urlencode "query=$1" "http://127.0.0.1:$PROM/api/v1/query" 2>/dev/null
}
got=
for _ in $(seq 150); do
	got=$(query "flowtap_source_packets_received_total{tap=\"$VB\"}" | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")' 2>/dev/null) && [ -n "$got" ] && break
	kill -0 $PROM_PID 2>/dev/null || fail "prometheus exited: $(cat "$TMP/prom.log")"
	sleep 0.2
done
[ -n "$got" ] && [ "$got" -ge 3 ] ||
	fail "Prometheus has no flowtap_source_packets_received_total (got '$got'): $(tail -5 "$TMP/prom.log")"
up=$(query 'up{job="flowtapd"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])')
[ "$up" = 1 ] || fail "up{job=flowtapd} = $up"
n=$(query '{__name__=~"flowtap_.*"}' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["result"]))')
[ "$n" -ge 30 ] || fail "only $n flowtap series in Prometheus"
ok "Prometheus scraped flowtapd: up 1, $n flowtap_* series, packets received $got"
