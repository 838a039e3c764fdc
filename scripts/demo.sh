#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# make demo (interim, until the datapath demo exists): the offline reader on a
# small capture the project generates itself: a user0 debug-capture stream
# with TCP/TLS/HTTP/DNS/ICMP/IPv6 packets over several capture paths.
# Shows text, -v, a filter, path selection, and a pcapng rewrite that tshark
# reads back with one interface per path. Exits non-zero on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
FT_BUILD=${FT_BUILD:-$here/build}
FT=$FT_BUILD/flowtap
[ -x "$FT" ] || { echo "demo: $FT not built (run make)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/flowtap-demo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

run() { # title command...
	printf '\n\033[1m== %s\033[0m\n$' "$1"
	printf ' %q' "${@:2}" | sed "s|$FT_BUILD/||"
	printf '\n'
	"${@:2}"
}

python3 "$here/tests/data/mkcapture.py" "$tmp/demo.user0"
cd "$tmp"
run "A capture from a datapath's hooks (user0 stream): one line per packet" \
	"$FT" read -r demo.user0 --utc
run "Verbose: IP header fields and TCP options" \
	"$FT" read -r demo.user0 --utc -v -c 3
run "A tcpdump filter, compiled by libpcap" \
	"$FT" read -r demo.user0 --utc 'udp port 53 or icmp'
run "Only what arrived from peers" \
	"$FT" read -r demo.user0 --utc --path from-peer
run "The HTTP exchange with its payload (-A)" \
	"$FT" read -r demo.user0 --utc -A 'tcp port 80 and tcp[tcpflags] & tcp-push != 0'
run "Rewrite as pcapng: one interface per capture path, direction in EPB flags" \
	"$FT" read -r demo.user0 -w demo.pcapng --format pcapng

if command -v tshark >/dev/null; then
	run "tshark reads it back" \
		tshark -n -r demo.pcapng -T fields -E header=y -e frame.number -e frame.interface_name \
		-e frame.packet_flags_direction -e _ws.col.Protocol -e _ws.col.Info
	n=$(tshark -n -r demo.pcapng 2>/dev/null | wc -l)
	m=$("$FT" read -r demo.user0 | wc -l)
	[ "$n" = "$m" ] || { echo "demo: tshark saw $n packets, flowtap $m" >&2; exit 1; }
	ifs=$(capinfos -I -M demo.pcapng | grep -c 'Name = ')
	[ "$ifs" = 5 ] || { echo "demo: expected 5 pcapng interfaces, got $ifs" >&2; exit 1; }
	echo "demo: tshark read all $n packets on $ifs interfaces"
else
	echo "demo: tshark not installed, pcapng read-back skipped"
fi
echo
echo "demo: OK"
