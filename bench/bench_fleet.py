#!/usr/bin/env python3
"""Measure `ferry serve` on a PostgreSQL store next to the SQLite store, in the same run:
acknowledged webhook events/s at full speed with 1, 2 and 4 serve processes sharing one
PostgreSQL database, the acknowledgement latency at a steady 1,000 events/s, and CPU per event
(ferry's, and ferry's plus the PostgreSQL server's); print the tables and rewrite the fleet
section of docs/benchmarks.md.

Called by bench/fleet.sh, which builds ferry and the load generator (examples/webhook_load/).
Every run gets fresh servers and a fresh store: a temporary folder for SQLite, a fresh database
for PostgreSQL (dropped afterwards). Needs `psql` for PostgreSQL's side.
"""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_webhooks import PIPELINES, FIXTURES, SECRET, TARGET_DIR, Server, free_port
from harness import cpu_seconds, publish, run_once, table

PROJECT = """version: 1
timezone: Australia/Sydney
store: {store}
connections:
  stripe:
    kind: stripe
    api_key: sk_test_bench
    webhook_secret: {secret}
    # Never called: the catch-up is off, and every event is new.
    base_url: http://127.0.0.1:9/stripe
  file:
    kind: file
    path: {ledger}
    format: jsonl
"""


def psql(server, database, sql):
    argv = ["psql", f"{server}/{database}", "-Atqc", sql]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


