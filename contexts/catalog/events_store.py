"""The events collection of the catalog database: storage, search, and the sale cache.

Search is keyset-paginated on ``(starts_at, _id)`` behind compound indexes that lead
with the filter (status, owner, category or city), so a page is one index range.
Free text uses MongoDB's text index; ``ensure_indexes`` probes ``$text`` once and,
on a server without it, falls back to a case-insensitive regex (a scan).
"""

from __future__ import annotations

import logging
import re
import time
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import TEXT, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from actors import stagestats
from contexts.catalog.docs import IDEMPOTENCY_INDEX, insert_once, object_id
from contexts.catalog.rules import EventForSale
from contexts.shared.cache import TtlCache

log = logging.getLogger(__name__)
BY_START = [("starts_at", 1), ("_id", 1)]
HIDDEN = {"idempotency": 0}
FOR_SALE = dict.fromkeys(
    [
        *("title", "owner_id", "organiser_id", "status", "currency", "published_at"),
        *("starts_at", "ends_at", "sale_starts_at", "sale_ends_at"),
        *("max_tickets_per_customer", "hold_ttl_seconds"),
    ],
    1,
)


class EventsStore:
    """Events storage; ``get_for_sale`` serves the reservation hot path from memory."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], cache_s: float = 2.0) -> None:
        self.collection = db["events"]
        self.text_search = True  # decided by ensure_indexes
        # Refreshed ahead: every reserve reads it, none should wait for its reload.
        self._for_sale: TtlCache[str, EventForSale | None] = TtlCache(
            cache_s, name="events.for_sale", refresh_ahead=True
        )

    async def ensure_indexes(self) -> None:
        c = self.collection
        await c.create_index([("status", 1), *BY_START], name="status_start")
        await c.create_index([("status", 1), ("category", 1), *BY_START], name="category_start")
        await c.create_index([("status", 1), ("city_key", 1), *BY_START], name="city_start")
        await c.create_index([("owner_id", 1), *BY_START], name="owner_start")
        await c.create_index(**IDEMPOTENCY_INDEX)
        self.text_search = await self._text_index()

    async def _text_index(self) -> bool:
        # mongoeco 4.11 answers $text (token match, no stemming) but only at the top
        # level of a filter, which is where search() puts it; real MongoDB does too.
        try:
            await self.collection.create_index(
                [("title", TEXT), ("description", TEXT)], name="text"
            )
            await self.collection.find_one({"$text": {"$search": "probe"}})
            return True
        except OperationFailure as exc:
            log.warning("no $text on this MongoDB: event search uses a regex scan (%s)", exc)
            return False

    async def insert(
        self, doc: dict[str, Any], key: str | None = None, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return await insert_once(self.collection, doc, doc["owner_id"], key, body or {})

    async def get(self, event_id: str) -> dict[str, Any] | None:
        oid = object_id(event_id)
        return None if oid is None else await self.collection.find_one({"_id": oid}, HIDDEN)

    async def update(
        self, event_id: str, expect: dict[str, Any], changes: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Apply ``changes`` if the event still matches ``expect`` (else None): no lost
        update between a read and this write, without a lock."""
        oid = object_id(event_id)
        if oid is None:
            return None
        doc = await self.collection.find_one_and_update(
            {"_id": oid, **expect},
            {"$set": changes, "$inc": {"version": 1}},
            projection=HIDDEN,
            return_document=ReturnDocument.AFTER,
        )
        self.invalidate(event_id)
        return doc

    async def search(
        self,
        *,
        limit: int,
        status: str | None = None,
        owner_id: str | None = None,
        organiser_ids: list[str] | None = None,
        q: str | None = None,
        category: str | None = None,
        city: str | None = None,
        starts_from: datetime | None = None,
        starts_to: datetime | None = None,
        after: tuple[datetime, ObjectId] | None = None,
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` events matching every given filter, by (starts_at, _id).
        With ``organiser_ids``, ``owner_id``'s events are also those of these organisers."""
        # Words only: $text's phrase and negation syntax is not part of our contract, and
        # a query of punctuation alone ("-", '"') is an error to $text; it matches nothing.
        words = re.findall(r"\w+", q or "")[:10]
        if q and not words:
            return []
        query: dict[str, Any] = {}
        plain = {"status": status, "owner_id": owner_id, "category": category}
        query.update({k: v for k, v in plain.items() if v is not None})
        if city:
            query["city_key"] = city.casefold()
        span = {"$gte": starts_from, "$lt": starts_to}
        if starts_from or starts_to:
            query["starts_at"] = {k: v for k, v in span.items() if v is not None}
        clauses: list[dict[str, Any]] = []
        if owner_id is not None and organiser_ids:
            del query["owner_id"]
            theirs = [{"owner_id": owner_id}, {"organiser_id": {"$in": organiser_ids}}]
            clauses.append({"$or": theirs})
        if after is not None:
            at, oid = after
            later = [{"starts_at": {"$gt": at}}, {"starts_at": at, "_id": {"$gt": oid}}]
            clauses.append({"$or": later})
        if words and self.text_search:
            query["$text"] = {"$search": " ".join(words)}  # top level: it may not nest in $and
        elif words:
            clauses.append({"$or": _regex_terms(words)})
        if len(clauses) == 1:
            query.update(clauses[0])
        elif clauses:
            query["$and"] = clauses
        # No projection: mongoeco 4.11 fails $text with an exclusion projection, and the
        # presenters read only the public fields anyway.
        return await self.collection.find(query).sort(BY_START).limit(limit).to_list()

    async def get_for_sale(self, event_id: str) -> EventForSale | None:
        """The event's sale state, at most ``cache_s`` old (None: no such event)."""
        oid = object_id(event_id)
        if oid is None:
            return None

        async def load() -> EventForSale | None:
            began = time.perf_counter()
            doc = await self.collection.find_one({"_id": oid}, FOR_SALE)
            stagestats.observe("api.event_load", time.perf_counter() - began)
            return None if doc is None else EventForSale.from_doc(doc)

        return await self._for_sale.get(event_id, load)

    def invalidate(self, event_id: str) -> None:
        self._for_sale.invalidate(event_id)


def _regex_terms(words: list[str]) -> list[dict[str, Any]]:
    """Like $text: any of the words, in the title or the description, any case."""
    fields = ("title", "description")
    return [{f: {"$regex": re.escape(w), "$options": "i"}} for w in words for f in fields]
