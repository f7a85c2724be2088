"""The open-loop half of ``python -m bench --only http``, alone, with a timeline.

Starts ``python -m api`` as the benchmark does (``bench.servers.start_ours``), creates
one fresh event, and sends reserves open loop at ``--rate`` for ``--seconds``
(``bench.openloop``, the benchmark's generator). Prints p50/p99/p99.9/max from due
time, the generator's own lag, the load average, and when in the run the slow
answers fell (per ``--window`` seconds): a tail that comes in bursts (a pause of
one process) looks different from one spread evenly (CPU contention, queueing).

    .venv/bin/python docs/perf/tail.py --rate 1400
    # --env KEY=VALUE (repeatable) passes settings to the server, e.g. API_PROCESSES=1
    # --stages: turn on actors.stagestats in every process and print time per stage
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from actors.stagestats import bucket_upper_s
from bench import openloop
from bench.servers import ADMIN, start_ours
from cluster.loadtest.cli import _login
from cluster.loadtest.setup import create_event, mint_tokens, stadium_layout
from contexts.shared.settings import DEV_SECRET


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rate", type=float, default=1400.0)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--seats", type=int, default=200_000)
    p.add_argument("--processes", type=int, default=2, help="API_PROCESSES")
    p.add_argument("--window", type=float, default=0.5, help="timeline bucket, seconds")
    p.add_argument("--slow-ms", type=float, default=50.0)
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds at the rate first")
    p.add_argument("--stages", action="store_true", help="time each stage (actors.stagestats)")
    return p.parse_args()


def timeline(out: openloop.Outcome, window: float, slow_ms: float) -> list[str]:
    buckets: dict[int, list[float]] = {}
    for due, ms in zip(out.due_s, out.latencies_ms, strict=True):
        buckets.setdefault(int(due / window), []).append(ms)
    lines = []
    for k in sorted(buckets):
        values = buckets[k]
        slow = sum(v > slow_ms for v in values)
        if slow:
            lines.append(
                f"  t={k * window:6.1f}s  n={len(values):4d}  >{slow_ms:.0f}ms={slow:4d}"
                f"  max={max(values):6.1f}ms"
            )
    return lines


def read_stages(folder: Path) -> dict[str, list[int]]:
    """Every process's histograms, summed by "role:stage"."""
    total: dict[str, list[int]] = {}
    for path in folder.glob("stages-*.json"):
        data = json.loads(path.read_text())
        for stage, counts in data["hist"].items():
            key = f"{data['role']}:{stage}"
            into = total.setdefault(key, [0] * len(counts))
            for k, n in enumerate(counts):
                into[k] += n
    return total


def stage_table(before: dict[str, list[int]], after: dict[str, list[int]]) -> list[str]:
    lines = [f"  {'stage':34s} {'count':>7s} {'p50':>8s} {'p90':>8s} {'p99':>8s} {'p99.9':>8s} max"]
    for key in sorted(after):
        old = before.get(key, [0] * len(after[key]))
        counts = [a - b for a, b in zip(after[key], old, strict=True)]
        n = sum(counts)
        if not n:
            continue

        def q(p: float, counts: list[int] = counts, n: int = n) -> str:
            seen = 0
            for k, c in enumerate(counts):
                seen += c
                if seen >= n * p / 100:
                    return f"{bucket_upper_s(k) * 1000:.2f}"
            return "-"

        cells = " ".join(f"{q(p):>8s}" for p in (50, 90, 99, 99.9))
        lines.append(f"  {key:34s} {n:7d} {cells} {q(100)} ms")
    return lines


def main() -> int:
    args = _parse()
    for item in args.env:
        key, _, value = item.partition("=")
        os.environ[key] = value
    tokens = mint_tokens(DEV_SECRET, 4_000)
    layout = stadium_layout(args.seats)
    with tempfile.TemporaryDirectory() as tmp:
        stages = Path(tmp) / "stages"
        if args.stages:
            stages.mkdir()
            os.environ["STAGE_STATS_DIR"] = str(stages)
        server = start_ours(Path(tmp), args.processes)
        try:
            admin = asyncio.run(_login(server.url, *ADMIN))
            warm_event = asyncio.run(create_event(server.url, admin, layout))
            event = asyncio.run(create_event(server.url, admin, layout))
            if args.warmup > 0:  # a different event: the measured actor starts fresh
                openloop.run(
                    openloop.Plan(server.url, warm_event, tokens, layout, args.rate, args.warmup)
                )
            time.sleep(1.5)  # the processes' last dumps (every second)
            before = read_stages(stages) if args.stages else {}
            load0 = os.getloadavg()
            started = time.monotonic()
            plan = openloop.Plan(server.url, event, tokens, layout, args.rate, args.seconds)
            out = openloop.run(plan)
            took = time.monotonic() - started
            load1 = os.getloadavg()
            time.sleep(1.5)
            after = read_stages(stages) if args.stages else {}
        finally:
            server.stop()
    p = out.percentile
    print(
        f"rate {args.rate:,.0f}/s x {args.seconds:.0f}s: sent {out.sent:,} in {took:.1f}s; "
        f"p50 {p(50):.1f} p90 {p(90):.1f} p99 {p(99):.1f} p99.9 {p(99.9):.1f} "
        f"max {max(out.latencies_ms, default=0):.1f} ms; generator max lag "
        f"{out.max_lag_ms:.1f} ms; counts {dict(out.counts)}"
    )
    print(f"load average before {load0[0]:.2f} after {load1[0]:.2f} (1 min)")
    print(f"windows with answers > {args.slow_ms:.0f} ms:")
    print("\n".join(timeline(out, args.window, args.slow_ms)) or "  none")
    if args.stages:
        print("time per stage (upper bucket bounds, ~12 % wide; the measured run only):")
        print("\n".join(stage_table(before, after)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
