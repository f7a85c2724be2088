"""Moving a ticket to another holder inside its order document.

One conditional update: the ticket must still be unused, at the version the caller
read, in a confirmed order. Every transfer bumps the version, so of two concurrent
transfers (or a transfer racing a check-in) exactly one wins, without a lock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.collection import AsyncCollection


def at_version(version: int) -> Any:
    """A filter on a ticket's version (absent means 0)."""
    return {"$in": [None, 0]} if version == 0 else version


class TicketTransfers:
    """Writes of the transfer use case on the orders collection."""

    def __init__(self, orders: AsyncCollection[dict[str, Any]]) -> None:
        self.orders = orders

    async def move(
        self,
        order_id: ObjectId,
        ticket_id: str,
        version: int,
        to_user: str,
        qr: str,
        record: dict[str, Any],
    ) -> bool:
        """Give the ticket to ``to_user`` with its new QR; False if it changed since it
        was read (transferred, checked in or refunded meanwhile)."""
        at: datetime = record["at"]
        current = {"ticket_id": ticket_id, "checked_in_at": None, "version": at_version(version)}
        result = await self.orders.update_one(
            {"_id": order_id, "status": "confirmed", "tickets": {"$elemMatch": current}},
            {
                "$set": {
                    "tickets.$.owner_id": to_user,
                    "tickets.$.version": version + 1,
                    "tickets.$.qr": qr,
                    "tickets.$.transferred_at": at,
                    "updated_at": at,
                },
                "$push": {"transfers": record},  # the order keeps the chain of holders
            },
        )
        return result.modified_count == 1
