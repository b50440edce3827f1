#!/usr/bin/env bash
# Benchmark `ferry run` against `ferry sandbox`: Capsule people -> Stripe customers at Stripe's
# test-mode limit of 25 requests/s, the same with no limits next to a sequential stripe-python
# script, and the memory of a JSON lines file -> Stripe backfill.
#
#   bench/sync.sh [--people N] [--file-sizes 100000,1000000] [--concurrency 8,32,64,100] [--skip WHAT]
#
# N Capsule people (default 10,000: the rate-limited run alone takes about 2N/25 seconds). Builds
# ferry in release mode, installs the `stripe` package (pip) for the baseline, generates the
# contact files once (cached in bench/data/), then rewrites the sync section of
# docs/benchmarks.md. --skip takes limited, unlimited or memory (comma-separated).
set -euo pipefail
ARGS=("$@")
PEOPLE=10000 SIZES=100000,1000000 CONCURRENCY=8,32,64,100 SKIP=""
while [ $# -gt 0 ]; do
  case $1 in
    --people) PEOPLE=$2; shift 2 ;;
    --file-sizes) SIZES=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --skip) SKIP=$2; shift 2 ;;
    *) echo "usage: bench/sync.sh [--people N] [--file-sizes A,B] [--concurrency A,B] [--skip WHAT]" >&2; exit 2 ;;
  esac
done
source "$(dirname "$0")/common.sh"

ensure_stripe_python() {
  if ! python3 -c 'import stripe' 2>/dev/null; then
    echo "bench: installing the stripe package (pip install stripe)" >&2
    python3 -m pip install -q stripe || die "cannot install the stripe package from PyPI"
  fi
  python3 -c 'import stripe; print("bench: stripe-python", stripe.VERSION)' >&2 \
    || die "the stripe package is installed but does not import"
}

[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is needed for max RSS (apt-get install time)"
ensure_stripe_python
build_release

FILES=()
IFS=, read -ra SIZE_LIST <<< "$SIZES"
for n in "${SIZE_LIST[@]}"; do
  file=$DATA/contacts_$n.jsonl
  if [ ! -s "$file" ] || [ bench/gen_contacts.py -nt "$file" ]; then
    echo "bench: generating $n contacts into $file" >&2
    python3 bench/gen_contacts.py --count "$n" --out "$file"
  fi
  FILES+=("$file")
done
(IFS=,; echo "${FILES[*]}") > "$DATA/.files"

"$FERRY" lint bench/file_contacts_to_stripe.ferry pipelines/capsule_contacts_to_stripe.ferry >&2 \
  || die "the pipelines do not lint"
python3 bench/bench_sync.py --ferry "$FERRY" --people "$PEOPLE" --concurrency "$CONCURRENCY" \
  --file-sizes "$SIZES" --files "$(cat "$DATA/.files")" ${SKIP:+--skip "$SKIP"} \
  --command "bench/sync.sh${ARGS[*]:+ ${ARGS[*]}}"
