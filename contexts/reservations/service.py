"""Reservations: the hot path from an HTTP request to the event's inventory actor.

No database on the way: the event's sale state comes from the catalog's short-lived
cache, the hold from the actor (through the coalescing router). The reservation id
encodes where the hold lives, so reading or releasing it needs no lookup either.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, Protocol

from actors.errors import InventoryNotFoundError
from actors.refs import Held, HoldRef
from contexts.catalog.rules import can_see
from contexts.reservations.schemas import Money, ReservationPublic, ReserveCreate
from contexts.shared.errors import Conflict, Invalid, NotFound
from contexts.shared.metrics import RESERVE_OUTCOMES
from contexts.shared.principal import Principal
from contexts.shared.settings import Settings
from engine import (
    HoldArea,
    HoldBestAvailable,
    HoldNotFoundError,
    HoldSeats,
    InventoryError,
    Promo,
)


class EventForSale(Protocol):
    # Read-only (properties): the catalog's is a frozen dataclass.
    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def stored_status(self) -> str: ...
    @property
    def owner_id(self) -> str: ...
    @property
    def published_at(self) -> datetime | None: ...
    @property
    def sale_starts_at(self) -> datetime: ...

    def status_at(self, now: datetime) -> str: ...


class SaleCatalog(Protocol):
    """What reservations need from the catalog: an event's sale state, cached."""

    async def get_for_sale(self, event_id: str) -> EventForSale | None: ...


