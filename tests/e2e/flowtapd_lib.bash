# SPDX-License-Identifier: BSD-2-Clause
# flowtapd_lib.bash - shared setup of the flowtapd end-to-end tests (sourced,
# not a test itself): two network namespaces joined by a veth pair, a running
# flowtapd, and helpers. Every name carries the ftf- prefix and the test's
# own tag, and everything is removed on exit.
set -uo pipefail

: "${FT_BUILD:?FT_BUILD must point at the build directory}"
FTD=$FT_BUILD/flowtapd
FT=$FT_BUILD/flowtap
TAG=${FTF_TAG:?}
NSA=ftf-${TAG}a
NSB=ftf-${TAG}b
VA=ftf-${TAG}0
VB=ftf-${TAG}1
TMP=$(mktemp -d /tmp/ftf-e2e.XXXXXX)
SOCK=$TMP/flowtap.sock
FTD_PID=

. "$(dirname "${BASH_SOURCE[0]}")/common.bash"

fail_details() {
	[ -s "$TMP/flowtapd.log" ] && sed 's/^/  flowtapd.log: /' "$TMP/flowtapd.log"
}

cleanup() {
	if [ -n "$FTD_PID" ] && kill -0 "$FTD_PID" 2>/dev/null; then
		kill "$FTD_PID" 2>/dev/null
		wait "$FTD_PID" 2>/dev/null
	fi
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

need() {
	for t in "$@"; do
		command -v "$t" >/dev/null || skip "$t is not installed"
	done
}

require_root_netns() {
	[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
	need ip
	# A namespace left by a killed earlier run of this test is removed first.
	ip netns del "$NSA" 2>/dev/null; ip netns del "$NSB" 2>/dev/null
	ip netns add "$NSA" 2>/dev/null || skip "cannot create network namespaces"
	ip netns del "$NSA"
	[ -x "$FTD" ] || fail "flowtapd not built at $FTD"
}

# Two namespaces, a veth pair between them, addresses 192.0.2.1 (A) and
# 192.0.2.2 (B); IPv6 off so only the test's traffic crosses.
make_veth() {
	ip netns add "$NSA" && ip netns add "$NSB" || fail "cannot create namespaces"
	ip link add "$VA" netns "$NSA" type veth peer name "$VB" netns "$NSB" ||
		fail "cannot create veth pair"
	for ns in "$NSA" "$NSB"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
		ip -n "$ns" link set lo up
	done
	ip -n "$NSA" link set "$VA" up
	ip -n "$NSB" link set "$VB" up
	ip -n "$NSA" addr add 192.0.2.1/24 dev "$VA"
	ip -n "$NSB" addr add 192.0.2.2/24 dev "$VB"
}

# start_flowtapd ARGS...: run flowtapd in namespace B, wait for its socket.
start_flowtapd() {
	ip netns exec "$NSB" "$FTD" --socket "$SOCK" "$@" >"$TMP/flowtapd.log" 2>&1 &
	FTD_PID=$!
	for _ in $(seq 100); do
		[ -S "$SOCK" ] && curl -sf --unix-socket "$SOCK" http://local/localapi/v0/status \
			>/dev/null && return 0
		kill -0 "$FTD_PID" 2>/dev/null || fail "flowtapd exited at start"
		sleep 0.05
	done
	fail "flowtapd did not start listening on $SOCK"
}

status() {
	curl -sf --unix-socket "$SOCK" http://local/localapi/v0/status
}

# source_field TAP FIELD: a counter of the source of TAP in status.
source_field() {
	status | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = [s for s in d["sources"] if s["tap"] == sys.argv[1]]
print(s[0][sys.argv[2]] if s else "none")' "$1" "$2"
}

# wait_sessions N: wait until N capture sessions are attached. A session
# still "starting" does not count: status lists it as soon as its request
# arrives, before a worker has attached it and the source has opened.
wait_sessions() {
	for _ in $(seq 100); do
		n=$(status | python3 -c 'import json,sys; print(sum(1 for c in json.load(sys.stdin)["sessions"] if c.get("state") != "starting"))')
		[ "$n" = "$1" ] && return 0
		sleep 0.05
	done
	fail "expected $1 capture sessions, status shows ${n:-?}"
}

# pcap_digest FILE...: one line per packet, "sha1(bytes) len", sorted.
pcap_digest() {
	python3 - "$@" <<'PY'
import hashlib, struct, sys
def records(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        e = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '>'
    else:
        sys.exit('%s: not a classic pcap file' % path)
    off = 24
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack(e + 'IIII', data[off:off + 16])
        yield data[off + 16:off + 16 + incl], orig
        off += 16 + incl
for path in sys.argv[1:]:
    out = sorted('%s %d' % (hashlib.sha1(b).hexdigest(), o) for b, o in records(path))
    sys.stdout.write(''.join(l + '\n' for l in out))
PY
}

# pcapng_isb FILE: "ifrecv ifdrop" of the first Interface Statistics Block.
pcapng_isb() {
	python3 - "$1" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
off, e = 0, '<'
while off + 12 <= len(data):
    btype, blen = struct.unpack(e + 'II', data[off:off + 8])
    if btype == 0x0A0D0D0A:
        e = '<' if data[off + 8:off + 12] == b'\x4d\x3c\x2b\x1a' else '>'
        btype, blen = struct.unpack(e + 'II', data[off:off + 8])
    if blen < 12:
        sys.exit('corrupt block')
    if btype == 5:
        o, end = off + 20, off + blen - 4
        opts = {}
        while o + 4 <= end:
            code, olen = struct.unpack(e + 'HH', data[o:o + 4])
            if code == 0:
                break
            opts[code] = data[o + 4:o + 4 + olen]
            o += 4 + ((olen + 3) & ~3)
        get = lambda c: struct.unpack(e + 'Q', opts[c])[0] if c in opts else -1
        print(get(4), get(5))
        sys.exit(0)
    off += blen
sys.exit('no ISB')
PY
}

# wait_flow FILE PYEXPR [SKIP]: wait until a flow message in FILE after its
# first SKIP lines satisfies PYEXPR (m is the message).
wait_flow() {
	for _ in $(seq 80); do
		python3 - "$1" "$2" "${3:-0}" <<'PY' && return 0
import json, sys
for i, line in enumerate(open(sys.argv[1])):
    m = json.loads(line)
    if i >= int(sys.argv[3]) and eval(sys.argv[2]):
        sys.exit(0)
sys.exit(1)
PY
		sleep 0.1
	done
	echo "--- $1:" >&2
	cat "$1" >&2
	fail "no flow message with $2"
}

# wait_total FILE CLASS TX RX [SKIP] [SRC DST]: wait until the ICMP entries
# of CLASS (e.g. exitTraffic), summed over the messages after the first SKIP
# lines (intervals may split a burst), reach TX and RX packets exactly.
wait_total() {
	for _ in $(seq 80); do
		python3 - "$@" <<'PY' && return 0
import json, sys
path, cls, tx, rx = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
skip = int(sys.argv[5]) if len(sys.argv) > 5 else 0
ends = sys.argv[6:8]
t = r = 0
for i, line in enumerate(open(path)):
    if i < skip:
        continue
    for e in json.loads(line).get(cls, []):
        if e.get("proto") == 1 and (not ends or [e["src"], e["dst"]] == ends):
            t += e.get("txPkts", 0)
            r += e.get("rxPkts", 0)
sys.exit(0 if (t, r) == (tx, rx) else 1)
PY
		sleep 0.1
	done
	echo "--- $1:" >&2
	cat "$1" >&2
	fail "$2 in $1 does not sum to $3 tx / $4 rx ICMP packets"
}
