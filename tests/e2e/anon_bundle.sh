#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flowtap bundle -o FILE.tar.gz: status, a short capture and the flow-log
# messages of the same seconds, with a manifest, anonymized with a new key
# (written 0600 beside the bundle, not in it) so that neither the capture
# nor the messages hold a real address, and both agree on the mapped ones;
# --no-anonymize keeps them; a bad key is exit 2.
set -u
. "$(dirname "$0")/api_lib.bash"
api_require tshark jq tar
api_setup anonbundle

SOCK=$TMP/s.sock
dp_start "$SOCK" --rate 500 --flows 300
"$FLOWTAP" bundle -o "$TMP/b.tar.gz" --socket "$SOCK" --duration 2 2>"$TMP/err" ||
	fail "bundle: $(cat "$TMP/err")"
[ "$(stat -c %a "$TMP/b.tar.gz.key")" = 600 ] || fail "the new key is not mode 600"
[ "$(tar tzf "$TMP/b.tar.gz" | sort | tr '\n' ' ')" = \
	"capture.pcapng flows.ndjson manifest.json status.json " ] || fail "contents: $(tar tzf "$TMP/b.tar.gz")"
tar tzf "$TMP/b.tar.gz" | grep -q key && fail "the key is in the bundle"
mkdir "$TMP/x" && tar xzf "$TMP/b.tar.gz" -C "$TMP/x" || fail "tar xzf"
jq -e '.anonymized == true and (.files | length) == 3 and .flowMessages > 0 and .captureExit == 0' \
	"$TMP/x/manifest.json" >/dev/null || fail "manifest: $(cat "$TMP/x/manifest.json")"
ok "bundle: manifest, status, capture and $(jq .flowMessages "$TMP/x/manifest.json") flow messages; key 0600 outside"

read -r m1 m2 < <("$FLOWTAP" anonymize-addr "$TMP/b.tar.gz.key" 100.64.0.1 100.64.0.2 | tr '\n' ' ')
grep -E -q '100\.64\.0\.|fd7a:115c|10\.0\.0\.9|192\.168\.1\.5' "$TMP/x/flows.ndjson" "$TMP/x/status.json" &&
	fail "a real address in the flow messages or status"
cap=$(tshark -n -r "$TMP/x/capture.pcapng" -T fields -e ip.src 2>/dev/null | grep . | sort -u | tr '\n' ' ')
[ "$cap" = "$m1 " ] || [ "$cap" = "$m1 $m2 " ] || [ "$cap" = "$m2 $m1 " ] || fail "capture sources: $cap (want $m1)"
jq -r '(.virtualTraffic // [])[] | .src' "$TMP/x/flows.ndjson" | grep -q "^$m1:40000$" ||
	fail "flow messages lack $m1:40000: $(head -c 300 "$TMP/x/flows.ndjson")"
ok "capture and flow messages carry the same mapped addresses ($m1), no real one"

"$FLOWTAP" bundle -o "$TMP/p.tar.gz" --socket "$SOCK" --duration 1 --no-anonymize 2>/dev/null ||
	fail "--no-anonymize failed"
[ -e "$TMP/p.tar.gz.key" ] && fail "--no-anonymize made a key"
tar xzf "$TMP/p.tar.gz" -O capture.pcapng >"$TMP/p.pcapng"
tshark -n -r "$TMP/p.pcapng" -T fields -e ip.src 2>/dev/null | grep -q '^100\.64\.0\.1$' ||
	fail "--no-anonymize: no real address"
ok "--no-anonymize keeps the addresses"

"$FLOWTAP" bundle -o "$TMP/q.tar.gz" --socket "$SOCK" --anonymize "$TMP/none" 2>"$TMP/err"
rc=$?
[ "$rc" = 2 ] && grep -q "cannot open key file" "$TMP/err" || fail "missing key: exit $rc $(cat "$TMP/err")"
"$FLOWTAP" bundle -o "$TMP/r.tar.gz" --socket "$TMP/nosock" --no-anonymize 2>"$TMP/err"
rc=$?
[ "$rc" = 1 ] && [ ! -e "$TMP/r.tar.gz" ] || fail "no datapath: exit $rc"
ok "a missing key is exit 2; no datapath is exit 1 without a bundle"

# The live flow stream, mapped by the client with the same key.
timeout -s INT 2 "$FLOWTAP" flows --socket "$SOCK" --anonymize "$TMP/b.tar.gz.key" >"$TMP/live" 2>"$TMP/err"
[ -s "$TMP/live" ] || fail "flows --anonymize (live): nothing: $(cat "$TMP/err")"
grep -E -q '100\.64\.0\.|fd7a:115c' "$TMP/live" && fail "live flows: a real address"
jq -r '(.virtualTraffic // [])[] | .src' "$TMP/live" | grep -q "^$m1:40000$" ||
	fail "live flows lack $m1:40000"
ok "flowtap flows --anonymize on the live stream: $(wc -l <"$TMP/live") messages, mapped as the bundle"
dp_stop
