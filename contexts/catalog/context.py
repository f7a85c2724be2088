"""The catalog context (venues and events) assembled: repositories and services.

``start_catalog`` is the context's one line in the composition root: it builds the
repositories on the context's own database and makes sure their indexes exist. It takes
its ports as arguments (the composition root hands them in; no container here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from actors.router import InventoryRouter
from contexts.catalog.events import EventService
from contexts.catalog.events_store import EventsStore
from contexts.catalog.rules import EventForSale
from contexts.catalog.search import EventSearch
from contexts.catalog.venues import VenueService
from contexts.catalog.venues_store import VenuesStore
from contexts.catalog.views import EventViews
from contexts.organisers.access import OrganiserAccess
from contexts.organisers.audit import AuditLog
from contexts.organisers.schemas import Permission
from contexts.shared.principal import Principal
from contexts.shared.publisher import MessagePublisher
from contexts.shared.settings import Settings


@dataclass(frozen=True, slots=True)
class Catalog:
    """Everything the catalog routes (and the reservations context) use."""

    venues_repo: VenuesStore
    events_repo: EventsStore
    venues: VenueService
    events: EventService
    search: EventSearch
    views: EventViews

    async def get_for_sale(self, event_id: str) -> EventForSale | None:
        """An event's sale state for the reserve path, from memory (a few seconds old)."""
        return await self.events_repo.get_for_sale(event_id)

    async def can(self, user: Principal | None, event: Any, permission: Permission | None) -> bool:
        """May ``user`` do ``permission`` on ``event`` (a document, an ``EventPublic`` or an
        ``EventForSale``)? ``OrganiserAccess.can``, for contexts that hold the catalog."""
        return await self.events.access.can(user, event, permission)


async def start_catalog(
    db: AsyncDatabase[dict[str, Any]],
    settings: Settings,
    router: InventoryRouter,
    publisher: MessagePublisher,
    organisers: OrganiserAccess,
    audit: AuditLog,
) -> Catalog:
    venues_repo = VenuesStore(db)
    events_repo = EventsStore(db, settings.event_cache_s)
    await venues_repo.ensure_indexes()
    await events_repo.ensure_indexes()
    return Catalog(
        venues_repo=venues_repo,
        events_repo=events_repo,
        venues=VenueService(venues_repo, audit),
        events=EventService(
            events_repo, venues_repo, router, settings, publisher, access=organisers, audit=audit
        ),
        search=EventSearch(events_repo, organisers),
        views=EventViews(events_repo, router, settings.seats_cache_s),
    )
