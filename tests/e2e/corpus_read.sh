#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Every capture of the tcpdump test corpus (many deliberately truncated or
# malformed) goes through `flowtap read` as text, -v and -x -A. A corrupt
# file may end with a non-zero exit, but nothing may crash (exit >= 128) and,
# in sanitizer builds, nothing may trigger an ASan/UBSan report.
set -uo pipefail
: "${FT_BUILD:?}" "${FT_SHARED:?}"

corpus="$FT_SHARED/corpus/tcpdump"
if [ ! -d "$corpus" ]; then
	echo "SKIP: $corpus is absent"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

# One file, three ways; a line "RUNS LINES BAD" on stdout, failures on stderr.
# Two files at a time: the runs are short and mostly process start-up
# (flowtap loads ~40 shared libraries), so this halves the test's time.
one_file() {
	local f=$1 runs=0 bad=0 lines=0 out err rc
	out=$(mktemp "$tmp/o.XXXXXX")
	err=$(mktemp "$tmp/e.XXXXXX")
	for flags in "" "-v -s 60" "-x -A --date --utc"; do
		runs=$((runs + 1))
		# shellcheck disable=SC2086
		timeout 60 "$FT_BUILD/flowtap" read -r "$f" $flags >"$out" 2>"$err"
		rc=$?
		if [ "$rc" -ge 124 ] || grep -q -E 'runtime error|AddressSanitizer|LeakSanitizer' "$err"; then
			echo "FAIL: flowtap read -r $(basename "$f") $flags: exit $rc" >&2
			head -20 "$err" >&2
			bad=$((bad + 1))
		fi
		lines=$((lines + $(wc -l <"$out")))
	done
	rm -f "$out" "$err"
	echo "$runs $lines $bad"
}
export -f one_file
export FT_BUILD tmp

find "$corpus" -maxdepth 1 -type f -print0 | sort -z |
	xargs -0 -P 2 -n 1 bash -c 'one_file "$1"' _ >"$tmp/results"
files=$(wc -l <"$tmp/results")
read -r runs lines bad < <(awk '{r += $1; l += $2; b += $3} END {print r + 0, l + 0, b + 0}' "$tmp/results")
echo "corpus: $files files, $runs runs, $lines output lines, $bad failures"
[ "$files" -gt 0 ] || { echo "FAIL: no corpus files read"; exit 1; }
[ "$bad" -eq 0 ]
