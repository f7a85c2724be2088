"""Numbers the inventory actors and their router keep for Prometheus.

The actors live in other processes (other nodes, even), so they keep plain counters and
histograms (``Buckets``) that ``status()`` returns and the API's ``/metrics`` turns into
Prometheus metrics (``contexts.shared.metrics``). The router runs in the API process: its gauge
reads a counter of this process at scrape time.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

from prometheus_client import Gauge


class Depth:
    """A plain counter read at scrape time: a Gauge's inc/dec takes a lock (~1.5 us a
    request on a busy host); ``value += 1`` in the event loop costs nothing."""

    value = 0


ROUTER_PENDING = Depth()
Gauge(
    "ticketing_router_pending_commands",
    "Commands waiting in the router's batches or in flight to an inventory actor",
).set_function(lambda: ROUTER_PENDING.value)

# Events per journal write: one for a lone request, thousands in an on-sale spike.
BATCH_SIZE_BOUNDS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 20000)
WRITE_SECONDS_BOUNDS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)

# Domain event types as the ``type`` label of ticketing_inventory_events_total.
EVENT_LABELS = {
    "SeatsHeld": "held",
    "HoldConfirmed": "confirmed",
    "HoldReleased": "released",
    "HoldExpired": "expired",
    "SaleReturned": "returned",
}


class Buckets:
    """A histogram in plain Python (picklable): a count per upper bound, plus +Inf."""

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(bounds)
        self.counts = [0] * (len(self.bounds) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1  # le: value <= bound
        self.sum += value
        self.count += 1

    def to_dict(self) -> dict[str, Any]:
        return {"bounds": list(self.bounds), "counts": list(self.counts), "sum": self.sum}


def cumulative(histogram: dict[str, Any]) -> list[tuple[str, float]]:
    """Prometheus buckets (``le``, cumulative count) of a ``Buckets.to_dict()``."""
    total, buckets = 0, []
    for bound, count in zip([*histogram["bounds"], "+Inf"], histogram["counts"], strict=True):
        total += count
        buckets.append((str(float(bound)) if bound != "+Inf" else bound, total))
    return buckets
