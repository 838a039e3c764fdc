#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# e2e: `flowtap read -r X.pcap -w OUT` writes pcap records with writev()
# from the reader's window (pcap_batch.c); -U (a flush per packet) takes the
# writer's path. Both must give byte-identical files, the same messages and
# exit codes, over generated captures (several window refills), byte-swapped,
# nanosecond, odd (len < caplen, caplen > snaplen, usec >= 1e6), truncated
# and corrupt files, and every classic pcap file of the tcpdump corpus; with
# and without a filter, -c, -s and --format pcap-ns. tcpdump reads the output.
set -uo pipefail
FT=${FT_BUILD:?}/flowtap
SRC=${FT_SRC:?}
command -v tcpdump >/dev/null || { echo "SKIP: tcpdump not installed"; exit 77; }
tmp=$(mktemp -d /tmp/ftb-read-fast.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
fail=0 n=0

# same FILE ARGS...: the fast path and -U agree on bytes, stderr and status.
same() {
	local in=$1 a b
	shift
	"$FT" read -r "$in" -w "$tmp/fast" "$@" 2>"$tmp/fast.err"
	a=$?
	"$FT" read -r "$in" -w "$tmp/slow" -U "$@" 2>"$tmp/slow.err"
	b=$?
	n=$((n + 1))
	if [ $a != $b ] || ! cmp -s "$tmp/fast" "$tmp/slow" || ! cmp -s "$tmp/fast.err" "$tmp/slow.err" ||
		grep -q -E 'runtime error|Sanitizer' "$tmp/fast.err"; then
		echo "FAIL $(basename "$in") $*: exit $a/$b, $(cmp "$tmp/fast" "$tmp/slow" 2>&1)"
		head -3 "$tmp/fast.err" "$tmp/slow.err"
		fail=1
		return 1
	fi
	return 0
}

python3 "$SRC/tests/data/mkodd_pcap.py" "$tmp"
gen=${FT_SHARED:-}/bench/gen_pcap.py
inputs=("$tmp/be.pcap" "$tmp/ns.pcap" "$tmp/odd.pcap")
if [ -f "$gen" ]; then
	# ~10 MB: the 1 MiB window refills many times.
	python3 "$gen" "$tmp/eth.pcap" --packets 20000 >/dev/null
	python3 "$gen" "$tmp/raw.pcap" --packets 5000 --link raw >/dev/null
	inputs+=("$tmp/eth.pcap" "$tmp/raw.pcap")
fi
for in in "${inputs[@]}"; do
	same "$in"
	same "$in" udp
	same "$in" 'tcp port 443 or icmp'
	same "$in" -c 7 udp
	same "$in" -s 60
	same "$in" -s 60 --format pcap-ns
	same "$in" --format pcap-ns 'not udp'
done

# tcpdump reads what the fast path wrote: the same packets it selects itself
# (not odd.pcap, whose records any pcap writer rewrites: tcpdump -w too).
for in in "${inputs[@]}"; do
	[ "$in" != "$tmp/odd.pcap" ] || continue
	"$FT" read -r "$in" -w "$tmp/f.pcap" udp 2>/dev/null
	tcpdump -n -r "$in" -w "$tmp/t.pcap" udp 2>/dev/null
	a=$(tcpdump -n -r "$tmp/f.pcap" 2>/dev/null | md5sum)
	b=$(tcpdump -n -r "$tmp/t.pcap" 2>/dev/null | md5sum)
	[ "$a" = "$b" ] || { echo "FAIL tcpdump reads $(basename "$in") differently"; fail=1; }
	n=$((n + 1))
done
# A little-endian microsecond file with nothing to rewrite: byte for byte.
if [ -f "$gen" ]; then
	"$FT" read -r "$tmp/eth.pcap" -w "$tmp/f.pcap"
	cmp -s "$tmp/eth.pcap" "$tmp/f.pcap" || { echo "FAIL: eth.pcap not copied as is"; fail=1; }
	n=$((n + 1))
fi

# The fast path is the one taken (the comparisons above would also pass if
# neither run took it): its writev() calls carry many records, where the
# writer's path hands over one buffer per call, as -U shows.
if command -v strace >/dev/null && [ -f "$gen" ]; then
	most_iovecs() {
		strace -f -qq -e trace=writev -e signal=none -o "$tmp/strace" \
			"$FT" read -r "$tmp/eth.pcap" -w "$tmp/s.pcap" "$@" 2>/dev/null
		grep -oE '\], [0-9]+\) += ' "$tmp/strace" | grep -oE '[0-9]+' | sort -n | tail -1
	}
	fast=$(most_iovecs udp) slow=$(most_iovecs -U udp)
	if [ "${fast:-0}" -le 2 ] || [ "${slow:-0}" != 1 ]; then
		echo "FAIL: the fast path is not taken (most iovecs per writev: $fast, with -U: $slow)"
		fail=1
	fi
	n=$((n + 1))
else
	echo "note: strace or gen_pcap.py absent, fast path use not checked"
fi

# Truncated and corrupt files: the records before the damage, then libpcap's
# message and exit 1, on both paths.
for f in trunc trunchdr badcap; do
	same "$tmp/$f.pcap"
	same "$tmp/$f.pcap" udp
	rc=0
	"$FT" read -r "$tmp/$f.pcap" -w "$tmp/x.pcap" 2>"$tmp/err" || rc=$?
	case $f in
	badcap) want='invalid packet capture length 300000' ;;
	*) want='truncated dump file' ;;
	esac
	if [ $rc != 1 ] || ! grep -q "$want" "$tmp/err"; then
		echo "FAIL $f.pcap: exit $rc, $(cat "$tmp/err")"
		fail=1
	fi
	n=$((n + 1))
done

# An output error is reported, as the writer's path reports it.
if [ -w /dev/full ] && [ -f "$gen" ]; then
	rc=0
	"$FT" read -r "$tmp/eth.pcap" -w /dev/full 2>"$tmp/err" || rc=$?
	if [ $rc != 1 ] || ! grep -q "No space left" "$tmp/err"; then
		echo "FAIL /dev/full: exit $rc, $(cat "$tmp/err")"
		fail=1
	fi
	n=$((n + 1))
fi

# The tcpdump corpus: every classic pcap file (many truncated or malformed).
corpus=${FT_SHARED:-}/corpus/tcpdump
if [ -d "$corpus" ]; then
	c=0
	for f in "$corpus"/*; do
		[ -f "$f" ] || continue
		magic=$(od -An -tx4 -N4 "$f" 2>/dev/null | tr -d ' ')
		case $magic in a1b2c3d4 | d4c3b2a1 | a1b23c4d | 4d3cb2a1) ;; *) continue ;; esac
		c=$((c + 1))
		# Half with a snaplen and a filter: the test stays short.
		if [ $((c % 2)) = 0 ]; then same "$f"; else same "$f" -s 80 ip; fi
	done
	echo "corpus: $c classic pcap files"
fi

echo "$n checks, fail=$fail"
[ $fail = 0 ] && echo "read_fastpath: ok"
exit $fail
