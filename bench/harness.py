"""Shared pieces of the benchmark scripts: timing a command, the machine, the doc's sections.

Python standard library only. Wall and CPU time are measured around the child process (CPU from
the kernel's rusage, os.wait4). Max RSS comes from `/usr/bin/time -f %M` when it exists: the
rusage of a child forked from Python counts the Python process's memory before the exec, so it
is only the fallback.
"""

import datetime
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
GNU_TIME = "/usr/bin/time"


@dataclass
class Timing:
    name: str
    walls: list = field(default_factory=list)  # seconds, one per run
    cpus: list = field(default_factory=list)  # user + system seconds, one per run
    max_rss_kb: int = 0
    exit_codes: list = field(default_factory=list)

    @property
    def best(self):
        return min(self.walls)

    @property
    def best_cpu(self):
        return min(self.cpus)

    @property
    def median(self):
        ordered = sorted(self.walls)
        return ordered[len(ordered) // 2]


def run_once(argv, *, stdin=None, stdout=None, stderr=None, env=None):
    """Run argv once; return (wall seconds, CPU seconds, max RSS in KB, exit code).

    stdin/stdout/stderr are paths (None: /dev/null). The child's environment is ours plus env.
    """
    child_env = dict(os.environ, **(env or {}))
    rss_file = None
    if os.access(GNU_TIME, os.X_OK):
        rss_file = tempfile.NamedTemporaryFile(prefix="ferry-bench-rss-", delete=False)
        rss_file.close()
        argv = [GNU_TIME, "-f", "%M", "-o", rss_file.name, *argv]
    with open(stdin or os.devnull, "rb") as i, open(stdout or os.devnull, "wb") as o, \
            open(stderr or os.devnull, "wb") as e:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdin=i, stdout=o, stderr=e, env=child_env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    max_rss = usage.ru_maxrss
    if rss_file is not None:
        text = Path(rss_file.name).read_text().split()
        os.unlink(rss_file.name)
        # GNU time writes "Command exited with non-zero status N" before the figure.
        max_rss = int(text[-1]) if text and text[-1].isdigit() else max_rss
    return wall, usage.ru_utime + usage.ru_stime, max_rss, process.returncode


def measure(name, argv, runs, **kwargs):
    """Run argv `runs` times and keep every wall time and the largest max RSS."""
    timing = Timing(name)
    for _ in range(runs):
        wall, cpu, rss, code = run_once(argv, **kwargs)
        timing.walls.append(wall)
        timing.cpus.append(cpu)
        timing.max_rss_kb = max(timing.max_rss_kb, rss)
        timing.exit_codes.append(code)
    return timing


def interrupt(process, timeout=30):
    """Stop a server as Ctrl-C would (SIGINT), killing it if it has not exited by `timeout`."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cpu_seconds(pid):
    """User + system CPU seconds a running process has used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def command_output(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "unavailable"


def machine():
    """A one-paragraph description of where the figures were measured."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    commit = command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = command_output(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{now}; {os.cpu_count()} CPUs ({cpu}){memory}; load average at the end {load}; "
            f"Linux {platform.release()}; "
            f"ferry at {commit}{' (uncommitted changes)' if dirty else ''}; "
            f"{command_output(['rustc', '--version'])}")


def rewrite_section(name, body):
    """Replace the text between the section's markers in docs/benchmarks.md (append if absent)."""
    begin, end = f"<!-- BEGIN {name} (written by bench/{name}.sh) -->", f"<!-- END {name} -->"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)


def publish(name, body, problems, no_doc):
    """Print the problems, rewrite the section unless told not to; the exit code."""
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    if not no_doc:
        rewrite_section(name, body)
        print(f"wrote the {name} section of docs/benchmarks.md")
    return 1 if problems else 0


def table(header, rows):
    """A Markdown table; the same text is printed on the terminal."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
