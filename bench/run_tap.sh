#!/usr/bin/env bash
# Tap hook benchmarks (issues 3 and 12).
set -euo pipefail
"$FT_BUILD/bench_tap"
