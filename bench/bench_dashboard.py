#!/usr/bin/env python3
"""Time the dashboard's pages on a big store: 100,000 audit entries and 10,000 open dead
letters (the issue's sizes, by default), next to /healthz on the same server and the same pages
on an empty store; print the table and rewrite the dashboard section of docs/benchmarks.md.

Called by bench/dashboard.sh, which builds ferry. The store is made by ferry itself (`ferry dlq
list` applies its migrations) and then filled with SQL into those tables, in one transaction:
what ferry's own writes would leave, only faster to make. The dead letters' history is written
by the store's triggers, as for any letter.
"""

import argparse
import datetime
import http.client
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from bench_webhooks import PROJECT as WEBHOOKS_PROJECT, Server, free_port
from harness import ROOT, machine, publish, table

PIPELINES = ROOT / "bench" / "webhooks"
FIXTURE = ROOT / "pipelines" / "fixtures" / "charge_succeeded.json"
TOKEN = "dashboard-bench-token"
GOAL_MS = 100

# bench/webhooks.sh's project, with the dashboard on.
PROJECT = WEBHOOKS_PROJECT + """dashboard:
  token: {token}
"""

# The served pipelines (bench/webhooks/) and one that `ferry run` would have written with.
SERVED = ["webhook_charges_to_ledger", "webhook_customers_to_ledger"]
RUN_BY_HAND = "stripe_charges_to_business_central_invoices"

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


