"""Prometheus metrics of the reservation path and of the inventory actors.

The actors run in other processes, often on other nodes. Ray's own metrics
(``ray.util.metrics``) would reach Prometheus through each node's metrics agent, on
another port, every few seconds (the agents report on a timer), so a test could not
read them after one request, and an operator would scrape every Ray node for them.
Instead each scrape of the API's ``/metrics`` asks every inventory actor of its Ray
namespace for ``status()`` (concurrently, each bounded by a short timeout) and renders
the counters and histograms the actors keep (``actors.stats``). An actor that does not
answer in time shows ``ticketing_inventory_up 0``. Every API replica reports the same
actors: aggregate them with ``max by (stream)``, not ``sum``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import ray
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from actors.config import actor_name
from actors.stats import EVENT_LABELS, cumulative

RESERVE_LATENCY = Histogram(
    "ticketing_reserve_duration_seconds",
    "POST /v1/tickets/reserve: time to hold in the inventory (router and actor), by outcome",
    ["outcome"],  # held, refused (a domain error: 409, 422, 429), error (retryable, bugs)
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
# Children resolved once: ``labels()`` takes a lock and a lookup on every request.
RESERVE_OUTCOMES = {o: RESERVE_LATENCY.labels(o) for o in ("held", "refused", "error")}
STATUS_TIMEOUT_S = 1.0
LABELS = ["event_id", "stream"]
PREFIX = actor_name("")


async def actor_statuses(router: Any, timeout: float = STATUS_TIMEOUT_S) -> list[dict[str, Any]]:
    """``status()`` of every inventory actor in the router's namespace; ``{"stream",
    "up": False}`` for one that did not answer within ``timeout``."""
    namespace = router.calls.config.namespace
    try:
        named = await asyncio.wait_for(
            asyncio.to_thread(ray.util.list_named_actors, all_namespaces=True), timeout
        )
    except Exception:  # Ray unreachable: nothing to report, the scrape still works
        return []
    streams = [
        a["name"].removeprefix(PREFIX)
        for a in named
        if a["namespace"] == namespace and a["name"].startswith(PREFIX)
    ]

    async def status(stream: str) -> dict[str, Any]:
        with contextlib.suppress(Exception):
            return {**await asyncio.wait_for(router.call(stream, "status"), timeout), "up": True}
        return {"stream": stream, "event_id": stream.split("#")[0], "up": False}

    return list(await asyncio.gather(*(status(s) for s in sorted(streams))))


class InventoryCollector:
    """Renders actors' ``status()`` dicts (gathered before the scrape) as metrics."""

    def __init__(self, statuses: list[dict[str, Any]]) -> None:
        self.statuses = statuses

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("ticketing_inventory_up", "Actor answered the scrape", labels=LABELS)
        events = CounterMetricFamily(
            "ticketing_inventory_events",
            "Journaled events by type (held, confirmed, released, expired, returned)",
            labels=[*LABELS, "type"],
        )
        inflight = GaugeMetricFamily(
            "ticketing_inventory_inflight_commands",
            "Commands inside the actor, waiting for their journal write",
            labels=LABELS,
        )
        pending = GaugeMetricFamily(
            "ticketing_journal_pending_events", "Events waiting for a journal write", labels=LABELS
        )
        lag = GaugeMetricFamily(
            "ticketing_outbox_lag_events", "Journaled events not yet published", labels=LABELS
        )
        sizes = HistogramMetricFamily(
            "ticketing_journal_batch_size", "Events per journal write", labels=LABELS
        )
        seconds = HistogramMetricFamily(
            "ticketing_journal_write_seconds", "Journal write latency", labels=LABELS
        )
        for status in self.statuses:
            labels = [str(status.get("event_id", "")), str(status["stream"])]
            up.add_metric(labels, 1.0 if status["up"] else 0.0)
            if not status["up"]:
                continue
            for kind, count in sorted(status.get("events", {}).items()):
                events.add_metric([*labels, EVENT_LABELS.get(kind, kind.lower())], count)
            inflight.add_metric(labels, status.get("inflight", 0))
            pending.add_metric(labels, status.get("journal_pending", 0))
            if status.get("outbox_lag") is not None:
                lag.add_metric(labels, status["outbox_lag"])
            for family, key in ((sizes, "journal_batch_size"), (seconds, "journal_write_seconds")):
                if key in status:
                    histogram = status[key]
                    family.add_metric(labels, cumulative(histogram), histogram["sum"])
        yield from (up, events, inflight, pending, lag, sizes, seconds)


async def render(router: Any) -> bytes:
    """This process's metrics, then the inventory actors' (Prometheus text format)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(InventoryCollector(await actor_statuses(router)))
    return generate_latest(REGISTRY) + generate_latest(registry)
