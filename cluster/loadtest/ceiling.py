"""The load generator's own ceiling: how fast these processes get answers from ``/health``.

``GET /health`` does next to nothing on the server, so the rate measured against it is
what the generator itself can send and read with the same processes and connections.
A run whose requests/s come close to it was limited by the generator, not the server
(cluster.loadtest.verdict.ceiling_warning says so in the report).
"""

from __future__ import annotations

from typing import Any

from cluster.loadtest import runner
from cluster.loadtest.client import LoadTestError
from cluster.loadtest.scenario import Scenario
from cluster.loadtest.stats import percentile


def measure_ceiling(
    base_url: str, processes: int, concurrency: int, seconds: float
) -> dict[str, Any]:
    """Requests/s against ``/health`` for ``seconds``, as the run will send them."""
    scenario = Scenario(
        base_url,
        "-",  # no event: /health only
        ["-"],
        [],
        [],
        concurrency=concurrency,
        duration_s=seconds,
        mix={"health": 1.0},
    )
    result = runner.run(scenario, processes)
    ok = result.totals.codes.get("health:ok", 0)
    if not ok:
        refused = dict(result.totals.codes.most_common(3))
        raise LoadTestError(
            f"measuring the generator's ceiling: GET /health never answered 200 {refused}"
        )
    latencies = result.totals.latencies.get("health", [])
    return {
        "endpoint": "/health",
        "seconds": result.elapsed_s,
        "requests": result.totals.requests,
        "requests_per_s": ok / result.elapsed_s if result.elapsed_s else 0.0,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
    }
