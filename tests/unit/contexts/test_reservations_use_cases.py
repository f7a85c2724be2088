"""Reservations (``contexts.reservations.service``) against in-memory fakes of the
inventory, the sale cache, the rate limiter and the waiting room; promo codes through
the real ``PromoService`` over the catalog's fakes. What is refused, in which order,
what an idempotency key means, and whose reservation is whose."""

from __future__ import annotations

from typing import Any

import pytest

from contexts.catalog.promos import PromoService
from contexts.reservations.schemas import ReserveCreate
from contexts.reservations.service import ReservationService
from contexts.shared.errors import Conflict, Forbidden, Invalid, NotFound
from contexts.shared.principal import Principal
from contexts.shared.settings import Settings
from engine import HoldArea, IdempotencyKeyReusedError, SoldOutError
from engine.promos import PromoExhaustedError
from tests.unit.fakes.catalog import FakeManagedEvents, FakePromoDefinitions, FakeUseCounts
from tests.unit.fakes.reservations import (
    Event,
    FakeGate,
    FakeHolds,
    FakeLimiter,
    FakeSaleCatalog,
    later,
)

ANN = Principal("u-ann", frozenset({"customer"}))
BOB = Principal("u-bob", frozenset({"customer"}))
ADMIN = Principal("u-admin", frozenset({"admin"}))
OWNER = Principal("u-owner", frozenset({"organiser"}))


class World:
    """One service over fresh fakes: ``gate`` (a waiting room) is optional."""

    def __init__(self, *events: Event, gate: FakeGate | None = None) -> None:
        self.holds, self.limiter, self.gate = FakeHolds(), FakeLimiter(), gate
        for event in events:
            self.holds.open(event.id, places=4, price=1000)
        catalog = FakeSaleCatalog(*events)
        self.service = ReservationService(self.holds, catalog, self.limiter, Settings(), gate)
        self.codes = FakePromoDefinitions()
        self.promos = PromoService(self.codes, FakeManagedEvents(), FakeUseCounts())

    def code(self, event_id: str, code: str, **kw: Any) -> None:
        doc = {"event_id": event_id, "code": code, "discount_type": "percentage",
               "discount_value": 10, "max_uses": None, **kw}  # fmt: skip
        self.codes.docs[(event_id, code)] = doc

    async def reserve(
        self, user: Principal, key: str | None = None, token: str | None = None, **kw: Any
    ) -> Any:
        fields = {"event_id": "e1", "area": "FLOOR", "quantity": 2, **kw}
        body = ReserveCreate.model_validate(fields)
        return await self.service.reserve(user, "10.0.0.1", body, key, token, self.promos)


async def test_a_hold_is_rate_limited_per_user_and_per_ip() -> None:
    world = World(Event("e1", OWNER.id))
    held = await world.reserve(ANN)
    assert (held.status, held.quantity, held.total.amount) == ("held", 2, 2000)
    assert world.limiter.checks == [("reserve-user", ANN.id), ("reserve-ip", "10.0.0.1")]


async def test_a_draft_is_not_found_and_an_event_not_on_sale_is_a_conflict() -> None:
    draft = Event("e1", OWNER.id, stored_status="draft", status="draft", published_at=None)
    with pytest.raises(NotFound):
        await World(draft).reserve(ANN)
    with pytest.raises(Conflict) as refused:  # its owner sees it, but it is not on sale
        await World(draft).reserve(OWNER)
    assert refused.value.code == "not_on_sale"
    with pytest.raises(Conflict):
        await World(Event("e1", OWNER.id, status="sold_out")).reserve(ANN)


async def test_the_waiting_room_is_asked_after_the_404_and_told_of_the_hold() -> None:
    gate = FakeGate("tok")
    draft = Event("e1", OWNER.id, stored_status="draft", status="draft", published_at=None)
    with pytest.raises(NotFound):  # not Forbidden: a draft's waiting room does not leak it
        await World(draft, gate=gate).reserve(ANN)
    world = World(Event("e1", OWNER.id), gate=gate)
    with pytest.raises(Forbidden):
        await world.reserve(ANN)
    assert world.holds.commands == []
    await world.reserve(ANN, token="tok")
    assert gate.used_by == [ANN.id]


