#!/usr/bin/env bash
# Benchmark `ferry serve`'s webhook ingest next to a plain Python receiver: signed Stripe events
# acknowledged durably per second at full speed, and acknowledgement latency at a steady rate,
# with the inbox's depth while the workers process what arrives.
#
#   bench/webhooks.sh [--rate 1000] [--rate-seconds 30] [--max-seconds 15] [--connections 32]
#                     [--workers 2]
#
# Builds ferry and the load generator (examples/webhook_load/) in release mode, honouring
# CARGO_TARGET_DIR, then rewrites the webhooks section of docs/benchmarks.md. Needs Python 3
# (standard library only). Takes about 2 minutes with the defaults.
set -euo pipefail
ARGS=("$@")
RATE=1000 RATE_SECONDS=30 MAX_SECONDS=15 CONNECTIONS=32 WORKERS=2
while [ $# -gt 0 ]; do
  case $1 in
    --rate) RATE=$2; shift 2 ;;
    --rate-seconds) RATE_SECONDS=$2; shift 2 ;;
    --max-seconds) MAX_SECONDS=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    *) echo "usage: bench/webhooks.sh [--rate N] [--rate-seconds S] [--max-seconds S] [--connections N] [--workers N]" >&2; exit 2 ;;
  esac
done
source "$(dirname "$0")/common.sh"

build_release --example webhook_load
LOAD=$CARGO_TARGET_DIR/release/examples/webhook_load
"$FERRY" lint bench/webhooks/ >&2 || die "the benchmark's pipelines do not lint"
python3 bench/bench_webhooks.py --ferry "$FERRY" --load "$LOAD" --rate "$RATE" \
  --rate-seconds "$RATE_SECONDS" --max-seconds "$MAX_SECONDS" --connections "$CONNECTIONS" \
  --workers "$WORKERS" --command "bench/webhooks.sh${ARGS[*]:+ ${ARGS[*]}}"
