#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Offline (issues 11 and 13): every tcpdump and tshark call in the tests,
# benchmarks and scripts passes -n, so nothing waits on DNS. A call without
# it is listed as file:line; `scripts/check_offline.py --fix` adds the -n.
set -uo pipefail
: "${FT_SRC:?}"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
python3 "$FT_SRC/scripts/check_offline.py" "$FT_SRC"
