"""``make bench-spike``: a 70,000-seat stadium, 20,000 buyers arriving within 10 s.

The model (``bench/wrk_spike.lua`` has the details): 20,000 buyers, each with its own
minted token (no logins), arrive spread evenly (with jitter) over the first 10 s. A
buyer has one request out at a time and asks again as soon as (``--think-ms`` after)
it is answered: 1-4 adjacent explicit seats in a random row, or a quantity of 1-4 in a
random section, half and half, among the sections it has not yet been told are sold
out (409 ``sold_out`` with ``available``: 0); it stops when every section is. The
buyers share ``--connections`` keep-alive connections (2,000 by default, not 20,000):
a buyer due while every connection is busy waits for one, and that wait counts, since
latency is taken from the moment the buyer was due, not from the send (both are
reported, with the wait alone). wrk's timeout is the run's limit, so no request is
silently dropped; requests still unanswered at the end are reported.

Goals: sold out (the last 201) <= 15 s after the first request, no request over 2 s,
0 oversold, ``available + held + sold == capacity``. Closed-loop buyers obey Little's
law: with N buyers each always waiting for an answer, latency = N / throughput, so
20,000 buyers see <= 2 s only if the API answers >= 10,000 requests/s.

Where wrk is missing (or ``BENCH_GENERATOR=python``) the Python generator
(``cluster/loadtest``) drives the same buyers, its latency taken from the send.
Writes ``bench/results/spike.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console

from bench import spike_wrk
from bench.cpu import CpuSampler
from bench.report import collect_metadata
from bench.servers import ADMIN, api_processes, start_ours
from bench.spike_python import run_python
from bench.wrk import find_wrk
from cluster.loadtest.audit import audit
from cluster.loadtest.client import available, login
from cluster.loadtest.setup import create_event, mint_tokens, stadium_layout
from contexts.shared.settings import DEV_SECRET

OUT = Path(__file__).parent / "results" / "spike.json"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.spike", description=__doc__.split("\n")[0])
    p.add_argument("--seats", type=int, default=70_000)
    p.add_argument("--buyers", type=int, default=20_000)
    p.add_argument("--ramp", type=float, default=10.0, help="arrivals spread over (s)")
    p.add_argument("--connections", type=int, default=2_000)
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--think-ms", type=float, default=0.0, help="a buyer's pause per answer")
    p.add_argument("--limit", type=float, default=120.0, help="give up after (s)")
    p.add_argument("--out", type=Path, default=OUT)
    return p.parse_args(argv)


def _int(item: tuple[str, int]) -> int:
    return int(item[0])


def _wrk(wrk: str, url: str, event_id: str, tokens: list[str], layout: Any, a: Any) -> dict:
    kw = dict(connections=a.connections, threads=a.threads, ramp_s=a.ramp)
    run = spike_wrk.run(
        wrk, url, event_id, tokens, layout, **kw, think_ms=a.think_ms, limit_s=a.limit
    )
    doc = run.doc
    answered = sum(doc["counts"].values())
    span_s = (doc["last_hold_ms"] - doc["first_sent_ms"]) / 1000 if doc["last_hold_ms"] else 0.0
    return {
        "generator": "wrk",
        "model": kw | {"buyers": len(tokens), "think_ms": a.think_ms},
        "all_threads_finished": run.interrupted,
        "wall_s": run.wall_s,
        "last_hold_s": span_s,  # from the first request to the last 201
        "requests": answered,
        "requests_per_s": answered / run.wall_s if run.wall_s else 0.0,
        "holds": doc["counts"].get("201", 0),
        "seats_held": doc["seats_held"],
        "answers": dict(sorted(doc["counts"].items())),
        "latency_from_due": spike_wrk.percentiles(doc["due_ms"]),
        "latency_from_send": spike_wrk.percentiles(doc["sent_ms"]),
        "wait_for_connection": spike_wrk.percentiles(doc["wait_ms"]),
        "unanswered": doc["unanswered"],
        "socket_errors": doc["errors"],
        "buyers_arrived": doc["arrived"],
        "buyers_at_limit": doc["limited"],
        "polls_after_sold_out": doc["polls"],
        "holds_per_second": {int(k): n for k, n in sorted(doc["holds_per_s"].items(), key=_int)},
        "max_latency_per_second": {  # by the second of the answer, from the first thread's start
            int(k): {"from_due_ms": ms, "from_send_ms": doc["max_sent_per_s"][k]}
            for k, ms in sorted(doc["max_due_per_s"].items(), key=_int)
        },
        "slow_from_send_sample": [  # (sent at, took) in ms, for answers over 2 s from the send
            [int(x) for x in item.split(":")] for item in doc["slow"]
        ],
        "_reservations": run.reservations,
    }


def main(argv: list[str] | None = None) -> int:
    a = _parse(argv)
    console = Console(width=None if sys.stdout.isatty() else 140)
    layout = stadium_layout(a.seats)
    wrk = find_wrk()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_ours(Path(tmp), api_processes())
        try:
            token = asyncio.run(login(server.url, *ADMIN))
            event_id = asyncio.run(create_event(server.url, token, layout))
            tokens = mint_tokens(DEV_SECRET, a.buyers)
            cpu = CpuSampler([server.proc.pid])
            cpu.start()
            if wrk:
                data = _wrk(wrk, server.url, event_id, tokens, layout, a)
            else:
                data = run_python(server.url, event_id, tokens, layout, a)
            cpu.stop()
            left = asyncio.run(available(server.url, event_id))
            report = asyncio.run(audit(server.url, event_id, data.pop("_reservations")))
        finally:
            server.stop()
    data["sold_out"] = left == 0
    data["api_processes"] = api_processes()
    data["cpu_cores"] = cpu.cores()
    data["cpu_us_per_request"] = cpu.per_request_us(data["requests"])
    data["audit"] = report
    _print(console, data)
    a.out.write_text(json.dumps({"metadata": collect_metadata(), **data}, indent=2, default=str))
    console.print(f"written to {a.out}")
    return 0 if report["ok"] else 1


def _print(console: Console, d: dict[str, Any]) -> None:
    due, sent = d.get("latency_from_due", {}), d.get("latency_from_send", {})
    sold = f"sold out, last hold {d['last_hold_s']:.1f} s after the first request (goal <= 15 s)"
    if d["generator"] == "python":
        sold = f"sold out within {d['wall_s']:.1f} s (seen by polling; goal <= 15 s)"
    console.print(
        (sold if d["sold_out"] else f"NOT sold out after {d['wall_s']:.1f} s")
        + f"; {d['requests']:,} answers, {d['requests_per_s']:,.0f}/s; "
        + (
            f"from due: p50 {due['p50_ms']:,.0f} ms, p99 {due['p99_ms']:,.0f} ms, "
            f"max {due['max_ms']:,.0f} ms (goal: none over 2,000 ms); "
            if due.get("count")
            else "latency from due not measured (Python generator); "
        )
        + f"from send: p50 {sent.get('p50_ms', 0):,.0f} ms, p99 {sent.get('p99_ms', 0):,.0f} ms, "
        f"max {sent.get('max_ms', 0):,.0f} ms; "
        + (
            f"unanswered {d['unanswered']}, socket errors {d['socket_errors']}"
            if d["generator"] == "wrk"
            else f"client timeouts/errors {d['client_timeouts_or_errors']}"
        )
    )
    console.print(f"answers by code: {d['answers']}")
    cores = ", ".join(f"{k} {v:.2f}" for k, v in sorted(d["cpu_cores"].items()))
    console.print(f"cores used: {cores}")
    r = d["audit"]
    console.print(
        f"audit: oversold {r['oversold_seats']}, capacity {r['capacity']} = available "
        f"{r['available']} + held {r['held']} + sold {r['sold']}: {r['counts_add_up']}, "
        f"unaccounted {r.get('unaccounted_seats')}, ok {r['ok']}"
    )


if __name__ == "__main__":
    sys.exit(main())
