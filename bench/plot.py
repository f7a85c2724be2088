"""``bench/results/latest.png``: holds per second over time and reserve latency, both systems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI

import matplotlib.pyplot as plt


def draw(ours: dict[str, Any], base: dict[str, Any], path: Path) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, data in (("actors (ours)", ours), ("PostgreSQL row locks", base)):
        timeline = data["holds_per_second_timeline"]
        if timeline:
            start = timeline[0][0]
            left.plot([t - start for t, _ in timeline], [n for _, n in timeline], label=name)
        latencies = data["operations"].get("reserve", {})
        right.bar(name, latencies.get("p50_ms", 0), alpha=0.6, label=f"{name} p50")
        right.bar(name, latencies.get("p99_ms", 0), alpha=0.3, label=f"{name} p99")
    left.set(title="successful holds per second", xlabel="s", ylabel="holds/s")
    left.legend()
    right.set(title="reserve latency (p50 solid, p99 light)", ylabel="ms")
    right.set_yscale("log")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
