#!/usr/bin/env python3
"""Measure `ferry reconcile` against `ferry sandbox`: Capsule people synced into Stripe
customers, then reconciled. Reports the API requests per record (the goal: list pages only, at
most 0.02) and the wall time next to the time to list both sides alone, measured in the same run
against the same emulator; rewrites the reconcile section of docs/benchmarks.md.

Called by bench/reconcile.sh, which builds ferry.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bench_sync import CAPSULE_PIPELINE, SEED, Sandbox, project
from harness import machine, publish, run_once, table


def listing_both_sides(sandbox):
    """Seconds to page through every Capsule party and every Stripe customer, 100 a page."""
    started = time.monotonic()
    people, _ = sandbox.capsule_people()
    customers = sandbox.stripe_emails()
    return time.monotonic() - started, people, len(customers)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ferry", required=True)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=4391)
    parser.add_argument("--command", default="bench/reconcile.sh")
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    problems = []
    logs = Path(tempfile.mkdtemp(prefix="ferry-bench-reconcile-"))
    with Sandbox(args.ferry, args.port, args.people, 0, logs) as sandbox, \
            tempfile.TemporaryDirectory() as directory:
        path = project(directory, args.port, unlimited=True)
        seeded_customers = len(sandbox.stripe_emails())
        sync = run_once([args.ferry, "run", str(CAPSULE_PIPELINE), "--project", str(path),
                         "--backfill"], stdout=logs / "sync.out", stderr=logs / "sync.err")
        if sync[3] != 0:
            raise SystemExit(f"bench: the sync failed: {(logs / 'sync.err').read_text()[-800:]}")
        # The seed's customers have no source: orphans, rightly.
        orphans = seeded_customers
        listed_wall, people, customers = listing_both_sides(sandbox)
        report_path = Path(directory) / "report.json"
        wall, cpu, rss_kb, code = run_once(
            [args.ferry, "reconcile", str(CAPSULE_PIPELINE), "--project", str(path),
             "--format", "json", "--out", str(report_path)],
            stdout=logs / "reconcile.out", stderr=logs / "reconcile.err")
        if code not in (0, 1):
            problems.append(f"ferry reconcile exited {code}: "
                            f"{(logs / 'reconcile.err').read_text()[-600:]}")
        report = json.loads(report_path.read_text())
    summary = report["summary"]["pipelines"][0]
    requests = summary["requests"]
    total = sum(requests.values())
    per_record = total / summary["read"]
    ratio = wall / listed_wall
    if per_record > 0.02:
        problems.append(f"{per_record:.4f} requests per record, over the goal of 0.02")
    if ratio > 1.5:
        problems.append(f"reconcile took {ratio:.2f}x the listing, over the goal of 1.5x")
    totals = report["summary"]["totals"]
    if totals["mismatches"] != orphans or totals["orphans"] != orphans:
        problems.append(f"a synced sandbox should reconcile with {orphans} orphans (the seed's "
                        f"unmatched customers) and nothing else: {totals}")
    rows = [
        ["ferry reconcile", f"{summary['read']:,} read", f"{summary['target_listed']:,}",
         ", ".join(f"{k} {v:,}" for k, v in requests.items()), f"{per_record:.4f}",
         f"{wall:.1f}", f"{cpu:.1f}", f"{rss_kb / 1024:.0f}"],
        ["listing both sides alone (Python, 100 a page)", f"({people:,})", f"{customers:,}",
         "", "", f"{listed_wall:.1f}", "", ""],
    ]
    header = ["what", "Capsule parties (people)", "Stripe customers", "requests", "requests per record",
              "wall (s)", "CPU (s)", "max RSS (MB)"]
    body = f"""### Reconcile: {people:,} Capsule people against their Stripe customers

`{args.command}`: `ferry sandbox --seed {SEED} --capsule-people {args.people}
--stripe-rate-limit 0`, the people synced into Stripe by `ferry run --backfill`, then `ferry
reconcile pipelines/capsule_contacts_to_stripe.ferry --format json`. The baseline lists every
Capsule party and every Stripe customer, 100 a page, from Python against the same emulator, just
before the reconcile (once only: the Capsule emulator keeps Capsule's limit of 4,000 requests an
hour, which the sync, the listing and the reconcile together come close to at 100,000 people).
{machine()}.

{table(header, rows)}

Requests per record: {per_record:.4f} (goal at most 0.02: list pages only). Wall time
{ratio:.2f}x the listing (goal within 1.5x). In sync: {totals['in_sync']:,}; not
compared (filtered by the pipeline, or sharing an email with a newer person):
{totals['not_compared']:,}; mismatches: {totals['mismatches']:,}, all of them orphans: the
{orphans:,} customers of the emulator's seed, which no person made.
"""
    print(body)
    return publish("reconcile", body, problems, args.no_doc)


if __name__ == "__main__":
    sys.exit(main())
