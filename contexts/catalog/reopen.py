"""Re-opening a published event's inventory when its actors are missing (after a restart).

The router (``actors.router``) calls this on a miss. The catalog holds what the
actors were created with at publication: the venue (never changed or deleted) and
the sale terms (frozen once published: only drafts change prices or limits), and
the shard count chosen then. So the actors come back exactly as they were, and each
restores its holds and sales from its snapshot plus the journal. Cancelled events
are re-opened too: their refunds and ticket reads still need the inventory (sales
stay closed: reservations check the event's status first).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contexts.catalog.events_store import EventsStore
from contexts.catalog.rules import engine_terms, engine_venue
from contexts.catalog.venues_store import VenuesStore

if TYPE_CHECKING:
    from actors.router import InventoryRouter


class CatalogReopener:
    """``await reopener(event_id)``: True once the event's actors exist again."""

    def __init__(self, events: EventsStore, venues: VenuesStore, router: InventoryRouter) -> None:
        self.events = events
        self.venues = venues
        self.router = router

    async def __call__(self, event_id: str) -> bool:
        doc = await self.events.get(event_id)
        if doc is None or doc.get("published_at") is None:
            return False  # never published: it has no inventory to come back
        venue = await self.venues.get(doc["venue_id"])
        if venue is None:
            return False
        await self.router.open(
            event_id, engine_venue(venue), engine_terms(doc), shards=doc.get("shards") or 1
        )
        return True
