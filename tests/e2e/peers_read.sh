#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# e2e: a peer table names the ends of packets in `flowtap read --peers`:
# text "addr(name).port", pcapng EPB comments, and Name Resolution Blocks
# that tshark -N n (names from the file, no plugin) shows; bad peer files
# (unreadable, bad JSON with line and column, bad address) are clear errors
# with exit 2.
set -euo pipefail
FT=${FT_BUILD:?}/flowtap
SRC=${FT_SRC:?}
for t in tshark python3; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
tmp=$(mktemp -d /tmp/ftp-peers-read.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # name expected actual
	if [ "$2" == "$3" ]; then echo "ok   $1"; else
		printf 'FAIL %s:\n--- expected\n%s\n--- got\n%s\n' "$1" "$2" "$3"; fail=1; fi
}
python3 "$SRC/tests/data/gen_peers_pcap.py" "$tmp/p.pcap"
cat >"$tmp/peers.json" <<'J'
{"self": {"nodeId": "n1", "name": "laptop-a", "addresses": ["100.64.0.1", "fd7a:115c:a1e0::1"],
          "os": "linux", "user": "alice@example.com"},
 "peers": [{"nodeId": "n2", "name": "laptop-b",
            "addresses": ["100.64.0.2", "fd7a:115c:a1e0::2", "10.0.0.0/24"],
            "os": "macOS", "tags": ["tag:server"]}]}
J

check "text names" "IP 100.64.0.1(laptop-a).40000 > 100.64.0.2(laptop-b).443: UDP, length 11
IP 100.64.0.2(laptop-b).40001 > 100.64.0.1(laptop-a).443: UDP, length 11
IP6 fd7a:115c:a1e0::1(laptop-a).40002 > fd7a:115c:a1e0::2(laptop-b).443: UDP, length 11
IP 100.64.0.1(laptop-a).40003 > 10.0.0.77(laptop-b).443: UDP, length 11
IP 100.64.0.1(laptop-a).40004 > 8.8.8.8.443: UDP, length 11" \
	"$("$FT" read -r "$tmp/p.pcap" -t --peers "$tmp/peers.json")"
check "text without a table is unchanged" "IP 100.64.0.1.40000 > 100.64.0.2.443: UDP, length 11" \
	"$("$FT" read -r "$tmp/p.pcap" -t -c 1)"

"$FT" read -r "$tmp/p.pcap" -w "$tmp/p.pcapng" --format pcapng --peers "$tmp/peers.json"
# tshark resolves from the file's NRB only with -N n (no DNS, no /etc/hosts entry).
check "tshark -N n shows the NRB names" "laptop-a	laptop-b
laptop-b	laptop-a
laptop-a	laptop-b
laptop-a	laptop-b
laptop-a	8.8.8.8" \
	"$(tshark -n -N n -r "$tmp/p.pcapng" -T fields -e _ws.col.Source -e _ws.col.Destination 2>/dev/null)"
check "tshark -n keeps addresses" "100.64.0.1	100.64.0.2" \
	"$(tshark -n -r "$tmp/p.pcapng" -c 1 -T fields -e ip.src -e ip.dst 2>/dev/null)"
check "EPB comments" "peers src laptop-a dst laptop-b
peers src laptop-b dst laptop-a
peers src laptop-a dst laptop-b
peers src laptop-a dst laptop-b
peers src laptop-a" \
	"$(tshark -n -r "$tmp/p.pcapng" -T fields -e frame.comment 2>/dev/null)"
# Read back without a table, the pcapng's comments name the ends (as
# flowtap capture prints a datapath's names); not with --anonymize.
check "names from the pcapng's comments" "$("$FT" read -r "$tmp/p.pcap" -t --peers "$tmp/peers.json")" \
	"$("$FT" read -r "$tmp/p.pcapng" -t)"
"$FT" anonymize-key-new "$tmp/k" >/dev/null
check "no names with --anonymize" "" \
	"$("$FT" read -r "$tmp/p.pcapng" -t --anonymize "$tmp/k" | grep laptop || true)"
# One NRB per new address, written before the packet that first uses it:
# 100.64.0.1 and .2 before frame 1, the IPv6 pair before frame 3, 10.0.0.77
# before frame 4; nothing before frame 5 (8.8.8.8 is no peer, .1 is named).
nrbs=$(python3 - "$tmp/p.pcapng" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read()
off, frame, out = 0, 0, []
while off < len(b):
    t, l = struct.unpack_from('<II', b, off)
    if t == 6:
        frame += 1
    if t == 4:
        recs, o = [], off + 8
        while True:
            rt, rl = struct.unpack_from('<HH', b, o)
            if rt == 0:
                break
            alen = 4 if rt == 1 else 16
            name = b[o + 4 + alen:o + 4 + rl].rstrip(b'\0').decode()
            recs.append('%d:%s' % (rt, name))
            o += 4 + (rl + 3) // 4 * 4
        out.append('before %d: %s' % (frame + 1, ' '.join(recs)))
    off += l
print('\n'.join(out))
PY
)
check "NRB records before first use" "before 1: 1:laptop-a 1:laptop-b
before 3: 2:laptop-a 2:laptop-b
before 4: 1:laptop-b" "$nrbs"
# Without a table the pcapng carries neither comments nor NRBs.
"$FT" read -r "$tmp/p.pcap" -w "$tmp/plain.pcapng" --format pcapng
check "no table, no NRB" "100.64.0.1	100.64.0.2" \
	"$(tshark -n -N n -r "$tmp/plain.pcapng" -c 1 -T fields -e _ws.col.Source -e _ws.col.Destination 2>/dev/null)"

# Bad input.
expect_err() { # name file want-substring
	local out rc=0
	out=$("$FT" read -r "$tmp/p.pcap" --peers "$2" 2>&1 >/dev/null) || rc=$?
	if [ $rc -eq 2 ] && [[ "$out" == *"$3"* ]]; then echo "ok   $1 ($out)"; else
		echo "FAIL $1: exit $rc, message '$out' lacks '$3'"; fail=1; fi
}
expect_err "missing peer file" "$tmp/none.json" "cannot open peer file '$tmp/none.json': No such file or directory"
printf '{"peers": [\n  {"name": "a"}\n  {"name": "b"}]}\n' >"$tmp/bad.json"
expect_err "bad JSON: line and column" "$tmp/bad.json" "$tmp/bad.json:3:3: bad JSON"
echo '{"peers": [{"name": "a", "addresses": ["100.64.0.300"]}]}' >"$tmp/badaddr.json"
expect_err "bad address" "$tmp/badaddr.json" "peers[0] (a): bad address or prefix '100.64.0.300'"
expect_err "a directory" "$tmp" "cannot read peer file '$tmp': Is a directory"
cp "$tmp/peers.json" "$tmp/unreadable.json"
chmod 000 "$tmp/unreadable.json"
if [ "$(id -u)" != 0 ]; then
	expect_err "unreadable peer file" "$tmp/unreadable.json" "Permission denied"
elif command -v setpriv >/dev/null; then
	# As root the mode does not stop us: read as nobody instead.
	chmod 755 "$tmp"
	FT_AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
	rc=0
	out=$($FT_AS_NOBODY "$FT" read -r /dev/null --peers "$tmp/unreadable.json" 2>&1) || rc=$?
	if [ $rc -eq 2 ] && [[ "$out" == *"cannot open peer file '$tmp/unreadable.json': Permission denied"* ]]; then
		echo "ok   unreadable peer file ($out)"
	else
		echo "FAIL unreadable peer file: exit $rc, '$out'"; fail=1
	fi
fi
exit $fail
