#!/usr/bin/env python3
"""Measure a Pronto backfill at Avenue's 30 calls a minute: ferry's calls per record read and
its share of the limit, next to the pacing an observed Avenue client used (a call every 5 s),
measured in the same run; print the table and rewrite the pronto section of docs/benchmarks.md.

Called by bench/pronto.sh, which builds ferry. The sandbox's Pronto answers 429 past 30 calls in
any 60 s; its Stripe has no limit, so Pronto's limit is what the run waits on.
"""

import argparse
import re
import sys
import tempfile
import time
import urllib.request
import base64
import json
from pathlib import Path

from bench_sync import SEED, Sandbox
from harness import ROOT, machine, publish, run_once, table

DEBTORS = ROOT / "pipelines" / "pronto_debtors_to_stripe.ferry"
PRODUCTS = ROOT / "pipelines" / "pronto_products_to_stripe.ferry"
LIMIT = 30  # calls a minute
USER, PASSWORD = "ferry-sandbox@example.com", "pronto-sandbox-password"


def project(directory, port):
    """The sandbox environment: Stripe without a client limit, Pronto at its default 30/min."""
    path = Path(directory) / "ferry.yaml"
    path.write_text(f"""version: 1
timezone: Australia/Sydney
store: sqlite://state.db
connections:
  stripe:
    kind: stripe
    api_key: sk_test_sandbox
    base_url: http://127.0.0.1:{port}/stripe
    rate_limit: {{ requests: 100000, per: 1s }}
  pronto:
    kind: pronto
    base_url: http://127.0.0.1:{port}/pronto
    username: {USER}
    password: {PASSWORD}
pipelines:
  pronto_prices_to_stripe_prices: {{ shares_events_with: [pronto_products_to_stripe_products] }}
""")
    return path


def ferry_backfill(ferry, pipelines, project_path, logs, name):
    """One `ferry run --backfill` of `pipelines`: one process, so one pacer for the connection."""
    out, err = logs / f"{name}.out", logs / f"{name}.err"
    wall, cpu, rss, code = run_once([ferry, "run", *map(str, pipelines), "--project",
                                     str(project_path), "--backfill"], stdout=out, stderr=err)
    text = out.read_text(errors="replace")
    if code != 0:
        raise SystemExit(f"bench: {name} exited {code}:\n{text[-800:]}\n{err.read_text()[-800:]}")
    reads = {name: int(n) for name, n in re.findall(r"^(\w+): (\d+) read", text, re.M)}
    pronto = re.search(r"pronto: (\d+) requests, (\d+) retries, (\d+) rate-limited", text)
    if not pronto:
        raise SystemExit(f"bench: no pronto request line in {out}:\n{text[-800:]}")
    dead = sum(int(n) for n in re.findall(r"(\d+) dead-lettered", text))
    return dict(wall=wall, cpu=cpu, reads=reads, read=sum(reads.values()),
                calls=int(pronto.group(1)), retries=int(pronto.group(2)),
                rejected=int(pronto.group(3)), dead_lettered=dead)


def share(calls, wall):
    """Calls made against those the limit allows in `wall` seconds (30 in any 60 s: the first
    window's 30, then 30 a minute)."""
    allowed = LIMIT + LIMIT * max(wall - 60, 0) / 60 if wall > 60 else LIMIT * wall / 60
    return calls / allowed if allowed else 0


def baseline(base, pages, per_page):
    """The observed client's pacing: read debtor pages one after another, sleeping 5 s between
    calls; its calls, records and seconds."""
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    records = 0
    start = time.perf_counter()
    for page in range(1, pages + 1):
        request = urllib.request.Request(
            f"{base}/pronto/api/json/debtor/v4.json?page={page}&per_page={per_page}",
            headers={"Authorization": f"Basic {token}"})
        with urllib.request.urlopen(request) as answer:
            records += len(json.load(answer)["debtors"])
        if page < pages:
            time.sleep(5)
    return dict(calls=pages, read=records, wall=time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ferry", required=True)
    parser.add_argument("--debtors", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=5_000)
    parser.add_argument("--baseline-pages", type=int, default=13)
    parser.add_argument("--port", type=int, default=4391)
    parser.add_argument("--command", default="bench/pronto.sh")
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    problems = []
    logs = Path(tempfile.mkdtemp(prefix="ferry-bench-pronto-"))
    pronto = ["--pronto-debtors", str(args.debtors), "--pronto-products", str(args.products),
              "--pronto-orders", "0"]
    with Sandbox(args.ferry, args.port, 0, 0, logs, extra=pronto) as sandbox, \
            tempfile.TemporaryDirectory() as directory:
        path = project(directory, args.port)
        run = ferry_backfill(args.ferry, [DEBTORS, PRODUCTS], path, logs, "backfill")
        # The baseline after ferry, on a fresh minute of the emulator's limit.
        time.sleep(61)
        base = baseline(sandbox.base, args.baseline_pages, 100)
    rows = [
        ["ferry: debtors, products and prices, one run", f"{run['read']:,}", run["calls"],
         f"{run['calls'] / max(run['read'], 1):.4f}", f"{run['wall']:.1f}",
         f"{share(run['calls'], run['wall']):.1%}", run["rejected"]],
        ["baseline: a call every 5 s", f"{base['read']:,}", base["calls"],
         f"{base['calls'] / max(base['read'], 1):.4f}", f"{base['wall']:.1f}",
         f"{share(base['calls'], base['wall']):.1%}", 0],
    ]
    header = ["run", "records read", "Pronto calls", "calls per record", "wall s",
              "share of 30/min", "429s"]
    figures = table(header, rows)
    print(figures)
    per_record = run["calls"] / max(run["read"], 1)
    if run["rejected"]:
        problems.append(f"{run['rejected']} 429s")
    if per_record > 0.02:
        problems.append(f"{per_record:.4f} calls per record read (goal at most 0.02)")
    if share(run["calls"], run["wall"]) < 0.95:
        problems.append(f"{share(run['calls'], run['wall']):.1%} of the limit (goal at least 95%)")
    pipelines = ", ".join(f"{name} {n:,}" for name, n in run["reads"].items())
    body = f"""## `ferry run`: a Pronto backfill of {args.debtors:,} debtors and {args.products:,} products at 30 calls a minute

`{args.command}`: `ferry sandbox --seed {SEED} --pronto-debtors {args.debtors} --pronto-products
{args.products}` (its Pronto answers 429 past 30 calls in any 60 s; its Stripe has no limit), then
one `ferry run --backfill` of pipelines/pronto_debtors_to_stripe.ferry and
pipelines/pronto_products_to_stripe.ferry (products, then prices: {pipelines} records read;
{run['dead_lettered']} dead-lettered, the debtors that share a mailbox) with the connection's
defaults: 30 calls a minute, spaced evenly, and 100 records a page. The baseline reads {args.baseline_pages} pages of debtors
as an observed Avenue client paced itself, a call every 5 s (apis-wave2.md §1.1), in the same
run. The share of the limit counts the calls made against those the limit allows in the run's
wall time (30 in the first minute, then 30 a minute).

{figures}

Calls per record read: {per_record:.4f} (goal at most 0.02); share of the limit:
{share(run['calls'], run['wall']):.1%} (goal at least 95%); 429s: {run['rejected']} (goal 0).

Measured {machine()}.
"""
    return publish("pronto", body, problems, args.no_doc)


if __name__ == "__main__":
    sys.exit(main())
