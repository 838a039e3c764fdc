#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The Lua dissector decodes the disco path (254) as Tailscale's debug
# captures carry it (metadata, then the disco message) for message types 1-7,
# field by field, on a user0 capture this test builds; an IP packet on path
# 254 is still dissected as IP. Read with tshark -n.
set -uo pipefail
: "${FT_SRC:?}"
. "$FT_SRC/tests/e2e/common.bash"
command -v tshark >/dev/null || skip "tshark is not installed"
LUA=$FT_SRC/share/flowtap/flowtap.lua
TMP=$(mktemp -d /tmp/ft-disco.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

python3 - "$TMP/d.user0" <<'PY' || fail "cannot build the capture"
import ipaddress, struct, sys
def ep(a, port):
    ip = ipaddress.ip_address(a)
    b = ip.packed if ip.version == 6 else b'\0' * 10 + b'\xff\xff' + ip.packed
    return b + struct.pack('>H', port)
def meta(msg, src='192.0.2.7', port=41641, derp=None):
    a = ipaddress.ip_address(src).packed
    return (bytes([1 if derp else 0]) + (derp or b'\0' * 32) + struct.pack('<HH', port, len(a)) +
            a + struct.pack('<H', len(msg)) + msg)
txid = bytes(range(1, 13))
key = lambda c: bytes([c]) * 32
common = struct.pack('>II', 7, 3) + key(0xaa) + key(0xcc)
msgs = [
    meta(b'\x01\x00' + txid + key(0x11) + b'\0' * 5),                        # ping
    meta(b'\x02\x00' + txid + ep('198.51.100.4', 3478), src='2001:db8::1'),   # pong
    meta(b'\x03\x00' + ep('203.0.113.9', 41641) + ep('2001:db8::9', 41642),
         derp=key(0xdd)),                                                     # call-me-maybe
    meta(b'\x04\x00' + common),
    meta(b'\x05\x00' + common),
    meta(b'\x06\x00' + common),
    meta(b'\x07\x00' + key(0x01) + key(0x02) + key(0x03) + struct.pack('>QIQQ', 42, 9, 5 * 10**9,
         300 * 10**9) + ep('192.0.2.50', 7777)),                              # call-me-maybe-via
]
ip = bytes.fromhex('4500001c00000000401100000a0000010a000002')  # IPv4 + UDP 1->2
ip += struct.pack('>HHHH', 1, 2, 8, 0)
out = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 147)
for i, m in enumerate(msgs + [ip]):
    rec = struct.pack('<HBB', 254, 0, 0) + m
    out += struct.pack('<IIII', 1700000000 + i, 0, len(rec), len(rec)) + rec
open(sys.argv[1], 'wb').write(out)
PY

# One tshark run; line N is record N (1-7 the message types, 8 the IP packet).
fields="type type_name src.ip4 src.ip6 src_port derp derp_key txid node_key padding pong_src
	pong_port endpoint endpoint_port vni generation remote_key challenge lamport_id
	bind_lifetime steady_lifetime client_key"
tshark -n -X lua_script:"$LUA" -r "$TMP/d.user0" -T fields -E separator=';' \
	$(for x in $fields; do printf -- '-e flowtap.disco.%s ' "$x"; done) -e ip.src -e ip.dst \
	-e flowtap.path_name >"$TMP/t" 2>"$TMP/err" || fail "tshark: $(cat "$TMP/err")"
# f LINE FIELD...: the fields of record LINE, joined with ';'.
f() {
	local line=$1 out= x i
	shift
	for x in "$@"; do
		i=1
		for y in $fields ip.src ip.dst path_name; do
			[ "$y" = "$x" ] && break
			i=$((i + 1))
		done
		out+=$(sed -n "${line}p" "$TMP/t" | cut -d';' -f$i)";"
	done
	echo "${out%;}"
}
check() { # NAME WANT GOT
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3' $(cat "$TMP/err")"
}
check "message types" "ping pong call-me-maybe bind-udp-relay-endpoint bind-udp-relay-endpoint-challenge bind-udp-relay-endpoint-answer call-me-maybe-via  " \
	"$(cut -d';' -f2 "$TMP/t" | tr '\n' ' ')"
check "type numbers" "1 2 3 4 5 6 7  " "$(cut -d';' -f1 "$TMP/t" | tr '\n' ' ')"
check "source and DERP" "192.0.2.7;;41641;0 ;2001:db8::1;41641;0 192.0.2.7;;41641;1 " \
	"$(for l in 1 2 3; do f $l src.ip4 src.ip6 src_port derp; done | tr '\n' ' ')"
check "ping" "0102030405060708090a0b0c;1111111111111111111111111111111111111111111111111111111111111111;5" \
	"$(f 1 txid node_key padding)"
check "pong" "0102030405060708090a0b0c;::ffff:198.51.100.4;3478" "$(f 2 txid pong_src pong_port)"
check "call-me-maybe" "::ffff:203.0.113.9,2001:db8::9;41641,41642;dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" \
	"$(f 3 endpoint endpoint_port derp_key)"
for l in 4 5 6; do
	check "bind handshake ($l)" "7;3;aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc" \
		"$(f $l vni generation remote_key challenge)"
done
check "call-me-maybe-via" "42;9;5000000000;300000000000;::ffff:192.0.2.50;7777;$(printf '02%.0s' {1..32}),$(printf '03%.0s' {1..32})" \
	"$(f 7 lamport_id vni bind_lifetime steady_lifetime endpoint endpoint_port client_key)"
check "IP on path 254" "10.0.0.1;10.0.0.2;disco" "$(f 8 ip.src ip.dst path_name)"
info=$(tshark -n -X lua_script:"$LUA" -r "$TMP/d.user0" 2>/dev/null | sed -n 2p)
grep -q '\[disco\] disco pong tx=010203040506 src port 3478 from \[2001:db8::1\]:41641' <<<"$info" ||
	fail "info column: $info"
grep -qi 'error\|malformed' < <(tshark -n -X lua_script:"$LUA" -r "$TMP/d.user0" -V 2>&1) &&
	fail "tshark reports errors: $(tshark -n -X lua_script:"$LUA" -r "$TMP/d.user0" -V 2>&1 | grep -i 'error\|malformed' | head -3)"
ok "disco path: message types 1-7 with their fields, DERP and source metadata, IP still IP; info: $info"