def fill(db, audit_rows, letters, alerts, now_ms, seed=42):
    """Audit entries over the last 30 days (ids in time order, as appended), records read per
    pipeline and hour over the same days, open dead letters over the last 7 days, and alerts;
    returns what the searches look for."""
    rng = random.Random(seed)
    record = FIXTURE.read_text()
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    start = now_ms - 30 * DAY_MS
    rows = []
    for n in range(audit_rows):
        at = start + (30 * DAY_MS) * n // audit_rows
        if n % 2:
            pipeline, target = RUN_BY_HAND, "business_central.salesInvoices"
            target_id = f"{rng.getrandbits(128):032x}"
        else:
            pipeline, target, target_id = SERVED[n // 2 % 2], "file.jsonl", None
        operation, fields = ("create", []) if n % 5 else ("update", ["amount", "description"])
        rows.append((pipeline, "v1-bench", f"ch_bench{n:08d}", target, target_id, operation,
                     json.dumps(fields), at))
    con.executemany(
        "INSERT INTO audit_log (pipeline, pipeline_version, source_id, target, target_id,"
        " operation, fields_changed, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    letter_rows = []
    for n in range(letters):
        pipeline = [SERVED[0], SERVED[1], RUN_BY_HAND][n % 3]
        seen = now_ms - 7 * DAY_MS + (7 * DAY_MS) * n // letters
        event = f"evt_bench{n:08d}"
        letter_rows.append((
            pipeline, event, record.replace("ch_3PzK9sB7WZ01zgkW1aQ5rT2m", f"ch_dead{n:08d}"),
            "E1301",
            "business_central.salesInvoices: 400 Bad Request: The Posting Date is not within "
            "your range of allowed posting dates. (Sales Header Document Type='Invoice')",
            1 + n % 3, seen, seen))
    con.executemany(
        "INSERT INTO dead_letters (pipeline, source_id, record_json, error_code, error_message,"
        " attempts, first_seen, last_seen, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
        letter_rows)
    # Records read: one count per pipeline and hour over the 30 days, as runs and workers keep.
    first_hour = start - start % HOUR_MS
    con.executemany(
        "INSERT INTO records_read (pipeline, hour, read) VALUES (?, ?, ?)",
        [(pipeline, first_hour + hour * HOUR_MS, 100 + rng.randrange(1000))
         for pipeline in SERVED + [RUN_BY_HAND] for hour in range(30 * 24 + 1)])
    con.executemany(
        "INSERT INTO alerts (trigger, key, subject, body, at, delivered, failed)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [("dead_letters", f"dead_letters/{SERVED[n % 2]}",
          f"{n % 50 + 1} records of {SERVED[n % 2]} dead-lettered",
          "E1301: The Posting Date is not within your range of allowed posting dates.\n" * 5,
          now_ms - (alerts - n) * 15 * 60_000, '["ops"]', "[]") for n in range(alerts)])
    con.commit()
    middle = audit_rows // 2 | 1  # an odd row: one with a target id
    found = con.execute("SELECT source_id, target_id, at FROM audit_log ORDER BY id"
                        " LIMIT 1 OFFSET ?", (middle,)).fetchone()
    letter = con.execute("SELECT id FROM dead_letters ORDER BY id LIMIT 1 OFFSET ?",
                         (letters // 2,)).fetchone()
    con.close()
    return found, letter[0] if letter else None


def iso(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def pages(found, letter_id):
    """The pages to time: label and path."""
    source_id, target_id, at = found if found else ("ch_bench_none", "none", 0)
    listed = [
        ("pipelines", "/"),
        ("dead letters", "/dead-letters"),
        ("one dead letter", f"/dead-letters/{letter_id if letter_id else 1}"),
        ("audit, unfiltered", "/audit"),
        ("audit, by source id", f"/audit?source_id={source_id}"),
        ("audit, by target id", f"/audit?target_id={target_id}"),
        ("audit, by pipeline", f"/audit?pipeline={SERVED[0]}"),
        ("audit, one hour 15 days ago",
         "/audit?" + urllib.parse.urlencode({"since": iso(at - HOUR_MS // 2),
                                             "until": iso(at + HOUR_MS // 2)})),
        ("audit, page 100 (older)", "/audit?page=100"),
        ("alerts", "/alerts"),
    ]
    return listed


class Dashboard:
    """One keep-alive connection to a logged-in dashboard."""

    def __init__(self, port):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        body = urllib.parse.urlencode({"token": TOKEN})
        self.connection.request("POST", "/login", body,
                                {"content-type": "application/x-www-form-urlencoded"})
        response = self.connection.getresponse()
        response.read()
        cookie = response.getheader("set-cookie") or ""
        if response.status != 303 or not cookie.startswith("ferry_session="):
            raise SystemExit(f"bench: the dashboard login answered {response.status}")
        self.cookie = cookie.split(";")[0]

    def get(self, path):
        """Milliseconds from sending the request to the last byte of the page; its size."""
        start = time.perf_counter()
        self.connection.request("GET", path, headers={"cookie": self.cookie})
        response = self.connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != 200:
            raise SystemExit(f"bench: {path} answered {response.status}: {body[:300]!r}")
        return elapsed, len(body)


def measure(dashboard, path, requests):
    dashboard.get(path)  # warm: the first request of a page pays for the pages SQLite reads
    times, size = [], 0
    for _ in range(requests):
        elapsed, size = dashboard.get(path)
        times.append(elapsed)
    ordered = sorted(times)
    return {"median": statistics.median(ordered),
            "p95": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
            "bytes": size}


def serve(ferry, folder):
    port = free_port()
    argv = [ferry, "serve", str(PIPELINES), "--project", str(folder / "ferry.yaml"), "--bind",
            f"127.0.0.1:{port}", "--workers", "1", "--catch-up-every", "0"]
    return Server("ferry serve", argv, folder, port)


def prepare(ferry, folder, audit_rows, letters, alerts):
    (folder / "ferry.yaml").write_text(PROJECT.format(
        secret="whsec_bench_dashboard", ledger=folder / "ledger.jsonl", token=TOKEN))
    made = subprocess.run([ferry, "dlq", "list", "--project", str(folder / "ferry.yaml")],
                          cwd=folder, capture_output=True, text=True)
    if made.returncode != 0:
        raise SystemExit(f"bench: ferry could not make the store: {made.stderr[-800:]}")
    started = time.perf_counter()
    found = fill(folder / "state.db", audit_rows, letters, alerts, int(time.time() * 1000))
    if not audit_rows:
        found = (None, found[1])
    return found, time.perf_counter() - started


def run(ferry, folder, audit_rows, letters, alerts, requests):
    found, fill_seconds = prepare(ferry, folder, audit_rows, letters, alerts)
    results = {}
    with serve(ferry, folder) as server:
        dashboard = Dashboard(server.port)
        results["/healthz"] = measure(dashboard, "/healthz", requests)
        for label, path in pages(*found):
            if label == "one dead letter" and found[1] is None:
                continue  # an empty store has no letter to show
            results[label] = measure(dashboard, path, requests)
            print(f"  {label:30} median {results[label]['median']:7.1f} ms, "
                  f"p95 {results[label]['p95']:7.1f} ms", file=sys.stderr)
    return results, found, fill_seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ferry", required=True)
    sizes = {"--audit": 100_000, "--letters": 10_000, "--alerts": 1_000, "--requests": 50}
    for option, default in sizes.items():
        parser.add_argument(option, type=int, default=default)
    parser.add_argument("--command", required=True)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    args.ferry = str(Path(args.ferry).resolve())  # it runs in the store's folder

    with tempfile.TemporaryDirectory(prefix="ferry-bench-dashboard-") as tmp:
        big, empty = Path(tmp) / "big", Path(tmp) / "empty"
        big.mkdir()
        empty.mkdir()
        print(f"== {args.audit:,} audit entries, {args.letters:,} dead letters", file=sys.stderr)
        filled, found, fill_seconds = run(args.ferry, big, args.audit, args.letters,
                                          args.alerts, args.requests)
        print("== an empty store", file=sys.stderr)
        bare, _, _ = run(args.ferry, empty, 0, 0, 0, args.requests)

    problems = []
    rows = []
    labels = ["/healthz"] + [label for label, _ in pages(*found)]
    for label in labels:
        a, b = filled[label], bare.get(label)
        over = label != "/healthz" and a["p95"] >= GOAL_MS
        if over:
            problems.append(f"{label}: p95 {a['p95']:.1f} ms, the goal is under {GOAL_MS} ms")
        rows.append([label, f"{a['median']:.1f}", f"{a['p95']:.1f}", f"{a['bytes']:,}",
                     f"{b['median']:.1f}" if b else "", f"{b['p95']:.1f}" if b else "",
                     "**over**" if over else ("" if label == "/healthz" else "met")])
    body = f"""## `ferry serve`: dashboard pages on a big store

Command: `{args.command}`

Measured: {machine()}.

The store holds {args.audit:,} audit entries (over 30 days, half of them with a target id),
the records read by three pipelines per hour over the same 30 days, {args.letters:,} open dead
letters (over 7 days, each with a 2.7 KB charge event and its history row) and {args.alerts:,}
alerts: ferry made the store (its migrations) and the benchmark filled
it with SQL in {fill_seconds:.1f} s. `ferry serve bench/webhooks/` serves two of the letters'
three pipelines with a `dashboard:` token. After logging in, each page is fetched once to warm
up, then {args.requests} times one after the other on one keep-alive connection; a time runs
from sending the request to the last byte of the page. The baselines are `/healthz` on the same
server (no store, no page) and the same pages on an empty store.

{table(["page", "median (ms)", "p95 (ms)", "page size (bytes)", "empty store: median (ms)",
        "empty store: p95 (ms)", f"goal: p95 under {GOAL_MS} ms"], rows)}

Goal (every page under {GOAL_MS} ms with {args.audit:,} audit entries and {args.letters:,} dead
letters): {"**met**" if not problems else "**not met**"}.
"""
    print(body)
    return publish("dashboard", body, problems, args.no_doc)


if __name__ == "__main__":
    sys.exit(main())
