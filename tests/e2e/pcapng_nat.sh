#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Converting user0 to pcapng loses nothing: `flowtap read -r x.user0 -w
# x.pcapng` keeps the pre-NAT addresses as an EPB comment tshark shows
# ("pre-nat src 192.168.1.5", "pre-nat dst fd00::9") and as a custom option
# (2989, PEN 32473) that flowtap reads back (pcapng -> text, pcapng ->
# pcapng) and that an independent parser finds with the right bytes.
set -uo pipefail
. "$(dirname "$0")/api_lib.bash"
api_require tshark python3
api_setup pcapngnat
SOCK=$TMP/api.sock
dp_start "$SOCK" --rate 5000
curl -sf --unix-socket "$SOCK" -X POST "http://local/localapi/v0/debug-capture?count=40" \
	-o "$TMP/x.user0" || fail "capture failed"
"$FLOWTAP" read -r "$TMP/x.user0" -w "$TMP/x.pcapng" --format pcapng || fail "user0 -> pcapng failed"
"$FLOWTAP" read -r "$TMP/x.pcapng" -w "$TMP/y.pcapng" --format pcapng || fail "pcapng -> pcapng failed"

# 1. flowtap prints the same lines from all three, NAT included.
"$FLOWTAP" read -r "$TMP/x.user0" >"$TMP/u.txt" || fail "read user0"
"$FLOWTAP" read -r "$TMP/x.pcapng" >"$TMP/n.txt" || fail "read pcapng"
"$FLOWTAP" read -r "$TMP/y.pcapng" >"$TMP/n2.txt" || fail "read pcapng copy"
nat=$(grep -c 'pre-nat' "$TMP/u.txt")
[ "$nat" -ge 10 ] || fail "only $nat user0 records with NAT metadata"
# user0 names only the built-in paths; pcapng keeps names too, so compare
# without the path-254 label differences (none: both say path-254).
diff -u "$TMP/u.txt" "$TMP/n.txt" >"$TMP/d" || fail "user0 and pcapng text differ: $(head -20 "$TMP/d")"
diff -u "$TMP/n.txt" "$TMP/n2.txt" >"$TMP/d" || fail "pcapng copy differs: $(head -20 "$TMP/d")"
ok "flowtap read: user0, its pcapng and a pcapng copy print the same $(wc -l <"$TMP/u.txt") lines ($nat with pre-NAT addresses)"

# 2. tshark shows the comment on exactly the packets with NAT metadata.
sed -n 's/.*\[\(pre-nat [^]]*\)\]$/\1/p; /pre-nat/!s/.*//p' "$TMP/u.txt" >"$TMP/want"
tshark -n -r "$TMP/x.pcapng" -T fields -e frame.comment 2>/dev/null >"$TMP/got"
diff -u "$TMP/want" "$TMP/got" >"$TMP/d" || fail "tshark comments differ: $(head -20 "$TMP/d")"
grep -qx 'pre-nat dst 10.0.0.9' "$TMP/got" && grep -qx 'pre-nat src fd00::5' "$TMP/got" ||
	fail "expected IPv4 and IPv6 comments: $(sort -u "$TMP/got")"
ok "tshark -n: frame.comment 'pre-nat ...' on each of the $nat packets, none elsewhere"

# 3. The custom option, parsed from the bytes (PEN 32473, type 1, lengths).
python3 - "$TMP/x.pcapng" "$TMP/want" <<'PY' || fail "custom option check failed"
import ipaddress, struct, sys
data = open(sys.argv[1], 'rb').read()
want = [l.rstrip('\n') for l in open(sys.argv[2])]
got, off = [], 0
while off + 12 <= len(data):
    btype, blen = struct.unpack('<II', data[off:off + 8])
    if btype == 6:
        caplen = struct.unpack('<I', data[off + 20:off + 24])[0]
        o, end, text = off + 28 + ((caplen + 3) & ~3), off + blen - 4, ''
        while o + 4 <= end:
            code, olen = struct.unpack('<HH', data[o:o + 4])
            if code == 0:
                break
            v = data[o + 4:o + 4 + olen]
            if code == 2989:
                pen, kind = struct.unpack('<IB', v[:5])
                assert (pen, kind) == (32473, 1), (pen, kind)
                rest, parts = v[5:], []
                for name in ('src', 'dst'):
                    n = rest[0]
                    assert n in (0, 4, 16), n
                    if n:
                        parts.append('%s %s' % (name, ipaddress.ip_address(bytes(rest[1:1 + n]))))
                    rest = rest[1 + n:]
                assert not rest, rest
                text = 'pre-nat ' + ' '.join(parts)
            o += 4 + ((olen + 3) & ~3)
        got.append(text)
    off += blen
if got != want:
    sys.exit('custom options %s != %s' % (got[:6], want[:6]))
print('ok - custom option 2989 (PEN 32473) in %d EPBs matches the user0 metadata' % sum(1 for g in got if g))
PY
