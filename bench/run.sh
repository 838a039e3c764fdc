#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# make bench: run every bench/run_*.sh; each prints `BENCH <name> <value> <unit>` lines.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export FT_BUILD=${FT_BUILD:-$here/../build-bench}
export FT_SRC=${FT_SRC:-$here/..}
export FT_SHARED=${FT_SHARED:-$here/../../shared}
export FT_BENCH_TMP=${FT_BENCH_TMP:-$(mktemp -d /tmp/flowtap-bench.XXXXXX)}
trap 'rm -rf "$FT_BENCH_TMP"' EXIT
rc=0
for s in "$here"/run_*.sh; do
	[ -e "$s" ] || continue
	echo "== $(basename "$s")"
	bash "$s" || { echo "bench: $(basename "$s") failed" >&2; rc=1; }
done
exit $rc
