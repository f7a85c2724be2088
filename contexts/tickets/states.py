"""A ticket's one state, derived here and nowhere else, from its order and its event: what
the API answers, the web page draws, the CSV export lists and the door accepts.

- ``valid``: paid for, the event is on; its QR code checks in once.
- ``checked_in``: scanned at the door.
- ``refunded``: its order was refunded (or is being): void, no QR code shown.
- ``cancelled``: its event was cancelled: void, no QR code shown (its order is refunded).

An order refunded before its event was cancelled stays ``refunded``; a checked-in
ticket of a cancelled event is ``cancelled`` (the door will not take it again anyway).
No I/O: callers pass whether the event is cancelled (``EventForSale.stored_status``).
"""

from __future__ import annotations

from typing import Any, Literal

TicketState = Literal["valid", "checked_in", "refunded", "cancelled"]
VOID: frozenset[TicketState] = frozenset({"refunded", "cancelled"})
# The order statuses whose document carries tickets (pending and failed orders have none).
TICKETED = ("confirmed", "refunding", "refunded")
CANCELLED_REASON = "event_cancelled"  # the refund reason of a cancelled event's orders


def ticket_state(
    order: dict[str, Any], ticket: dict[str, Any], *, event_cancelled: bool
) -> TicketState:
    """The state of ``ticket`` of ``order``, whose event is or is not cancelled."""
    refunding = order.get("status") != "confirmed"
    reason = (order.get("refund") or {}).get("reason")
    if refunding and reason != CANCELLED_REASON:
        return "refunded"
    if event_cancelled or refunding:
        return "cancelled"
    return "checked_in" if ticket.get("checked_in_at") is not None else "valid"


def void_detail(state: TicketState) -> str:
    """Why a void ticket is refused (at the door, or for a transfer)."""
    if state == "cancelled":
        return "This ticket is void: its event was cancelled."
    return "This ticket is void: its order was refunded."
