#!/usr/bin/env bash
# Benchmark `ferry serve` on a PostgreSQL store next to SQLite, in the same run: webhook events
# acknowledged per second with 1, 2 and 4 serve processes on one PostgreSQL database, the p99 at
# 1,000 events/s, and CPU per event (ferry's and the database server's).
#
#   bench/fleet.sh [--processes 1,2,4] [--max-seconds 10] [--rate 1000] [--rate-seconds 20]
#                  [--postgres postgres://postgres@127.0.0.1:5432]
#
# Builds ferry and the load generator in release mode (CARGO_TARGET_DIR is honoured), then
# rewrites the fleet section of docs/benchmarks.md. Needs Python 3 and psql. About 3 minutes.
set -euo pipefail
ARGS=("$@")
source "$(dirname "$0")/common.sh"
command -v psql >/dev/null || die "psql is needed to create the benchmark's databases"

build_release --example webhook_load
LOAD=$CARGO_TARGET_DIR/release/examples/webhook_load
"$FERRY" lint bench/webhooks/ >&2 || die "the benchmark's pipelines do not lint"
python3 bench/bench_fleet.py --ferry "$FERRY" --load "$LOAD" "$@" \
  --command "bench/fleet.sh${ARGS[*]:+ ${ARGS[*]}}"