async def test_a_refused_hold_keeps_the_place_in_the_waiting_room() -> None:
    gate = FakeGate("tok")
    world = World(Event("e1", OWNER.id), gate=gate)
    with pytest.raises(SoldOutError):
        await world.reserve(ANN, token="tok", quantity=5)
    assert gate.used_by == []


async def test_an_idempotency_key_is_per_caller() -> None:
    world = World(Event("e1", OWNER.id))
    first = await world.reserve(ANN, key="k1")
    assert (await world.reserve(ANN, key="k1")).reservation_id == first.reservation_id
    other = await world.reserve(BOB, key="k1")  # the same key from someone else
    assert other.reservation_id != first.reservation_id
    assert [c.key for c in world.holds.commands] == [f"{ANN.id}:k1"] * 2 + [f"{BOB.id}:k1"]
    with pytest.raises(IdempotencyKeyReusedError):
        await world.reserve(ANN, key="k1", quantity=1)
    assert isinstance(world.holds.commands[0], HoldArea)


async def test_a_code_discounts_and_its_limit_travels_to_the_inventory() -> None:
    world = World(Event("e1", OWNER.id))
    world.code("e1", "TEN", max_uses=1)
    held = await world.reserve(ANN, promo_code="ten")
    assert (held.subtotal.amount, held.discount.amount, held.total.amount) == (2000, 200, 1800)
    assert held.promo_code == "TEN"
    with pytest.raises(PromoExhaustedError):  # the inventory counts uses, not the service
        await world.reserve(BOB, promo_code="TEN")


async def test_a_presale_code_opens_the_sale_early() -> None:
    early = Event("e1", OWNER.id, status="published", sale_starts_at=later(24))
    world = World(early)
    world.code("e1", "FANS", presale=True, discount_type="none", discount_value=0)
    world.code("e1", "TEN")
    with pytest.raises(Conflict):
        await world.reserve(ANN)
    with pytest.raises(Conflict):  # a plain discount code does not open it
        await world.reserve(ANN, promo_code="TEN")
    assert (await world.reserve(ANN, promo_code="FANS")).status == "held"


async def test_codes_the_service_cannot_honour_are_refused() -> None:
    world = World(Event("e1", OWNER.id))
    body = ReserveCreate.model_validate(
        {"event_id": "e1", "area": "FLOOR", "quantity": 1, "promo_code": "TEN"}
    )
    with pytest.raises(Invalid) as no_promos:
        await world.service.reserve(ANN, "10.0.0.1", body, None)
    world.holds.stock["e1"].sharded = True
    world.code("e1", "TEN", max_uses=5)
    with pytest.raises(Invalid) as sharded:
        await world.reserve(ANN, promo_code="TEN")
    assert no_promos.value.code == sharded.value.code == "promo_unsupported"
    world.code("e1", "FREE")  # no limit: fine on a sharded event
    assert (await world.reserve(ANN, promo_code="FREE")).status == "held"


async def test_a_reservation_is_its_holders_or_an_admins() -> None:
    world = World(Event("e1", OWNER.id))
    rid = (await world.reserve(ANN)).reservation_id
    assert (await world.service.get(ANN, rid)).status == "held"
    assert (await world.service.get(ADMIN, rid)).status == "held"
    for bad in (rid, "not-a-reservation", "e1.-1.99.0", "e9.-1.1.0"):
        with pytest.raises(NotFound):
            await world.service.get(BOB, bad)
    with pytest.raises(NotFound):
        await world.service.release(BOB, rid)
    await world.service.release(ANN, rid)
    assert (await world.service.get(ANN, rid)).status == "released"


async def test_an_admin_releases_anyones_hold() -> None:
    world = World(Event("e1", OWNER.id))
    rid = (await world.reserve(ANN, quantity=4)).reservation_id
    await world.service.release(ADMIN, rid)
    assert (await world.reserve(BOB, quantity=4)).status == "held"  # the places are free
