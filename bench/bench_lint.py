#!/usr/bin/env python3
"""Time `ferry lint` on the shipped pipelines and on generated 1,000- and 10,000-line files,
next to `ferry --version` (the cost of starting the binary) and `cat` of the same bytes,
measured in the same run; print the table and rewrite the lint section of docs/benchmarks.md.

The generated files repeat the shipped pipelines (tests included) under new pipeline names, in
bench/data/lint/, where `lookups` and `fixtures` point at the shipped ones, so every copy is
valid and checked in full. Called by bench/lint.sh.
"""

import argparse
import re
import subprocess
import sys
from pathlib import Path

from harness import ROOT, machine, measure, rewrite_section, table

GOAL_MS_PER_1000_LINES = 20.0


def lines_in(paths):
    """Lines as `wc -l` counts them."""
    out = subprocess.run(["wc", "-l", *map(str, paths)], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()
    return int(out[-1].split()[0])


def generate(shipped, target_lines, folder):
    """Whole copies of the shipped pipelines, renamed, until the file has target_lines or more."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("lookups", "fixtures"):
        link = folder / name
        if not link.exists():
            link.symlink_to(ROOT / "pipelines" / name)
    sources = [path.read_text() for path in shipped]
    parts, count, copy = [], 0, 0
    while count < target_lines:
        text = sources[copy % len(sources)]
        text = re.sub(r"^(\s*pipeline\s+)(\w+)", lambda m: f"{m[1]}{m[2]}_{copy:04d}", text,
                      flags=re.M)
        parts.append(text if text.endswith("\n") else text + "\n")
        count += text.count("\n") + (0 if text.endswith("\n") else 1)
        copy += 1
    path = folder / f"generated_{target_lines}.ferry"
    path.write_text("".join(parts))
    return path


def lint_summary(ferry, paths):
    result = subprocess.run([ferry, "lint", *map(str, paths)], capture_output=True, text=True)
    summary = result.stderr.strip().splitlines()[-1:] or ["(nothing on stderr)"]
    return result.returncode, summary[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ferry", required=True)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--command", required=True)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()

    shipped = sorted((ROOT / "pipelines").glob("*.ferry"))
    if not shipped:
        sys.exit("bench: no pipelines/*.ferry to lint")
    folder = ROOT / "bench" / "data" / "lint"
    cases = [("pipelines/", [ROOT / "pipelines"], shipped, args.runs)]
    for target in (1000, 10000):
        path = generate(shipped, target, folder)
        cases.append((f"generated {target:,}-line file", [path], [path],
                      max(5, args.runs // (3 if target < 10000 else 10))))

    problems, rows, per_thousand = [], [], {}
    startup = measure("ferry --version", [args.ferry, "--version"], args.runs)
    for label, lint_args, files, runs in cases:
        code, summary = lint_summary(args.ferry, lint_args)
        if code != 0:
            problems.append(f"`ferry lint` on {label} exited {code}: {summary}")
        lines = lines_in(files)
        size = sum(f.stat().st_size for f in files)
        lint = measure(f"ferry lint {label}", [args.ferry, "lint", *map(str, lint_args)], runs)
        cat = measure(f"cat {label}", ["cat", *map(str, files)], runs)
        ms = lint.best * 1000
        per_thousand[label] = ms / lines * 1000
        cpu_per_thousand = lint.best_cpu * 1000 / lines * 1000
        net = max(0.0, (lint.best - startup.best) * 1000) / lines * 1000
        rows.append([label, f"{lines:,}", f"{size / 1024:,.0f}", runs, f"{ms:.2f}",
                     f"{lint.median * 1000:.2f}", f"{per_thousand[label]:.2f}", f"{net:.2f}",
                     f"{lint.best_cpu * 1000:.2f}", f"{cpu_per_thousand:.2f}",
                     f"{cat.best * 1000:.2f}", f"{lint.max_rss_kb / 1024:.0f}", summary])
        print(f"  {label}: {ms:.2f} ms best, {per_thousand[label]:.2f} ms per 1,000 lines",
              flush=True)

    results = table(["input", "lines (wc -l)", "KiB", "runs", "lint best wall (ms)",
                     "lint median wall (ms)", "wall ms per 1,000 lines", "same, less start-up",
                     "lint best CPU (ms)", "CPU ms per 1,000 lines", "cat best wall (ms)",
                     "max RSS (MB)", "lint says"], rows)
    shipped_rate = per_thousand["pipelines/"]
    met = shipped_rate < GOAL_MS_PER_1000_LINES
    verdict = (f"Goal (under {GOAL_MS_PER_1000_LINES:.0f} ms per 1,000 lines on the shipped "
               f"pipelines): {shipped_rate:.2f} ms, {'met' if met else '**missed**'}.")
    body = f"""## `ferry lint`

Command: `{args.command}`

Measured: {machine()}.

Baselines in the same run: `ferry --version` (starting the binary and exiting) took
{startup.best * 1000:.2f} ms at best (median {startup.median * 1000:.2f} ms, CPU
{startup.best_cpu * 1000:.2f} ms) over {args.runs} runs, and `cat` of the same files. Each lint
time is a whole process: start-up, reading, parsing, checking (schemas, lookup files, tests'
fixtures) and printing diagnostics. "Same, less start-up" subtracts the `ferry --version` wall
time. CPU time (user + system, from the kernel's accounting of the child) is shown too: on a
shared machine the wall time includes waiting for a core.

{results}

{verdict}

{"Problems: " + "; ".join(problems) if problems else ""}
"""
    print()
    print(results)
    print()
    print(verdict)
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    if not args.no_doc:
        rewrite_section("lint", body)
        print("\nwrote the lint section of docs/benchmarks.md")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
