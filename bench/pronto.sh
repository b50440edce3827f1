#!/usr/bin/env bash
# Benchmark a Pronto backfill at Avenue's 30 calls a minute: calls per record read, share of the
# limit and 429s, next to the 5-s pacing an observed Avenue client used.
#
#   bench/pronto.sh [--debtors N] [--products N]
#
# Defaults: 10,000 debtors and 5,000 products (about six minutes: 150 calls at 30 a minute, and
# the baseline's minute). Builds ferry in release mode, then rewrites the pronto section of
# docs/benchmarks.md.
set -euo pipefail
ARGS=("$@")
DEBTORS=10000 PRODUCTS=5000
while [ $# -gt 0 ]; do
  case $1 in
    --debtors) DEBTORS=$2; shift 2 ;;
    --products) PRODUCTS=$2; shift 2 ;;
    *) echo "usage: bench/pronto.sh [--debtors N] [--products N]" >&2; exit 2 ;;
  esac
done
source "$(dirname "$0")/common.sh"
build_release
"$FERRY" lint pipelines/pronto_debtors_to_stripe.ferry pipelines/pronto_products_to_stripe.ferry >&2 \
  || die "the pipelines do not lint"
python3 bench/bench_pronto.py --ferry "$FERRY" --debtors "$DEBTORS" --products "$PRODUCTS" \
  --command "bench/pronto.sh${ARGS[*]:+ ${ARGS[*]}}"
