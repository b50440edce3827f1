#!/usr/bin/env bash
# Syncs settle: each shipped pipeline, run three times in a row with --backfill against the
# seeded sandbox (`ferry sandbox --seed 42`), writes on the first run only. Prints one line per
# run (created, updated, unchanged, dead-lettered) and fails when a second or third run creates
# or updates anything.
#
#   scripts/settle.sh                 # seed 42, 3,000 Capsule people
#   SEED=7 PEOPLE=2000 scripts/settle.sh
#   PIPELINES="stripe_customers_to_business_central stripe_refunds_to_business_central" scripts/settle.sh
#
# The pipelines run in the order a consultant would start them: customers before the charges,
# invoices and refunds that refer to them. Stripe's seeded charges include guest charges (no
# customer), which the Business Central charge flows dead-letter by design, on every run.
set -euo pipefail
cd "$(dirname "$0")/.."

SEED="${SEED:-42}"
PEOPLE="${PEOPLE:-3000}"
PORT=4010
cargo build --release --quiet
FERRY="$PWD/target/release/ferry"

work="$(mktemp -d)"
# The emulators' request limits are off and ferry's own raised to match, so the measurement takes
# minutes rather than hours; what is measured is what each run writes, not how fast.
sed -e 's|^        journal: GENERAL$|&\n        rate_limit: { requests: 1000, per: 1s }|' \
  -e 's|^        webhook_secret: whsec_sandbox$|&\n        rate_limit: { requests: 1000, per: 1s }|' \
  -e 's|^        company_id: EDU1$|&\n        rate_limit: { requests: 1000, per: 1s }|' \
  ferry.yaml >"$work/ferry.yaml"
[[ "$(grep -c 'requests: 1000' "$work/ferry.yaml")" == 3 ]]
cp -r pipelines "$work/"
trap 'kill "$sandbox" 2>/dev/null || true; rm -rf "$work"' EXIT

"$FERRY" sandbox --port "$PORT" --seed "$SEED" --capsule-people "$PEOPLE" --stripe-rate-limit 0 \
  --business-central-rate-limit 0 \
  >"$work/sandbox.log" 2>&1 &
sandbox=$!
for _ in $(seq 1 100); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/stripe/v1/customers?limit=1" -u sk_test_sandbox: 2>/dev/null; then
    break
  fi
  sleep 0.2
done

# Pipeline files; a file may hold several pipelines (each gets its own rows). Pronto's pipelines
# are left out: ferry has no Pronto client yet, so they lint and test but cannot run.
files=(
  capsule_contacts_to_stripe
  business_central_items_to_stripe
  stripe_customers_to_business_central
  stripe_charges_to_business_central_invoices
  stripe_charges_to_business_central
  stripe_invoices_to_business_central
  stripe_subscriptions_to_business_central
  stripe_refunds_to_business_central
  stripe_payouts_to_business_central
  syspro_customers_and_stripe
  stripe_charges_to_syspro
)
# PIPELINES="a b" runs only those files (in that order), on a freshly seeded sandbox.
if [[ -n "${PIPELINES:-}" ]]; then
  read -r -a files <<<"$PIPELINES"
fi

unsettled=0
printf '%-46s %4s %8s %8s %10s %8s %14s\n' pipeline run created updated unchanged skipped dead-lettered
for file in "${files[@]}"; do
  for run in 1 2 3; do
    output="$(cd "$work" && "$FERRY" run "pipelines/$file.ferry" --backfill --concurrency 32 2>&1 || true)"
    summaries="$(grep -E '^[a-z0-9_]+: [0-9]+ read, ' <<<"$output" || true)"
    if [[ -z "$summaries" ]]; then
      echo "$file run $run printed no summary:" >&2
      tail -5 <<<"$output" >&2
      unsettled=1
      continue
    fi
    while read -r line; do
      pipeline="${line%%:*}"
      number() { sed -nE "s/.* ([0-9]+) $1.*/\1/p" <<<"$line"; }
      created="$(number created)"
      updated="$(number updated)"
      printf '%-46s %4s %8s %8s %10s %8s %14s\n' "$pipeline" "$run" "$created" "$updated" \
        "$(number unchanged)" "$(number skipped)" "$(number dead-lettered)"
      if [[ "$run" != 1 && ( "$created" != 0 || "$updated" != 0 ) ]]; then
        unsettled=1
      fi
    done <<<"$summaries"
  done
done
if [[ "$unsettled" != 0 ]]; then
  echo "a pipeline did not settle: a second or third run wrote" >&2
  exit 1
fi
echo "every pipeline settled: runs 2 and 3 wrote nothing"
