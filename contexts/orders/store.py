"""The orders collection of the orders context: one document per order.

An order holds its payment (method, PaymentIntent id, status and the history of
every state change) and its tickets, so its whole life is one document: few, large
documents (the embedded MongoDB slows down as collections grow). Every state change
is a conditional update on the current ``status`` ("pending" -> "confirmed" matches
once), which is what makes "confirmed once" hold when the payments worker and the
Stripe webhook settle the same payment at the same time.

Statuses: ``pending`` (paying) -> ``confirmed`` (tickets issued) | ``failed`` (card
declined: seats released) | ``refunding`` -> ``refunded`` (organiser refund, or a
late payment whose seats were gone).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contexts.shared.keyset import NEWEST_FIRST

# The bulky internals a reader of tickets does not need.
LIGHT = {"processed_message_ids": 0, "payment.history": 0}


def now() -> datetime:
    # MongoDB keeps milliseconds: truncate, so what we hold equals what we read back.
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def order_id_for(reservation_id: str) -> ObjectId:
    """The order id of a reservation: derived, so one order per reservation needs no
    unique index (a second insert is a duplicate ``_id``), even across API replicas."""
    return ObjectId(hashlib.blake2b(reservation_id.encode(), digest_size=12).digest())


def parse_id(order_id: str) -> ObjectId | None:
    try:
        return ObjectId(order_id)
    except (InvalidId, TypeError):
        return None


def entry(status: str, detail: str | None = None) -> dict[str, Any]:
    """One line of the payment history."""
    return {"at": now(), "status": status, "detail": detail}


class OrdersStore:
    """Orders storage; every write that changes a status is conditional on it."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["orders"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("user_id", 1), *NEWEST_FIRST])
        await self.collection.create_index("payment.intent_id")  # webhooks without metadata
        await self.collection.create_index([("event_id", 1), ("status", 1)])  # cancellations
        await self.collection.create_index("tickets.owner_id")  # tickets transferred in

    async def insert(self, doc: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Insert the order, or return the one already there with its ``_id``."""
        try:
            await self.collection.insert_one(doc)
            return doc, True
        except DuplicateKeyError:
            existing = await self.collection.find_one({"_id": doc["_id"]})
            assert existing is not None  # orders are never deleted
            return existing, False

    async def get(self, order_id: str | ObjectId, light: bool = False) -> dict[str, Any] | None:
        oid = order_id if isinstance(order_id, ObjectId) else parse_id(order_id)
        if oid is None:
            return None
        return await self.collection.find_one({"_id": oid}, LIGHT if light else None)

    async def ids_of_event(self, event_id: str, statuses: Iterable[str]) -> list[ObjectId]:
        """The ids of an event's orders in one of ``statuses`` (ids only: orders carry
        their tickets, and a sold-out event has many)."""
        query = {"event_id": event_id, "status": {"$in": list(statuses)}}
        return [doc["_id"] async for doc in self.collection.find(query, {"_id": 1})]

    async def by_intent(self, intent_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"payment.intent_id": intent_id})

    async def transition(
        self,
        order_id: ObjectId,
        expect: Iterable[str],
        changes: dict[str, Any],
        history: dict[str, Any] | list[dict[str, Any]] | None = None,
        announced: str | None = None,
    ) -> dict[str, Any] | None:
        """Apply ``changes`` if the order's status is one of ``expect``; the new
        document, or None if it was not (someone else moved it first). One write:
        the history lines and the ``announced`` outcome go with the change."""
        update: dict[str, Any] = {"$set": {**changes, "updated_at": now()}}
        if history is not None:
            lines = history if isinstance(history, list) else [history]
            update["$push"] = {"payment.history": {"$each": lines}}
        if announced is not None:
            update["$addToSet"] = {"announced": announced}
        return await self.collection.find_one_and_update(
            {"_id": order_id, "status": {"$in": list(expect)}},
            update,
            return_document=ReturnDocument.AFTER,
        )

    async def record_intent(self, order_id: ObjectId, intent_id: str) -> dict[str, Any] | None:
        """Record the PaymentIntent of a pending order that has none; None if one is."""
        return await self.collection.find_one_and_update(
            {"_id": order_id, "status": "pending", "payment.intent_id": None},
            {
                "$set": {"payment.intent_id": intent_id, "payment.status": "created"},
                "$push": {"payment.history": entry("intent_created", intent_id)},
            },
            return_document=ReturnDocument.AFTER,
        )

    async def claim_intent(self, order_id: ObjectId, intent_id: str) -> bool:
        """``record_intent`` without reading the order back (the worker has it in
        hand): True if this intent is now the order's, False if another was first."""
        result = await self.collection.update_one(
            {"_id": order_id, "status": "pending", "payment.intent_id": None},
            {
                "$set": {"payment.intent_id": intent_id, "payment.status": "created"},
                "$push": {"payment.history": entry("intent_created", intent_id)},
            },
        )
        return result.modified_count == 1

    async def add_note(self, order_id: ObjectId, status: str, detail: str | None) -> None:
        """A history line that changes no status (Stripe's answer, a re-hold, ...)."""
        await self.collection.update_one(
            {"_id": order_id}, {"$push": {"payment.history": entry(status, detail)}}
        )

    async def mark_processed(self, order_id: ObjectId, message_id: str) -> None:
        """Durable dedup: this message (or webhook event) has had all its effects."""
        await self.collection.update_one(
            {"_id": order_id}, {"$addToSet": {"processed_message_ids": message_id}}
        )

    async def mark_announced(self, order_id: ObjectId, kind: str) -> None:
        await self.collection.update_one({"_id": order_id}, {"$addToSet": {"announced": kind}})

    async def check_in(
        self, order_id: ObjectId, ticket_id: str, at: datetime, version: int = 0
    ) -> bool:
        """Mark a ticket of a confirmed order used; False if it already was (one scan)
        or was transferred meanwhile (its ``version``, absent meaning 0, moved on)."""
        current: dict[str, Any] = {"ticket_id": ticket_id, "checked_in_at": None}
        current["version"] = {"$in": [None, 0]} if version == 0 else version
        result = await self.collection.update_one(
            {"_id": order_id, "status": "confirmed", "tickets": {"$elemMatch": current}},
            {"$set": {"tickets.$.checked_in_at": at}},
        )
        return result.modified_count == 1

    async def with_tickets(
        self, user_id: str, after: dict[str, Any] | None, limit: int
    ) -> list[dict[str, Any]]:
        """A user's orders holding a ticket of theirs (bought and not transferred away,
        or transferred to them), newest first, from ``after``: confirmed ones, and
        refunded ones, whose tickets their holders still see (as void)."""
        mine = [
            {"user_id": user_id, "tickets": {"$elemMatch": {"owner_id": None}}},
            {"tickets.owner_id": user_id},
        ]
        ticketed = {"$in": ["confirmed", "refunding", "refunded"]}  # ticket_states.TICKETED
        query: dict[str, Any] = {"status": ticketed, "$or": mine}
        if after is not None:
            at, oid = after["created_at"], after["_id"]
            older = {"$or": [{"created_at": {"$lt": at}}, {"created_at": at, "_id": {"$lte": oid}}]}
            query = {"$and": [query, older]}
        cursor = self.collection.find(query, LIGHT).sort(NEWEST_FIRST).limit(limit)
        return await cursor.to_list()
