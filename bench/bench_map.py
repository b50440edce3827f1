#!/usr/bin/env python3
"""Time `ferry map` on the charges -> sales orders pipeline next to jq, jaq, the serde_json
floor and cat, in one run; print the table and rewrite the map section of docs/benchmarks.md.

Called by bench/map.sh, which installs the tools, builds the binaries and generates the data.
The runs are interleaved (ferry, jq, jaq, floor, cat, then again) so that a noisy neighbour
hurts every tool alike; the best of the runs is kept.
"""

import argparse
import json
import re
import sys
from pathlib import Path

from harness import ROOT, command_output, machine, measure, rewrite_section, table, Timing

PIPELINE = "pipelines/stripe_charges_to_business_central.ferry"
JQ_PROGRAM = "bench/charges_to_sales_orders.jq"
GOALS = {"jq": 10.0, "jaq": 2.0, "floor": 0.60}


def failures_in(stderr_path):
    """Records jq or jaq reported as failed (messages may share a line, so count matches)."""
    text = Path(stderr_path).read_text(encoding="utf-8", errors="replace")
    return {reason: text.count(reason)
            for reason in ("guest charge has no customer", "customer not synced yet")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=Path, required=True)
    parser.add_argument("--xrefs", type=Path, required=True)
    parser.add_argument("--ferry", required=True)
    parser.add_argument("--floor", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--command", required=True, help="the command line, for the doc")
    parser.add_argument("--no-doc", action="store_true", help="print only")
    args = parser.parse_args()

    expected = json.loads(Path(f"{args.events}.counts.json").read_text())
    records, size = expected["records"], args.events.stat().st_size
    logs = args.events.parent / "logs"
    logs.mkdir(exist_ok=True)
    tools = {
        "ferry map": ([args.ferry, "map", PIPELINE, "--input", str(args.events),
                       "--xrefs", str(args.xrefs)], {}),
        "jq": (["jq", "-c", "--slurpfile", "xrefs", str(args.xrefs), "-f", JQ_PROGRAM,
                str(args.events)], {"TZ": "Australia/Sydney"}),
        "jaq": (["jaq", "-c", "--slurpfile", "xrefs", str(args.xrefs), "-f", JQ_PROGRAM,
                 str(args.events)], {"TZ": "Australia/Sydney"}),
        "serde_json floor": ([args.floor, str(args.events)], {}),
        "cat (I/O floor)": (["cat", str(args.events)], {}),
    }
    timings = {name: Timing(name) for name in tools}
    for run in range(args.runs):
        for name, (argv, env) in tools.items():
            stderr = logs / (re.sub(r"\W+", "_", name) + ".err")
            once = measure(name, argv, 1, env=env, stderr=stderr)
            timing = timings[name]
            timing.walls += once.walls
            timing.cpus += once.cpus
            timing.max_rss_kb = max(timing.max_rss_kb, once.max_rss_kb)
            timing.exit_codes += once.exit_codes
            print(f"  run {run + 1}/{args.runs} {name:<17} {once.walls[0]:8.2f} s wall "
                  f"{once.cpus[0]:8.2f} s CPU", flush=True)

    problems = check_outcomes(timings, logs, expected)
    ferry = timings["ferry map"].best
    rows = []
    for name, timing in timings.items():
        rows.append([name, f"{timing.best:.2f}", f"{records / timing.best:,.0f}",
                     f"{size / 1e6 / timing.best:,.0f}", f"{timing.best_cpu:.2f}",
                     f"{timing.max_rss_kb / 1024:,.0f}",
                     " / ".join(f"{w:.2f}" for w in timing.walls)])
    results = table(["tool", "best wall (s)", "records/s", "MB/s in", "best CPU (s)",
                     "max RSS (MB)", "every run, wall (s)"], rows)
    ratios = {
        "jq": timings["jq"].best / ferry,
        "jaq": timings["jaq"].best / ferry,
        "floor": timings["serde_json floor"].best / ferry,
    }
    ferry_cpu = timings["ferry map"].best_cpu
    cpu_ratios = {
        "jq": timings["jq"].best_cpu / ferry_cpu,
        "jaq": timings["jaq"].best_cpu / ferry_cpu,
        "floor": timings["serde_json floor"].best_cpu / ferry_cpu,
    }
    goal_rows = [
        ["ferry vs jq", f"{ratios['jq']:.1f}x faster", f"{cpu_ratios['jq']:.1f}x less",
         "at least 10x", "met" if ratios["jq"] >= GOALS["jq"] else "**missed**"],
        ["ferry vs jaq", f"{ratios['jaq']:.1f}x faster", f"{cpu_ratios['jaq']:.1f}x less",
         "at least 2x", "met" if ratios["jaq"] >= GOALS["jaq"] else "**missed**"],
        ["ferry vs serde_json floor", f"{ratios['floor']:.0%} of the floor's speed",
         f"{cpu_ratios['floor']:.0%}", "at least 60%",
         "met" if ratios["floor"] >= GOALS["floor"] else "**missed**"],
    ]
    goals = table(["comparison", "wall time", "CPU time", "goal", "goal (on wall time)"],
                  goal_rows)
    versions = ", ".join(command_output([tool, "--version"]) for tool in ("jq", "jaq"))
    body = f"""## `ferry map`: 1 pipeline, {records:,} Stripe events

Command: `{args.command}`

Measured: {machine()}; {versions}.

Input: {records:,} `charge.succeeded` events, {size / 1e6:,.0f} MB of JSON lines (about
{size // records:,} bytes each) made by `bench/gen_charges.py` (seed 42), mapped by
`{PIPELINE}` with `--xrefs`. {expected['mapped']:,} records map; {expected['guest']:,} guest
charges and {expected['unsynced']:,} charges of customers left out of the cross-reference file
fail and are reported on stderr, by every tool. Best of {args.runs} interleaved runs, output to
`/dev/null`, the file in the page cache.

{results}

{goals}

{"Problems: " + "; ".join(problems) if problems else "Every tool reported the expected failures."}
"""
    print()
    print(results)
    print()
    print(goals)
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    if not args.no_doc:
        rewrite_section("map", body)
        print(f"\nwrote the map section of {(ROOT / 'docs' / 'benchmarks.md').relative_to(ROOT)}")
    return 1 if problems else 0


def check_outcomes(timings, logs, expected):
    """Every tool must have run cleanly and reported the same failures as the generator made."""
    problems = []
    want = {"guest charge has no customer": expected["guest"],
            "customer not synced yet": expected["unsynced"]}
    summary = (logs / "ferry_map.err").read_text(errors="replace").strip().splitlines()[-1:]
    wanted = (f"{expected['mapped']} mapped, 0 filtered, 0 skipped, "
              f"{expected['guest'] + expected['unsynced']} failed")
    if summary != [wanted]:
        problems.append(f"ferry said {summary!r}, expected {wanted!r}")
    for tool in ("jq", "jaq"):
        got = failures_in(logs / f"{tool}.err")
        if got != want:
            problems.append(f"{tool} reported {got}, expected {want}")
    allowed = {"ferry map": {1 if expected["mapped"] < expected["records"] else 0}}
    for name, timing in timings.items():
        if set(timing.exit_codes) - allowed.get(name, {0}):
            problems.append(f"{name} exited with {timing.exit_codes}")
    return problems


if __name__ == "__main__":
    sys.exit(main())
