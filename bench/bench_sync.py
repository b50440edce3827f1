#!/usr/bin/env python3
"""Measure `ferry run` against `ferry sandbox`: rate-limited upserts, unlimited upserts next to
a stripe-python script, and the memory of a long file backfill; print the tables and rewrite
the sync section of docs/benchmarks.md.

Called by bench/sync.sh, which builds ferry, installs the `stripe` package and generates the
contact files. Every tool starts on a fresh emulator (`ferry sandbox` restarted), so each one
starts with the same Stripe customers and Capsule people, and a fresh store.
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import random
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

from harness import ROOT, cpu_seconds, interrupt, machine, publish, run_once, table

CAPSULE_PIPELINE = ROOT / "pipelines" / "capsule_contacts_to_stripe.ferry"
FILE_PIPELINE = ROOT / "bench" / "file_contacts_to_stripe.ferry"
BASELINE = ROOT / "bench" / "stripe_python_baseline.py"
STRIPE_KEY = "sk_test_sandbox"
CAPSULE_TOKEN = "capsule-sandbox-token"
SEED = 42
LIMIT = 25
# Only the run loop's "batch stored" events; everything else at info.
LOG_FILTER = "info,ferry::cli::run=debug"


class Sandbox:
    """`ferry sandbox` on `port`, stopped (Ctrl-C) on exit; `cpu()` is its CPU seconds so far."""

    def __init__(self, ferry, port, people, rate, logs, extra=()):
        self.argv = [ferry, "sandbox", "--port", str(port), "--seed", str(SEED),
                     "--capsule-people", str(people), "--stripe-rate-limit", str(rate), *extra]
        self.base = f"http://127.0.0.1:{port}"
        self.log = logs / f"sandbox_{port}.err"

    def __enter__(self):
        self.process = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL,
                                        stderr=open(self.log, "wb"))
        for _ in range(600):
            if "listening" in self.log.read_text(errors="replace"):
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise SystemExit(f"bench: ferry sandbox did not start: {self.log.read_text()[-500:]}")

    def __exit__(self, *_):
        interrupt(self.process)

    def cpu(self):
        return cpu_seconds(self.process.pid)

    def peak_rss_mb(self):
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024

    def get(self, path, token):
        """GET with the emulator's 429s waited out (only the bench's own counting reads)."""
        while True:
            request = urllib.request.Request(self.base + path,
                                             headers={"Authorization": f"Bearer {token}"})
            try:
                with urllib.request.urlopen(request) as response:
                    return json.load(response), response.headers
            except urllib.error.HTTPError as error:
                if error.code != 429:
                    raise
                time.sleep(1.1)

    def stripe_emails(self):
        """The email of every Stripe customer (duplicates kept)."""
        emails, after = [], None
        while True:
            page, _ = self.get("/stripe/v1/customers?limit=100"
                               + (f"&starting_after={after}" if after else ""), STRIPE_KEY)
            emails += [c.get("email") for c in page["data"]]
            if not page["has_more"]:
                return emails
            after = page["data"][-1]["id"]

    def capsule_people(self):
        """(people, their first email addresses normalised) from the Capsule emulator."""
        people, emails, url = 0, [], "/capsule/api/v2/parties?perPage=100"
        while url:
            page, headers = self.get(url, CAPSULE_TOKEN)
            for party in page["parties"]:
                if party["type"] == "person":
                    people += 1
                    if party.get("emailAddresses"):
                        emails.append(party["emailAddresses"][0]["address"].strip().lower())
            found = re.search(r'<([^>]+)>;\s*rel="next"', headers.get("Link", ""))
            url = found.group(1).removeprefix(self.base) if found else None
        return people, emails


def project(directory, port, *, unlimited, concurrency=None):
    """ferry.yaml's sandbox environment on `port`, with its store in `directory`."""
    text = (ROOT / "ferry.yaml").read_text().replace("127.0.0.1:4010", f"127.0.0.1:{port}")
    text = text.replace("store: sqlite://.ferry/sandbox.db", "store: sqlite://sandbox.db")
    if unlimited:
        limit = "\n        rate_limit: { requests: 100000, per: 1s }"
        text = text.replace("        api_key: sk_test_sandbox",
                            "        api_key: sk_test_sandbox" + limit
                            + (f"\n        concurrency: {concurrency}" if concurrency else ""))
        text = text.replace("        token: capsule-sandbox-token",
                            "        token: capsule-sandbox-token" + limit)
    path = Path(directory) / "ferry.yaml"
    path.write_text(text)
    return path


