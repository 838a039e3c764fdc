#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Tap hook benchmarks (issues 3 and 12).
set -euo pipefail
"$FT_BUILD/bench_tap"
