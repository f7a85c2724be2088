"""One system under load: its saturation (wrk, or the Python fallback), the CPU it took,
and the audit of the sale afterwards.

``drive`` runs the closed-loop load on one event while ``CpuSampler`` reads the
components' CPU; ``audit_wrk`` checks the server after a wrk run, where the client
kept no reservation ids: every seat a 201 granted must show as held or sold, once
(``granted - on the map`` is the oversold count), and the counts must add up.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench import wrk
from bench.cpu import CpuSampler
from bench.servers import Server
from cluster.loadtest import runner
from cluster.loadtest.audit import audit
from cluster.loadtest.scenario import Scenario
from cluster.loadtest.stats import percentile

DECIDED = wrk.DECIDED_CODES


@dataclass
class Load:
    """What one saturation run measured."""

    generator: str  # "wrk" or "python"
    seconds: float
    requests: int
    counts: dict[str, int]
    seats_granted: int
    cpu_s: dict[str, float] = field(default_factory=dict)
    cores: dict[str, float] = field(default_factory=dict)
    processes: dict[str, int] = field(default_factory=dict)  # counted per component
    latency_ms: dict[str, float] = field(default_factory=dict)  # closed loop: not the p99
    audit: dict[str, Any] = field(default_factory=dict)
    # The Python generator's 201s (id, seats), for its audit; wrk keeps none.
    reservations: list[tuple[str, list[str]]] = field(default_factory=list, repr=False)

    @property
    def holds(self) -> int:
        return self.counts.get("201", 0)

    @property
    def decided(self) -> int:
        return self.holds + sum(n for k, n in self.counts.items() if k.split(":")[-1] in DECIDED)

    def per_s(self, n: int) -> float:
        return n / self.seconds if self.seconds else 0.0

    def cpu_us_per_decided(self) -> dict[str, float]:
        return {k: v / self.decided * 1e6 for k, v in self.cpu_s.items()} if self.decided else {}


def drive(
    server: Server,
    event_id: str,
    tokens: list[str],
    layout: list[tuple[str, str, int]],
    seconds: float,
    connections: int,
) -> Load:
    """Saturate ``server`` with reserves on ``event_id`` for ``seconds``."""
    sampler = CpuSampler([server.proc.pid])
    sampler.start()
    if wrk.find_wrk():
        data = wrk.lua_data(event_id, tokens, layout)
        r = wrk.run(server.url, data, seconds, connections=connections)
        sampler.stop()
        load = Load("wrk", r.seconds, r.requests, r.counts, r.seats_granted)
        load.latency_ms = r.latency_ms
        load.counts |= {f"0:{k}": n for k, n in r.errors.items() if n}
    else:
        sections = sorted({s for s, _, _ in layout})
        mix = {"reserve_seats": 50.0, "reserve_quantity": 50.0}
        # Every token a buyer (each may hold 50 seats); those beyond the connections queue.
        scenario = Scenario(
            server.url,
            event_id,
            tokens,
            layout,
            sections,
            connections,
            buyers=len(tokens),
            duration_s=seconds,
            mix=mix,
        )
        result = runner.run(scenario, 2)
        sampler.stop()
        counts = Counter[str]()
        for key, n in result.totals.codes.items():
            outcome = key.split(":", 1)[1]  # "reserve:ok", "reserve:409:seat_unavailable"
            counts["201" if outcome == "ok" else outcome] += n
        load = Load("python", result.elapsed_s, result.totals.requests, dict(counts), 0)
        load.seats_granted = result.totals.seats
        took = result.totals.latencies.get("reserve", [])
        load.latency_ms = {"p50": percentile(took, 50), "p99": percentile(took, 99)}
        load.reservations = result.reservations
    load.cpu_s, load.cores, load.processes = sampler.seconds, sampler.cores(), sampler.processes
    return load


async def audit_wrk(
    url: str, event_id: str, granted: int, seat_map: bool = True, timeout_s: float = 30.0
) -> dict[str, Any]:
    """The server's view after a run against the seats its 201s granted.

    Requests wrk left in flight may still land just after it stopped, and the seat map
    is cached for about a second: the counts and the map are read again until they
    agree (or the deadline), then compared with what the 201s granted.
    """
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as http:
        while True:
            async with http.get(f"{url}/v1/events/{event_id}/availability") as r:
                view = await r.json()
            taken = on_map = view["held"] + view["sold"]
            if seat_map:
                async with http.get(f"{url}/v1/events/{event_id}/seats") as r:
                    seats = await r.json()
                states = "".join(
                    "".join(row["states"]) for s in seats["sections"] for row in s["rows"]
                )
                on_map = states.count("H") + states.count("S")
            if on_map == taken or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.25)  # polling the cache's refresh, bounded above
    report: dict[str, Any] = {k: view.get(k) for k in ("capacity", "available", "held", "sold")}
    report["counts_add_up"] = view["available"] + taken == view["capacity"]
    report["seats_granted"] = granted
    report["seats_on_map"] = on_map
    # A seat granted twice shows once on the map: more granted than taken is oversold.
    report["oversold_seats"] = max(0, granted - min(taken, on_map))
    report["ok"] = report["oversold_seats"] == 0 and report["counts_add_up"] and on_map == taken
    return report


async def audit_load(url: str, event_id: str, load: Load, seat_map: bool = True) -> dict[str, Any]:
    if load.generator == "python":
        return await audit(url, event_id, load.reservations, seat_map=seat_map)
    return await audit_wrk(url, event_id, load.seats_granted, seat_map=seat_map)
