"""In-memory fake of the webhooks context's store (``contexts.webhooks.store``).

Same contract as ``WebhooksStore``: ObjectId ids (increasing, so "newest first" is
by id), ``get`` of a malformed or deleted id is None, deleted subscriptions are kept
(inactive), the delivery log is append-only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bson import ObjectId

from contexts.webhooks.store import now, oid


class FakeSubscriptions:
    """Subscriptions and delivery attempts in two dicts keyed by ``_id``."""

    def __init__(self) -> None:
        self.subscriptions: dict[ObjectId, dict[str, Any]] = {}
        self.deliveries: dict[ObjectId, dict[str, Any]] = {}

    async def ensure_indexes(self) -> None:
        return None

    async def create(self, fields: dict[str, Any]) -> dict[str, Any]:
        doc = {**fields, "active": True, "created_at": now(), "_id": ObjectId()}
        self.subscriptions[doc["_id"]] = dict(doc)
        return doc

    async def get(self, subscription_id: str) -> dict[str, Any] | None:
        key = oid(subscription_id)
        doc = None if key is None else self.subscriptions.get(key)
        return dict(doc) if doc is not None and doc["active"] else None

    async def page_of_owner(
        self, owner_id: str | None, before: ObjectId | None, limit: int
    ) -> list[dict[str, Any]]:
        found = [
            d
            for d in self.subscriptions.values()
            if d["active"] and owner_id in (None, d["owner_id"]) and _before(d, before)
        ]
        return [dict(d) for d in sorted(found, key=lambda d: d["_id"], reverse=True)[:limit]]

    async def deactivate(self, subscription: dict[str, Any]) -> None:
        stored = self.subscriptions.get(subscription["_id"])
        if stored is not None:
            stored.update(active=False, deleted_at=now())

    async def matching(self, event_id: str, kind: str) -> list[dict[str, Any]]:
        return [
            dict(d)
            for d in self.subscriptions.values()
            if d["active"] and kind in d["events"] and d.get("event_id") in (event_id, None)
        ]

    async def record(self, attempt: dict[str, Any]) -> None:
        row = {**attempt, "at": now(), "_id": ObjectId()}
        self.deliveries[row["_id"]] = row

    async def delivered(self, subscription_id: ObjectId, message_id: str) -> bool:
        return any(r["ok"] for r in self._attempts(subscription_id, message_id))

    async def attempts(self, subscription_id: ObjectId, message_id: str) -> int:
        return len(self._attempts(subscription_id, message_id))

    async def page_of_deliveries(
        self, subscription_id: ObjectId, before: ObjectId | None, limit: int
    ) -> list[dict[str, Any]]:
        rows = [
            r
            for r in self.deliveries.values()
            if r["subscription_id"] == subscription_id and _before(r, before)
        ]
        return [dict(r) for r in sorted(rows, key=lambda r: r["_id"], reverse=True)[:limit]]

    def _attempts(self, subscription_id: ObjectId, message_id: str) -> list[dict[str, Any]]:
        return [
            r
            for r in self.deliveries.values()
            if r["subscription_id"] == subscription_id and r["message_id"] == message_id
        ]


def _before(doc: dict[str, Any], before: ObjectId | None) -> bool:
    return before is None or doc["_id"] < before


@dataclass
class Event:
    """What the webhooks need of an event: its owner and stored status."""

    id: str
    owner_id: str
    stored_status: str = "published"


class FakeEventOwners:
    """The catalog's ``get_for_sale``: events by id, None when unknown."""

    def __init__(self, *events: Event) -> None:
        self.events = {e.id: e for e in events}

    async def get_for_sale(self, event_id: str) -> Event | None:
        return self.events.get(event_id)
