"""What each message means for people: who is told what (template and its context).

One function per message kind of ``contexts.shared.messages`` (bodies documented there),
each returning the notices to send: one for an order's buyer (and, for a refund, one
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
    """The body lacks what its kind promises: no retry will fix it."""


def _field(body: dict[str, Any], name: str) -> Any:
    value = body.get(name)
    if value is None or value == "":
        raise Malformed(f"missing {name!r}")
    return value


async def _title(body: dict[str, Any], sources: Sources) -> str:
    return body.get("event_title") or await sources.event_title(str(body["event_id"])) or ""


async def _order_context(body: dict[str, Any], sources: Sources, **extra: Any) -> dict[str, Any]:
    """What every order email shows: the order, its event, its money."""
    return {
        "order_id": _field(body, "order_id"),
        "event_id": _field(body, "event_id"),
        "event_title": await _title(body, sources),
        "amount": body.get("amount"),
        "currency": body.get("currency"),
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


async def order_confirmed(body: dict[str, Any], sources: Sources, base_url: str) -> list[Notice]:
    tickets = body.get("tickets")
    if not isinstance(tickets, list) or not tickets:
        raise Malformed("an order.confirmed without tickets")
    links = []
    for ticket in tickets:
        ticket_id = _field(ticket, "ticket_id")
        links.append(
            {
                "ticket_id": ticket_id,
                "seat": ticket.get("seat"),
                "area": ticket.get("area"),
                "qr": ticket.get("qr") or "",
                "url": ticket_url(base_url, ticket_id),
            }
        )
    context = await _order_context(body, sources, tickets=links)
    return [Notice(str(_field(body, "user_id")), "order_confirmed", context)]


async def order_failed(body: dict[str, Any], sources: Sources, base_url: str) -> list[Notice]:
    context = await _order_context(body, sources, reason=body.get("reason") or "")
    return [Notice(str(_field(body, "user_id")), "order_failed", context)]


async def order_refunded(body: dict[str, Any], sources: Sources, base_url: str) -> list[Notice]:
    """The buyer is refunded; whoever holds a ticket transferred out of the order is told
    that it is void (the money goes to the buyer)."""
    code = body.get("reason") or ""
    context = await _order_context(body, sources, reason=refund_reason(code), reason_code=code)
    notices = [Notice(str(_field(body, "user_id")), "order_refunded", context)]
    if code == "event_cancelled":
        return notices  # its holders were told by event.cancelled: once is enough
    for holding in await sources.transferees(str(body["order_id"])):
        tickets = _ticket_lines(holding, base_url)
        notices.append(Notice(holding.user_id, "ticket_refunded", {**context, "tickets": tickets}))
    return notices


async def event_cancelled(body: dict[str, Any], sources: Sources, base_url: str) -> list[Notice]:
    """Everyone with a stake: each buyer (refunded) and each holder of a ticket (void)."""
    event_id = str(_field(body, "event_id"))
    context = {"event_id": event_id, "event_title": await _title(body, sources)}
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
    context = {"event_id": event_id, "event_title": await _title(body, sources)}
    return [Notice(customer, "hold_expired", context)]


async def waitlist_offered(body: dict[str, Any], sources: Sources, base_url: str) -> list[Notice]:
    """A waiting-list offer: the hold made in the buyer's name, and until when it holds."""
    reservation_id = str(_field(body, "reservation_id"))
    context = {
        "event_id": str(_field(body, "event_id")),
        "event_title": await _title(body, sources),
        "reservation_id": reservation_id,
        "reservation_url": offer_url(base_url, str(_field(body, "event_id")), reservation_id),
        "seats": body.get("seats") or [],
        "area": body.get("area"),
        "quantity": body.get("quantity") or 1,
        "expires_at": str(_field(body, "expires_at")),
    }
    return [Notice(str(_field(body, "user_id")), "waitlist_offer", context)]


async def ticket_transferred(body: dict[str, Any], sources: Sources, base_url: str) -> list[Notice]:
    """A ticket changed hands: its sender is told it left (and that its old QR code is
    void), its recipient that it is theirs, with the link to its new QR code."""
    ticket_id = str(_field(body, "ticket_id"))
    context = {
        "ticket_id": ticket_id,
        "event_id": str(_field(body, "event_id")),
        "event_title": await _title(body, sources),
        "to_email": body.get("to_email") or "",
        "url": ticket_url(base_url, ticket_id),
    }
    return [
        Notice(str(_field(body, "from")), "ticket_transferred_out", context),
        Notice(str(_field(body, "to")), "ticket_transferred_in", context),
    ]


Builder = Callable[[dict[str, Any], Sources, str], Awaitable[list[Notice]]]

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
