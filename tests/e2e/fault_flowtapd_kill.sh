#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtapd killed with SIGKILL and restarted, with its HTTP collector (a real
# HTTP server process, tests/data/flows/collector.py) down during the kill:
# the spool survives intact, the restarted daemon sends what the killed one
# left, and once the collector is up every message both runs logged arrives
# with identical content. A half-written spool file of the killed run
# (.tmp-*) is removed by the restart. All inside a namespace ftg-kill-PID.
set -uo pipefail
: "${FT_BUILD:?}"
FTD=$FT_BUILD/flowtapd
COLL=${FT_SRC:?}/tests/data/flows/collector.py
NS=ftg-kill-$$
T=$(mktemp -d /tmp/ftg-kill.XXXXXX)
PIDS=()
. "$(dirname "$0")/common.bash"
fail_details() {
	for f in "$T"/ftd*.log; do [ -s "$f" ] && sed "s|^|  $(basename "$f"): |" "$f"; done
}
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || skip "needs root for a network namespace"
for t in ip ping python3 curl; do command -v $t >/dev/null || skip "$t is not installed"; done
[ -x "$FTD" ] || fail "flowtapd not built at $FTD"
ip netns add "$NS" || skip "cannot create a network namespace"
ip -n "$NS" link set lo up
PORT=4$((RANDOM % 9000 + 1000))
URL="http://127.0.0.1:$PORT/ingest"
SOCK=$T/api.sock

# run_ftd N: flowtapd run N, counting flows on lo, logging to a file and to
# the collector through the spool.
run_ftd() {
	ip netns exec "$NS" "$FTD" --socket "$SOCK" --interface lo --interval 0.2 --node-id ftg \
		--log-exit-flows --flow-log "$T/log$1.jsonl" --url "$URL" --spool-dir "$T/spool" \
		>"$T/ftd$1.log" 2>&1 &
	FTD_PID=$!
	PIDS+=("$FTD_PID")
	for _ in $(seq 100); do
		[ -S "$SOCK" ] && curl -sf --unix-socket "$SOCK" http://local/localapi/v0/status \
			>/dev/null && return 0
		kill -0 "$FTD_PID" 2>/dev/null || fail "flowtapd run $1 exited at start"
		sleep 0.05
	done
	fail "flowtapd run $1 did not start"
}

# Traffic on lo for the whole test.
ip netns exec "$NS" ping -q -i 0.02 127.0.0.1 >/dev/null 2>&1 &
PIDS+=("$!")

run_ftd 1
for _ in $(seq 100); do
	[ "$(ls "$T/spool" 2>/dev/null | grep -c ndjson)" -ge 5 ] && break
	sleep 0.1
done
kill -9 "$FTD_PID"
wait "$FTD_PID" 2>/dev/null
mkdir "$T/kept"
cp "$T"/spool/*.ndjson "$T/kept/" 2>/dev/null
kept=$(ls "$T/kept" | wc -l)
[ "$kept" -ge 5 ] || fail "only $kept messages spooled before the kill"
ok "flowtapd killed -9 with $kept messages in the spool (collector down)"

# What a kill in the middle of a spool write leaves behind.
printf '{"id":"half' >"$T/spool/.tmp-00000000000000000001-00000001.ndjson"
rm -f "$SOCK"
run_ftd 2
sleep 1
ls -a "$T/spool" | grep -q '^\.tmp-' && fail "a half-written spool file survived the restart"
for f in "$T"/kept/*; do
	[ -e "$T/spool/$(basename "$f")" ] || fail "spooled $(basename "$f") vanished with the collector down"
	cmp -s "$f" "$T/spool/$(basename "$f")" || fail "spooled $(basename "$f") changed"
done
ok "restart: the spool is intact, the half-written file is gone"

ip netns exec "$NS" python3 "$COLL" --port "$PORT" --port-file "$T/port" --out "$T/recv.ndjson" &
PIDS+=("$!")
for _ in $(seq 50); do [ -e "$T/port" ] && break; sleep 0.1; done
[ -e "$T/port" ] || fail "collector did not start"
sleep 1
kill "$FTD_PID"
wait "$FTD_PID" || fail "flowtapd run 2 exit status $?"
grep -q 'Sanitizer\|runtime error' "$T"/ftd*.log && fail "sanitizer report"
for _ in $(seq 50); do [ -z "$(ls "$T/spool" | grep ndjson)" ] && break; sleep 0.1; done

python3 - "$T/kept" "$T/log1.jsonl" "$T/log2.jsonl" "$T/recv.ndjson" <<'PY' || fail "messages lost"
import json, os, sys
kept_dir, log1, log2, recv_path = sys.argv[1:]
recv = {}
for line in open(recv_path):
    m = json.loads(line)
    recv[m['id']] = m
def load(p):
    return [json.loads(l) for l in open(p) if l.endswith('\n')]
l1, l2 = load(log1), load(log2)
kept = [json.loads(open(os.path.join(kept_dir, f)).read()) for f in sorted(os.listdir(kept_dir))]
for m in kept + l2:
    if recv.get(m['id']) != m:
        sys.exit('message %s never arrived intact' % m['id'])
# The killed run writes its file sink before the spool: only a message it
# was killed between the two may be in log1 and not spooled.
missing = [m['id'] for m in l1 if recv.get(m['id']) != m]
if len(missing) > 1 or (missing and missing[0] != l1[-1]['id']):
    sys.exit('%d messages of the killed run lost: %s' % (len(missing), missing[:5]))
ids = [m['id'] for m in l1 + l2]
if len(set(ids)) != len(ids):
    sys.exit('the restarted run reused message ids')
print('%d + %d messages logged, %d spooled at the kill, %d received' %
      (len(l1), len(l2), len(kept), len(recv)))
PY
ok "nothing lost across SIGKILL and restart"
