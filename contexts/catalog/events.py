"""Event use cases: create a draft, edit, publish (which opens the inventory actors),
cancel, read and search. Who may see what is decided here, once, for every route:
drafts are their owner's, or their organiser's team's (404 to others), and only those
who may ``manage_events`` (``OrganiserAccess.can``) change events (403 to others who
can see the event). Every change is written to the audit log."""

from __future__ import annotations

from datetime import datetime
from math import ceil
from typing import Any, Protocol

from pydantic import BaseModel

from actors.router import InventoryRouter
from contexts.catalog.errors import (
    ConcurrentUpdate,
    EventCancelled,
    InvalidSchedule,
    NotDraft,
    UnknownVenue,
)
from contexts.catalog.events_store import EventsStore
from contexts.catalog.rules import (
    check_schedule,
    engine_terms,
    engine_venue,
    now_ms,
    status_of,
    to_ms,
)
from contexts.catalog.schemas import EventCreate, EventPublic, EventUpdate, VenueRef
from contexts.catalog.venues_store import VenuesStore
from contexts.organisers.access import OrganiserAccess
from contexts.organisers.audit import NO_AUDIT, AuditEntry, AuditLog
from contexts.shared.errors import Forbidden, NotFound
from contexts.shared.messages import EventCancelled as CancelledMessage
from contexts.shared.principal import Principal
from contexts.shared.publisher import send
from contexts.shared.settings import Settings
from engine.venue import validate_terms

DRAFT_ONLY = frozenset(
    {"venue_id", "currency", "prices", "max_tickets_per_customer", "hold_ttl_seconds"}
)  # baked into the inventory actor at publish time


def event_public(doc: dict[str, Any], now: datetime | None = None) -> EventPublic:
    fields: dict[str, Any] = {
        k: doc.get(k) for k in EventPublic.model_fields if k not in ("id", "status")
    }
    status = status_of(doc, now or now_ms())
    # status_of derives the status from the stored string (str, one of Status).
    return EventPublic(id=str(doc["_id"]), status=status, **fields)  # type: ignore[arg-type]


def _normalised(values: dict[str, Any]) -> dict[str, Any]:
    """Request values as stored: UTC datetimes at BSON precision, plain strings and dicts."""
    out = dict(values)
    for key, value in values.items():
        if isinstance(value, datetime):
            out[key] = to_ms(value)
    if out.get("category") is not None:
        out["category"] = str(out["category"])
    if out.get("prices") is not None:
        out["prices"] = [p if isinstance(p, dict) else p.model_dump() for p in out["prices"]]
    if isinstance(out.get("transfers"), BaseModel):  # the transfer policy, as a document
        out["transfers"] = out["transfers"].model_dump()
    return out


class Announcer(Protocol):
    """Where application events go (``MessagePublisher``): returns once durable."""

    async def publish(self, kind: str, body: dict[str, Any], message_id: str) -> None: ...


