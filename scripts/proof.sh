#!/usr/bin/env bash
# The proof that ferry loses no record, writes none twice and is never a cent out, under crashes,
# flaky APIs and hostile input: every proof of issue 5 at full size, then one summary table.
#
#   1. kill: ferry run     10,000 people backfilled through 20 SIGKILLs (tests/it/proof_kill_run.rs)
#      kill: ferry serve   10,000 events through 20 SIGKILLs (tests/it/proof_kill_serve.rs)
#      fleet               three ferry serve on one PostgreSQL, 10,000 events each sent twice,
#                          shuffled, across the three: through 20 SIGKILLs of random processes,
#                          and through 20 bursts of cut database connections; every effect
#                          once, nothing lost (tests/it/proof_fleet_serve.rs)
#   2. fault soak          10,000 people through 20% 5xx, 5% 429, 2% cut, 1% timeouts; dead
#                          letters replayed after a fix (tests/it/proof_fault_soak.rs)
#   3. webhook chaos       10,000 events, duplicated, shuffled, forged, stale, oversized, not
#                          JSON, with a SIGKILL halfway (tests/it/proof_webhook_chaos.rs)
#   4. fuzzing             every cargo-fuzz target in fuzz/ for 1,000,000 executions
#   5. canary secrets      every shipped pipeline with canary credentials (tests/it/proof_canary_secrets.rs)
#   6. money               ISO 4217 round trips and 10,000 payout journals (tests/it/money_properties.rs)
#   7. books               200 customers in five currencies, 2,000 charges, Stripe invoices and
#                          subscriptions, refunds, disputes and payouts through ferry serve with
#                          every webhook duplicated and shuffled, and again with a SIGKILL
#                          midway: Business Central's books balance (tests/it/proof_books.rs)
#      books: Syspro       the same customers and charges in Syspro's five currencies, refunds,
#                          disputes and payouts through ferry serve, every webhook duplicated and
#                          shuffled, and again with a SIGKILL midway: Syspro's books balance and
#                          reconcile clean (tests/it/proof_books_syspro.rs)
#   8. fleet rate limit    four ferry run processes on one PostgreSQL store, 1,000 Stripe customers
#                          through one connection: no 429 from the emulator's 25 a second, and
#                          together at least 95% of it (tests/it/proof_fleet_rate_limit.rs;
#                          PostgreSQL at FERRY_TEST_POSTGRES, default 127.0.0.1:5432)
#
#   scripts/proof.sh              # full size (about 1.5 h on 2 cores: fuzzing runs in two lanes)
#   scripts/proof.sh --ci         # 1,000 records and events, 3 kills, 20 customers and 200
#                                 # charges; the fuzz properties under proptest instead of
#                                 # cargo-fuzz (a few minutes)
#   scripts/proof.sh --skip fuzz  # full size without step 4: the table says so, exit code 2
#
# FERRY_PROOF_SEED repeats a run's random choices (each proof prints the seed it used). A proof
# that fails, or cannot run (cargo-fuzz missing, say), is a FAILED row and exit code 1: nothing
# passes by not running. The table is also written to docs/proof.md.
set -uo pipefail
cd "$(dirname "$0")/.."

MODE=full SKIP=""
while [ $# -gt 0 ]; do
  case $1 in
    --ci) MODE=ci ;;
    --skip) shift; SKIP="${SKIP} ${1:-}" ;;
    *) echo "usage: scripts/proof.sh [--ci] [--skip fuzz]" >&2; exit 2 ;;
  esac
  shift
done

if [ $MODE = full ]; then
  export FERRY_PROOF_RECORDS=${FERRY_PROOF_RECORDS:-10000} FERRY_PROOF_EVENTS=${FERRY_PROOF_EVENTS:-10000}
  export FERRY_PROOF_KILLS=${FERRY_PROOF_KILLS:-20}
  export FERRY_PROOF_CUSTOMERS=${FERRY_PROOF_CUSTOMERS:-200} FERRY_PROOF_CHARGES=${FERRY_PROOF_CHARGES:-2000}
  PROFILE=(--release)
