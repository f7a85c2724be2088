"""Runs a scenario with several processes of buyers and merges what they report.

Each process owns an event loop, an aiohttp session and ``concurrency / processes``
buyers; every half second it sends its counts to the parent over a queue. The
parent stops everyone at the deadline or when the event is sold out, then collects
each process's live reservations for the audit.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import queue
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from cluster.loadtest.scenario import Buyer, Scenario
from cluster.loadtest.stats import Recorder, Totals


@dataclass
class Result:
    """The merged counts, the run's length and every reservation still held."""

    totals: Totals
    elapsed_s: float
    reservations: list[tuple[str, list[str]]] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    sold_out: bool = False


def _worker(scenario: Scenario, index: int, count: int, out: Any, stop: Any) -> None:
    asyncio.run(_buyers(scenario, index, count, out, stop))


async def _buyers(scenario: Scenario, index: int, count: int, out: Any, stop: Any) -> None:
    rec = Recorder()

    def part(total: int) -> int:
        return total // count + (1 if index < total % count else 0)

    connections = part(scenario.concurrency)
    rng = random.Random(index)
    tokens = scenario.tokens
    buyers = [
        Buyer(scenario, tokens[(index + i * count) % len(tokens)], random.Random(rng.random()))
        for i in range(part(scenario.buyers or scenario.concurrency))
    ]
    interval = len(buyers) / (scenario.rate / count) if scenario.rate else 0.0
    # Buyers beyond the connections wait here, like a crowd at the doors; latency is
    # measured from the moment a request is sent, not from joining the queue.
    doors = asyncio.Semaphore(connections)
    connector = aiohttp.TCPConnector(limit=connections, ttl_dns_cache=300)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def loop(buyer: Buyer, offset: float) -> None:
            await asyncio.sleep(offset)
            next_at = time.monotonic()
            while not stop.is_set():
                if interval:  # paced: each buyer sends every `interval` seconds
                    await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                    next_at += interval
                async with doors:
                    await buyer.act(http, rec)

        async def report() -> None:
            while not stop.is_set():
                await asyncio.sleep(0.5)
                out.put(("snap", rec.snapshot()))

        began = time.time()
        out.put(("started", began))
        spread = scenario.ramp_s or interval
        tasks = [asyncio.create_task(loop(b, rng.random() * spread)) for b in buyers]
        reporter = asyncio.create_task(report())
        while not stop.is_set():
            await asyncio.sleep(0.1)
        for task in tasks:
            task.cancel()  # queued buyers stop waiting; in-flight requests are dropped
        await asyncio.gather(*tasks, return_exceptions=True)
        reporter.cancel()
    out.put(("snap", rec.snapshot()))
    out.put(
        (
            "done",
            [r for b in buyers for r in b.held],
            [r for b in buyers for r in b.released],
            began,
            time.time(),
        )
    )


def run(
    scenario: Scenario,
    processes: int,
    sold_out: Callable[[], bool] | None = None,
    on_tick: Callable[[Totals, float], None] | None = None,
) -> Result:
    """Run ``scenario`` to its deadline (or sell-out); ``on_tick`` sees live totals."""
    ctx = mp.get_context("spawn")
    out, stop = ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(target=_worker, args=(scenario, i, processes, out, stop), daemon=True)
        for i in range(processes)
    ]
    for proc in procs:
        proc.start()
    totals, result_held, result_released = Totals(), [], []
    # The clock starts when the first process is ready to send (spawning and imports
    # take a second or two), and the run lasts from the first start to the last stop.
    started: float | None = None
    spans: list[tuple[float, float]] = []
    done, last_check, is_sold_out = 0, 0.0, False
    while done < processes:
        try:
            kind, *payload = out.get(timeout=0.25)
        except queue.Empty:
            kind, payload = "idle", []
        if kind == "started" and started is None:
            started = time.monotonic()
        elif kind == "snap":
            totals.merge(payload[0])
        elif kind == "done":
            done += 1
            result_held.extend(payload[0])
            result_released.extend(payload[1])
            spans.append((payload[2], payload[3]))
        now = time.monotonic()
        if started is not None and not stop.is_set() and now - last_check >= 0.5:
            last_check = now
            is_sold_out = bool(sold_out and sold_out())
            if is_sold_out or now - started >= scenario.duration_s:
                stop.set()
        if on_tick is not None:
            on_tick(totals, now - started if started is not None else 0.0)
    for proc in procs:
        proc.join(timeout=10)
    elapsed = max(e for _, e in spans) - min(b for b, _ in spans) if spans else 0.0
    return Result(totals, elapsed, result_held, result_released, is_sold_out)
