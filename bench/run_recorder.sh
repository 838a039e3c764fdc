#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Flight recorder benchmarks (issue 16): hook cost armed, scaling, dumping a full window.
set -euo pipefail
"$FT_BUILD/bench_recorder"
