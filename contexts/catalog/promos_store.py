"""The promo_codes collection of the catalog database, and its reserve-path cache.

One document per (event, code), unique. Definitions live here; how often a code was
used lives in the event's inventory actor (the only place a limit holds under
concurrency). The reserve path reads definitions through a short TTL cache, as it
reads events: a change (a disabled code) reaches other API replicas within
``cache_s``, this one at once.
"""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contexts.shared.cache import TtlCache

HIDDEN = {"_id": 0}


class PromoExists(Exception):
    """The event already has a code with this name."""


class PromosStore:
    """Promo code definitions by event and code."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], cache_s: float = 2.0) -> None:
        self.collection = db["promo_codes"]
        self._cache: TtlCache[tuple[str, str], dict[str, Any] | None] = TtlCache(
            cache_s, name="promos"
        )

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("event_id", 1), ("code", 1)], name="event_code", unique=True
        )

    async def insert(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Store a new code; PromoExists if the event has it already."""
        try:
            await self.collection.insert_one(dict(doc))
        except DuplicateKeyError as exc:
            raise PromoExists(doc["code"]) from exc
        self._cache.invalidate((doc["event_id"], doc["code"]))
        return doc

    async def get(self, event_id: str, code: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"event_id": event_id, "code": code}, HIDDEN)

    async def cached(self, event_id: str, code: str) -> dict[str, Any] | None:
        """The definition for the reserve path, at most ``cache_s`` old."""
        return await self._cache.get((event_id, code), lambda: self.get(event_id, code))

    async def page(self, event_id: str, after: str | None, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` codes of the event after ``after``, by code."""
        query: dict[str, Any] = {"event_id": event_id}
        if after is not None:
            query["code"] = {"$gt": after}
        cursor = self.collection.find(query, HIDDEN).sort("code", 1).limit(limit)
        return await cursor.to_list(limit)

    async def update(
        self, event_id: str, code: str, changes: dict[str, Any]
    ) -> dict[str, Any] | None:
        doc = await self.collection.find_one_and_update(
            {"event_id": event_id, "code": code},
            {"$set": changes},
            projection=HIDDEN,
            return_document=ReturnDocument.AFTER,
        )
        self._cache.invalidate((event_id, code))
        return doc
