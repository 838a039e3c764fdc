#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Micro benchmark of the text formatter alone (no file I/O): ns per packet.
set -euo pipefail
: "${FT_BUILD:?}" "${FT_SHARED:?}" "${FT_BENCH_TMP:?}"
cap="$FT_BENCH_TMP/text-bench.pcap"
python3 "$FT_SHARED/bench/gen_pcap.py" "$cap" --packets 200000 >/dev/null
"$FT_BUILD/bench_text" "$cap" 1
