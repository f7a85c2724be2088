"""Live views of an event's inventory, read from its actor(s): availability and seats.

Neither touches MongoDB: the event's state comes from the events repository's
short-lived sale cache, so an on-sale crowd refreshing a seat map costs actor calls
only. The seat map (~100 KB for 100,000 seats) is cached encoded for
``seats_cache_s``, shared by every request for the event in that window.
"""

from __future__ import annotations

import json

from actors.router import InventoryRouter
from contexts.catalog.errors import NotOnSale
from contexts.catalog.events_store import EventsStore
from contexts.catalog.rules import can_see
from contexts.catalog.view_schemas import AvailabilityPublic
from contexts.shared.cache import TtlCache
from contexts.shared.errors import NotFound
from contexts.shared.principal import Principal

SEAT_MAPS_CACHED = 256  # bounded: the hot events of the moment, ~100 KB each at most


class EventViews:
    """Availability counts and seat states, for events that were published."""

    def __init__(self, events: EventsStore, router: InventoryRouter, seats_cache_s: float) -> None:
        self.events = events
        self.router = router
        self._seats: TtlCache[str, bytes] = TtlCache(seats_cache_s, SEAT_MAPS_CACHED)

    async def availability(self, user: Principal | None, event_id: str) -> AvailabilityPublic:
        await self.check_live(user, event_id)
        view = await self.router.availability(event_id)
        return AvailabilityPublic(event_id=event_id, **view)

    async def seats_json(self, user: Principal | None, event_id: str) -> bytes:
        """The seat map as JSON bytes (``SeatsPublic``), at most ``seats_cache_s`` old."""
        await self.check_live(user, event_id)

        async def load() -> bytes:
            view = await self.router.seats(event_id)
            return json.dumps({"event_id": event_id, **view}, separators=(",", ":")).encode()

        return await self._seats.get(event_id, load)

    async def check_live(self, user: Principal | None, event_id: str) -> None:
        """404 unless the caller may see the event, 409 unless it has a live inventory."""
        event = await self.events.get_for_sale(event_id)
        published = event is not None and event.published_at is not None
        if event is None or not can_see(event.stored_status, published, event.owner_id, user):
            raise NotFound(f"No event {event_id}.")
        if event.stored_status != "published":
            raise NotOnSale(f"This event is {event.stored_status}: it has no live inventory.")
