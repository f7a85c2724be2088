"""In-memory fakes of the reservation use case's ports (``contexts.reservations.service``).

``FakeHolds`` plays the inventory router for one general-admission area per event: it
honours what the service relies on (an idempotency key returns its first hold, or
refuses a different request; sold out and exhausted codes are engine errors; a
release by someone else is ``HoldNotFoundError``; an unknown event is
``InventoryNotFoundError``), not the seat maps (tested in tests/unit/test_engine_*).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from actors.errors import InventoryNotFoundError
from actors.refs import Held, HoldRef
from contexts.shared.errors import Forbidden
from engine import (
    HoldArea,
    HoldBestAvailable,
    HoldNotFoundError,
    HoldSeats,
    IdempotencyKeyReusedError,
    SeatsHeld,
    SoldOutError,
)
from engine.promos import PromoExhaustedError

TTL_S = 600.0


@dataclass
class Stock:
    places: int
    price: int
    currency: str = "EUR"
    sharded: bool = False
    holds: dict[int, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, tuple[str, Held]] = field(default_factory=dict)

    def held(self) -> int:
        return sum(h["quantity"] for h in self.holds.values() if h["status"] == "held")


@dataclass
class Route:
    plan: object | None


class FakeHolds:
    """Holds of each event's single area (``actors.router.InventoryRouter``)."""

    def __init__(self) -> None:
        self.stock: dict[str, Stock] = {}
        self.commands: list[Any] = []  # what reached the inventory, in order

    def open(self, event_id: str, places: int = 10, price: int = 1000, **kw: Any) -> None:
        self.stock[event_id] = Stock(places, price, **kw)

    def _of(self, event_id: str) -> Stock:
        if event_id not in self.stock:
            raise InventoryNotFoundError(event_id)
        return self.stock[event_id]

    async def route(self, event_id: str) -> Route:
        return Route("plan" if self._of(event_id).sharded else None)

    async def hold(self, event_id: str, command: HoldSeats | HoldBestAvailable | HoldArea) -> Held:
        stock = self._of(event_id)
        self.commands.append(command)
        if command.key is not None and command.key in stock.keys:
            first, held = stock.keys[command.key]
            if first != repr(command):
                raise IdempotencyKeyReusedError("this key was used for another request")
            return held
        quantity = len(command.seats) if isinstance(command, HoldSeats) else command.quantity
        if stock.held() + quantity > stock.places:
            raise SoldOutError("not enough places", available=stock.places - stock.held())
        amount, discount, code = quantity * stock.price, 0, None
        if command.promo is not None:
            promo, code = command.promo, command.promo.code
            uses = sum(1 for h in stock.holds.values() if h["promo"] == code)
            if promo.limit is not None and uses >= promo.limit:
                raise PromoExhaustedError("the code is used up", code, promo.limit)
            discount = (amount * promo.percent + 50) // 100 + quantity * promo.amount_off
            discount = min(discount, amount)
            amount -= discount
        hold_id, now = len(stock.holds) + 1, time.time()
        event = SeatsHeld(
            hold_id, now, hold_id, command.customer, (), 0, quantity, now + TTL_S, amount,
            command.key, None, code, discount,
        )  # fmt: skip
        stock.holds[hold_id] = {
            "customer": command.customer, "status": "held", "seats": [], "area": "FLOOR",
            "quantity": quantity, "expires_at": now + TTL_S, "amount": amount,
            "discount": discount, "promo": code, "currency": stock.currency,
        }  # fmt: skip
        held = Held(HoldRef(event_id, -1, hold_id), event, [], "FLOOR", stock.currency)
        if command.key is not None:
            stock.keys[command.key] = (repr(command), held)
        return held

    async def hold_view(self, ref: HoldRef) -> dict[str, Any] | None:
        view = self._of(ref.event_id).holds.get(ref.hold_id)
        return None if view is None else dict(view)

    async def release(self, ref: HoldRef, customer: str | None = None) -> object:
        hold = self._of(ref.event_id).holds.get(ref.hold_id)
        if hold is None or (customer is not None and hold["customer"] != customer):
            raise HoldNotFoundError(f"no hold {ref.hold_id}")
        hold["status"] = "released"
        return hold


@dataclass
class Event:
    """An event as the sale cache gives it (``EventForSale``)."""

    id: str
    owner_id: str
    stored_status: str = "published"
    status: str = "on_sale"
    published_at: datetime | None = field(default_factory=lambda: datetime.now(UTC))
    sale_starts_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def status_at(self, now: datetime) -> str:
        return self.status


class FakeSaleCatalog:
    def __init__(self, *events: Event) -> None:
        self.events = {e.id: e for e in events}

    async def get_for_sale(self, event_id: str) -> Event | None:
        return self.events.get(event_id)


class FakeLimiter:
    """Counts checks per (scope, key); never refuses (limits are tested elsewhere)."""

    def __init__(self) -> None:
        self.checks: list[tuple[str, str]] = []

    async def check(self, scope: str, key: str, per_minute: int) -> None:
        self.checks.append((scope, key))


class FakeGate:
    """A waiting room: admits the holders of ``tokens``; records the places used."""

    def __init__(self, *tokens: str) -> None:
        self.tokens = set(tokens)
        self.used_by: list[str] = []

    async def check(self, user: Any, event_id: str, token: str | None) -> bool:
        if token not in self.tokens:
            raise Forbidden("Wait in the queue first.", code="queue_required")
        return True

    async def used(self, user: Any, event_id: str) -> None:
        self.used_by.append(user.id)


def later(hours: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)
