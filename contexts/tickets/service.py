"""Tickets: the buyer's list and detail, and the door's check-in.

Tickets live inside their order document; a ticket id names its order, so a read or
a scan is one look-up by ``_id``. A scan verifies the QR signature (the same check a
scanner does offline with the public key), that it is this ticket's, and marks the
ticket used with a conditional update: of two concurrent scans, one wins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from bson import ObjectId
from bson.errors import InvalidId

from contexts.organisers.access import OrganiserAccess
from contexts.shared.clock import now
from contexts.shared.errors import Conflict, Forbidden, Invalid, NotFound
from contexts.shared.pagination import InvalidCursor, decode_cursor, encode_cursor
from contexts.shared.principal import Principal
from contexts.tickets.issue import split_ticket_id
from contexts.tickets.schemas import CheckInCreate, CheckInPublic, TicketPage, TicketPublic
from contexts.tickets.signer import InvalidQr, TicketSigner
from contexts.tickets.states import VOID, TicketState, ticket_state, void_detail
from contexts.tickets.transfer_rules import holder_of, qr_version, version_of


class TicketOrders(Protocol):
    """The orders a ticket lives in (the orders context's store implements it): its reads
    and the one write the door makes, so tickets never touch the orders' collection."""

    async def get(self, order_id: str, light: bool = False) -> dict[str, Any] | None:
        """One order (``light``: without what a ticket read does not need)."""

    async def with_tickets(
        self, user_id: str, after: dict[str, Any] | None, limit: int
    ) -> list[dict[str, Any]]:
        """A user's orders holding a ticket of theirs, newest first, from ``after``."""

    async def check_in(
        self, order_id: ObjectId, ticket_id: str, at: datetime, version: int = 0
    ) -> bool:
        """Mark the ticket used; False if it already was or was transferred meanwhile."""


def present(order: dict[str, Any], ticket: dict[str, Any], state: TicketState) -> TicketPublic:
    """A ticket as its holder sees it: a void one shows its state, not its QR code."""
    return TicketPublic(
        ticket_id=ticket["ticket_id"],
        order_id=str(order["_id"]),
        event_id=order["event_id"],
        event_title=order.get("event_title"),
        seat=ticket.get("seat"),
        area=ticket.get("area"),
        qr=None if state in VOID else ticket["qr"],
        status=state,
        checked_in_at=ticket.get("checked_in_at"),
    )


def _after(cursor: str) -> tuple[dict[str, Any], int]:
    """(the order to resume at, tickets of it already listed) from a cursor."""
    key = decode_cursor(cursor, ("t", "i", "k"))
    try:
        at, oid, skip = datetime.fromisoformat(key["t"]), ObjectId(key["i"]), int(key["k"])
    except (TypeError, ValueError, InvalidId) as exc:
        raise InvalidCursor("The cursor is malformed.") from exc
    if at.tzinfo is None or skip < 0:
        raise InvalidCursor("The cursor is malformed.")
    return {"created_at": at, "_id": oid}, skip


class TicketService:
    """Read and scan tickets."""

    def __init__(
        self,
        orders: TicketOrders,
        catalog: Any,
        signer: TicketSigner,
        access: OrganiserAccess | None = None,
    ) -> None:
        self.orders, self.catalog, self.signer = orders, catalog, signer
        self.access = access  # organiser permissions; without: the event's owner only

    async def list(self, user: Principal, limit: int, cursor: str | None) -> TicketPage:
        """The caller's tickets, void ones included (with their state), newest order
        first, ``limit`` at a time."""
        after, skip = _after(cursor) if cursor else (None, 0)
        items: list[TicketPublic] = []
        cancelled: dict[str, bool] = {}  # per event, read once per page
        # Every confirmed order has at least one ticket: limit + 1 orders fill a page.
        for order in await self.orders.with_tickets(user.id, after, limit + 1):
            start = skip if after is not None and order["_id"] == after["_id"] else 0
            tickets = order.get("tickets") or []
            for k in range(start, len(tickets)):
                if holder_of(order, tickets[k]) != user.id:
                    continue  # transferred away (the order stays the buyer's)
                if len(items) == limit:
                    key = {"t": order["created_at"].isoformat(), "i": str(order["_id"]), "k": k}
                    return TicketPage(items=items, next_cursor=encode_cursor(key))
                event_id = order["event_id"]
                if event_id not in cancelled:
                    cancelled[event_id] = await self._event_cancelled(event_id)
                state = ticket_state(order, tickets[k], event_cancelled=cancelled[event_id])
                items.append(present(order, tickets[k], state))
        return TicketPage(items=items, next_cursor=None)

    async def get(self, user: Principal, ticket_id: str) -> TicketPublic:
        order, ticket = await self._find(ticket_id)
        if holder_of(order, ticket) != user.id and not user.is_admin:
            raise NotFound(f"No ticket {ticket_id}.")
        return present(order, ticket, await self.state(order, ticket))

    async def state(self, order: dict[str, Any], ticket: dict[str, Any]) -> TicketState:
        """The ticket's state now (``ticket_states``), its event read from the catalog."""
        cancelled = await self._event_cancelled(order["event_id"])
        return ticket_state(order, ticket, event_cancelled=cancelled)

    async def _event_cancelled(self, event_id: str) -> bool:
        event = await self.catalog.get_for_sale(event_id)  # cached: a few seconds old
        return event is not None and event.stored_status == "cancelled"

    async def check_in(self, user: Principal, ticket_id: str, body: CheckInCreate) -> CheckInPublic:
        """Scan at the door (the event's organiser or an admin): valid once."""
        order, ticket = await self._find(ticket_id)
        if not user.is_admin and not await self._organises(user, order["event_id"]):
            if holder_of(order, ticket) == user.id:
                raise Forbidden("Only the event's organiser (or an admin) checks tickets in.")
            raise NotFound(f"No ticket {ticket_id}.")
        try:
            claims = self.signer.verify(body.qr)
        except InvalidQr as exc:
            detail = f"This QR code is not a genuine ticket: {exc}."
            raise Invalid(detail, code="invalid_qr") from exc
        if claims.get("tid") != ticket_id or claims.get("eid") != order["event_id"]:
            raise Invalid("This QR code belongs to another ticket.", code="invalid_qr")
        state = await self.state(order, ticket)
        if state in VOID:
            raise Conflict(void_detail(state), code="ticket_void", state=state)
        if qr_version(claims) != version_of(ticket):
            detail = "This QR code was replaced: the ticket was transferred."
            raise Conflict(detail, code="ticket_superseded")
        at = now()
        if not await self.orders.check_in(order["_id"], ticket_id, at, version_of(ticket)):
            raise Conflict("This ticket was already checked in.", code="already_checked_in")
        return CheckInPublic(
            ticket_id=ticket_id,
            event_id=order["event_id"],
            seat=ticket.get("seat"),
            area=ticket.get("area"),
            checked_in_at=at,
        )

    async def _organises(self, user: Principal, event_id: str) -> bool:
        event = await self.catalog.get_for_sale(event_id)
        if event is not None and self.access is not None:
            return await self.access.can(user, event, "check_in")
        return event is not None and event.owner_id == user.id

    async def find(self, ticket_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(order, ticket) of a ticket id; ``NotFound`` if there is none."""
        return await self._find(ticket_id)

    async def _find(self, ticket_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        parts = split_ticket_id(ticket_id)
        order = await self.orders.get(parts[0], light=True) if parts else None
        for ticket in (order or {}).get("tickets") or []:
            if isinstance(ticket, dict) and ticket.get("ticket_id") == ticket_id:
                assert order is not None
                return order, ticket
        raise NotFound(f"No ticket {ticket_id}.")
