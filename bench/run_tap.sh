#!/usr/bin/env bash
# Tap hook benchmarks (issue 3).
set -euo pipefail
"$FT_BUILD/bench_tap"
