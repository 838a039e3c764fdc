#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flows_live.sh - `flowtap flows --socket` against a running datapath
# (ft-testdp with a flow logger): prints the NDJSON stream of flow-log
# messages as they come; clear errors and exit status 1 for a caller without
# access (403) and for a socket nobody listens on.
set -u
. "$(dirname "$0")/api_lib.bash"
api_require
api_setup flows-live
chmod 1777 "$TMP"
SOCK=$TMP/s.sock
dp_start "$SOCK" --rate 500 --mode 0666 --flows 200

# Runs for 2 s, then is stopped: the stream itself never ends.
timeout 2 "$FLOWTAP" flows --socket "$SOCK" > "$TMP/out" 2> "$TMP/err"
rc=$?
[ $rc = 124 ] || fail "flowtap flows exited $rc before being stopped: $(cat "$TMP/err")"
# A line cut by the kill is not a message.
[ -z "$(tail -c1 "$TMP/out")" ] || sed -i '$d' "$TMP/out"
python3 - "$TMP/out" <<'PY' || fail "stream: $(head -c 300 "$TMP/out")"
import json, sys
ids, n, conns = set(), 0, 0
for l in open(sys.argv[1]):
    m = json.loads(l)
    assert m['nodeId'] == 'testdp', m
    assert m['id'] not in ids
    ids.add(m['id'])
    assert m['start'] <= m['end']
    conns += sum(len(m.get(k, [])) for k in ('virtualTraffic', 'subnetTraffic', 'exitTraffic', 'physicalTraffic'))
    n += 1
print(f'{n} messages, {conns} connections')
assert n >= 3 and conns > 0
PY
ok "flowtap flows --socket streams flow-log messages"

if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$FLOWTAP" flows --socket "$SOCK" \
		> "$TMP/out" 2> "$TMP/err"
	rc=$?
	[ $rc = 1 ] || fail "as nobody: exit $rc"
	grep -q "permission denied (HTTP 403)" "$TMP/err" || fail "403 message: $(cat "$TMP/err")"
	[ -s "$TMP/out" ] && fail "403 body printed as flow data: $(cat "$TMP/out")"
	ok "403: $(cat "$TMP/err")"
else
	echo "note: not root or no setpriv/nobody: 403 case not run"
fi

dp_stop
"$FLOWTAP" flows --socket "$SOCK" > "$TMP/out" 2> "$TMP/err"
rc=$?
[ $rc = 1 ] || fail "nothing listening: exit $rc"
grep -q "no datapath is listening" "$TMP/err" || fail "message: $(cat "$TMP/err")"
ok "nothing listening: $(cat "$TMP/err")"
FLOWTAP_SOCKET=$TMP/missing.sock "$FLOWTAP" flows 2> "$TMP/err"
[ $? = 1 ] && grep -q "missing.sock" "$TMP/err" || fail "\$FLOWTAP_SOCKET: $(cat "$TMP/err")"
ok "\$FLOWTAP_SOCKET honoured: $(cat "$TMP/err")"
"$FLOWTAP" flows --socket "$SOCK" --route 10.0.0.0/8 2> "$TMP/err"
[ $? = 2 ] && grep -q "apply to -r FILE" "$TMP/err" || fail "live with file options: $(cat "$TMP/err")"
ok "file-only options refused in live mode"
