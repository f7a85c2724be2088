"""Where the inventory actors run: the admin's view of published events across Ray nodes.

Each event's actors report themselves (``status()``, through the router: node id,
sequence numbers, in-flight commands), and Ray lists its nodes (as ``ticketing cluster
status`` reads them). An event whose
actors do not answer in time is listed with the error rather than failing the page:
an operator opens this view precisely when something is wrong.
"""

from __future__ import annotations

import asyncio
from typing import Any

from actors.ray_nodes import nodes as ray_nodes  # the operators' CLI reads nodes the same way
from actors.router import InventoryRouter
from contexts.catalog.placement_schemas import (
    ActorPlacement,
    EventPlacement,
    NodePlacement,
    PlacementPage,
)
from contexts.catalog.schemas import EventPublic
from contexts.catalog.search import EventQuery, EventSearch
from contexts.shared.principal import Principal

STATUS_TIMEOUT_S = 5.0  # a restarting actor must not hold the page for long


def actor_placement(status: dict[str, Any]) -> ActorPlacement:
    return ActorPlacement(
        stream=status["stream"],
        kind=status.get("kind", "inventory"),
        node_id=status.get("node_id"),
        ready=bool(status.get("ready")),
        draining=bool(status.get("draining", False)),
        seq=status.get("seq", 0),
        durable_seq=status.get("durable_seq", 0),
        inflight=status.get("inflight", 0),
        outbox_lag=status.get("outbox_lag"),
    )


class PlacementView:
    """Reads the placement of the published events' actors, a page of events at a time."""

    def __init__(self, search: EventSearch, router: InventoryRouter) -> None:
        self.search = search
        self.router = router

    async def page(self, admin: Principal, limit: int, cursor: str | None) -> PlacementPage:
        events = await self.search.search(admin, EventQuery(), limit, cursor)
        placed, nodes = await asyncio.gather(
            asyncio.gather(*(self._event(event) for event in events.items)),
            asyncio.to_thread(ray_nodes),
        )
        hosted: dict[str | None, int] = {}
        for event in placed:
            for actor in event.actors:
                hosted[actor.node_id] = hosted.get(actor.node_id, 0) + 1
        return PlacementPage(
            nodes=[
                NodePlacement(
                    node_id=node.node_id,
                    address=node.address,
                    alive=node.alive,
                    role=node.role,
                    actors=hosted.get(node.node_id, 0),
                )
                for node in nodes
            ],
            events=list(placed),
            next_cursor=events.next_cursor,
        )

    async def _event(self, event: EventPublic) -> EventPlacement:
        try:
            async with asyncio.timeout(STATUS_TIMEOUT_S):
                statuses = await self.router.status(event.id)
        except Exception as exc:  # not answering is what this view must show, not hide
            error = str(exc) or type(exc).__name__
            return EventPlacement(event_id=event.id, title=event.title, actors=[], error=error)
        actors = [actor_placement(status) for status in statuses]
        return EventPlacement(event_id=event.id, title=event.title, actors=actors)
