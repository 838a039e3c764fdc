#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# clickhouse_retry_bytes: a retried batch is byte-identical to its first
# attempt, also after the sender restarted on its spool, so ClickHouse's
# insert deduplication (replicated tables, by block checksum) drops a
# repeat. A collector process answers 503 to the first two attempts of
# every distinct body and logs the SHA-1 of each; messages keep arriving
# between attempts, and the first sender exits while its batches are
# refused. Every refused body must later be accepted with the same bytes,
# and the accepted bodies hold every record once.
set -euo pipefail
. "$(dirname "$0")/common.bash"
FT=${FT_BUILD:?}/flowtap
GEN=${FT_SHARED:?}/bench/gen_pcap.py
[ -r "$GEN" ] || skip "$GEN not found"
T=$(mktemp -d /tmp/ftc-chbytes.XXXXXX)
CPID=
trap '[ -n "$CPID" ] && kill "$CPID" 2>/dev/null; rm -rf "$T"' EXIT
python3 "$GEN" "$T/a.pcap" --packets 4000 --flows 100 --seed 51 >/dev/null
python3 "$GEN" "$T/b.pcap" --packets 4000 --flows 100 --seed 52 >/dev/null

python3 - "$T" <<'PY' &
import hashlib, http.server, os, sys, threading
T = sys.argv[1]
seen, lock = {}, threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        h = hashlib.sha1(body).hexdigest()
        with lock:
            n = seen[h] = seen.get(h, 0) + 1
            ok = n > 2
            with open(f'{T}/log', 'a') as f:
                f.write(f'{h} {"ok" if ok else "503"}\n')
            if ok:
                with open(f'{T}/accepted', 'ab') as f:
                    f.write(body)
        self.send_response(200 if ok else 503)
        self.send_header('Content-Length', '0')
        self.end_headers()
s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
open(f'{T}/port.tmp', 'w').write(str(s.server_address[1])); os.rename(f'{T}/port.tmp', f'{T}/port')
s.serve_forever()
PY
CPID=$!
for _ in $(seq 50); do [ -e "$T/port" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat "$T/port")/"

# Sender 1 is fed slowly, so records keep coming while batches are refused;
# it exits (drain 2 s) with refused batches still spooled.
python3 - "$T/a.pcap" <<'PY' | "$FT" flows -r - --interval 0.005 ${FT_TEST_FORMAT---flow-format records} \
	-w "$T/sent1" --url "$URL" --spool "$T/spool" 2>"$T/err1"
import sys, time
d = open(sys.argv[1], 'rb').read()
out = sys.stdout.buffer
out.write(d[:24]); out.flush()
step = (len(d) - 24) // 15 + 1
for i in range(24, len(d), step):
    out.write(d[i:i + step]); out.flush(); time.sleep(0.1)
PY
ok "sender 1 exited with $(ls "$T/spool" | wc -l) spool files; $(wc -l <"$T/log") attempts so far"
# Sender 2 restarts on the same spool with more records.
"$FT" flows -r "$T/b.pcap" --interval 0.005 ${FT_TEST_FORMAT---flow-format records} -w "$T/sent2" \
	--url "$URL" --spool "$T/spool" 2>"$T/err2"
for _ in $(seq 3); do
	[ -z "$(ls "$T/spool")" ] && break
	head -c 24 "$T/a.pcap" | "$FT" flows -r - -q --url "$URL" --spool "$T/spool" 2>>"$T/err2"
done
[ -z "$(ls "$T/spool")" ] || fail "left in the spool: $(ls "$T/spool")"

python3 - "$T" <<'PY'
import json, sys
T = sys.argv[1]
log = [l.split() for l in open(f'{T}/log')]
refused = {h for h, v in log if v == '503'}
accepted = [h for h, v in log if v == 'ok']
never = refused - set(accepted)
print(f'{len(log)} attempts, {len(refused)} distinct bodies refused, {len(accepted)} accepted, '
      f'{len(never)} refused bodies never re-sent byte for byte')
ids = [json.loads(l)['id'] for l in open(f'{T}/accepted', 'rb').read().splitlines()]
sent = [json.loads(l)['id'] for f in ('sent1', 'sent2') for l in open(f'{T}/{f}')]
print(f'{len(sent)} records written, {len(ids)} accepted, {len(set(ids))} distinct')
sys.exit(1 if never or sorted(ids) != sorted(sent) or len(accepted) != len(refused) else 0)
PY
ok "every refused batch was accepted later with the same bytes; every record once"
echo PASS
