"""Webhook subscriptions and their delivery log (``<prefix>_webhooks``).

A subscription: ``{_id, owner_id, url, event_id (None: every event the owner
manages), events (message kinds), secret, active, created_at}``. The secret is kept
as is (an HMAC key must be usable) and never leaves through the API after creation.
The delivery log is append-only: one document per attempt, with its status code,
latency and error; a success for (subscription, message) is what a retry skips.

The webhooks worker asks which subscriptions match for every message (every confirmed
order): with a ``cache`` (one per process, ``subscriptions_cache``) the active
subscriptions of an event, and those to every event, are read once per
``SUBSCRIPTIONS_CACHE_S`` instead. Creating or deleting one invalidates its key here
and, through ``contexts.shared.cache_bus``, in every other process: a message handled after the
invalidation arrives (milliseconds after the write; the TTL when the broker is
unreachable) sees the change, one handled before it does not (docs/webhooks.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from contexts.shared import cache_bus
from contexts.shared.cache import TtlCache

CACHE_NAME = "webhook_subscriptions"
SUBSCRIPTIONS_CACHE_S = 2.0  # how long another process may miss a change without the bus
ALL_EVENTS = None  # the cache key (and event_id) of subscriptions to every event
type SubscriptionsCache = TtlCache[str | None, list[dict[str, Any]]]


def subscriptions_cache() -> SubscriptionsCache:
    """A process's cache of active subscriptions by event (the composition root makes
    one, shared by the routes and the webhooks worker)."""
    return TtlCache(SUBSCRIPTIONS_CACHE_S, name=CACHE_NAME)


def now() -> datetime:
    """Now at BSON's millisecond precision: what is returned is what a re-read returns."""
    at = datetime.now(UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def oid(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


class WebhooksStore:
    """Subscriptions and delivery attempts."""

    def __init__(
        self, db: AsyncDatabase[dict[str, Any]], cache: SubscriptionsCache | None = None
    ) -> None:
        self.subscriptions = db["subscriptions"]
        self.deliveries = db["deliveries"]
        self.cache = cache

    async def ensure_indexes(self) -> None:
        await self.subscriptions.create_index([("owner_id", ASCENDING), ("_id", DESCENDING)])
        await self.subscriptions.create_index([("event_id", ASCENDING)])
        await self.deliveries.create_index([("subscription_id", ASCENDING), ("_id", DESCENDING)])

    async def create(self, fields: dict[str, Any]) -> dict[str, Any]:
        doc = {**fields, "active": True, "created_at": now()}
        doc["_id"] = (await self.subscriptions.insert_one(doc)).inserted_id
        self._invalidate(doc.get("event_id"))
        return doc

    async def get(self, subscription_id: str) -> dict[str, Any] | None:
        key = oid(subscription_id)
        if key is None:
            return None
        return await self.subscriptions.find_one({"_id": key, "active": True})

    async def page_of_owner(
        self, owner_id: str | None, before: ObjectId | None, limit: int
    ) -> list[dict[str, Any]]:
        """Active subscriptions, newest first (every owner's when ``owner_id`` is None)."""
        query: dict[str, Any] = {"active": True}
        if owner_id is not None:
            query["owner_id"] = owner_id
        if before is not None:
            query["_id"] = {"$lt": before}
        cursor = self.subscriptions.find(query).sort("_id", DESCENDING).limit(limit)
        return await cursor.to_list(None)

    async def deactivate(self, subscription: dict[str, Any]) -> None:
        """Deleted subscriptions are kept (their delivery log still names them)."""
        await self.subscriptions.update_one(
            {"_id": subscription["_id"]}, {"$set": {"active": False, "deleted_at": now()}}
        )
        self._invalidate(subscription.get("event_id"))

    async def matching(self, event_id: str, kind: str) -> list[dict[str, Any]]:
        """Active subscriptions to ``kind`` for this event, or for every event."""
        if self.cache is None:
            query = {"active": True, "events": kind, "event_id": {"$in": [event_id, None]}}
            return await self.subscriptions.find(query).to_list(None)
        found = await self.cache.get(event_id, lambda: self._active_of(event_id))
        found = found + await self.cache.get(ALL_EVENTS, lambda: self._active_of(ALL_EVENTS))
        return [sub for sub in found if kind in sub["events"]]

    async def _active_of(self, event_id: str | None) -> list[dict[str, Any]]:
        query = {"active": True, "event_id": event_id}  # None: also a missing event_id
        return await self.subscriptions.find(query).to_list(None)

    def _invalidate(self, event_id: str | None) -> None:
        if self.cache is not None:
            self.cache.invalidate(event_id)  # here, and (contexts.shared.cache_bus) everywhere else
        else:  # nothing cached here, but other processes' workers may cache
            cache_bus.broadcast(CACHE_NAME, event_id)

    async def record(self, attempt: dict[str, Any]) -> None:
        await self.deliveries.insert_one({**attempt, "at": now()})

    async def delivered(self, subscription_id: ObjectId, message_id: str) -> bool:
        query = {"subscription_id": subscription_id, "message_id": message_id, "ok": True}
        return await self.deliveries.find_one(query, {"_id": 1}) is not None

    async def attempts(self, subscription_id: ObjectId, message_id: str) -> int:
        query = {"subscription_id": subscription_id, "message_id": message_id}
        return await self.deliveries.count_documents(query)

    async def page_of_deliveries(
        self, subscription_id: ObjectId, before: ObjectId | None, limit: int
    ) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"subscription_id": subscription_id}
        if before is not None:
            query["_id"] = {"$lt": before}
        cursor = self.deliveries.find(query).sort("_id", DESCENDING).limit(limit)
        return await cursor.to_list(None)