def _iso(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _prices(amount: int, discount: int, promo: str | None, currency: str) -> dict[str, Any]:
    """``total`` (to pay) and, with a code, ``subtotal``, ``discount`` and the code."""
    prices: dict[str, Any] = {"total": Money(amount=amount, currency=currency)}
    if promo is not None:
        prices["subtotal"] = Money(amount=amount + discount, currency=currency)
        prices["discount"] = Money(amount=discount, currency=currency)
        prices["promo_code"] = promo
    return prices


def present_held(held: Held) -> ReservationPublic:
    event = held.event
    return ReservationPublic(
        reservation_id=held.ref.token(),
        event_id=held.ref.event_id,
        status="held",
        seats=held.seat_ids,
        area=held.area,
        quantity=event.quantity,
        expires_at=_iso(event.expires_at),
        **_prices(event.amount, event.discount, event.promo, held.currency),
    )


def present_view(ref: HoldRef, view: dict[str, Any]) -> ReservationPublic:
    if "seats" not in view:  # an ended hold: only its status is left
        return ReservationPublic(
            reservation_id=ref.token(), event_id=ref.event_id, status=view["status"]
        )
    return ReservationPublic(
        reservation_id=ref.token(),
        event_id=ref.event_id,
        status=view["status"],
        seats=view["seats"],
        area=view["area"],
        quantity=view["quantity"],
        expires_at=_iso(view["expires_at"]) if view["status"] == "held" else None,
        **_prices(view["amount"], view.get("discount", 0), view.get("promo"), view["currency"]),
    )


class Admissions(Protocol):
    """The waiting room's gate (``contexts.waiting_room.admission.AdmissionGate``)."""

    async def check(self, user: Principal, event_id: str, token: str | None) -> bool: ...

    async def used(self, user: Principal, event_id: str) -> None: ...


class PromoCodes(Protocol):
    """Resolves a buyer's code (``contexts.catalog.promos.PromoService``)."""

    async def resolve(self, event_id: str, code: str, now: datetime) -> tuple[Promo, bool]: ...


class Planned(Protocol):
    """How an event is laid out (``actors.router.Route``): ``plan`` None if unsharded."""

    @property
    def plan(self) -> object | None: ...


class Holds(Protocol):
    """The inventory (``actors.router.InventoryRouter``): engine errors refuse a hold;
    ``release`` raises ``HoldNotFoundError`` for another ``customer``'s hold."""

    async def hold(
        self, event_id: str, command: HoldSeats | HoldBestAvailable | HoldArea
    ) -> Held: ...

    async def route(self, event_id: str) -> Planned: ...

    async def hold_view(self, ref: HoldRef) -> dict[str, Any] | None: ...

    async def release(self, ref: HoldRef, customer: str | None = None) -> object: ...


class Limiter(Protocol):
    """Rate limits (``contexts.shared.ratelimit.RateLimiter``): raises when over."""

    async def check(self, scope: str, key: str, per_minute: int) -> None: ...


class ReservationService:
    """Reserve, read and release holds on behalf of a caller."""

    def __init__(
        self,
        router: Holds,
        catalog: SaleCatalog,
        limiter: Limiter,
        settings: Settings,
        gate: Admissions | None = None,
    ) -> None:
        self.router = router
        self.catalog = catalog
        self.limiter = limiter
        self.settings = settings
        self.gate = gate  # None: no waiting rooms (tools, tests of the bare service)

    async def reserve(
        self,
        user: Principal,
        ip: str,
        body: ReserveCreate,
        idempotency_key: str | None,
        admission: str | None = None,
        promos: PromoCodes | None = None,
    ) -> ReservationPublic:
        """Hold for ``user``; ``admission`` is the waiting room's token, needed (403
        otherwise) when the event has a waiting room. ``body.promo_code`` is resolved
        through ``promos``: a presale code opens the sale before ``sale_starts_at``."""
        await self.limiter.check("reserve-user", user.id, self.settings.reserve_rate_per_user)
        await self.limiter.check("reserve-ip", ip, self.settings.reserve_rate_per_ip)
        event = await self.catalog.get_for_sale(body.event_id)
        # A draft is its owner's: to anyone else it does not exist (404, not 409).
        published = event is not None and event.published_at is not None
        if event is None or not can_see(event.stored_status, published, event.owner_id, user):
            raise NotFound(f"No event {body.event_id}.")
        promo, presale = await self._promo(body, promos)
        now = datetime.now(UTC)
        early = presale and event.status_at(now) == "published" and now < event.sale_starts_at
        if event.status != "on_sale" and not early:
            raise Conflict(f"This event is {event.status}, not on sale.", code="not_on_sale")
        # After the 404 and 409: a draft's waiting room must not betray the draft.
        gate = self.gate
        admitted = gate is not None and await gate.check(user, body.event_id, admission)
        # Keys are per caller: the same key from two users are two different requests.
        key = f"{user.id}:{idempotency_key}" if idempotency_key else None
        command: HoldSeats | HoldBestAvailable | HoldArea
        if body.seats is not None:
            command = HoldSeats(user.id, tuple(body.seats), key, promo)
        elif body.section is not None:
            command = HoldBestAvailable(user.id, body.section, int(body.quantity or 0), key, promo)
        else:
            command = HoldArea(user.id, str(body.area), int(body.quantity or 0), key, promo)
        started, outcome = time.perf_counter(), "error"
        try:
            held = await self.router.hold(body.event_id, command)
            outcome = "held"
        except InventoryError:
            outcome = "refused"
            raise
        finally:
            RESERVE_OUTCOMES[outcome].observe(time.perf_counter() - started)
        if gate is not None and admitted:  # its place is free: the next buyer may come in
            await gate.used(user, body.event_id)
        return present_held(held)

    async def _promo(
        self, body: ReserveCreate, promos: PromoCodes | None
    ) -> tuple[Promo | None, bool]:
        """The engine's promo and whether it opens the presale (None, False: no code)."""
        if body.promo_code is None:
            return None, False
        if promos is None:
            raise Invalid("Promo codes are not accepted here.", code="promo_unsupported")
        promo, presale = await promos.resolve(body.event_id, body.promo_code, datetime.now(UTC))
        route = await self.router.route(body.event_id)
        if route.plan is not None and promo.limit is not None:
            # Shards count uses apart, so no one of them can hold a limit: refused, not
            # silently overrun. Codes without a limit work on sharded events.
            raise Invalid(
                "Codes with a usage limit are not supported on this (sharded) event yet.",
                code="promo_unsupported",
            )
        return promo, presale

    async def get(self, user: Principal, reservation_id: str) -> ReservationPublic:
        ref = self._ref(reservation_id)
        try:
            view = await self.router.hold_view(ref)
        except InventoryNotFoundError:
            view = None
        # Someone else's reservation is "not found": its existence is not theirs to learn.
        if view is None or (view["customer"] != user.id and not user.is_admin):
            raise NotFound(f"No reservation {reservation_id}.")
        return present_view(ref, view)

    async def release(self, user: Principal, reservation_id: str) -> None:
        ref = self._ref(reservation_id)
        try:
            await self.router.release(ref, customer=None if user.is_admin else user.id)
        except (InventoryNotFoundError, HoldNotFoundError) as exc:
            raise NotFound(f"No reservation {reservation_id}.") from exc

    @staticmethod
    def _ref(reservation_id: str) -> HoldRef:
        try:
            return HoldRef.parse(reservation_id)
        except HoldNotFoundError as exc:
            raise NotFound(f"No reservation {reservation_id}.") from exc
