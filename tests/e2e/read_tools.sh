#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# e2e: tshark and capinfos read back every pcap / pcap-ns / pcapng / user0 file
# that `flowtap read` writes, with the same packet count, sizes and times;
# pcapng interfaces are named after capture paths and EPB flags carry direction.
set -euo pipefail
FT=${FT_BUILD:?}/flowtap
SRC=${FT_SRC:?}
for t in tshark capinfos python3; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
tmp=$(mktemp -d /tmp/ftb-read-tools.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # name expected actual
	if [ "$2" == "$3" ]; then echo "ok   $1"; else
		echo "FAIL $1: expected '$2', got '$3'"; fail=1; fi
}
count() { capinfos -c -M "$1" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}'; }
# One line per packet: wire length, captured length, time with ns.
frames() { tshark -n -r "$1" -T fields -e frame.len -e frame.cap_len -e frame.time_epoch 2>/dev/null; }

# Inputs: the project's own user0 stream (paths, NAT) and, when the shared
# generator is around, Ethernet and raw-IP captures of overlay traffic.
python3 "$SRC/tests/data/mkcapture.py" "$tmp/d.user0" "$tmp/d.raw.pcap"
inputs=("$tmp/d.user0")
if [ -n "${FT_SHARED:-}" ] && [ -f "$FT_SHARED/bench/gen_pcap.py" ]; then
	python3 "$FT_SHARED/bench/gen_pcap.py" "$tmp/eth.pcap" --packets 3000 >/dev/null
	python3 "$FT_SHARED/bench/gen_pcap.py" "$tmp/raw.pcap" --packets 3000 --link raw >/dev/null
	inputs+=("$tmp/eth.pcap" "$tmp/raw.pcap")
else
	echo "note: \$FT_SHARED/bench/gen_pcap.py absent, only the user0 stream is used"
fi

for in in "${inputs[@]}"; do
	n=$(count "$in")
	[ "$n" -gt 0 ] || { echo "FAIL: no packets in $in"; exit 1; }
	b=$(basename "$in")
	# What a reader hands out: for user0, the IP packets without the prefix.
	if [[ $b == *.user0 ]]; then frames "$tmp/d.raw.pcap"; else frames "$in"; fi >"$tmp/src.frames"
	for fmt in pcap pcap-ns pcapng user0; do
		out="$tmp/out.$fmt"
		if [ $fmt = user0 ] && [[ $b == eth.pcap ]]; then
			# user0 carries raw IP only: refused with a reason.
			set +e; err=$("$FT" read -r "$in" -w "$out" --format user0 2>&1); rc=$?; set -e
			check "$b user0 refused (exit 2)" 2 "$rc"
			check "$b user0 refusal names the reason" 1 "$(grep -c 'not raw IP' <<<"$err")"
			continue
		fi
		"$FT" read -r "$in" -w "$out" --format $fmt
		check "$b -> $fmt: capinfos count" "$n" "$(count "$out")"
		frames "$out" >"$tmp/out.frames"
		if [ $fmt = user0 ] && [[ $b == *.user0 ]]; then
			frames "$in" >"$tmp/exp.frames"
		elif [ $fmt = user0 ]; then
			# The prefix (4 bytes without NAT addresses) is part of each record.
			awk '{printf "%d\t%d\t%s\n", $1+4, $2+4, $3}' "$tmp/src.frames" >"$tmp/exp.frames"
		else
			cp "$tmp/src.frames" "$tmp/exp.frames"
		fi
		check "$b -> $fmt: tshark lengths and times" "$(md5sum <"$tmp/exp.frames")" \
			"$(md5sum <"$tmp/out.frames")"
	done
	# Snaplen: captured length cut, wire length kept.
	"$FT" read -r "$in" -w "$tmp/snap.pcap" --format pcap -s 60
	check "$b -s 60: count" "$n" "$(count "$tmp/snap.pcap")"
	check "$b -s 60: wire lengths kept" "$(cut -f1 "$tmp/src.frames" | md5sum)" \
		"$(frames "$tmp/snap.pcap" | cut -f1 | md5sum)"
	check "$b -s 60: no captured length over 60" 0 \
		"$(frames "$tmp/snap.pcap" | awk '$2 > 60' | wc -l)"
	check "$b -s 60: packet size limit" "file hdr: 60 bytes" \
		"$(capinfos -l -M "$tmp/snap.pcap" | sed -n 's/^Packet size limit: *//p' | head -1)"
done

# pcap-ns keeps nanoseconds; pcap input defaults to pcap output (stdout too).
"$FT" read -r "$tmp/d.user0" -w "$tmp/ns.pcap" --format pcap-ns
"$FT" read -r "$tmp/ns.pcap" -w - | cmp -s - <("$FT" read -r "$tmp/d.user0" -w - --format pcap) \
	&& check "pcap-ns -> default -w - is pcap" ok ok || check "pcap-ns -> default -w - is pcap" ok differs
check "pcap-ns timestamp precision" "nanoseconds" \
	"$(capinfos -M "$tmp/ns.pcap" | awk -F': *' '/precision/ {print $2}' | awk '{print $1}')"

# user0 round trip is byte-identical (same bytes the Go sink streams).
"$FT" read -r "$tmp/d.user0" -w "$tmp/rt.user0"
cmp -s "$tmp/d.user0" "$tmp/rt.user0" && check "user0 round trip byte-identical" ok ok ||
	check "user0 round trip byte-identical" ok differs
