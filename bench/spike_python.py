"""The spike's fallback where wrk is missing: the Python generator (``cluster/loadtest``).

The same buyers (one minted token each, arriving over the ramp, reserving 1-4 seats
until sold out) as coroutines in two processes sharing ``connections`` connections.
Its latency is taken from the send (a buyer waiting for a connection is not
counted), and it tops out at a few hundred to a few thousand requests/s on this
machine, so it may measure itself rather than the API (``cpu_cores.loadgen``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from cluster.loadtest import runner
from cluster.loadtest.client import available
from cluster.loadtest.scenario import Scenario
from cluster.loadtest.stats import percentile


def run_python(
    url: str, event_id: str, tokens: list[str], layout: list[tuple[str, str, int]], a: Any
) -> dict[str, Any]:
    """One spike with the Python generator; the figures under the same keys as wrk's."""
    scenario = Scenario(
        url,
        event_id,
        tokens,
        layout,
        sorted({s for s, _, _ in layout}),
        concurrency=a.connections,
        duration_s=a.limit,
        ramp_s=a.ramp,
        buyers=len(tokens),
        mix={"reserve_seats": 50.0, "reserve_quantity": 50.0},
    )

    def sold_out() -> bool:
        return asyncio.run(available(url, event_id)) == 0

    result = runner.run(scenario, 2, sold_out=sold_out)
    t = result.totals
    values = t.latencies.get("reserve", [])
    latency = {
        "count": len(values),
        "p50_ms": percentile(values, 50),
        "p90_ms": percentile(values, 90),
        "p99_ms": percentile(values, 99),
        "max_ms": max(values, default=0.0),
    }
    answers = {k.removeprefix("reserve:"): n for k, n in sorted(t.codes.items())}
    return {
        "generator": "python",
        "model": {"connections": a.connections, "buyers": len(tokens), "ramp_s": a.ramp},
        "wall_s": result.elapsed_s,
        "last_hold_s": result.elapsed_s,  # sold out is seen by polling, every 0.5 s
        "requests": t.requests,
        "requests_per_s": t.requests / result.elapsed_s if result.elapsed_s else 0.0,
        "holds": t.holds,
        "seats_held": t.seats,
        "answers": answers,
        "latency_from_send": latency,
        "client_timeouts_or_errors": sum(n for k, n in answers.items() if k.startswith("0:")),
        "holds_per_second": dict(sorted(t.per_second.items())),
        "_reservations": result.reservations,
    }
