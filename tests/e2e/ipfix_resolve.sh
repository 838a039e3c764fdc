#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# --ipfix with a host name that does not resolve says so (not "Invalid
# argument"), in flowtap flows and flowtapd. Run in a fresh network
# namespace of its own (unshare -n, loopback down), so the lookup fails at
# once and no DNS server is ever asked.
set -uo pipefail
: "${FT_BUILD:?}" "${FT_SRC:?}"
. "$FT_SRC/tests/e2e/common.bash"
[ "$(id -u)" = 0 ] || skip "needs root for unshare -n"
unshare -n true 2>/dev/null || skip "cannot unshare the network namespace"
TMP=$(mktemp -d /tmp/ft-resolve.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
python3 - "$TMP/x.pcap" <<'PY'
import struct, sys
ip = bytes.fromhex('4500001c00000000401100000a0000010a000002') + struct.pack('>HHHH', 1, 2, 8, 0)
open(sys.argv[1], 'wb').write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101) +
                              struct.pack('<IIII', 1700000000, 0, len(ip), len(ip)) + ip)
PY
H=collector.invalid:4739
rc=0
timeout 20 unshare -n "$FT_BUILD/flowtap" flows -r "$TMP/x.pcap" --ipfix "$H" >/dev/null 2>"$TMP/e1" || rc=$?
grep -q "'$H': host name did not resolve" "$TMP/e1" && ! grep -q 'Invalid argument' "$TMP/e1" ||
	fail "flowtap flows --ipfix $H: exit $rc, '$(cat "$TMP/e1")'"
[ $rc != 0 ] || fail "flowtap flows succeeded with an unresolvable collector"
ok "flowtap flows: exit $rc, $(cat "$TMP/e1")"
rc=0
timeout 20 unshare -n "$FT_BUILD/flowtapd" --socket "$TMP/d.sock" --interface lo --ipfix "$H" \
	>"$TMP/e2" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "'$H': host name did not resolve" "$TMP/e2" ||
	fail "flowtapd --ipfix $H: exit $rc, '$(cat "$TMP/e2")'"
ok "flowtapd: exit 1, $(cat "$TMP/e2")"
