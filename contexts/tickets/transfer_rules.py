"""Ticket transfer rules without I/O: who holds a ticket, which QR version is current,
and whether an event's policy lets a ticket move now.

A ticket's holder is its ``owner_id`` once transferred, else its order's buyer. Its
``version`` (absent: 0) is signed into its QR payload as ``n`` (absent: 0); a transfer
bumps it and signs a new payload, so the door refuses the old one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from contexts.shared.errors import Conflict, Forbidden
from contexts.tickets.states import ticket_state, void_detail


def holder_of(order: dict[str, Any], ticket: dict[str, Any]) -> str:
    """The account that holds the ticket now."""
    return ticket.get("owner_id") or order["user_id"]


def version_of(ticket: dict[str, Any]) -> int:
    return int(ticket.get("version") or 0)


def qr_version(claims: dict[str, Any]) -> int:
    """The version a QR payload was signed for (payloads issued before transfers
    existed carry none: version 0)."""
    value = claims.get("n", 0)
    return value if isinstance(value, int) else -1


def check_transferable(
    event: dict[str, Any], order: dict[str, Any], ticket: dict[str, Any], now: datetime
) -> None:
    """Raise the problem that refuses this transfer, if any (checked in this order:
    the ticket's state, the organiser's policy, the freeze window)."""
    state = ticket_state(order, ticket, event_cancelled=event.get("status") == "cancelled")
    if state == "refunded":
        raise Conflict(void_detail(state), code="ticket_void", state=state)
    if state == "cancelled":
        raise Conflict("The event is cancelled.", code="event_cancelled", state=state)
    if state == "checked_in":
        raise Conflict("A checked-in ticket cannot be transferred.", code="ticket_checked_in")
    policy = event.get("transfers") or {}
    if not policy.get("allowed", True):
        raise Forbidden("The organiser does not allow transfers.", code="transfers_disabled")
    freeze = event["starts_at"] - timedelta(hours=int(policy.get("freeze_hours_before", 0)))
    if now >= freeze:
        raise Conflict(
            f"Transfers for this event closed at {freeze.isoformat()}.", code="transfers_frozen"
        )