def ferry_run(ferry, pipeline, project_path, logs, name, extra=()):
    """Runs `ferry run --backfill`; returns what it printed and what it cost."""
    out, err = logs / f"{name}.out", logs / f"{name}.err"
    argv = [ferry, "run", str(pipeline), "--project", str(project_path), "--backfill",
            "--log-format", "json", *extra]
    wall, cpu, rss, code = run_once(argv, stdout=out, stderr=err, env={"FERRY_LOG": LOG_FILTER})
    text = out.read_text(errors="replace")
    counts = re.search(r"(\d+) read, (\d+) created, (\d+) updated, (\d+) unchanged, (\d+) filtered, "
                       r"(\d+) skipped, (\d+) dead-lettered", text)
    stripe = re.search(r"stripe: (\d+) requests, (\d+) retries, (\d+) rate-limited", text)
    if code != 0 or not counts or not stripe:
        raise SystemExit(f"bench: ferry run failed ({code}): {text[-400:]} "
                         f"{err.read_text(errors='replace')[-800:]}")
    keys = ["read", "created", "updated", "unchanged", "filtered", "skipped", "dead_lettered"]
    result = dict(zip(keys, map(int, counts.groups())))
    result.update(requests=int(stripe.group(1)), retries=int(stripe.group(2)),
                  rate_limited=int(stripe.group(3)), wall=wall, cpu=cpu, rss_kb=rss)
    result["pages"] = pages_stored(err)
    return result


def pages_stored(stderr_path):
    """(seconds since the epoch, written, unchanged) of each durable batch, from the debug log."""
    pages = []
    for line in stderr_path.read_text(errors="replace").splitlines():
        if '"batch stored"' not in line:
            continue
        event = json.loads(line)
        at = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")).timestamp()
        pages.append((at, int(event["written"]), int(event.get("unchanged", 0))))
    return pages


def stripe_phase(run):
    """Stripe requests per second between the first and the last durable batch: the requests of
    batches 2..B (one lookup per delivered record and one write per created or updated record)
    over the time they took. Capsule reads and start-up fall outside."""
    pages = run["pages"]
    if len(pages) < 2:
        return None
    first_at, written, unchanged = pages[0]
    first_batch_requests = 2 * written + unchanged
    seconds = pages[-1][0] - first_at
    return (run["requests"] - first_batch_requests) / seconds, seconds