def postgres_cpu():
    """CPU seconds used so far by every process of the PostgreSQL server (its backends, the
    WAL writer, the checkpointer): what a store on PostgreSQL costs besides ferry itself."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == "postgres":
                total += cpu_seconds(int(entry.name))
        except OSError:
            pass
    return total


class Fleet:
    """`processes` ferry serve processes on one store, each with its own project folder and
    ledger (the file sink), all with the same store URL."""

    def __init__(self, ferry, store, processes, workers):
        self.servers, self.ledgers = [], []
        for index in range(processes):
            folder = Path(tempfile.mkdtemp(prefix=f"ferry-bench-fleet-{index}-"))
            ledger = Path(tempfile.mkdtemp(prefix="ferry-bench-ledger-", dir=TARGET_DIR)) / "l.jsonl"
            (folder / "ferry.yaml").write_text(
                PROJECT.format(store=store, secret=SECRET, ledger=ledger))
            port = free_port()
            argv = [ferry, "serve", str(PIPELINES), "--project", str(folder / "ferry.yaml"),
                    "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                    "--catch-up-every", "0"]
            self.servers.append(Server(f"ferry serve #{index + 1}", argv, folder, port))
            self.ledgers.append(ledger)

    def __enter__(self):
        # One at a time: the first migrates the store, the others find it migrated.
        for server in self.servers:
            server.__enter__()
        return self

    def __exit__(self, *exc):
        for server in self.servers:
            server.__exit__(*exc)

    def cpu(self):
        return sum(server.cpu() for server in self.servers)

    def ledger_lines(self):
        lines = 0
        for ledger in self.ledgers:
            if ledger.exists():
                lines += sum(1 for _ in open(ledger))
            shutil.rmtree(ledger.parent, ignore_errors=True)
        return lines

    def remove_folders(self):
        for server in self.servers:
            shutil.rmtree(server.folder, ignore_errors=True)


def drive(args, fleet, mode, run_id):
    """Runs one load generator per process at once (the connections, or the rate, shared out);
    the reports, and the seconds of ferry's and PostgreSQL's CPU the load took."""
    reports, threads = [None] * len(fleet.servers), []
    count = len(fleet.servers)

    def one(index, server):
        argv = [args.load, "--url", f"{server.base}/webhooks/stripe/stripe", "--secret", SECRET,
                "--mode", mode, "--fixtures", str(FIXTURES), "--run-id", f"{run_id}p{index}"]
        if mode == "max":
            argv += ["--connections", str(max(1, args.connections // count)),
                     "--duration", str(args.max_seconds), "--warmup", str(args.warmup)]
        else:
            argv += ["--connections", str(max(1, args.rate_connections // count)),
                     "--rate", str(args.rate // count), "--duration", str(args.rate_seconds)]
        argv += ["--readyz", f"{server.base}/readyz"]
        out = server.folder / f"load_{mode}.json"
        _, _, _, code = run_once(argv, stdout=out, stderr=server.folder / "load.err")
        if code == 0:
            reports[index] = json.loads(out.read_text())

    ferry_before, postgres_before = fleet.cpu(), postgres_cpu()
    for index, server in enumerate(fleet.servers):
        thread = threading.Thread(target=one, args=(index, server))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    if any(report is None for report in reports):
        raise SystemExit("bench: a load generator failed: " + " ".join(
            (s.folder / "load.err").read_text()[-400:] for s in fleet.servers))
    return reports, fleet.cpu() - ferry_before, postgres_cpu() - postgres_before


def inbox_states(store_kind, where):
    if store_kind == "sqlite":
        db = sqlite3.connect(where)
        states = dict(db.execute("SELECT state, COUNT(*) FROM inbox GROUP BY state").fetchall())
        db.close()
        return states
    server, database = where
    text = psql(server, database, "SELECT state || ' ' || COUNT(*) FROM inbox GROUP BY state")
    return {line.split()[0]: int(line.split()[1]) for line in text.splitlines() if line}


def run(args, store_kind, processes, mode, problems):
    label = f"{store_kind}, {processes} process{'es' if processes > 1 else ''}, {mode}"
    print(f"bench: {label}", file=sys.stderr)
    run_id = f"{store_kind[0]}{processes}{mode}{int(time.time())}"
    if store_kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="ferry-bench-fleet-sqlite-"))
        store, where = f"sqlite://{folder}/state.db", folder / "state.db"
    else:
        database = f"ferry_bench_{run_id}"
        psql(args.postgres, "postgres", f"CREATE DATABASE {database}")
        store, where = f"{args.postgres}/{database}", (args.postgres, database)
    fleet = Fleet(args.ferry, store, processes, args.workers)
    with fleet:
        reports, ferry_cpu, postgres_cpu_s = drive(args, fleet, mode, run_id)
        # Wait for the workers to drain what was acknowledged before counting.
        deadline = time.time() + 120
        acknowledged = sum(r["stored_total"] for r in reports)
        while time.time() < deadline and inbox_states(store_kind, where).get("done", 0) < acknowledged:
            time.sleep(0.5)
    states, lines = inbox_states(store_kind, where), fleet.ledger_lines()
    if states.get("done", 0) != acknowledged or len(states) != 1:
        problems.append(f"{label}: {acknowledged} acknowledged, inbox states {states}")
    if lines != acknowledged:
        problems.append(f"{label}: {acknowledged} acknowledged, {lines} ledger lines")
    for report in reports:
        if report["refused"] or report["broken"]:
            problems.append(f"{label}: {report['refused']} refused, {report['broken']} broken")
    fleet.remove_folders()
    if store_kind == "sqlite":
        shutil.rmtree(folder, ignore_errors=True)
    else:
        psql(args.postgres, "postgres", f"DROP DATABASE {where[1]}")
    stored = sum(r["stored"] for r in reports)
    window = max(r["window_s"] for r in reports)
    result = {
        "label": label, "kind": store_kind, "processes": processes, "mode": mode,
        "stored": stored, "per_s": stored / window,
        # Across generators: the worst of each percentile, a bound on the fleet's.
        "p50": max(r["latency"]["p50_ms"] or 0 for r in reports),
        "p99": max(r["latency"]["p99_ms"] or 0 for r in reports),
        "unsent": sum(r.get("unsent", 0) for r in reports),
        "scheduled": sum(r.get("scheduled") or 0 for r in reports),
        "ferry_cpu": ferry_cpu,
        "postgres_cpu": postgres_cpu_s if store_kind == "postgres" else 0.0,
        "acknowledged": acknowledged,
    }
    print(json.dumps(result), file=sys.stderr)
    return result


def render(args, results, problems):
    cores = os.cpu_count() or 1
    sqlite_max = next(r for r in results if r["kind"] == "sqlite" and r["mode"] == "max")
    rows = []
    for r in (r for r in results if r["mode"] == "max"):
        per_event = (r["ferry_cpu"] + r["postgres_cpu"]) * 1000 / max(r["acknowledged"], 1)
        rows.append([
            f"{r['kind']}", str(r["processes"]), f"{r['per_s']:,.0f}",
            f"{r['per_s'] / sqlite_max['per_s']:.2f}x", f"{r['p99']:.1f}",
            f"{r['ferry_cpu'] * 1000 / max(r['acknowledged'], 1):.2f}",
            f"{r['postgres_cpu'] * 1000 / max(r['acknowledged'], 1):.2f}",
            f"{per_event:.2f}", f"{1000 / per_event:,.0f}" if per_event else "",
        ])
    full = table(["store", "serve processes", "events acknowledged/s", "vs SQLite",
                  "p99 (ms)", "ferry CPU ms/event", "PostgreSQL CPU ms/event",
                  "total CPU ms/event", "projected events/s per core"], rows)
    steady = table(["store", "serve processes", "scheduled", "acknowledged", "not sent in time",
                    "p50 (ms)", "p99 (ms)"],
                   [[r["kind"], str(r["processes"]), f"{r['scheduled']:,}",
                     f"{r['stored']:,}", str(r["unsent"]), f"{r['p50']:.1f}", f"{r['p99']:.1f}"]
                    for r in results if r["mode"] == "rate"])
    pg_one = next(r for r in results if r["kind"] == "postgres" and r["mode"] == "max"
                  and r["processes"] == 1)
    share = pg_one["per_s"] / sqlite_max["per_s"]
    cpu_sqlite = sqlite_max["ferry_cpu"] / max(sqlite_max["acknowledged"], 1)
    cpu_pg = (pg_one["ferry_cpu"] + pg_one["postgres_cpu"]) / max(pg_one["acknowledged"], 1)
    goal = (f"Goal (one PostgreSQL process at least 70% of SQLite's events/s): "
            f"{share:.0%}, **{'met' if share >= 0.7 else 'not met'}**.\n\n"
            f"Goal (CPU per event, ferry's and PostgreSQL's together, within 1.5x of SQLite's): "
            f"{cpu_pg / cpu_sqlite:.2f}x, **{'met' if cpu_pg <= 1.5 * cpu_sqlite else 'not met'}**.")
    checked = ("Every event acknowledged as stored was in the inbox afterwards, `done`, with "
               "exactly one ledger line." if not problems else "Problems: " + "; ".join(problems))
    return f"""## `ferry serve` on PostgreSQL: one store, several processes

