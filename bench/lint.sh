#!/usr/bin/env bash
# Benchmark `ferry lint` on the shipped pipelines and on generated 1,000- and 10,000-line files,
# next to `ferry --version` and `cat` measured in the same run.
#
#   bench/lint.sh           RUNS=30 repetitions on pipelines/ (fewer on the big files)
#
# Builds ferry in release mode and rewrites the lint section of docs/benchmarks.md.
set -euo pipefail
RUNS=${RUNS:-30}
source "$(dirname "$0")/common.sh"

build_release
python3 bench/bench_lint.py --ferry "$FERRY" --runs "$RUNS" --command "bench/lint.sh"
