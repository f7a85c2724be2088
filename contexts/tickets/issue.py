"""Issuing an order's tickets: one per seat, or one per place in a general-admission area.

A ticket's id is ``<order id>-<n>``: it names its order, so reading or scanning a
ticket is one look-up by ``_id`` (tickets live inside their order document).
"""

from __future__ import annotations

from typing import Any

from contexts.tickets.signer import TicketSigner


def ticket_id(order_id: str, number: int) -> str:
    return f"{order_id}-{number}"


def split_ticket_id(value: str) -> tuple[str, int] | None:
    """(order id, number) of a ticket id; None if it is not one."""
    order_id, _, number = value.rpartition("-")
    if len(order_id) != 24 or not number.isdigit() or not 0 < int(number) <= 10_000:
        return None
    return order_id, int(number)


def issue_tickets(order: dict[str, Any], signer: TicketSigner) -> list[dict[str, Any]]:
    """The order's tickets with their signed QR payloads (deterministic: Ed25519
    signatures are, so issuing twice gives the same tickets)."""
    order_id, event_id = str(order["_id"]), order["event_id"]
    seats = order.get("seats") or []
    places = [(seat, None) for seat in seats] or [(None, order["area"])] * int(order["quantity"])
    tickets = []
    for number, (seat, area) in enumerate(places, 1):
        tid = ticket_id(order_id, number)
        claims = {"tid": tid, "eid": event_id, "seat": seat, "area": area}
        ticket = {"ticket_id": tid, "seat": seat, "area": area, "qr": signer.sign(claims)}
        tickets.append({**ticket, "checked_in_at": None})
    return tickets
