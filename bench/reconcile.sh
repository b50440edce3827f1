#!/usr/bin/env bash
# Benchmark `ferry reconcile` against `ferry sandbox`: N Capsule people synced into Stripe, then
# reconciled; requests per record and wall time next to listing both sides alone.
#
#   bench/reconcile.sh [--people N]
#
# N Capsule people (default 100,000). Builds ferry in release mode, then rewrites the reconcile
# section of docs/benchmarks.md.
set -euo pipefail
ARGS=("$@")
PEOPLE=100000
while [ $# -gt 0 ]; do
  case $1 in
    --people) PEOPLE=$2; shift 2 ;;
    *) echo "usage: bench/reconcile.sh [--people N]" >&2; exit 2 ;;
  esac
done
source "$(dirname "$0")/common.sh"
build_release
python3 bench/bench_reconcile.py --ferry "$FERRY" --people "$PEOPLE" \
  --command "bench/reconcile.sh${ARGS[*]:+ ${ARGS[*]}}"
