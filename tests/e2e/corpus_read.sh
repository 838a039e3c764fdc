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

files=0 runs=0 bad=0 lines=0
for f in "$corpus"/*; do
	[ -f "$f" ] || continue
	files=$((files + 1))
	for flags in "" "-v -s 60" "-x -A --date --utc"; do
		runs=$((runs + 1))
		# shellcheck disable=SC2086
		timeout 60 "$FT_BUILD/flowtap" read -r "$f" $flags >"$tmp/out" 2>"$tmp/err"
		rc=$?
		if [ "$rc" -ge 124 ] || grep -q -E 'runtime error|AddressSanitizer|LeakSanitizer' "$tmp/err"; then
			echo "FAIL: flowtap read -r $(basename "$f") $flags: exit $rc"
			head -20 "$tmp/err"
			bad=$((bad + 1))
		fi
		lines=$((lines + $(wc -l <"$tmp/out")))
	done
done
echo "corpus: $files files, $runs runs, $lines output lines, $bad failures"
[ "$files" -gt 0 ] || { echo "FAIL: no corpus files read"; exit 1; }
[ "$bad" -eq 0 ]
