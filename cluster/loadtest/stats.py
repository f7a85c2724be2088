"""Counting what the virtual buyers saw: latencies, status codes, holds over time.

Each load process keeps a ``Recorder`` and ships a snapshot to the parent every half
second (then starts afresh); the parent merges them into a ``Totals``. Latencies are
kept raw (a float per request): a 60 s run at 10,000 requests/s is 5 MB, cheap next
to the precision of exact percentiles.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Recorder:
    """One process's counts since its last snapshot."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    codes: Counter[str] = field(default_factory=Counter)
    holds: int = 0
    seats: int = 0
    per_second: Counter[int] = field(default_factory=Counter)  # holds by wall-clock second

    def record(self, op: str, outcome: str, ms: float, seats: int = 0) -> None:
        self.latencies[op].append(ms)
        self.codes[f"{op}:{outcome}"] += 1
        if seats:
            self.holds += 1
            self.seats += seats
            self.per_second[int(time.time())] += 1

    def snapshot(self) -> dict[str, Any]:
        data = {
            "latencies": dict(self.latencies),
            "codes": dict(self.codes),
            "holds": self.holds,
            "seats": self.seats,
            "per_second": dict(self.per_second),
        }
        self.__init__()  # type: ignore[misc]  # start afresh
        return data


@dataclass
class Totals:
    """Everything all processes reported, merged."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    codes: Counter[str] = field(default_factory=Counter)
    holds: int = 0
    seats: int = 0
    per_second: Counter[int] = field(default_factory=Counter)
    window: list[tuple[float, int]] = field(default_factory=list)  # (time, requests) for rps

    def merge(self, snap: dict[str, Any]) -> None:
        for op, values in snap["latencies"].items():
            self.latencies[op].extend(values)
        self.codes.update(snap["codes"])
        self.holds += snap["holds"]
        self.seats += snap["seats"]
        self.per_second.update({int(k): v for k, v in snap["per_second"].items()})
        self.window.append((time.monotonic(), sum(snap["codes"].values())))

    @property
    def requests(self) -> int:
        return sum(self.codes.values())

    def recent_rps(self, seconds: float = 2.0) -> float:
        now = time.monotonic()
        recent = sum(n for t, n in self.window if now - t <= seconds)
        return recent / seconds

    def errors(self) -> Counter[str]:
        return Counter({k: v for k, v in self.codes.items() if not k.endswith(":ok")})


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0-100) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]
