"""Reads of the orders collection for organiser reports.

Totals per (day, promo code, status) are one aggregation (``$group`` works on
mongoeco as on MongoDB). Per-ticket figures (tiers, check-ins, the CSV export) come
from a cursor that fetches ``batch_size`` orders at a time with only the fields they
need (never the QR payloads), so memory stays bounded by a batch, whatever the size
of the event.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

SALES_STATUSES = ("confirmed", "refunding", "refunded")
TICKET_FIELDS = dict.fromkeys(
    [
        *("user_id", "created_at", "currency", "promo_code", "status", "refund.reason"),
        *("tickets.ticket_id", "tickets.seat", "tickets.area", "tickets.owner_id"),
        *("tickets.checked_in_at", "tickets.transferred_at"),
    ],
    1,
)


class ReportsStore:
    """Report queries of one orders collection."""

    def __init__(self, orders: AsyncCollection[dict[str, Any]]) -> None:
        self.orders = orders

    async def totals(self, event_id: str) -> list[dict[str, Any]]:
        """One row per (UTC day, promo code, status): orders, tickets and amount."""
        day = {"$dateToString": {"format": "%Y-%m-%d", "date": "$created_at"}}
        pipeline: list[dict[str, Any]] = [
            {"$match": {"event_id": event_id, "status": {"$in": list(SALES_STATUSES)}}},
            {
                "$group": {
                    "_id": {"day": day, "promo": "$promo_code", "status": "$status"},
                    "orders": {"$sum": 1},
                    "tickets": {"$sum": {"$size": {"$ifNull": ["$tickets", []]}}},
                    "amount": {"$sum": "$amount"},
                }
            },
        ]
        return await (await self.orders.aggregate(pipeline)).to_list()

    async def batch_for(self, event_id: str, tickets_per_batch: int = 2_000) -> int:
        """How many orders a cursor batch may hold so that it holds about
        ``tickets_per_batch`` tickets: orders of one ticket come hundreds a round trip,
        orders of a thousand (group sales) two at a time."""
        pipeline: list[dict[str, Any]] = [
            {"$match": {"event_id": event_id, "status": "confirmed"}},
            {"$group": {"_id": None, "most": {"$max": {"$size": {"$ifNull": ["$tickets", []]}}}}},
        ]
        rows = await (await self.orders.aggregate(pipeline)).to_list()
        most = max(1, int(rows[0]["most"] or 1)) if rows else 1
        return max(1, min(1_000, tickets_per_batch // most))

    async def confirmed_tickets(
        self, event_id: str, batch_size: int = 2
    ) -> AsyncIterator[dict[str, Any]]:
        """The event's confirmed orders, oldest first, with their tickets' report
        fields; ``batch_size`` orders per round trip (an order may hold 10,000)."""
        query = {"event_id": event_id, "status": "confirmed"}
        cursor = self.orders.find(query, TICKET_FIELDS, batch_size=batch_size).sort("_id", 1)
        async with cursor:
            async for order in cursor:
                yield order