def rate_limited(args, logs, problems):
    port = args.port
    with Sandbox(args.ferry, port, args.people, LIMIT, logs) as sandbox, \
            tempfile.TemporaryDirectory() as directory:
        people, emails = sandbox.capsule_people()
        before = sandbox.stripe_emails()
        time.sleep(2)  # the bench's own reads out of the emulator's one-second window
        new_emails = set(emails) - set(before)
        cpu0 = sandbox.cpu()
        run = ferry_run(args.ferry, CAPSULE_PIPELINE, project(directory, port, unlimited=False),
                        logs, "rate_limited")
        run["sandbox_cpu"] = sandbox.cpu() - cpu0
        after = sandbox.stripe_emails()
    check_customers("rate-limited run", run, people, emails, before, after, new_emails, problems)
    whole = run["requests"] / run["wall"]
    phase = stripe_phase(run)
    rows = [["ferry run (whole process)", f"{run['requests']:,}", f"{run['wall']:.1f}",
             f"{whole:.2f}", f"{whole / LIMIT:.1%}", run["retries"], run["rate_limited"]]]
    if phase:
        rate, seconds = phase
        rows.append(["Stripe phase (first to last durable page)", "", f"{seconds:.1f}",
                     f"{rate:.2f}", f"{rate / LIMIT:.1%}", "", ""])
    headline = phase[0] if phase else whole
    met = headline / LIMIT >= 0.95 and run["rate_limited"] == 0
    body = f"""### Rate-limited upserts: {people:,} Capsule people -> Stripe customers at 25 requests/s

`ferry run pipelines/capsule_contacts_to_stripe.ferry --backfill` against `ferry sandbox --seed
{SEED} --capsule-people {args.people} --stripe-rate-limit {LIMIT}` (the emulator answers 429 past
25 requests in a second), ferry's client at its default limit for an `sk_test_` key, 25/s, and
its default `--concurrency 8`.

{outcome_line(run, people, emails, before, after)}

{table(["measured", "Stripe requests", "seconds", "requests/s", "% of 25/s", "retries",
        "429s"], rows)}

Ferry's CPU {run['cpu']:.1f} s, the emulator's {run['sandbox_cpu']:.1f} s, max RSS
{run['rss_kb'] / 1024:,.0f} MB. The Stripe phase excludes start-up and the first batch of Capsule
pages: its requests are ferry's count less those of the first durable batch (a lookup for each
delivered record, a write for each created or updated one), its time runs from the first
durable batch to the last (from ferry's `batch stored` debug events).

Goal (at least 95% of 25/s, no 429): {whole / LIMIT:.1%} over the whole run, {headline / LIMIT:.1%}
in the Stripe phase, {run['rate_limited']} 429s: **{'met' if met else 'missed'}**.
"""
    return body


def outcome_line(run, people, emails, before, after):
    return (f"Capsule held {people:,} people, {len(emails):,} with an email, "
            f"{len(set(emails)):,} distinct emails; Stripe held {len(before):,} seeded customers "
            f"before the run and {len(after):,} after. Ferry read {run['read']:,} parties and "
            f"reported {run['created']:,} created, {run['updated']:,} updated, "
            f"{run['unchanged']:,} unchanged, {run['filtered']:,} filtered (organisations), "
            f"{run['skipped']:,} skipped, {run['dead_lettered']:,} dead-lettered.")


def check_customers(what, run, people, emails, before, after, new_emails, problems):
    """Stripe gained exactly one customer per new email, and ferry counted them."""
    gained = len(after) - len(before)
    if gained != run["created"]:
        problems.append(f"{what}: Stripe gained {gained} customers, ferry reported "
                        f"{run['created']} created")
    if gained != len(new_emails):
        problems.append(f"{what}: Stripe gained {gained} customers for {len(new_emails)} emails "
                        f"it did not hold")
    duplicated = len(after) - len(set(after))
    if duplicated != len(before) - len(set(before)):
        problems.append(f"{what}: {duplicated} customers share an email")
    delivered = run["created"] + run["updated"] + run["unchanged"]
    if delivered != len(emails) or run["dead_lettered"]:
        problems.append(f"{what}: ferry delivered {delivered} of {len(emails)} people with an "
                        f"email ({run['dead_lettered']} dead-lettered)")


