#!/usr/bin/env python3
"""Measure `ferry serve`'s webhook ingest next to a plain Python receiver: acknowledged events/s
at full speed, and acknowledgement latency at a steady rate; print the tables and rewrite the
webhooks section of docs/benchmarks.md.

Called by bench/webhooks.sh, which builds ferry and the load generator
(examples/webhook_load/). Every run gets a fresh server and a fresh store in a temporary folder.
"""

import argparse
import json
import shutil
import sqlite3
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from harness import ROOT, cpu_seconds, interrupt, publish, run_once
from render_webhooks import render

PIPELINES = ROOT / "bench" / "webhooks"
BASELINE = ROOT / "bench" / "webhook_baseline.py"
FIXTURES = ROOT / "pipelines" / "fixtures"
SECRET = "whsec_bench_webhooks"

# The pipelines' target: a JSON lines file on tmpfs, standing in for a target that answers at
# once (the file sink syncs every line, which on this machine's disk alone takes ~5 ms). The
# store, whose commits are what is measured, stays on disk.
TARGET_DIR = Path("/dev/shm") if Path("/dev/shm").is_dir() else None

PROJECT = """version: 1
timezone: Australia/Sydney
store: sqlite://state.db
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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A webhook receiver on a free port, stopped with Ctrl-C; `cpu()` is its CPU seconds."""

    def __init__(self, name, argv, folder, port):
        self.name, self.argv, self.folder, self.port = name, argv, folder, port
        self.base = f"http://127.0.0.1:{port}"
        self.log = folder / "server.err"

    def __enter__(self):
        self.process = subprocess.Popen(self.argv, cwd=self.folder, stdout=subprocess.DEVNULL,
                                        stderr=open(self.log, "wb"))
        for _ in range(300):
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise SystemExit(f"bench: {self.name} did not start: {self.log.read_text()[-800:]}")

    def __exit__(self, *_):
        interrupt(self.process, timeout=60)

    def cpu(self):
        return cpu_seconds(self.process.pid)


def ferry_server(ferry, folder, workers):
    ledger = Path(tempfile.mkdtemp(prefix="ferry-bench-ledger-", dir=TARGET_DIR)) / "ledger.jsonl"
    (folder / "ferry.yaml").write_text(PROJECT.format(secret=SECRET, ledger=ledger))
    (folder / "ledger_path").write_text(str(ledger))
    port = free_port()
    argv = [ferry, "serve", str(PIPELINES), "--project", str(folder / "ferry.yaml"), "--bind",
            f"127.0.0.1:{port}", "--workers", str(workers), "--catch-up-every", "0"]
    return Server("ferry serve", argv, folder, port)


def baseline_server(folder):
    port = free_port()
    argv = [sys.executable, str(BASELINE), "--port", str(port), "--db", str(folder / "inbox.db"),
            "--secret", SECRET]
    return Server("baseline", argv, folder, port)


def load(generator, server, mode, args, run_id, with_inbox):
    """Runs the load generator against `server`; its JSON report plus CPU figures."""
    argv = [generator, "--url", f"{server.base}/webhooks/stripe/stripe", "--secret", SECRET,
            "--mode", mode, "--fixtures", str(FIXTURES), "--run-id", run_id]
    if mode == "max":
        argv += ["--connections", str(args.connections), "--duration", str(args.max_seconds),
                 "--warmup", str(args.warmup)]
    else:
        argv += ["--connections", str(args.rate_connections), "--rate", str(args.rate),
                 "--duration", str(args.rate_seconds)]
    if with_inbox:
        argv += ["--readyz", f"{server.base}/readyz"]
    out = server.folder / f"load_{mode}.json"
    before = server.cpu()
    _, load_cpu, _, code = run_once(argv, stdout=out, stderr=server.folder / "load.err")
    report = json.loads(out.read_text()) if code == 0 else None
    if report is None:
        raise SystemExit(f"bench: the load generator failed ({code}): "
                         f"{(server.folder / 'load.err').read_text()[-800:]}")
    report["server_cpu_s"] = server.cpu() - before
    report["load_cpu_s"] = load_cpu
    return report


def check_ferry(folder, report, problems, label):
    """Every acknowledged event is in the inbox, done, and made exactly one ledger line."""
    db = sqlite3.connect(folder / "state.db")
    states = dict(db.execute("SELECT state, COUNT(*) FROM inbox GROUP BY state").fetchall())
    db.close()
    ledger = Path((folder / "ledger_path").read_text())
    lines = sum(1 for _ in open(ledger)) if ledger.exists() else 0
    ledger.unlink(missing_ok=True)
    ledger.parent.rmdir()
    acked = report["stored_total"]
    report["inbox_states"], report["ledger_lines"] = states, lines
    if states.get("done", 0) != acked or len(states) != 1:
        problems.append(f"{label}: {acked} events acknowledged, inbox states {states}")
    if lines != acked:
        problems.append(f"{label}: {acked} events acknowledged, {lines} ledger lines")


def check_baseline(folder, report, problems, label):
    db = sqlite3.connect(folder / "inbox.db")
    rows = db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0]
    db.close()
    report["rows"] = rows
    if rows != report["stored_total"]:
        problems.append(f"{label}: {report['stored_total']} acknowledged, {rows} rows stored")


def run(kind, mode, args, problems):
    folder = Path(tempfile.mkdtemp(prefix=f"ferry-bench-webhooks-{kind}-{mode}-"))
    run_id = f"{kind[0]}{mode}{int(time.time())}"
    server = ferry_server(args.ferry, folder, args.workers) if kind == "ferry" \
        else baseline_server(folder)
    label = f"{server.name}, {mode}"
    print(f"bench: {label} ({folder})", file=sys.stderr)
    with server:
        report = load(args.load, server, mode, args, run_id, with_inbox=kind == "ferry")
    if kind == "ferry":
        check_ferry(folder, report, problems, label)
    else:
        check_baseline(folder, report, problems, label)
    if report["refused"] or report["broken"]:
        problems.append(f"{label}: {report['refused']} refused, {report['broken']} broken")
    if not problems:
        shutil.rmtree(folder)
    print(json.dumps({k: v for k, v in report.items() if k != "inbox"}), file=sys.stderr)
    return report


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ferry", required=True)
    parser.add_argument("--load", required=True)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate-connections", type=int, default=64)
    parser.add_argument("--max-seconds", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--rate-seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--command", required=True)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()

    problems, reports = [], {}
    for mode in ("max", "rate"):
        for kind in ("ferry", "baseline"):
            reports[kind, mode] = run(kind, mode, args, problems)
    body = render(args, reports, problems)
    print(body)
    return publish("webhooks", body, problems, args.no_doc)


if __name__ == "__main__":
    sys.exit(main())
