"""The venues collection of the catalog database: seat maps, listed oldest first.

Venues are immutable once created (events price and open them), so a venue read
needs no version and a published event's seat map never changes under it.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from contexts.catalog.docs import IDEMPOTENCY_INDEX, insert_once, object_id

SUMMARY = {"sections": 0, "areas": 0, "idempotency": 0}  # lists skip the seat map


class VenuesStore:
    """Create, read and list venues."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["venues"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("owner_id", 1), ("_id", 1)], name="owner")
        await self.collection.create_index(**IDEMPOTENCY_INDEX)

    async def insert(
        self, doc: dict[str, Any], key: str | None = None, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Store a new venue (once per Idempotency-Key) and return the stored document."""
        return await insert_once(self.collection, doc, doc["owner_id"], key, body or {})

    async def get(self, venue_id: str) -> dict[str, Any] | None:
        oid = object_id(venue_id)
        if oid is None:
            return None
        return await self.collection.find_one({"_id": oid}, {"idempotency": 0})

    async def page(self, limit: int, after: ObjectId | None) -> list[dict[str, Any]]:
        """Up to ``limit`` venue summaries after ``after``, in creation order."""
        query = {"_id": {"$gt": after}} if after is not None else {}
        return await self.collection.find(query, SUMMARY).sort("_id", 1).limit(limit).to_list()