def unlimited(args, logs, problems):
    rows, results = [], {}
    for concurrency in args.concurrency:
        port = args.port + 1
        with Sandbox(args.ferry, port, args.people, 0, logs) as sandbox, \
                tempfile.TemporaryDirectory() as directory:
            people, emails = sandbox.capsule_people()
            before = sandbox.stripe_emails()
            cpu0 = sandbox.cpu()
            path = project(directory, port, unlimited=True, concurrency=max(concurrency, 8))
            run = ferry_run(args.ferry, CAPSULE_PIPELINE, path, logs, f"unlimited_{concurrency}",
                            ["--concurrency", str(concurrency)])
            run["sandbox_cpu"] = sandbox.cpu() - cpu0
            after = sandbox.stripe_emails()
        check_customers(f"unlimited run, --concurrency {concurrency}", run, people, emails,
                        before, after, set(emails) - set(before), problems)
        name = f"ferry run --concurrency {concurrency}"
        results[name] = run
        rows.append([name, f"{run['wall']:.2f}", f"{len(emails) / run['wall']:,.0f}",
                     f"{run['requests']:,}", f"{run['requests'] / run['wall']:,.0f}",
                     f"{run['cpu']:.2f}", f"{run['sandbox_cpu']:.2f}",
                     f"{run['rss_kb'] / 1024:,.0f}", f"{run['created']:,} / {run['updated']:,}"])
    port = args.port + 2
    with Sandbox(args.ferry, port, args.people, 0, logs) as sandbox:
        people, emails = sandbox.capsule_people()
        before = sandbox.stripe_emails()
        cpu0 = sandbox.cpu()
        out = logs / "stripe_python.out"
        wall, cpu, rss, code = run_once([sys.executable, str(BASELINE), "--base", sandbox.base],
                                        stdout=out, stderr=logs / "stripe_python.err")
        sandbox_cpu = sandbox.cpu() - cpu0
        after = sandbox.stripe_emails()
    if code != 0:
        raise SystemExit(f"bench: the stripe-python baseline failed: "
                         f"{(logs / 'stripe_python.err').read_text()[-800:]}")
    python = json.loads(out.read_text().strip().splitlines()[-1])
    if len(after) - len(before) != python["created"]:
        problems.append(f"stripe-python: Stripe gained {len(after) - len(before)}, the script "
                        f"created {python['created']}")
    rows.append([f"stripe-python {python['stripe_version']} (sequential)", f"{wall:.2f}",
                 f"{len(emails) / wall:,.0f}", f"{python['stripe_requests']:,}",
                 f"{python['stripe_requests'] / wall:,.0f}", f"{cpu:.2f}", f"{sandbox_cpu:.2f}",
                 f"{rss / 1024:,.0f}", f"{python['created']:,} / {python['updated']:,}"])
    best_name, best = min(results.items(), key=lambda item: item[1]["wall"])
    ratio = wall / best["wall"]
    any_run = next(iter(results.values()))
    body = f"""### Unlimited upserts: {people:,} Capsule people -> Stripe, ferry vs a stripe-python script

The same data on an emulator with its limit off (`--stripe-rate-limit 0`), restarted for each
tool. Ferry's project is ferry.yaml's sandbox environment with `rate_limit: {{ requests: 100000,
per: 1s }}` on `stripe` and `capsule` and `concurrency:` at least 8 on `stripe` (the value of
`--concurrency`). The baseline is `bench/stripe_python_baseline.py`: the official `stripe`
package, one request at a time (list by email, then create or modify). Records/s counts the
{len(emails):,} people with an email, over the wall time of the whole process.

{outcome_line(any_run, people, emails, before, after)}

{table(["tool", "wall (s)", "records/s", "Stripe requests", "requests/s", "CPU (s)",
        "emulator CPU (s)", "max RSS (MB)", "created / updated"], rows)}

Goal (ferry at least 10x the stripe-python script): {best_name} is {ratio:.1f}x faster,
**{'met' if ratio >= 10 else 'missed'}**.
"""
    return body, ratio


