#!/usr/bin/env bash
# Time the dashboard's pages on a store of 100,000 audit entries and 10,000 open dead letters,
# next to /healthz on the same server and the same pages on an empty store.
#
#   bench/dashboard.sh [--audit 100000] [--letters 10000] [--alerts 1000] [--requests 50]
#
# Builds ferry in release mode (honouring CARGO_TARGET_DIR), then rewrites the dashboard section
# of docs/benchmarks.md. Needs Python 3 (standard library only). Takes about a minute.
set -euo pipefail
ARGS=("$@")
AUDIT=100000 LETTERS=10000 ALERTS=1000 REQUESTS=50
while [ $# -gt 0 ]; do
  case $1 in
    --audit) AUDIT=$2; shift 2 ;;
    --letters) LETTERS=$2; shift 2 ;;
    --alerts) ALERTS=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    *) echo "usage: bench/dashboard.sh [--audit N] [--letters N] [--alerts N] [--requests N]" >&2; exit 2 ;;
  esac
done
source "$(dirname "$0")/common.sh"

build_release
python3 bench/bench_dashboard.py --ferry "$FERRY" --audit "$AUDIT" --letters "$LETTERS" \
  --alerts "$ALERTS" --requests "$REQUESTS" --command "bench/dashboard.sh${ARGS[*]:+ ${ARGS[*]}}"
