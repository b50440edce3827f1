"""The webhooks section of docs/benchmarks.md, from bench_webhooks.py's reports."""

from harness import machine, table

GOAL_RATE = 5000
GOAL_P99_MS = 25
# Processing keeps up when, at the steady rate, the inbox never holds more than this many
# seconds of events and is empty this many seconds after the last one was sent.
KEEP_UP_DEPTH_S = 1.0
KEEP_UP_DRAIN_S = 5.0


def ms(value):
    return "not answered in time" if value is None else f"{value:.1f}"


def count(value):
    return "" if value is None else f"{value:,.0f}"


def met(ok):
    return "**met**" if ok else "**missed**"


def inbox_cells(report):
    inbox = report.get("inbox")
    if not inbox:
        return ["", "", ""]
    drained = inbox["drained_after_s"]
    return [count(inbox["max_depth"]), count(inbox["depth_at_load_end"]),
            "not within the limit" if drained is None else f"{drained:.1f} s"]


def keeps_up(report, rate):
    inbox = report["inbox"]
    drained = inbox["drained_after_s"]
    return (inbox["max_depth"] <= KEEP_UP_DEPTH_S * rate and drained is not None
            and drained <= KEEP_UP_DRAIN_S)


def depth_series(report):
    samples = report["inbox"]["samples"]
    return ", ".join(f"{s['pending'] + s['processing']:,}" for s in samples)


def render(args, reports, problems):
    ferry_max, base_max = reports["ferry", "max"], reports["baseline", "max"]
    ferry_rate, base_rate = reports["ferry", "rate"], reports["baseline", "rate"]
    names = {"ferry": f"ferry serve (--workers {args.workers})",
             "baseline": "Python http.server + sqlite3"}

    rows = []
    for kind, report in (("ferry", ferry_max), ("baseline", base_max)):
        latency = report["latency"]
        rows.append([names[kind], f"{report['stored_per_s']:,.0f}", ms(latency["p50_ms"]),
                     ms(latency["p99_ms"]), f"{report['server_cpu_s']:.1f}",
                     f"{1000 * report['server_cpu_s'] / max(report['stored_total'], 1):.2f}",
                     f"{report['load_cpu_s']:.1f}", *inbox_cells(report)])
    max_table = table(["receiver", "events stored and acknowledged/s", "latency p50 (ms)",
                       "p99 (ms)", "receiver CPU (s)", "receiver CPU ms per event",
                       "generator CPU (s)", "max inbox depth", "inbox at the end of the load",
                       "inbox empty after"], rows)

    rows = []
    for kind, report in (("ferry", ferry_rate), ("baseline", base_rate)):
        latency, late = report["latency"], report["send_lateness"]
        rows.append([names[kind], count(report["scheduled"]), count(report["stored"]),
                     count(report["unsent"]), ms(latency["p50_ms"]), ms(latency["p90_ms"]),
                     ms(latency["p99_ms"]), ms(latency["p999_ms"]), ms(latency["max_ms"]),
                     ms(late["p99_ms"]), f"{report['server_cpu_s']:.1f}", *inbox_cells(report)])
    rate_table = table(["receiver", "scheduled", "stored and acknowledged", "not sent in time",
                        "p50 (ms)", "p90 (ms)", "p99 (ms)", "p99.9 (ms)", "max (ms)",
                        "sent late by, p99 (ms)", "receiver CPU (s)",
                        "max inbox depth", "inbox at the end of the load", "inbox empty after"],
                       rows)

    throughput = ferry_max["stored_per_s"]
    p99 = ferry_rate["latency"]["p99_ms"]
    up = keeps_up(ferry_rate, args.rate)
    ratio = throughput / max(base_max["stored_per_s"], 1e-9)
    checks = ("Every event acknowledged as stored was in the store afterwards (ferry: in the "
              "inbox, `done`, and exactly one ledger line each; the baseline: one row each)."
              if not problems else "Problems: " + "; ".join(problems) + ".")
    return f"""## `ferry serve`: signed Stripe webhooks into the SQLite inbox

Command: `{args.command}`

Measured: {machine()}.

The load generator (`examples/webhook_load/`, Rust, one thread) sends Stripe events made from
`pipelines/fixtures/charge_succeeded.json` (70%) and `customer_updated.json` (30%), each with
its own event and object id, signed as Stripe signs them (`Stripe-Signature: t=...,v1=` the
HMAC-SHA256 of `"t.body"`), about 2.7 KB each, over loopback HTTP/1.1 keep-alive connections.
`ferry serve bench/webhooks/ --workers {args.workers} --catch-up-every 0` runs two pipelines
that write each event to a JSON lines ledger, so its workers process events while they are
received. The ledger (a `file` sink, which syncs every line) is on tmpfs, standing in for a
target that answers at once: on this machine's disk one synced line alone takes about 5 ms. The
store, where every acknowledgement waits for its commit, is on disk. The baseline, `bench/webhook_baseline.py`, is
the script one would write: Python's `ThreadingHTTPServer`, the same signature check, and an
`INSERT` into SQLite committed per request, with ferry's durability (WAL,
`synchronous=FULL`); it only stores. Both acknowledge an event only after its commit. Each run
starts a fresh receiver on a fresh store.

### Full speed: {args.connections} connections, each sending as soon as its last event is acknowledged

Events acknowledged as stored (`200`, `"duplicate": false`) in {args.max_seconds:g} s after a
{args.warmup:g} s warm-up; latency from send to answer. The inbox columns are `ferry serve`'s
`/readyz` (pending + processing), sampled every second and then until empty.

{max_table}

Goal (at least {GOAL_RATE:,} events/s): {throughput:,.0f}/s, {met(throughput >= GOAL_RATE)};
{ratio:.1f}x the baseline.

### Steady rate: {args.rate:,} events/s for {args.rate_seconds:g} s, {args.rate_connections} connections

Open loop: event *i* is due at *start + i / rate* and its latency runs from when it was due, so
a receiver that stalls is charged for every event it delays (no coordinated omission). How late
events were sent (from due to sent: the generator's timer ticks in milliseconds, and an event
waits for a free connection while all of them await answers) is included in the latencies and
shown apart.

{rate_table}

Goal (p99 under {GOAL_P99_MS} ms at {args.rate:,}/s): {ms(p99)} ms,
{met(p99 is not None and p99 < GOAL_P99_MS)}.

Goal (processing keeps up: the inbox never holds more than {KEEP_UP_DEPTH_S:g} s of events and is
empty within {KEEP_UP_DRAIN_S:g} s of the last one): {met(up)}. Inbox depth every second of
ferry's steady run, then until empty: {depth_series(ferry_rate)}.

{checks}
"""