check "user0 encapsulation seen by capinfos" "user0" \
	"$(capinfos -E -M "$tmp/rt.user0" | awk -F': *' '/encapsulation/ {print $2}')"

# pcapng: one interface per path, named after it; direction in epb_flags.
"$FT" read -r "$tmp/d.user0" -w "$tmp/p.pcapng" --format pcapng
tshark -n -r "$tmp/p.pcapng" -T fields -e frame.interface_name -e frame.packet_flags_direction \
	-e ip.src -e ipv6.src 2>/dev/null >"$tmp/ifs"
check "pcapng: from-local packets outbound" 9 "$(grep -c $'^from-local\t0x00000002' "$tmp/ifs")"
check "pcapng: from-peer packets inbound" 5 "$(grep -c $'^from-peer\t0x00000001' "$tmp/ifs")"
check "pcapng: synthesized-to-local inbound" 1 "$(grep -c $'^synthesized-to-local\t0x00000001\t100.100.100.100' "$tmp/ifs")"
check "pcapng: synthesized-to-peer outbound (IPv6)" 1 "$(grep -c $'^synthesized-to-peer\t0x00000002\t\tfd7a:115c:a1e0::1' "$tmp/ifs")"
check "pcapng: path 254 has no direction" 1 "$(grep -c $'^path-254\t\t100.64.0.1' "$tmp/ifs")"
check "pcapng: five interfaces (capinfos -I)" 5 \
	"$(capinfos -I -M "$tmp/p.pcapng" | grep -c 'Name = ')"
check "pcapng: interface names" "from-local from-peer path-254 synthesized-to-local synthesized-to-peer" \
	"$(capinfos -I -M "$tmp/p.pcapng" | awk -F' = ' '/Name = / {print $2}' | sort | xargs)"
check "pcapng: ns resolution" 1 "$(capinfos -I -M "$tmp/p.pcapng" | grep -c 'Time precision = nanoseconds' | awk '{print ($1>0)}')"

# Our pcapng reader gets the paths, directions and pre-NAT addresses back
# (libpcap 1.10 cannot even open a file with several raw-IP interfaces).
check "pcapng read back: paths, directions and NAT in text" \
	"$("$FT" read -r "$tmp/d.user0" -t)" "$("$FT" read -r "$tmp/p.pcapng" -t)"
check "pcapng read back: --path from-peer" 5 "$("$FT" read -r "$tmp/p.pcapng" --path from-peer | wc -l)"
check "pcapng read back: --direction out" 10 "$("$FT" read -r - --direction out <"$tmp/p.pcapng" | wc -l)"
"$FT" read -r "$tmp/p.pcapng" -w "$tmp/p2.pcapng"
check "pcapng -> pcapng keeps interfaces and directions" "$(cat "$tmp/ifs")" \
	"$(tshark -n -r "$tmp/p2.pcapng" -T fields -e frame.interface_name -e frame.packet_flags_direction \
		-e ip.src -e ipv6.src 2>/dev/null)"
if command -v editcap >/dev/null && [ -f "$tmp/eth.pcap" ]; then
	# pcapng written by Wireshark's tools (us resolution): same packets.
	editcap -F pcapng "$tmp/eth.pcap" "$tmp/eth.pcapng"
	"$FT" read -r "$tmp/eth.pcapng" -w "$tmp/eth-back.pcap" --format pcap
	cmp -s "$tmp/eth.pcap" "$tmp/eth-back.pcap" && check "editcap pcapng -> pcap byte-identical" ok ok ||
		check "editcap pcapng -> pcap byte-identical" ok differs
fi

if command -v mergecap >/dev/null && [ -f "$tmp/eth.pcap" ]; then
	# Interfaces of different link types in one pcapng: those of the first
	# interface's type are read, the others skipped and counted.
	mergecap -F pcapng -a -w "$tmp/mixed.pcapng" "$tmp/eth.pcap" "$tmp/raw.pcap"
	got=$("$FT" read -r "$tmp/mixed.pcapng" -w - --format pcap 2>"$tmp/err" | capinfos -c -M /dev/stdin |
		awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
	check "mixed link types: first interface's packets" "$(count "$tmp/eth.pcap")" "$got"
	check "mixed link types: skipped ones counted" 1 \
		"$(grep -c "^flowtap: $tmp/mixed.pcapng: $(count "$tmp/raw.pcap") packets skipped" "$tmp/err")"
fi

# --path and --direction select on the user0 metadata.
check "--path from-peer" 5 "$("$FT" read -r "$tmp/d.user0" --path from-peer | wc -l)"
check "--path 2,3" 2 "$("$FT" read -r "$tmp/d.user0" --path 2,3 | wc -l)"
check "--direction in" 6 "$("$FT" read -r "$tmp/d.user0" --direction in | wc -l)"
check "--direction out and icmp" 2 "$("$FT" read -r "$tmp/d.user0" --direction out 'icmp or icmp6' | wc -l)"
check "-c 3" 3 "$("$FT" read -r "$tmp/d.user0" -c 3 -w - | tshark -n -r - 2>/dev/null | wc -l)"

# stdin in, stdout out.
check "-r - from stdin" 17 "$("$FT" read -r - -w - <"$tmp/d.user0" | capinfos -c -M /dev/stdin 2>/dev/null | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')"

exit $fail