Command: `{args.command}`

Each configuration starts fresh `ferry serve bench/webhooks/ --workers {args.workers}
--catch-up-every 0` processes on a fresh store: a SQLite file, or a new PostgreSQL database on
this machine's server (PostgreSQL 15, default settings, `synchronous_commit` on), shared by every
process. One load generator (`examples/webhook_load/`) per process sends it signed Stripe
events, as `bench/webhooks.sh` does; the connections (full speed) or the rate (steady) are
shared out between the processes. CPU is measured from `/proc`: ferry's processes, and for
PostgreSQL every process of the server (its backends, WAL writer and checkpointer), since the
database's work is part of what an event costs. On {cores} cores the processes, the database and
the generators compete for the same CPUs, so more processes cannot add throughput here; the
projected events/s per core (1,000 / total CPU ms per event) is what a machine with spare cores
would get per core.

### Full speed: {args.connections} connections for {args.max_seconds:g} s after a {args.warmup:g} s warm-up

{full}

{goal}

### Steady rate: {args.rate:,} events/s for {args.rate_seconds:g} s

{steady}

{checked}
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ferry", required=True)
    parser.add_argument("--load", required=True)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate-connections", type=int, default=64)
    parser.add_argument("--max-seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--rate-seconds", type=float, default=20)
    parser.add_argument("--command", required=True)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()

    problems, results = [], []
    results.append(run(args, "sqlite", 1, "max", problems))
    for processes in (int(p) for p in args.processes.split(",")):
        results.append(run(args, "postgres", processes, "max", problems))
    results.append(run(args, "sqlite", 1, "rate", problems))
    results.append(run(args, "postgres", 1, "rate", problems))
    body = render(args, results, problems)
    print(body)
    return publish("fleet", body, problems, args.no_doc)


if __name__ == "__main__":
    sys.exit(main())
