"""An open-loop load generator: requests sent on a fixed schedule, latency from when due.

Request ``i`` of a run at ``rate`` requests/s is due at ``start + i / rate``, whether or
not earlier answers have arrived, and its latency is measured from that due time to its
answer. A server (or a generator) that falls behind therefore shows its queueing in the
latency instead of hiding it by sending less (no coordinated omission, as in wrk2).
``lag`` is how late the generator itself sent, a check on its own capacity: a run whose
max lag is a large part of p99 is measuring the generator, and says so.

The load is split over ``processes`` processes (asyncio + aiohttp, uvloop when
installed), each sending every ``processes``-th request of the one schedule.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

CODE = re.compile(rb'"code"\s*:\s*"([^"]*)"')
SEATS = re.compile(rb'"seats"\s*:\s*\[([^\]]*)\]')


@dataclass(frozen=True)
class Plan:
    """What to send: the reserve bodies' ingredients, how fast, for how long."""

    url: str
    event_id: str
    tokens: list[str]
    layout: list[tuple[str, str, int]]
    rate: float
    seconds: float
    max_seats: int = 4
    seats_share: float = 0.5
    connections: int = 512  # per process; beyond it requests wait (still timed from due)
    timeout_s: float = 10.0


@dataclass
class Outcome:
    """Latencies (ms, from due time), answers by "status:code", and the generator's lag."""

    latencies_ms: list[float] = field(default_factory=list)
    due_s: list[float] = field(default_factory=list)  # each latency's due time, from start
    counts: Counter[str] = field(default_factory=Counter)
    seats_granted: int = 0
    max_lag_ms: float = 0.0
    sent: int = 0
    elapsed_s: float = 0.0

    def merge(self, other: Outcome) -> None:
        self.latencies_ms += other.latencies_ms
        self.due_s += other.due_s
        self.counts.update(other.counts)
        self.seats_granted += other.seats_granted
        self.max_lag_ms = max(self.max_lag_ms, other.max_lag_ms)
        self.sent += other.sent
        self.elapsed_s = max(self.elapsed_s, other.elapsed_s)

    def percentile(self, p: float) -> float:
        values = sorted(self.latencies_ms)
        return values[min(len(values) - 1, int(len(values) * p / 100))] if values else 0.0


def body(plan: Plan, rng: random.Random) -> dict[str, Any]:
    """The same mix as bench/wrk_reserve.lua: a run of adjacent seats, or a quantity."""
    n = rng.randint(1, plan.max_seats)
    if rng.random() < plan.seats_share:
        section, row, seats = rng.choice(plan.layout)
        first = rng.randint(1, max(1, seats - n + 1))
        picks = [f"{section}-{row}-{k}" for k in range(first, min(seats, first + n - 1) + 1)]
        return {"event_id": plan.event_id, "seats": picks}
    section = rng.choice(plan.layout)[0]
    return {"event_id": plan.event_id, "section": section, "quantity": n}


async def _send(
    http: aiohttp.ClientSession,
    plan: Plan,
    due: float,
    rng: random.Random,
    out: Outcome,
    start: float,
) -> None:
    headers = {"Authorization": f"Bearer {rng.choice(plan.tokens)}"}
    try:
        async with http.post(
            f"{plan.url}/v1/tickets/reserve", json=body(plan, rng), headers=headers
        ) as response:
            raw = await response.read()
            status = response.status
    except (TimeoutError, aiohttp.ClientError) as exc:
        out.counts[f"0:{type(exc).__name__}"] += 1
        out.latencies_ms.append((time.monotonic() - due) * 1000)
        out.due_s.append(due - start)
        return
    out.latencies_ms.append((time.monotonic() - due) * 1000)
    out.due_s.append(due - start)  # when in the run: tells a burst of slow answers from noise
    if status == 201:
        out.counts["201"] += 1
        found = SEATS.search(raw)  # the granted seat ids, as the wrk script counts them
        out.seats_granted += found.group(1).count(b'"') // 2 if found else 0
    else:
        found = CODE.search(raw)
        out.counts[f"{status}:{found.group(1).decode() if found else '-'}"] += 1


async def _run(plan: Plan, index: int, processes: int, start_at: Callable[[], float]) -> Outcome:
    out = Outcome()
    connector = aiohttp.TCPConnector(limit=plan.connections)
    timeout = aiohttp.ClientTimeout(total=plan.timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        start_wall = start_at()  # blocks until every process is ready: nothing runs yet
        rng = random.Random(index * 7919 + int(start_wall))
        start = time.monotonic() + (start_wall - time.time())
        tasks: set[asyncio.Task[None]] = set()
        for i in range(index, int(plan.rate * plan.seconds), processes):
            due = start + i / plan.rate
            if (wait := due - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            out.max_lag_ms = max(out.max_lag_ms, (time.monotonic() - due) * 1000)
            task = asyncio.create_task(_send(http, plan, due, rng, out, start))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            out.sent += 1
        if tasks:
            await asyncio.wait(tasks)
        out.elapsed_s = time.monotonic() - start
    return out


def _process(plan: Plan, index: int, processes: int, start_at: Callable[[], float]) -> Outcome:
    try:
        import uvloop  # the generator's own ceiling matters here

        return uvloop.run(_run(plan, index, processes, start_at))
    except ImportError:
        return asyncio.run(_run(plan, index, processes, start_at))


def _child(
    plan: Plan, index: int, processes: int, ready: Any, go: Any, start: Any, out: Any
) -> None:
    def start_at() -> float:
        ready.put(index)
        go.wait()
        return start.value

    out.put(_process(plan, index, processes, start_at))


def run(plan: Plan, processes: int = 2) -> Outcome:
    """Send ``plan`` from ``processes`` processes on one schedule; the merged outcome.

    Request 0 is due shortly after the last process is ready (started, imported, its
    session open): on a loaded machine starting a process takes seconds, and a fixed
    head start would have the first requests "late" by the generator's own fault.
    """
    ctx = multiprocessing.get_context("spawn")
    ready, out, go, start = ctx.Queue(), ctx.Queue(), ctx.Event(), ctx.Value("d", 0.0)
    procs = [
        ctx.Process(target=_child, args=(plan, i, processes, ready, go, start, out), daemon=True)
        for i in range(processes)
    ]
    for proc in procs:
        proc.start()
    try:
        for _ in procs:
            ready.get(timeout=120)
        start.value = time.time() + 0.2
        go.set()
        total = Outcome()
        for _ in procs:
            total.merge(out.get(timeout=plan.seconds + plan.timeout_s + 120))
    finally:
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
    return total
