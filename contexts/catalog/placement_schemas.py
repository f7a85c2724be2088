"""Shapes of the admin's view of inventory actor placement (``contexts.catalog.placement``):
which Ray node runs each published event's actors, and every node."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ActorPlacement(BaseModel):
    """One inventory actor (or a sharded event's quota ledger) and where it runs."""

    stream: str = Field(description="`<event>` or `<event>#<shard>`.")
    kind: str = Field(description="`inventory`, or `limits` (a sharded event's quota ledger).")
    node_id: str | None
    ready: bool
    draining: bool = False
    seq: int
    durable_seq: int
    inflight: int = 0
    outbox_lag: int | None = None


class EventPlacement(BaseModel):
    """A published event's actors; ``error`` when they did not answer."""

    event_id: str
    title: str
    actors: list[ActorPlacement]
    error: str | None = None


class NodePlacement(BaseModel):
    """A Ray node and how many of the listed actors it hosts."""

    node_id: str
    address: str
    alive: bool
    role: str | None = Field(None, description="Its `ticketing.io/role`: head, inventory, driver.")
    actors: int


class PlacementPage(BaseModel):
    """One page of published events with their actors, and every Ray node."""

    nodes: list[NodePlacement]
    events: list[EventPlacement]
    next_cursor: str | None = Field(None, description="Opaque; null on the last page.")
