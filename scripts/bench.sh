#!/usr/bin/env bash
# Every benchmark, one after the other, each next to its baselines in the same run: map (jq,
# jaq, serde_json), lint (cat), sync (stripe-python; rate-limited, unlimited, memory of a file
# backfill), webhook ingest (a Python receiver), the dashboard's pages (/healthz, an empty
# store) and reconcile (listing both sides from Python). Each rewrites its section of docs/benchmarks.md; this script then stamps the file with
# the date, the machine and the commit of the whole run and prints a summary. A benchmark that cannot run (a missing baseline it
# cannot install, a failed build) stops the script with a non-zero exit: nothing is skipped.
#
#   scripts/bench.sh            # full size (about 45 minutes on 2 cores)
#   scripts/bench.sh --quick    # reduced sizes, to check that everything runs (about 8 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=0
case ${1:-} in
  --quick) QUICK=1 ;;
  "") ;;
  *) echo "usage: scripts/bench.sh [--quick]" >&2; exit 2 ;;
esac

if [ $QUICK = 1 ]; then
  STEPS=(
    "map|bench/map.sh 20000"
    "lint|env RUNS=5 bench/lint.sh"
    "sync|bench/sync.sh --people 500 --file-sizes 20000"
    "webhooks|bench/webhooks.sh --rate 500 --rate-seconds 5 --max-seconds 3"
    "dashboard|bench/dashboard.sh --audit 10000 --letters 1000 --requests 10"
    "reconcile|bench/reconcile.sh --people 5000"
  )
else
  STEPS=(
    "map|bench/map.sh"
    "lint|bench/lint.sh"
    "sync|bench/sync.sh"
    "webhooks|bench/webhooks.sh"
    "dashboard|bench/dashboard.sh"
    "reconcile|bench/reconcile.sh"
  )
fi

SUMMARY=()
for step in "${STEPS[@]}"; do
  name=${step%%|*} command=${step#*|}
  echo "== $name: $command" >&2
  started=$(date +%s)
  if ! $command; then
    echo "bench: $name failed ($command); docs/benchmarks.md keeps the sections written so far" >&2
    exit 1
  fi
  SUMMARY+=("$name|$command|$(( $(date +%s) - started ))")
done

STAMP="Last full run of \`scripts/bench.sh${1:+ $1}\`: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM; ferry at $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (uncommitted changes)')."
python3 - "$STAMP" <<'PY'
import re, sys
path = "docs/benchmarks.md"
text = open(path).read()
block = "<!-- BEGIN run (written by scripts/bench.sh) -->\n" + sys.argv[1] + "\n<!-- END run -->"
if "<!-- BEGIN run" in text:
    text = re.sub(r"<!-- BEGIN run .*?<!-- END run -->", lambda _: block, text, flags=re.S)
else:
    text = text.replace("## How to reproduce", block + "\n\n## How to reproduce", 1)
open(path, "w").write(text)
PY

printf '\n%-10s %-70s %s\n' benchmark command seconds
for line in "${SUMMARY[@]}"; do
  IFS='|' read -r name command seconds <<< "$line"
  printf '%-10s %-70s %s\n' "$name" "$command" "$seconds"
done
echo "figures: docs/benchmarks.md"
