"""The application messages on the ``ticketing.events`` exchange, as types.

The contract between the API, the payments, notifications, webhooks and waiting-list
workers (docs/bus-messages.md). One frozen dataclass per message: ``KIND`` is its
routing key, ``VERSION`` its body's version, ``to_body()`` the JSON publishers send and
``from_body()`` the checked read consumers make (``MalformedMessage``, a
``PermanentError``, for a body that does not match: dead-lettered, never retried).
Every message is JSON, persistent, with ``type`` set to its routing key (handlers
dispatch on ``type``: a retried message comes back through the default exchange with
the queue's name as routing key) and ``message_id`` set to a key that is the same for
every redelivery of the same fact. The inventory exchange's facts (``actors.facts``,
format 2) are not these: consumers read them with ``handle_facts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from aio_pika.abc import AbstractIncomingMessage

from contexts.shared.bus_codec import (
    EVENTS_EXCHANGE,
    FactHandler,
    MalformedMessage,
    PermanentError,
    app_message,
    decode,
    handle_facts,
)
from contexts.shared.message_base import Body, Id, Message

__all__ = [
    "EVENTS_EXCHANGE",
    "MESSAGES",
    "Body",
    "FactHandler",
    "MalformedMessage",
    "Message",
    "PermanentError",
    "app_message",
    "decode",
    "from_body",
    "handle_facts",
    "read",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class PaymentRequested(Message):
    """An order waits for its charge (API -> payments worker); id: the order id."""

    KIND: ClassVar[str] = "payment.requested"
    order_id: Id
    reservation_id: Id
    user_id: Id
    event_id: Id
    amount: int  # minor units
    payment_method: Id
    currency: Id


@dataclass(frozen=True, slots=True)
class TicketLine(Body):
    """One ticket of a confirmed order (its QR payload stays out of webhooks)."""

    ticket_id: Id
    seat: str | None
    area: str | None
    qr: str


@dataclass(frozen=True, slots=True)
class OrderConfirmed(Message):
    """Paid, tickets issued; id: ``<order id>:confirmed``."""

    KIND: ClassVar[str] = "order.confirmed"
    PARTS: ClassVar[dict[str, type[Body]]] = {"TicketLine": TicketLine}
    order_id: Id
    user_id: Id
    event_id: Id
    event_title: str | None
    amount: int
    currency: Id
    tickets: tuple[TicketLine, ...]


@dataclass(frozen=True, slots=True)
class OrderFailed(Message):
    """Not paid (declined card, hold gone...); id: ``<order id>:failed``."""

    KIND: ClassVar[str] = "order.failed"
    order_id: Id
    user_id: Id
    event_id: Id
    reason: str
    event_title: str | None = None  # never sent by the API; shown when present


@dataclass(frozen=True, slots=True)
class OrderRefunded(Message):
    """Refunded (organiser, admin, cancelled event...); id: ``<order id>:refunded``."""

    KIND: ClassVar[str] = "order.refunded"
    order_id: Id
    user_id: Id
    event_id: Id
    amount: int
    currency: Id
    reason: str  # a code: organiser, admin, event_cancelled, seats_unavailable, refund
    event_title: str | None = None  # never sent by the API; shown when present


@dataclass(frozen=True, slots=True)
class EventCancelled(Message):
    """An event was cancelled; id: ``event.cancelled:<event id>``."""

    KIND: ClassVar[str] = "event.cancelled"
    event_id: Id
    event_title: str


@dataclass(frozen=True, slots=True)
class TicketCheckedIn(Message):
    """A ticket was scanned at the door; id: ``<ticket id>:checked_in``."""

    KIND: ClassVar[str] = "ticket.checked_in"
    ticket_id: Id
    order_id: str | None
    event_id: Id
    seat: str | None
    area: str | None
    checked_in_at: Id  # ISO 8601


@dataclass(frozen=True, slots=True)
class TicketTransferred(Message):
    """A ticket changed hands; id: ``ticket.transferred:<ticket id>:<version>``."""

    KIND: ClassVar[str] = "ticket.transferred"
    WIRE: ClassVar[dict[str, str]] = {"sender": "from", "recipient": "to"}
    ticket_id: Id
    sender: Id  # user ids
    recipient: Id
    at: Id  # ISO 8601
    event_id: Id
    event_title: str
    to_email: str
    version: int  # the ticket's version after the transfer (its QR code's ``n``)


@dataclass(frozen=True, slots=True)
class WaitlistOffered(Message):
    """A hold made in a waiting buyer's name; id: ``waitlist:<entry id>:<offers>``."""

    KIND: ClassVar[str] = "waitlist.offered"
    entry_id: Id
    user_id: Id
    event_id: Id
    reservation_id: Id
    seats: tuple[str, ...]
    area: str | None
    quantity: int
    expires_at: Id  # as the database's datetime prints: ``2026-12-08 20:00:00+00:00``


MESSAGES: dict[str, type[Message]] = {
    cls.KIND: cls
    for cls in (
        PaymentRequested, OrderConfirmed, OrderFailed, OrderRefunded, EventCancelled,
        TicketCheckedIn, TicketTransferred, WaitlistOffered,
    )
}  # fmt: skip

# The routing keys by name, for bindings and dispatch tables.
PAYMENT_REQUESTED = PaymentRequested.KIND
ORDER_CONFIRMED = OrderConfirmed.KIND
ORDER_FAILED = OrderFailed.KIND
ORDER_REFUNDED = OrderRefunded.KIND
EVENT_CANCELLED = EventCancelled.KIND
TICKET_CHECKED_IN = TicketCheckedIn.KIND
TICKET_TRANSFERRED = TicketTransferred.KIND
WAITLIST_OFFERED = WaitlistOffered.KIND
# On the inventory exchange (not one of these messages): the journaled HoldExpired fact,
# {event_id, stream, seq, hold_id, at}, read with ``handle_facts``.
HOLD_EXPIRED = "inventory.hold.expired"


def from_body(kind: str, body: Any) -> Message:
    """The message of routing key ``kind``; ``MalformedMessage`` for an unknown kind or
    a body that does not match it."""
    cls = MESSAGES.get(kind)
    if cls is None:
        raise MalformedMessage(f"no message {kind!r} on {EVENTS_EXCHANGE}")
    return cls.from_body(body)


def read(message: AbstractIncomingMessage) -> tuple[Message, str]:
    """(message, message id) of an incoming AMQP message of the events exchange."""
    kind, body, message_id = decode(message)
    return from_body(kind, body), message_id
