"""Domain events: what happened to the inventory (past-tense names).

Events are the only way state changes (``Inventory.apply``) and what the journal
stores, so each carries everything needed to replay it: its per-inventory sequence
number ``seq``, the time ``at`` it was decided, and, when the command had an
idempotency key, that key and the command's fingerprint. Seats are dense indexes
(see ``SeatMap``); ``-1`` as ``area`` means a seated hold.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

from engine.limits import LIMITS_EVENTS
from engine.queue_messages import QUEUE_EVENTS

# Slotted, not frozen, for construction speed on the hot path (see commands.py);
# nothing mutates an event after it is built.


@dataclass(slots=True)
class SeatsHeld:
    """Seats (or general-admission places) were held for a customer until ``expires_at``."""

    seq: int
    at: float
    hold_id: int
    customer: str
    seats: tuple[int, ...]
    area: int
    quantity: int
    expires_at: float
    amount: int  # after any discount: what the buyer pays
    key: str | None = None
    fingerprint: str | None = None
    promo: str | None = None  # the promo code applied, if any
    discount: int = 0  # taken off by ``promo``: the price before it is amount + discount


@dataclass(slots=True)
class HoldConfirmed:
    """A hold was paid for and its seats are sold."""

    seq: int
    at: float
    hold_id: int
    payment_ref: str
    key: str | None = None
    fingerprint: str | None = None


@dataclass(slots=True)
class HoldExtended:
    """A hold's deadline moved later (its payment is in flight) to ``expires_at``."""

    seq: int
    at: float
    hold_id: int
    expires_at: float
    key: str | None = None
    fingerprint: str | None = None


@dataclass(slots=True)
class HoldReleased:
    """A hold was given back before its deadline."""

    seq: int
    at: float
    hold_id: int
    key: str | None = None
    fingerprint: str | None = None


@dataclass(slots=True)
class HoldExpired:
    """A hold reached its deadline unpaid and its seats are available again."""

    seq: int
    at: float
    hold_id: int
    key: ClassVar[None] = None  # decided by the clock, never by a keyed command
    fingerprint: ClassVar[None] = None  # so every event has one (the state reads it)


@dataclass(slots=True)
class SaleReturned:
    """A sold hold was refunded and its seats are available again."""

    seq: int
    at: float
    hold_id: int
    key: str | None = None
    fingerprint: str | None = None


DomainEvent = SeatsHeld | HoldConfirmed | HoldExtended | HoldReleased | HoldExpired | SaleReturned

EVENT_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        *(SeatsHeld, HoldConfirmed, HoldExtended, HoldReleased, HoldExpired, SaleReturned),
        *LIMITS_EVENTS,
        *QUEUE_EVENTS,  # the waiting room's (engine/waiting_room.py)
    )
}


def astuple_shallow(event: DomainEvent) -> tuple[Any, ...]:
    """The event's field values in order (``dataclasses.astuple`` would deep-copy)."""
    return tuple([getattr(event, name) for name in event.__slots__])


def event_to_dict(event: Any) -> dict[str, Any]:
    """A JSON/BSON-friendly dict of an event (tuples become lists)."""
    data: dict[str, Any] = {"type": type(event).__name__}
    for f in fields(event):
        value = getattr(event, f.name)
        data[f.name] = list(value) if isinstance(value, tuple) else value
    return data


def event_from_dict(data: dict[str, Any]) -> Any:
    """The inverse of ``event_to_dict``."""
    values = dict(data)
    cls = EVENT_TYPES[values.pop("type")]
    if "seats" in values:
        values["seats"] = tuple(values["seats"])
    return cls(**values)
