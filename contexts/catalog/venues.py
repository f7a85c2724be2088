"""Venue use cases: create a seat map (validated by the engine), read, list."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from contexts.catalog.docs import object_id
from contexts.catalog.errors import VenueTooLarge
from contexts.catalog.rules import engine_venue, now_ms
from contexts.catalog.venue_schemas import MAX_CAPACITY, VenueCreate, VenuePublic, VenueSummary
from contexts.catalog.venues_store import VenuesStore
from contexts.organisers.audit import NO_AUDIT, AuditEntry, AuditLog
from contexts.shared.errors import NotFound
from contexts.shared.pagination import InvalidCursor, Page, decode_cursor, encode_cursor
from contexts.shared.principal import Principal


def venue_summary(doc: dict[str, Any]) -> VenueSummary:
    return VenueSummary(id=str(doc["_id"]), **_fields(doc, VenueSummary))


def venue_public(doc: dict[str, Any]) -> VenuePublic:
    return VenuePublic(id=str(doc["_id"]), **_fields(doc, VenuePublic))


def _fields(doc: dict[str, Any], model: type[VenueSummary]) -> dict[str, Any]:
    return {k: doc.get(k) for k in model.model_fields if k != "id"}


class VenueService:
    """Venues are shared: any event creator may hold events at any venue."""

    def __init__(self, venues: VenuesStore, audit: AuditLog = NO_AUDIT) -> None:
        self.venues, self.audit = venues, audit

    async def create(
        self, user: Principal, body: VenueCreate, idempotency_key: str | None = None
    ) -> VenuePublic:
        payload = body.model_dump(mode="json")
        # The engine is the one judge of a seat map (InvalidConfigurationError -> 422).
        seat_map = engine_venue(payload)
        if seat_map.capacity > MAX_CAPACITY:
            raise VenueTooLarge(
                f"The venue holds {seat_map.capacity} seats and places; at most {MAX_CAPACITY}."
            )
        doc = {
            "name": body.name,
            "city": body.city,
            "city_key": body.city.casefold(),
            "country": body.country,
            "address": body.address,
            "timezone": body.timezone,
            **seat_map.to_dict(),
            "capacity": seat_map.capacity,
            "owner_id": user.id,
            "created_at": now_ms(),
        }
        venue = venue_public(await self.venues.insert(doc, idempotency_key, payload))
        after = {"name": venue.name, "city": venue.city, "capacity": venue.capacity}
        entry = AuditEntry.by(user, "venue.create", ("venue", venue.id), after=after)
        await self.audit.append(entry)
        return venue

    async def get_doc(self, venue_id: str) -> dict[str, Any]:
        doc = await self.venues.get(venue_id)
        if doc is None:
            raise NotFound(f"No venue {venue_id}.")
        return doc

    async def get(self, venue_id: str) -> VenuePublic:
        return venue_public(await self.get_doc(venue_id))

    async def page(self, limit: int, cursor: str | None) -> Page[VenueSummary]:
        after: ObjectId | None = None
        if cursor:
            after = object_id(decode_cursor(cursor, ("i",))["i"])
            if after is None:
                raise InvalidCursor("The cursor is malformed.")
        docs = await self.venues.page(limit + 1, after)
        more = len(docs) > limit
        docs = docs[:limit]
        next_cursor = encode_cursor({"i": str(docs[-1]["_id"])}) if more else None
        return Page[VenueSummary](items=[venue_summary(d) for d in docs], next_cursor=next_cursor)
