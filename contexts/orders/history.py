"""A user's purchase history: a read-only, newest-first view of the orders context's
``orders`` collection (documents with ``user_id``, ``created_at`` and ``_id``).

The orders context owns and writes that collection; this reader only pages through
one user's documents and maps them to a summary, so it works as soon as orders exist.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from contexts.shared.keyset import NEWEST_FIRST, newest_first


def _summary(doc: dict[str, Any]) -> dict[str, Any]:
    # Only plain fields leave: ObjectIds and the payment internals stay in the store.
    amount, currency = doc.get("amount"), doc.get("currency")
    total = {"amount": amount, "currency": currency} if amount is not None and currency else None
    return {
        "id": str(doc["_id"]),
        "event_id": str(doc["event_id"]) if doc.get("event_id") is not None else None,
        "status": doc.get("status"),
        "total": total,
        "tickets": len(doc["tickets"]) if isinstance(doc.get("tickets"), list) else None,
        "created_at": doc["created_at"],
    }


class OrderHistory:
    """Pages of one user's orders in ``<prefix>_orders.orders``."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._orders = db["orders"]

    async def ensure_indexes(self) -> None:
        await self._orders.create_index([("user_id", 1), *NEWEST_FIRST])

    async def page(
        self, user_id: str, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        docs, next_cursor = await newest_first(self._orders, {"user_id": user_id}, limit, cursor)
        return [_summary(d) for d in docs], next_cursor
