"""Confirmed orders written straight through the orders repository, with tickets issued
as the payments worker issues them: tests of transfers and reports need sold tickets,
not the payment flow (covered elsewhere), and mongoeco takes few large orders well."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bson import ObjectId

from contexts.tickets.issue import issue_tickets
from tests.integration.api_support import Api

PRICES = {"A": 5000, "FLOOR": 3500}  # on_sale_event's tiers: Cat 1 (section A), Floor


async def seed_order(
    api: Api,
    event_id: str,
    user_id: str,
    *,
    seats: list[str] | None = None,
    quantity: int = 0,
    status: str = "confirmed",
    created_at: datetime | None = None,
    promo_code: str | None = None,
    amount: int | None = None,
) -> dict[str, Any]:
    """A stored order of ``seats`` (section A) or ``quantity`` FLOOR places."""
    seats = seats or []
    face = len(seats) * PRICES["A"] + quantity * PRICES["FLOOR"]
    order: dict[str, Any] = {
        "_id": ObjectId(),
        "reservation_id": ObjectId().binary.hex(),
        "user_id": user_id,
        "event_id": event_id,
        "event_title": "Concert",
        "status": status,
        "seats": seats,
        "area": None if seats else "FLOOR",
        "quantity": len(seats) or quantity,
        "amount": face if amount is None else amount,
        "currency": "EUR",
        "payment": {"method": "pm_card_visa", "intent_id": None, "history": []},
        "created_at": created_at or datetime.now(UTC),
    }
    if promo_code is not None:
        order["promo_code"] = promo_code
    order["tickets"] = issue_tickets(order, api.container.signer)
    stored, created = await api.container.orders.insert(order)
    assert created
    return stored
