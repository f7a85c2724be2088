"""Settings the inventory actors and their router are built with.

Plain dataclasses (picklable: Ray ships them to the actor's process); the API's
``Settings`` fills them in at its composition root.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actors.telemetry import TracingConfig

NAMESPACE = "ticketing"
ROLE_LABEL = "ticketing.io/role"  # head, inventory or driver (cluster/docker/entrypoint.sh)


def actor_name(stream: str) -> str:
    """The Ray actor name of an inventory stream (an event id, or ``event#shard``)."""
    return f"inventory:{stream}"


@dataclass(frozen=True, slots=True)
class ActorConfig:
    """How an inventory actor journals, snapshots, expires and publishes."""

    journal_url: str = "sqlite:///var/journal.db"
    snapshot_every: int = 10_000  # events between snapshots
    expiry_interval_s: float = 0.5  # the expiry timer's period
    amqp_url: str | None = None  # outbox relay off when None
    max_batch_events: int = 20_000  # cap on one journal write
    # The actor's process sets up its own tracer provider from this (OTEL_* settings).
    tracing: TracingConfig = field(default_factory=TracingConfig)


@dataclass(frozen=True, slots=True)
class RouterConfig:
    """How the API's router coalesces requests into actor calls."""

    namespace: str = NAMESPACE
    # Extra wait for company when a stream is idle. 0: none; batches form on their own
    # while a call is in flight (actors.batching._Batch).
    flush_after_s: float = 0.0
    # The same for commands no buyer waits on at a seat map: a payment's read of its
    # hold, the extension of a paying hold, the confirmation after the charge. Waiting a
    # little for company there saves Ray calls, journal writes and outbox messages.
    patient_linger_s: float = 0.0
    max_batch: int = 256  # the most commands in one actor call
    pipeline: int = 1  # partial batches in flight per stream (see actors.batching)
    max_inflight: int = 4  # calls per stream at once, full batches included
    actor: ActorConfig = field(default_factory=ActorConfig)
    num_cpus: float = 0.0  # actors are I/O bound; do not reserve a core each
    # Ray node labels new actors must land on (e.g. {"ticketing.io/role": "inventory"}).
    # Actors ask for no CPU, so without a selector Ray may put them on an API replica's
    # driver node, and scaling the API down would then restart them elsewhere.
    node_labels: dict[str, str] = field(default_factory=dict)

    def placement(self) -> dict[str, Any]:
        """Ray options that place a new actor: on the labelled nodes, else on any node
        that is not a driver (a cluster without such nodes must still open events)."""
        if not self.node_labels:
            return {}
        return {
            "label_selector": dict(self.node_labels),
            "fallback_strategy": [{"label_selector": {ROLE_LABEL: "!driver"}}],
        }
