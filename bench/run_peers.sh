#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Micro benchmark of the peer table: ns per longest-prefix lookup with
# 10,000 peers (IPv4 and IPv6, some subnet routes; goal at most 30 ns).
set -euo pipefail
: "${FT_BUILD:?}"
"$FT_BUILD/bench_peers" 10000 1
# The same with an exit node owning 0.0.0.0/0 and ::/0 (IPv6 bounds in
# several /64s, every address found).
EXIT=1 "$FT_BUILD/bench_peers" 10000 1