else
  export FERRY_PROOF_RECORDS=${FERRY_PROOF_RECORDS:-1000} FERRY_PROOF_EVENTS=${FERRY_PROOF_EVENTS:-1000}
  export FERRY_PROOF_KILLS=${FERRY_PROOF_KILLS:-3}
  export FERRY_PROOF_CUSTOMERS=${FERRY_PROOF_CUSTOMERS:-20} FERRY_PROOF_CHARGES=${FERRY_PROOF_CHARGES:-200}
  PROFILE=()
fi
OUT=${CARGO_TARGET_DIR:-target}/proof
case $OUT in /*) ;; *) OUT=$PWD/$OUT ;; esac
rm -rf "$OUT" && mkdir -p "$OUT"
export FERRY_PROOF_REPORT=$OUT/report.jsonl
: > "$FERRY_PROOF_REPORT"
ROWS=$OUT/rows.tsv
: > "$ROWS"

# step NAME COMMAND...: runs COMMAND with its output in $OUT/NAME.log and records the outcome.
step() {
  local name=$1; shift
  local log=$OUT/$name.log started=$(date +%s)
  echo "== $name: $*" >&2
  if "$@" > "$log" 2>&1; then
    printf '%s\tpassed\t%s\t%s\n' "$name" $(( $(date +%s) - started )) "$log" >> "$ROWS"
  else
    printf '%s\tFAILED\t%s\t%s\n' "$name" $(( $(date +%s) - started )) "$log" >> "$ROWS"
    echo "   FAILED: see $log" >&2
    tail -n 15 "$log" >&2
  fi
}

skipped() { case " $SKIP " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# tests FILTER...: the tests of tests/it/ whose names contain a FILTER (`proof_books::`), one at a
# time and with their output.
tests() { cargo test --locked "${PROFILE[@]}" --test it -- --nocapture --test-threads=1 "$@"; }

echo "proof: $MODE size (records $FERRY_PROOF_RECORDS, events $FERRY_PROOF_EVENTS, kills $FERRY_PROOF_KILLS, customers $FERRY_PROOF_CUSTOMERS, charges $FERRY_PROOF_CHARGES); logs in $OUT" >&2
step build cargo test --locked "${PROFILE[@]}" --no-run --test it
# The soak spends its time waiting out backoffs and Retry-After, so it runs beside the others.
step fault_soak tests proof_fault_soak:: &
SOAK=$!
step kill_run tests proof_kill_run::
step kill_serve tests proof_kill_serve::
step fleet tests proof_fleet_serve::
step webhook_chaos tests proof_webhook_chaos::
step canary_secrets tests proof_canary_secrets::
step money tests money_properties::
step books tests proof_books::
step books_syspro tests proof_books_syspro::
step fleet_rate_limit tests proof_fleet_rate_limit::

if [ $MODE = ci ]; then
  step fuzz_properties tests proptest_fuzz_properties:: fuzz_regressions:: proptest_robustness::
elif skipped fuzz; then
  printf '%s\tSKIPPED\t0\t-\n' "fuzz" >> "$ROWS"
elif ! cargo fuzz --version > /dev/null 2>&1; then
  printf '%s\tFAILED\t0\t%s\n' "fuzz" "cargo-fuzz is not installed: cargo install cargo-fuzz --locked" >> "$ROWS"
else
  # fuzz_lane TARGET...: each target for a million executions, one after another.
  fuzz_lane() {
    local target sanitizer
    for target in "$@"; do
      # The parser and checker run without AddressSanitizer, as in fuzz/README.md: ferry has no
      # unsafe code of its own, and the run is about four times faster.
      # Its own target folder keeps the two builds from replacing each other.
      sanitizer=""
      [ "$target" = parse_check ] && sanitizer="-s none --target-dir target/no-sanitizer"
      step "fuzz_$target" bash -c "cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run $sanitizer $target -- -runs=1000000 -timeout=30 -rss_limit_mb=4096"
    done
  }
  # The parser starts from the shipped pipelines and the syntax fixtures.
  mkdir -p fuzz/corpus/parse_check
  cp pipelines/*.ferry tests/syntax_fixtures/*.ferry fuzz/corpus/parse_check/
  targets=$(ls fuzz/fuzz_targets/*.rs | xargs -n1 basename | sed 's/\.rs$//')
  # Both builds first (one cargo at a time), then two lanes side by side, one per core: the
  # parser (the longest) with the quick targets, the loaders and the form codec in the other.
  step fuzz_build bash -c "cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz build && RUSTC_BOOTSTRAP=1 cargo fuzz build -s none --target-dir target/no-sanitizer parse_check"
  lane_a="parse_check link_header odata_next_link stripe_signature"
  lane_b=$(for target in $targets; do case " $lane_a " in *" $target "*) ;; *) echo "$target" ;; esac; done)
  fuzz_lane $lane_a &
  LANE=$!
  fuzz_lane $lane_b
  wait $LANE
fi

wait $SOAK
python3 - "$ROWS" "$FERRY_PROOF_REPORT" "$MODE" "$OUT" <<'PY'
import json, re, subprocess, sys, datetime
rows_path, report_path, mode, out = sys.argv[1:5]
reports = {}
for line in open(report_path):
    line = line.strip()
    if line:
        entry = json.loads(line)
        reports.setdefault(entry["proof"], []).append(entry)
step_proofs = {
    "kill_run": ["kill: ferry run"], "kill_serve": ["kill: ferry serve"],
    "fleet": ["fleet: three ferry serve, SIGKILLs",
              "fleet: three ferry serve, database connections cut"],
    "fault_soak": ["fault soak"], "webhook_chaos": ["webhook chaos"],
    "canary_secrets": ["canary secrets"],
    "money": ["money: cents round trips", "money: payout journals balance"],
    "books": ["books: ferry serve", "books: ferry serve killed"],
    "books_syspro": ["books: Syspro through ferry serve"],
    "fleet_rate_limit": ["fleet rate limit"],
}
table, failed, skipped = [], 0, 0
for line in open(rows_path):
    name, result, seconds, log = line.rstrip("\n").split("\t")
    details = ""
    if name in step_proofs:
        entries = [e for p in step_proofs[name] for e in reports.get(p, [])]
        if result == "passed" and len(entries) < len(step_proofs[name]):
            # A test binary that passed without its proof reporting did not run it.
            result, details = "FAILED", "passed without running its proof (filtered out?)"
        else:
            details = "; ".join(
                ", ".join(f"{k} {json.dumps(v) if not isinstance(v, (int, float, str)) else v}"
                          for k, v in e["figures"].items())
                for e in entries)
    elif name.startswith("fuzz_") and name != "fuzz_build" and log != "-":
        text = open(log, errors="replace").read() if result != "SKIPPED" else ""
        done = re.findall(r"Done (\d+) runs in (\d+) second", text)
        if done:
            runs, secs = done[-1]
            details = f"{int(runs):,} executions in {secs} s"
            if int(runs) < 1_000_000:
                result, details = "FAILED", details + " (fewer than 1,000,000)"
        elif result == "passed" and name not in ("fuzz_properties", "fuzz_build"):
            result, details = "FAILED", "no `Done N runs` line from libFuzzer"
    elif result == "FAILED" and log and not log.startswith(out):
        details = log
    if result == "FAILED":
        failed += 1
        if not details:
            details = f"see {log}"
    if result == "SKIPPED":
        skipped += 1
        details = "skipped on request: this is not a full proof"
    table.append((name, result, seconds, details))

head = f"scripts/proof.sh{' --ci' if mode == 'ci' else ''}: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}"
try:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    head += f", ferry at {commit}"
except OSError:
    pass
lines = [head, "", "| proof | result | seconds | what it checked |", "|---|---|---|---|"]
for name, result, seconds, details in table:
    lines.append(f"| {name} | {result} | {seconds} | {details} |")
text = "\n".join(lines)
print()
print(text)
if mode == "full":
    path = "docs/proof.md"
    intro = ("# The proof\n\nWritten by `scripts/proof.sh` (see the script's header for what each "
             "proof does and how to run it): `scripts/proof.sh` for the full size, "
             "`scripts/proof.sh --ci` for CI's (which `cargo test` also runs), "
             "`FERRY_PROOF_SEED=N` to repeat a run's random choices. Each fuzz target's own runs "
             "are in [fuzz/README.md](../fuzz/README.md). The latest full-size run:\n\n")
    open(path, "w").write(intro + text + "\n")
sys.exit(1 if failed else 2 if skipped else 0)
PY
