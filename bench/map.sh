#!/usr/bin/env bash
# Benchmark `ferry map` (Stripe charge.succeeded events -> Business Central sales orders) next to
# jq, jaq, a bare serde_json parse-and-print and cat, measured in the same run.
#
#   bench/map.sh [N]        N events, default 1000000; RUNS=3 runs each, the best is kept
#
# Installs jq and jaq if missing, builds ferry and the floor in release mode, generates the
# events once (cached in bench/data/), checks on the first 2,000 events that ferry, jq and jaq
# map the same records, then times them and rewrites the map section of docs/benchmarks.md.
set -euo pipefail
N=${1:-1000000}
RUNS=${RUNS:-3}
source "$(dirname "$0")/common.sh"

ensure_jq
ensure_jaq
ensure_sydney_time
build_release --example json_floor
[ -x "$FLOOR" ] || die "the serde_json floor was not built ($FLOOR)"

EVENTS=$DATA/charges_$N.jsonl
XREFS=$DATA/xrefs_$N.json
if [ ! -s "$EVENTS.counts.json" ] || [ bench/gen_charges.py -nt "$EVENTS" ] || [ pipelines/fixtures/charge_succeeded.json -nt "$EVENTS" ]; then
  echo "bench: generating $N events into $EVENTS" >&2
  python3 bench/gen_charges.py --count "$N" --out "$EVENTS" --xrefs "$XREFS"
fi

# Same records from every mapper, before any timing.
CHECK=$DATA/check
mkdir -p "$CHECK"
head -n 2000 "$EVENTS" > "$CHECK/events.jsonl"
"$FERRY" map pipelines/stripe_charges_to_business_central.ferry --input "$CHECK/events.jsonl" \
  --xrefs "$XREFS" > "$CHECK/ferry.jsonl" 2> "$CHECK/ferry.err" || [ $? = 1 ] || die "ferry map failed: $(tail -3 "$CHECK/ferry.err")"
for tool in jq jaq; do
  TZ=Australia/Sydney $tool -c --slurpfile xrefs "$XREFS" -f bench/charges_to_sales_orders.jq \
    "$CHECK/events.jsonl" > "$CHECK/$tool.jsonl" 2> "$CHECK/$tool.err" || die "$tool failed: $(tail -c 300 "$CHECK/$tool.err")"
done
python3 bench/compare.py ferry="$CHECK/ferry.jsonl" jq="$CHECK/jq.jsonl" jaq="$CHECK/jaq.jsonl" \
  || die "the mappers disagree on the first 2,000 events (see above)"

cat "$EVENTS" > /dev/null  # into the page cache, so every tool reads from memory
python3 bench/bench_map.py --events "$EVENTS" --xrefs "$XREFS" --ferry "$FERRY" --floor "$FLOOR" \
  --runs "$RUNS" --command "bench/map.sh $N"
