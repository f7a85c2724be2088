"""The waiting list of sold-out events (``<prefix>_waitlist``).

An entry: ``{_id, event_id, user_id, area, section, quantity, status, joined_at,
offers, offer, announced}``. ``status`` moves ``waiting -> offered`` (a hold made in
the buyer's name, ``offer``), then ``claimed`` (paid) or ``lapsed`` (the hold ended
unpaid); ``left`` when the buyer leaves. Every move is a conditional update, so two
deliveries of one message cannot offer one entry twice. ``processed`` keeps the ids
of the inventory messages already handled (the durable dedup key).

``any_active`` is asked for every returned or confirmed hold (every order of every
event, most of which have no list): with a ``cache`` (one per process,
``active_lists_cache``) it is read once per ``ACTIVE_CACHE_S`` per event. Only ``add``
makes an event's list active, and it invalidates the event here and, through
``contexts.shared.cache_bus``, in every other process: an inventory message handled after the
invalidation arrives (milliseconds; the TTL when the broker is unreachable) sees the
new entry, as one read just after the insert did before (docs/webhooks.md).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contexts.shared import cache_bus
from contexts.shared.cache import TtlCache

ACTIVE = ("waiting", "offered")
CACHE_NAME = "waitlist_active"
ACTIVE_CACHE_S = 2.0  # how long another process may miss a join without the bus
type ActiveCache = TtlCache[str, bool]


def active_lists_cache() -> ActiveCache:
    """A process's cache of "does this event have an active list" (the composition root
    makes one, shared by the routes and the waiting-list worker)."""
    return TtlCache(ACTIVE_CACHE_S, name=CACHE_NAME)


def now() -> datetime:
    at = datetime.now(UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


class WaitingListStore:
    """Entries and processed message ids."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], cache: ActiveCache | None = None) -> None:
        self.entries = db["entries"]
        self.processed = db["processed"]
        self.cache = cache

    async def ensure_indexes(self) -> None:
        await self.entries.create_index(
            [("event_id", ASCENDING), ("status", ASCENDING), ("joined_at", ASCENDING)]
        )
        await self.entries.create_index([("offer.stream", ASCENDING), ("offer.hold_id", ASCENDING)])

    async def add(self, fields: dict[str, Any]) -> dict[str, Any]:
        doc = {**fields, "status": "waiting", "joined_at": now(), "offers": 0, "offer": None}
        doc["_id"] = (await self.entries.insert_one(doc)).inserted_id
        if self.cache is not None:  # after the insert: a reload from now on sees it
            self.cache.invalidate(doc["event_id"])  # here, and in every other process
        else:
            cache_bus.broadcast(CACHE_NAME, doc["event_id"])
        return doc

    async def active(self, event_id: str, user_id: str) -> dict[str, Any] | None:
        query = {"event_id": event_id, "user_id": user_id, "status": {"$in": list(ACTIVE)}}
        return await self.entries.find_one(query)

    async def any_active(self, event_id: str) -> bool:
        """Whether anyone waits for (or holds an offer of) this event: most events, none.

        Cached, True may be stale (entries claimed or left since): the caller's next
        reads find nothing to do, as before. False is stale only until a join's
        invalidation arrives."""

        async def load() -> bool:
            query = {"event_id": event_id, "status": {"$in": list(ACTIVE)}}
            return await self.entries.find_one(query, {"_id": 1}) is not None

        return await (load() if self.cache is None else self.cache.get(event_id, load))

    async def position(self, entry: dict[str, Any]) -> int:
        """1 for the next in line; counts the waiting entries that joined before."""
        earlier = {"event_id": entry["event_id"], "status": "waiting"}
        earlier["joined_at"] = {"$lt": entry["joined_at"]}
        return await self.entries.count_documents(earlier) + 1

    async def waiting(self, event_id: str, limit: int) -> list[dict[str, Any]]:
        query = {"event_id": event_id, "status": "waiting"}
        cursor = self.entries.find(query).sort([("joined_at", ASCENDING), ("_id", ASCENDING)])
        return await cursor.limit(limit).to_list(None)

    async def move(
        self, entry_id: ObjectId, before: str, after: str, **changes: Any
    ) -> dict[str, Any] | None:
        """The entry moved from ``before`` to ``after``; None if it was not ``before``."""
        return await self.entries.find_one_and_update(
            {"_id": entry_id, "status": before},
            {"$set": {"status": after, "updated_at": now(), **changes}},
            return_document=ReturnDocument.AFTER,
        )

    async def offered(self, entry_id: ObjectId, offer: dict[str, Any]) -> dict[str, Any] | None:
        return await self.entries.find_one_and_update(
            {"_id": entry_id, "status": "waiting"},
            {
                "$set": {"status": "offered", "offer": offer, "announced": False},
                "$inc": {"offers": 1},
            },
            return_document=ReturnDocument.AFTER,
        )

    async def by_hold(self, stream: str, hold_id: int) -> dict[str, Any] | None:
        return await self.entries.find_one(
            {"offer.stream": stream, "offer.hold_id": hold_id, "status": "offered"}
        )

    async def unannounced(self, event_id: str) -> list[dict[str, Any]]:
        query = {"event_id": event_id, "status": "offered", "announced": False}
        return await self.entries.find(query).to_list(None)

    async def announced(self, entry_id: ObjectId) -> None:
        await self.entries.update_one({"_id": entry_id}, {"$set": {"announced": True}})

    async def seen(self, message_id: str) -> bool:
        return await self.processed.find_one({"_id": message_id}, {"_id": 1}) is not None

    async def remember(self, message_id: str) -> None:
        with contextlib.suppress(DuplicateKeyError):
            await self.processed.insert_one({"_id": message_id, "at": now()})
