"""``bench/results/latest.png``: answers/s of the three systems, and our open-loop latency."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI

import matplotlib.pyplot as plt

if TYPE_CHECKING:
    from bench.http_profile import Ours
    from bench.saturation import Load


def draw(ceiling: Load, ours: Ours, base: Load, latencies_ms: list[float], path: Path) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    names = ["bare FastAPI ceiling", "ours: decided", "ours: holds", "PostgreSQL: holds"]
    values = [
        ceiling.per_s(ceiling.requests),
        ours.load.per_s(ours.load.decided),
        ours.load.per_s(ours.load.holds),
        base.per_s(base.holds),
    ]
    left.bar(names, values, color=["grey", "tab:blue", "tab:cyan", "tab:orange"])
    left.set(title="POST /v1/tickets/reserve at saturation", ylabel="per second")
    left.tick_params(axis="x", labelrotation=15)
    values_sorted = sorted(latencies_ms)
    if values_sorted:
        n = len(values_sorted)
        right.plot(values_sorted, [100 * (i + 1) / n for i in range(n)])
    right.set(
        title=f"our reserve latency, open loop at {ours.latency_rate:,.0f}/s (from due time)",
        xlabel="ms",
        ylabel="% of requests at or below",
        xscale="log",
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
