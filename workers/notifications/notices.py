"""What each message means for people: who is told what (template and its context).

One function per message of ``contexts.shared.messages`` (each takes the decoded
message; the inventory exchange's ``HoldExpired`` fact stays a dict), each returning
the notices to send: one for an order's buyer (and, for a refund, one
per holder of a ticket transferred out of it), one per buyer and per ticket holder
for a cancelled event, none for an expired hold whose customer cannot be found.
Links go to the web pages (a browser signs in there), never to the JSON API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from contexts.shared.messages import (
    EVENT_CANCELLED,
    HOLD_EXPIRED,
    ORDER_CONFIRMED,
    ORDER_FAILED,
    ORDER_REFUNDED,
    TICKET_TRANSFERRED,
    WAITLIST_OFFERED,
    EventCancelled,
    OrderConfirmed,
    OrderFailed,
    OrderRefunded,
    TicketTransferred,
    WaitlistOffered,
)
from workers.notifications.directory import Holding, Sources

# What a refund reason code means to the person refunded (codes are for machines).
REFUND_REASONS = {
    "organiser": "refunded by the event's organiser",
    "admin": "refunded by our support team",
    "event_cancelled": "the event was cancelled",
    "seats_unavailable": "your payment arrived after your reservation had expired and "
    "its seats were sold",
}


@dataclass(frozen=True, slots=True)
class Notice:
    """One person to tell, with which template and what it needs."""

    user_id: str
    template: str
    context: dict[str, Any]


class Malformed(ValueError):
    """The body lacks what its kind promises: no retry will fix it (for the inventory
    facts; the events exchange's messages are checked by their ``from_body``)."""


def _field(body: dict[str, Any], name: str) -> Any:
    value = body.get(name)
    if value is None or value == "":
        raise Malformed(f"missing {name!r}")
    return value


async def _title(event_id: str, title: str | None, sources: Sources) -> str:
    return title or await sources.event_title(event_id) or ""


Order = OrderConfirmed | OrderFailed | OrderRefunded


async def _order_context(order: Order, sources: Sources, **extra: Any) -> dict[str, Any]:
    """What every order email shows: the order, its event, its money."""
    return {
        "order_id": order.order_id,
        "event_id": order.event_id,
        "event_title": await _title(order.event_id, order.event_title, sources),
        "amount": getattr(order, "amount", None),  # a failed order has none
        "currency": getattr(order, "currency", None),
        **extra,
    }


def ticket_url(base_url: str, ticket_id: str) -> str:
    """The web page of one's tickets, opened at this one (it signs the reader in first)."""
    return f"{base_url}/web/tickets.html?ticket={ticket_id}"


def offer_url(base_url: str, event_id: str, reservation_id: str) -> str:
    """The event's page opened at the hold offered in the buyer's name, where they pay it
    (it signs the reader in first); the API's own URL would show a JSON document."""
    query = urlencode({"id": event_id, "reservation": reservation_id})
    return f"{base_url}/web/event.html?{query}"


def refund_reason(code: object) -> str:
    """A reason a person reads, never a bare code (unknown codes say nothing)."""
    return REFUND_REASONS.get(str(code or ""), "")


def _ticket_lines(holding: Holding, base_url: str) -> list[dict[str, Any]]:
    return [{**t, "url": ticket_url(base_url, str(t["ticket_id"]))} for t in holding.tickets]


async def order_confirmed(order: OrderConfirmed, sources: Sources, base_url: str) -> list[Notice]:
    if not order.tickets:
        raise Malformed("an order.confirmed without tickets")
    links = [
        {
            "ticket_id": ticket.ticket_id,
            "seat": ticket.seat,
            "area": ticket.area,
            "qr": ticket.qr,
            "url": ticket_url(base_url, ticket.ticket_id),
        }
        for ticket in order.tickets
    ]
    context = await _order_context(order, sources, tickets=links)
    return [Notice(order.user_id, "order_confirmed", context)]


async def order_failed(order: OrderFailed, sources: Sources, base_url: str) -> list[Notice]:
    context = await _order_context(order, sources, reason=order.reason)
    return [Notice(order.user_id, "order_failed", context)]


async def order_refunded(order: OrderRefunded, sources: Sources, base_url: str) -> list[Notice]:
    """The buyer is refunded; whoever holds a ticket transferred out of the order is told
    that it is void (the money goes to the buyer)."""
    code = order.reason
    context = await _order_context(order, sources, reason=refund_reason(code), reason_code=code)
    notices = [Notice(order.user_id, "order_refunded", context)]
    if code == "event_cancelled":
        return notices  # its holders were told by event.cancelled: once is enough
    for holding in await sources.transferees(order.order_id):
        tickets = _ticket_lines(holding, base_url)
        notices.append(Notice(holding.user_id, "ticket_refunded", {**context, "tickets": tickets}))
    return notices


async def event_cancelled(event: EventCancelled, sources: Sources, base_url: str) -> list[Notice]:
    """Everyone with a stake: each buyer (refunded) and each holder of a ticket (void)."""
    event_id = event.event_id
    title = await _title(event_id, event.event_title, sources)
    context = {"event_id": event_id, "event_title": title}
    return [
        Notice(
            holding.user_id,
            "event_cancelled" if holding.buyer else "event_cancelled_holder",
            {**context, "tickets": _ticket_lines(holding, base_url)},
        )
        for holding in await sources.holders(event_id)
    ]


async def hold_expired(body: dict[str, Any], sources: Sources, base_url: str) -> list[Notice]:
    event_id, stream = str(_field(body, "event_id")), str(_field(body, "stream"))
    try:
        hold_id = int(_field(body, "hold_id"))
    except (TypeError, ValueError) as exc:
        raise Malformed(f"bad hold_id: {exc}") from exc
    try:
        customer = await sources.hold_customer(event_id, stream, hold_id)
    except ValueError as exc:  # a stream that is not the event's
        raise Malformed(str(exc)) from exc
    if customer is None:
        return []  # nobody to tell (an unknown hold or event): skipped, not an error
    title = await _title(event_id, body.get("event_title"), sources)
    return [Notice(customer, "hold_expired", {"event_id": event_id, "event_title": title})]


async def waitlist_offered(offer: WaitlistOffered, sources: Sources, base_url: str) -> list[Notice]:
    """A waiting-list offer: the hold made in the buyer's name, and until when it holds."""
    event_id, reservation_id = offer.event_id, offer.reservation_id
    context = {
        "event_id": event_id,
        "event_title": await _title(event_id, None, sources),
        "reservation_id": reservation_id,
        "reservation_url": offer_url(base_url, event_id, reservation_id),
        "seats": list(offer.seats),
        "area": offer.area,
        "quantity": offer.quantity or 1,
        "expires_at": offer.expires_at,
    }
    return [Notice(offer.user_id, "waitlist_offer", context)]


async def ticket_transferred(
    moved: TicketTransferred, sources: Sources, base_url: str
) -> list[Notice]:
    """A ticket changed hands: its sender is told it left (and that its old QR code is
    void), its recipient that it is theirs, with the link to its new QR code."""
    context = {
        "ticket_id": moved.ticket_id,
        "event_id": moved.event_id,
        "event_title": await _title(moved.event_id, moved.event_title, sources),
        "to_email": moved.to_email,
        "url": ticket_url(base_url, moved.ticket_id),
    }
    return [
        Notice(moved.sender, "ticket_transferred_out", context),
        Notice(moved.recipient, "ticket_transferred_in", context),
    ]


# Each takes the message of its kind (a dict for the inventory's HoldExpired).
Builder = Callable[[Any, Sources, str], Awaitable[list[Notice]]]

BUILDERS: dict[str, Builder] = {
    ORDER_CONFIRMED: order_confirmed,
    ORDER_FAILED: order_failed,
    ORDER_REFUNDED: order_refunded,
    EVENT_CANCELLED: event_cancelled,
    HOLD_EXPIRED: hold_expired,
    WAITLIST_OFFERED: waitlist_offered,
    TICKET_TRANSFERRED: ticket_transferred,
    "HoldExpired": hold_expired,  # the outbox sets ``type`` to the domain event's name
}
