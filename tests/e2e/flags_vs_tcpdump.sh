#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Each tcpdump option flowtap read takes, run against tcpdump itself on the
# same file: the text must be byte for byte tcpdump -n's; -w with -s 0 the
# same snapshot length; -C/-G/-W rotation the same file names holding the
# same numbers of packets. Then bad command lines: a clear message, exit 2.
set -euo pipefail
: "${FT_BUILD:?}" "${FT_SRC:?}"
. "$(dirname "$0")/common.bash"

command -v tcpdump >/dev/null || skip "tcpdump not installed"
command -v python3 >/dev/null || skip "python3 not installed"
FT="$FT_BUILD/flowtap"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The synthetic overlay capture when the shared inputs are there, else the
# project's own generated one (Ethernet and raw IP).
if [ -f "${FT_SHARED:-/nonexistent}/bench/gen_pcap.py" ]; then
	python3 "$FT_SHARED/bench/gen_pcap.py" "$tmp/a.pcap" --packets 1000 >/dev/null
	python3 "$FT_SHARED/bench/gen_pcap.py" "$tmp/big.pcap" --packets 2500 >/dev/null
	python3 "$FT_SHARED/bench/gen_pcap.py" "$tmp/raw.pcap" --packets 500 --link raw >/dev/null
else
	skip "FT_SHARED/bench/gen_pcap.py absent"
fi
# tcpdump gives up root for its own user when it writes; keep root's files.
zroot=()
[ "$(id -u)" = 0 ] && zroot=(-Z root)
export TZ=UTC

n=0
# same FILE OPTIONS...: flowtap read's output equals tcpdump -n's.
same() {
	local f=$1
	shift
	"$FT" read -r "$f" "$@" >"$tmp/ft.txt" 2>"$tmp/ft.err" || fail "flowtap read $*: $(cat "$tmp/ft.err")"
	timeout 60 tcpdump -n "$@" -r "$f" >"$tmp/td.txt" 2>/dev/null </dev/null
	if ! cmp -s "$tmp/ft.txt" "$tmp/td.txt"; then
		diff "$tmp/td.txt" "$tmp/ft.txt" | head -6 >&2
		fail "read $* differs from tcpdump -n $*"
	fi
	n=$((n + 1))
}

for flags in "" "-n" "-nn" "-S" "-v" "-vv" "-vvv" "-q" "-e" "-x" "-xx" "-X" "-XX" "-A" \
	"-t" "-tt" "-ttt" "-tttt" "-ttttt" "-#" "-c 5" "-l" "-U" "-q -t" "-e -v" "-S -v" \
	"-# -tt -q" "-vv -X" "-c 3 icmp" "icmp -c 3" "tcp -S -c 20" "udp port 53 -v"; do
	# shellcheck disable=SC2086
	same "$tmp/a.pcap" $flags
done
for flags in "" "-e" "-v" "-x" "-XX" "-q"; do
	# shellcheck disable=SC2086
	same "$tmp/raw.pcap" $flags
done
printf 'udp # comments, as tcpdump allows\nand port 53\n' >"$tmp/filter"
same "$tmp/a.pcap" -F "$tmp/filter"
ok "$n option sets print what tcpdump -n prints"

# -s 0 is tcpdump's "the default, 262144": nothing is cut.
same "$tmp/a.pcap" -s 0
same "$tmp/a.pcap" -s 0 -x
ok "-s 0 cuts nothing, as in tcpdump"

# Rotation: file names and packets per file.
cat >"$tmp/npk.py" <<'PY'
import os, struct, sys
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    b = open(os.path.join(d, f), 'rb').read()
    e = '<' if b[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    off, n = 24, 0
    while off + 16 <= len(b):
        off += 16 + struct.unpack(e + 'I', b[off + 8:off + 12])[0]
        n += 1
    print('%s:%d' % (f, n), end=' ')
PY
for rot in "-C 1" "-C 1 -W 3" "-C 1 -W 12" "-G 3600" "-G 3600 -W 2" "-C 1 -G 3600 -W 5"; do
	rm -rf "$tmp/r1" "$tmp/r2"
	mkdir "$tmp/r1" "$tmp/r2"
	# shellcheck disable=SC2086
	timeout 60 tcpdump -n "${zroot[@]}" -r "$tmp/big.pcap" -w "$tmp/r1/out-%Y" $rot 2>/dev/null </dev/null
	# shellcheck disable=SC2086
	"$FT" read -r "$tmp/big.pcap" -w "$tmp/r2/out-%Y" $rot
	td=$(python3 "$tmp/npk.py" "$tmp/r1")
	ft=$(python3 "$tmp/npk.py" "$tmp/r2")
	[ "$td" = "$ft" ] || fail "rotation $rot: tcpdump $td, flowtap $ft"
	ok "rotation $rot: $ft"
done

# Bad command lines: exit 2 and a message naming the problem.
bad() {
	local want=$1
	shift
	set +e
	"$FT" "$@" >/dev/null 2>"$tmp/err"
	local rc=$?
	set -e
	[ "$rc" = 2 ] || fail "flowtap $*: exit $rc, want 2 ($(cat "$tmp/err"))"
	grep -q -- "$want" "$tmp/err" || fail "flowtap $*: message '$(cat "$tmp/err")', want '$want'"
}
bad "unknown option" read -r "$tmp/a.pcap" --bogus
bad "-K is a tcpdump option flowtap does not support" read -n -r "$tmp/a.pcap" -K
bad "-p is a tcpdump option flowtap does not support" capture -p
bad "-Z is a tcpdump option flowtap does not support" read -n -r "$tmp/a.pcap" -Z root
bad "cannot read the filter file" read -r "$tmp/a.pcap" -F "$tmp/nonexistent"
bad "invalid file size" read -r "$tmp/a.pcap" -w "$tmp/x" -C 1k
bad "invalid file size" read -r "$tmp/a.pcap" -w "$tmp/x" -C 0
bad "-W needs -C or -G" read -r "$tmp/a.pcap" -w "$tmp/x" -W 3
bad "need -w FILE" read -r "$tmp/a.pcap" -C 1
bad "option -c needs an argument" read -r "$tmp/a.pcap" -c
bad "invalid packet count" read -r "$tmp/a.pcap" -c 0
bad "invalid snaplen" read -r "$tmp/a.pcap" -s 300000
bad "at most -ttttt" read -r "$tmp/a.pcap" -tttttt
ok "bad options: exit 2 with a message"