class EventService:
    """Events of the catalog; the inventory actors are opened through the router."""

    def __init__(
        self,
        events: EventsStore,
        venues: VenuesStore,
        router: InventoryRouter,
        settings: Settings,
        announcer: Announcer,
        *,
        access: OrganiserAccess,
        audit: AuditLog = NO_AUDIT,
    ) -> None:
        self.events, self.venues, self.router, self.settings = events, venues, router, settings
        self.announcer, self.access, self.audit = announcer, access, audit

    async def create(
        self, user: Principal, body: EventCreate, idempotency_key: str | None = None
    ) -> EventPublic:
        if body.organiser_id is not None:  # the organiser's event: its team's permission
            await self.access.require(user, body.organiser_id, "manage_events")
        elif not user.has_any("event_creator", "admin"):
            raise Forbidden("A personal event needs the role event_creator (or an organiser_id).")
        now = now_ms()
        doc = _normalised(body.model_dump())
        doc.update(status="draft", owner_id=user.id, created_at=now, updated_at=now, version=0)
        doc.update(await self._priced_venue(doc))
        stored = await self.events.insert(doc, idempotency_key, body.model_dump(mode="json"))
        if stored["created_at"] == now:  # not the replay of an earlier create
            after = {k: stored.get(k) for k in ("title", "status", "venue_id", "starts_at")}
            await self._audit(user, "event.create", stored, None, after)
        return event_public(stored)

    async def get(self, user: Principal | None, event_id: str) -> EventPublic:
        return event_public(await self._visible(user, event_id))

    async def update(self, user: Principal, event_id: str, body: EventUpdate) -> EventPublic:
        doc = await self._managed(user, event_id)
        changes = _normalised(body.changes())  # a null only where it clears (ends_at...)
        if not changes:
            return event_public(doc)
        if doc["status"] == "cancelled":
            raise EventCancelled("A cancelled event cannot change.")
        locked = sorted(changes.keys() & DRAFT_ONLY)
        if locked and doc["status"] != "draft":
            raise NotDraft(f"{', '.join(locked)} can only change while the event is a draft.")
        merged = {**doc, **changes}
        try:
            check_schedule(
                merged["starts_at"],
                merged.get("ends_at"),
                merged["sale_starts_at"],
                merged.get("sale_ends_at"),
            )
        except ValueError as exc:
            raise InvalidSchedule(str(exc)) from exc
        if locked:
            changes.update(await self._priced_venue(merged))
        changes["updated_at"] = now_ms()
        event_public({**doc, **changes})  # nothing is stored that the read side cannot show
        expect = {"status": doc["status"], "version": doc["version"]}
        updated = await self.events.update(event_id, expect, changes)
        if updated is None:
            raise ConcurrentUpdate("The event changed meanwhile: read it again and retry.")
        asked = body.model_fields_set
        before = {k: doc.get(k) for k in asked}
        await self._audit(user, "event.update", doc, before, {k: updated.get(k) for k in asked})
        return event_public(updated)

    async def publish(self, user: Principal, event_id: str) -> EventPublic:
        """Draft -> published, then open the actors. Idempotent: publishing a published
        event opens its actors again (a no-op if they exist) and answers 200, so a retry
        after a failure between the two steps completes the publication."""
        doc = await self._managed(user, event_id)
        if doc["status"] == "cancelled":
            raise EventCancelled("A cancelled event cannot be published.")
        if doc["status"] == "draft":
            now = now_ms()
            shards = max(1, ceil(doc["capacity"] / self.settings.seats_per_shard))
            flip = {"status": "published", "published_at": now, "updated_at": now}
            expect = {"status": "draft", "version": doc["version"]}
            # Published first, actors second: from here the terms are frozen (edits of
            # prices need a draft), so the actors can only ever get these terms.
            doc = await self.events.update(event_id, expect, {**flip, "shards": shards}) or (
                await self._managed(user, event_id)
            )
            if doc["status"] != "published":
                raise ConcurrentUpdate("The event changed meanwhile: read it again and retry.")
            flipped = {"status": "published"}
            await self._audit(user, "event.publish", doc, {"status": "draft"}, flipped)
        venue = await self.venues.get(doc["venue_id"])
        assert venue is not None, "venues are never deleted"
        await self.router.open(
            event_id, engine_venue(venue), engine_terms(doc), shards=doc.get("shards") or 1
        )
        self.events.invalidate(event_id)
        return event_public(doc)

    async def cancel(self, user: Principal, event_id: str) -> EventPublic:
        """Any state -> cancelled (idempotent). Sales stop: reservations need on_sale."""
        doc = await self._managed(user, event_id)
        if doc["status"] != "cancelled":
            now = now_ms()
            changes = {"status": "cancelled", "cancelled_at": now, "updated_at": now}
            before = {"status": doc["status"]}
            flipped = await self.events.update(event_id, {"status": {"$ne": "cancelled"}}, changes)
            if flipped is not None:
                await self._audit(user, "event.cancel", flipped, before, {"status": "cancelled"})
            doc = flipped or await self._managed(user, event_id)
        if doc.get("published_at") is not None and not doc.get("cancel_announced"):
            await self._announce_cancel(doc)
        return event_public(doc)

    async def _announce_cancel(self, doc: dict[str, Any]) -> None:
        """Tell the buyers (``event.cancelled``), then remember it. Publishing before
        marking means a crash in between announces twice, never zero times; both
        consumers take a second one calmly (the notifications worker drops it by message
        id, the payments worker finds the orders already refunded). If RabbitMQ refuses,
        the caller gets a retryable 503: the event stays cancelled, and cancelling again
        (idempotent) announces it."""
        event_id = str(doc["_id"])
        message = CancelledMessage(event_id, doc.get("title", ""))
        await send(self.announcer, message, f"{message.KIND}:{event_id}")
        await self.events.update(event_id, {}, {"cancel_announced": True})

    async def _visible(self, user: Principal | None, event_id: str) -> dict[str, Any]:
        """Published events are public (and stay so once cancelled); a draft is seen by
        those who may act on it (its owner, its organiser's members, admins)."""
        doc = await self.events.get(event_id)
        public = doc is not None and doc.get("published_at") is not None
        if doc is None or not (
            (public and doc["status"] != "draft") or await self.access.can(user, doc, None)
        ):
            raise NotFound(f"No event {event_id}.")
        return doc

    async def _managed(self, user: Principal, event_id: str) -> dict[str, Any]:
        doc = await self._visible(user, event_id)
        if not await self.access.can(user, doc, "manage_events"):
            raise Forbidden(
                "Only those who manage this event (its owner, its organiser's team with "
                "manage_events, or an admin) may change it."
            )
        return doc

    async def _audit(
        self,
        user: Principal,
        action: str,
        doc: dict[str, Any],
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        target, organiser = ("event", str(doc["_id"])), doc.get("organiser_id")
        await self.audit.append(
            AuditEntry.by(user, action, target, before=before, after=after, organiser_id=organiser)
        )

    async def _priced_venue(self, event: dict[str, Any]) -> dict[str, Any]:
        """The venue fields of an event whose prices cover its venue exactly (else 422)."""
        venue = await self.venues.get(event["venue_id"])
        if venue is None:
            raise UnknownVenue(f"No venue {event['venue_id']}.")
        validate_terms(engine_venue(venue), engine_terms(event))
        ref = VenueRef(id=str(venue["_id"]), **{k: venue[k] for k in ("name", "city", "country")})
        return {
            "venue": ref.model_dump(),
            "city_key": venue["city_key"],
            "capacity": venue["capacity"],
        }
