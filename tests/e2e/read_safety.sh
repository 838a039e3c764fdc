#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# e2e: `flowtap read` never destroys its input (issue 11).
#  - -w to the input itself, through a symlink, a hard link, or stdin/stdout
#    redirections: refused with a message, exit 2, the capture byte-identical;
#  - an existing -w file is left as it was when the command fails before
#    writing (bad filter, unreadable input, capture -w that never starts);
#  - a capture truncated while it is being read ends with a message naming
#    the file and exit 1, never SIGBUS (exit 135).
set -uo pipefail
FT=${FT_BUILD:?}/flowtap
SRC=${FT_SRC:?}
source "$SRC/tests/e2e/common.bash"
command -v python3 >/dev/null || skip "python3 not installed"
tmp=$(mktemp -d /tmp/ftrs-safety.XXXXXX)
trap 'kill "${pid:-}" 2>/dev/null; rm -rf "$tmp"' EXIT

# A 24 MB raw-IP capture: 120,000 UDP packets of 200 bytes.
python3 - "$tmp/x.pcap" <<'PY'
import struct, sys
ip = bytes.fromhex('450000c800010000401100000a0000010a000002') + \
     bytes.fromhex('3039003500b40000') + bytes(172)
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
    rec = b''.join(struct.pack('<IIII', 1700000000 + i // 1000, i % 1000, len(ip), len(ip)) + ip
                   for i in range(1000))
    for _ in range(120):
        f.write(rec)
PY
cp "$tmp/x.pcap" "$tmp/orig.pcap"
ln -s x.pcap "$tmp/link.pcap"
ln "$tmp/x.pcap" "$tmp/hard.pcap"

# refused CMD... : exit 2, "is the input file" on stderr, x.pcap unchanged.
refused() {
	local what=$1 rc
	shift
	"$@" 2>"$tmp/err"
	rc=$?
	[ "$rc" = 2 ] || fail "$what: exit $rc, expected 2 ($(cat "$tmp/err"))"
	grep -q "is the input" "$tmp/err" || fail "$what: no clear message: $(cat "$tmp/err")"
	cmp -s "$tmp/x.pcap" "$tmp/orig.pcap" || fail "$what: the input capture was changed"
	ok "$what: refused ($(head -1 "$tmp/err"))"
}
refused "-w the input" "$FT" read -r "$tmp/x.pcap" -w "$tmp/x.pcap"
refused "-w a symlink to the input" "$FT" read -r "$tmp/x.pcap" -w "$tmp/link.pcap"
refused "-w a hard link to the input" "$FT" read -r "$tmp/link.pcap" -w "$tmp/hard.pcap"
refused "-w the input, read from stdin" sh -c '"$0" read -r - -w "$1" <"$1"' "$FT" "$tmp/x.pcap"
refused "-w - appended to the input" sh -c '"$0" read -r "$1" -w - >>"$1"' "$FT" "$tmp/x.pcap"
refused "-w the input, pcapng" "$FT" read -r "$tmp/x.pcap" -w "$tmp/x.pcap" --format pcapng
refused "-w a symlink to the input, rotated with -C" "$FT" read -r "$tmp/x.pcap" -w "$tmp/link.pcap" -C 1

# An existing output survives a command that fails before it writes.
echo "precious" >"$tmp/out.pcap"
"$FT" read -r "$tmp/x.pcap" -w "$tmp/out.pcap" 'udp and (' 2>/dev/null
[ "$(cat "$tmp/out.pcap")" = precious ] || fail "a bad filter emptied the existing -w file"
"$FT" read -r "$tmp/missing.pcap" -w "$tmp/out.pcap" 2>/dev/null
[ "$(cat "$tmp/out.pcap")" = precious ] || fail "a missing input emptied the existing -w file"
"$FT" read -r "$tmp/orig.pcap" -w "$tmp/out.pcap" -c 3 || fail "read -w an existing file failed"
[ "$(stat -c %s "$tmp/out.pcap")" = $((24 + 3 * 216)) ] || fail "-w did not replace the old file"
"$FT" read -r "$tmp/orig.pcap" -w "$tmp/new.pcap" 'udp and (' 2>/dev/null
[ ! -e "$tmp/new.pcap" ] || fail "a failed command left a new empty -w file"
ok "an existing -w file is replaced only when the command can write"

# capture -w shares the helper: a capture that never starts (no datapath
# at that socket) leaves an existing file as it was, and creates none.
"$FT" capture --socket "$tmp/none.sock" -w "$tmp/out.pcap" -c 1 2>/dev/null
[ "$(stat -c %s "$tmp/out.pcap")" = $((24 + 3 * 216)) ] || fail "a failed capture changed the -w file"
"$FT" capture --socket "$tmp/none.sock" -w "$tmp/cap.pcap" -c 1 2>/dev/null
[ ! -e "$tmp/cap.pcap" ] || fail "a failed capture left a new -w file"
ok "capture -w: an existing file survives a capture that never started"

# Truncated under the reader: flowtap blocks writing text into a FIFO
# nobody reads yet, the file shrinks, then the FIFO drains.
mkfifo "$tmp/fifo"
"$FT" read -r "$tmp/x.pcap" >"$tmp/fifo" 2>"$tmp/err" &
pid=$!
exec 3<"$tmp/fifo"
head -c 4096 <&3 >/dev/null
sleep 0.3
truncate -s 50000 "$tmp/x.pcap"
cat <&3 >/dev/null
exec 3<&-
wait "$pid"
rc=$?
pid=
[ "$rc" -lt 128 ] || fail "truncated input: killed by signal $((rc - 128)) (exit $rc): $(cat "$tmp/err")"
[ "$rc" = 1 ] || fail "truncated input: exit $rc, expected 1"
grep -q "x.pcap: truncated dump file" "$tmp/err" || fail "truncated input: message: $(cat "$tmp/err")"
ok "input truncated while read: $(cat "$tmp/err")"
