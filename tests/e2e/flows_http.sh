#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# HTTP sink against a real HTTP server process (tests/data/flows/collector.py):
# the collector is down while one sender runs and exits (its messages stay in
# the spool) and while a second, restarted sender starts; the collector comes
# up during the second run and answers 503 now and then. Afterwards every
# message both senders produced has arrived, with identical content, and
# nothing else; duplicates are recognisable by id. Then the spool bound
# holds: with the collector down, only the newest N messages are kept and
# each drop is reported.
set -euo pipefail
FT=${FT_BUILD:?}/flowtap
GEN=${FT_SHARED:?}/bench/gen_pcap.py
COLL=${FT_SRC:?}/tests/data/flows/collector.py
[ -r "$GEN" ] || { echo "SKIP: $GEN not found"; exit 77; }
T=$(mktemp -d /tmp/ftc-http.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT/ingest"

python3 "$GEN" "$T/a.pcap" --packets 6000 --flows 200 --seed 21
python3 "$GEN" "$T/b.pcap" --packets 6000 --flows 200 --seed 22

# Messages in a spool directory: one line each, in message files
# (*.ndjson) and in batches sealed at the first attempt (*.batch).
spooled() { { cat "$1"/*.ndjson "$1"/*.batch 2>/dev/null || true; } | wc -l; }

# Feeds a capture file slowly (over about 3 s) so that a sender stays up.
slow_feed() {
	python3 - "$1" <<'PY'
import sys, time
d = open(sys.argv[1], 'rb').read()
out = sys.stdout.buffer
out.write(d[:24]); out.flush()
step = (len(d) - 24) // 30 + 1
for i in range(24, len(d), step):
    out.write(d[i:i + step]); out.flush(); time.sleep(0.1)
PY
}

echo "== sender 1 with the collector down: messages stay in the spool"
"$FT" flows -r "$T/a.pcap" --interval 0.002 --node-id n1 -w "$T/sent1.jsonl" \
	--url "$URL" --spool "$T/spool" 2> "$T/err1"
n1=$(wc -l < "$T/sent1.jsonl")
s1=$(spooled "$T/spool")
echo "sender 1 produced $n1 messages; spool holds $s1"
grep -q "cannot POST to $URL" "$T/err1" || { echo "FAIL: no notice about the failing POST"; cat "$T/err1"; exit 1; }
[ "$s1" -eq "$n1" ] || { echo "FAIL: spool should hold every message"; exit 1; }

echo "== sender 2 restarted on the same spool; the collector comes up meanwhile"
slow_feed "$T/b.pcap" | "$FT" flows -r - --interval 0.002 --node-id n1 -w "$T/sent2.jsonl" \
	--url "$URL" --spool "$T/spool" 2> "$T/err2" &
SPID=$!; pids+=("$SPID")
sleep 1
python3 "$COLL" --port "$PORT" --port-file "$T/port" --out "$T/recv.ndjson" --fail-every 4 &
pids+=("$!")
for _ in $(seq 50); do [ -e "$T/port" ] && break; sleep 0.1; done
wait "$SPID"
# The sender drains for up to 2 s at exit; give it a little slack then check.
for _ in $(seq 50); do [ "$(spooled "$T/spool")" = 0 ] && break; sleep 0.1; done
python3 - "$T/sent1.jsonl" "$T/sent2.jsonl" "$T/recv.ndjson" <<'PY'
import json, sys
sent = {}
for f in sys.argv[1:3]:
    for l in open(f):
        m = json.loads(l)
        assert m['id'] not in sent, 'sender produced a duplicate id'
        sent[m['id']] = l.rstrip('\n')
recv, dups, bad = {}, 0, 0
for l in open(sys.argv[3]):
    m = json.loads(l)
    l = l.rstrip('\n')
    if m['id'] in recv:
        dups += 1
        bad += recv[m['id']] != l      # a duplicate is the same message
    recv[m['id']] = l
missing = set(sent) - set(recv)
extra = set(recv) - set(sent)
changed = [i for i in set(sent) & set(recv) if sent[i] != recv[i]]
print(f'sent {len(sent)}, received {len(recv)} distinct (+{dups} duplicates), missing {len(missing)}, '
      f'unexpected {len(extra)}, altered {len(changed) + bad}')
sys.exit(1 if missing or extra or changed or bad else 0)
PY
left=$(spooled "$T/spool")
[ "$left" -eq 0 ] || { echo "FAIL: $left messages left in the spool"; exit 1; }
grep -q "reachable again" "$T/err2" || { echo "FAIL: no recovery notice"; cat "$T/err2"; exit 1; }

echo "== without a spool: an in-memory queue, retried through the 503s"
"$FT" flows -r "$T/b.pcap" --interval 0.002 -w "$T/sent3.jsonl" --url "$URL" 2> "$T/err5"
python3 - "$T/sent3.jsonl" "$T/recv.ndjson" <<'PY'
import json, sys
sent = {json.loads(l)['id'] for l in open(sys.argv[1])}
recv = {json.loads(l)['id'] for l in open(sys.argv[2])}
print(f'in-memory: sent {len(sent)}, missing {len(sent - recv)}')
sys.exit(1 if sent - recv or not sent else 0)
PY

echo "== spool bound"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
"$FT" flows -r "$T/a.pcap" --interval 0.002 -q --url "$URL" --spool "$T/spool2" --spool-max 5 2> "$T/err3"
n=$("$FT" flows -r "$T/a.pcap" --interval 0.002 | wc -l)
kept=$(spooled "$T/spool2")
# One notice per dropped message, or per dropped batch with its count.
drops=$(sed -n 's/.*HTTP spool full.*dropped the oldest \(batch of \([0-9]*\) \)\{0,1\}message.*/\2/p' \
	"$T/err3" | awk '{n += ($1 == "" ? 1 : $1)} END {print n + 0}')
echo "produced $n, kept $kept, drop notices $drops"
# At most 5 kept; fewer when a sealed batch went whole (how many messages a
# batch holds depends on timing: under load, more); none lost unannounced.
[ "$kept" -ge 1 ] && [ "$kept" -le 5 ] && [ "$drops" -eq $((n - kept)) ] ||
	{ echo "FAIL: spool bound"; exit 1; }
# The kept ones are the newest.
newest=$(ls "$T/spool2" | grep -E 'ndjson|batch' | sort | tail -1)
grep -q "\"id\"" "$T/spool2/$newest"

echo "== a second process on the same spool is refused"
# Another sender holds the spool (the lock is flock(2) on DIR/.lock; flock(1)
# takes the same lock as a sender would).
exec 7> "$T/spool2/.lock"
flock -x 7
if "$FT" flows -r "$T/a.pcap" -q --url "$URL" --spool "$T/spool2" 2> "$T/err4"; then
	echo "FAIL: second process accepted"; exit 1
fi
grep -q "in use by another process" "$T/err4" || { echo "FAIL: $(cat "$T/err4")"; exit 1; }
echo "ok: $(cat "$T/err4")"
exec 7>&-
echo "PASS"