def memory(args, logs, problems):
    rows = []
    for size, path in zip(args.file_sizes, args.files):
        port = args.port + 3
        with Sandbox(args.ferry, port, 0, 0, logs) as sandbox, \
                tempfile.TemporaryDirectory() as directory:
            before = len(sandbox.stripe_emails())
            cpu0 = sandbox.cpu()
            run = ferry_run(args.ferry, FILE_PIPELINE,
                            project(directory, port, unlimited=True, concurrency=32), logs,
                            f"file_{size}", ["--input", str(path), "--concurrency", "32",
                                             "--page-size", "1000"])
            run["sandbox_cpu"] = sandbox.cpu() - cpu0
            sandbox_rss = sandbox.peak_rss_mb()
            gained = len(sandbox.stripe_emails()) - before
            sampled = sample_emails(sandbox, path, 1000)
        if run["created"] != size or gained != size:
            problems.append(f"file of {size}: ferry created {run['created']}, Stripe gained "
                            f"{gained}")
        if sampled:
            problems.append(f"file of {size}: {sampled}")
        rows.append([f"{size:,}", f"{run['rss_kb'] / 1024:,.1f}", f"{run['wall']:.1f}",
                     f"{size / run['wall']:,.0f}", f"{run['cpu']:.1f}",
                     f"{run['sandbox_cpu']:.1f}", f"{sandbox_rss:,.0f}", f"{run['created']:,}",
                     f"{gained:,}"])
        print(f"  file of {size:,}: {run['rss_kb'] / 1024:.1f} MB max RSS, {run['wall']:.1f} s",
              flush=True)
    largest = max(args.file_sizes)
    peak = max(float(r[1].replace(",", "")) for r in rows)
    body = f"""### Memory: a {largest:,}-record JSON lines file -> Stripe customers

`ferry run bench/file_contacts_to_stripe.ferry --input FILE --backfill --concurrency 32
--page-size 1000` against a fresh emulator with limits off (same project overrides as above).
Contacts from `bench/gen_contacts.py` (seed 42, unique emails). Max RSS is ferry's, from
`/usr/bin/time -f %M`.

{table(["records", "ferry max RSS (MB)", "wall (s)", "records/s", "ferry CPU (s)",
        "emulator CPU (s)", "emulator max RSS (MB)", "ferry: created", "Stripe gained"], rows)}

Besides the counts, 1,000 emails drawn from each file (seeded) are looked up in the emulator:
each must be exactly one customer.

Goal (under 150 MB, flat): {peak:,.1f} MB at most, **{'met' if peak < 150 else 'missed'}**
(for {', '.join(f'{s:,}' for s in args.file_sizes)} records{'' if largest >= 1_000_000 else '; 1,000,000 was not run'}).
"""
    return body


def sample_emails(sandbox, path, count):
    """Looks `count` of the file's emails up in Stripe; a description of what is wrong, or ""."""
    lines = Path(path).read_text().splitlines()
    wrong = []
    for line in random.Random(7).sample(lines, min(count, len(lines))):
        email = json.loads(line)["email"].strip().lower()
        page, _ = sandbox.get("/stripe/v1/customers?limit=10&email="
                              + urllib.parse.quote(email), STRIPE_KEY)
        if len(page["data"]) != 1:
            wrong.append(f"{email}: {len(page['data'])} customers")
    return "; ".join(wrong[:5]) + (f" ({len(wrong)} in all)" if wrong else "")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ferry", required=True)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")],
                        default=[8, 32])
    parser.add_argument("--file-sizes", type=lambda s: [int(x) for x in s.split(",")],
                        default=[100_000, 250_000])
    parser.add_argument("--files", type=lambda s: s.split(","), default=[])
    parser.add_argument("--port", type=int, default=4110)
    parser.add_argument("--skip", default="", help="comma-separated: limited,unlimited,memory")
    parser.add_argument("--command", required=True, help="the command line, for the doc")
    parser.add_argument("--no-doc", action="store_true", help="print only")
    args = parser.parse_args()
    logs = ROOT / "bench" / "data" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    skip = set(filter(None, args.skip.split(",")))
    problems, sections = [], []
    started = time.time()
    if "limited" not in skip:
        print(f"bench: rate-limited run, {args.people:,} people (about "
              f"{2 * args.people / LIMIT / 60:.0f} minutes)", flush=True)
        sections.append(rate_limited(args, logs, problems))
    if "unlimited" not in skip:
        print("bench: unlimited runs, ferry and stripe-python", flush=True)
        sections.append(unlimited(args, logs, problems)[0])
    if "memory" not in skip:
        print("bench: memory of file backfills", flush=True)
        sections.append(memory(args, logs, problems))
    body = f"""## `ferry run`: Capsule and a file -> Stripe, against `ferry sandbox`

Command: `{args.command}` ({(time.time() - started) / 60:.0f} minutes)

Measured: {machine()}.

""" + "\n".join(sections) + (
        "\nProblems: " + "; ".join(problems) if problems
        else "\nEvery run's counts agree with the emulator: one customer per new email.") + "\n"
    print()
    print(body)
    return publish("sync", body, problems, args.no_doc)


if __name__ == "__main__":
    sys.exit(main())
