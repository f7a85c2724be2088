"""In-memory fakes of the transfer use case's ports (``contexts.tickets.transfers``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from contexts.shared.errors import NotFound


class FakeTicketOrders:
    """Orders with their tickets, in a dict by ``_id``: ``find`` as ``TicketService``
    does (NotFound when no order holds the ticket), ``move`` as ``TicketTransfers``
    does: one conditional update, applied only to an unused ticket at the version read
    in a confirmed order, so of two racing moves exactly one wins."""

    def __init__(self, *orders: dict[str, Any]) -> None:
        self.orders = {o["_id"]: o for o in orders}

    async def find(self, ticket_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        for order in self.orders.values():
            for ticket in order.get("tickets") or []:
                if ticket.get("ticket_id") == ticket_id:
                    return _copy(order), dict(ticket)
        raise NotFound(f"No ticket {ticket_id}.")

    async def move(
        self,
        order_id: Any,
        ticket_id: str,
        version: int,
        to_user: str,
        qr: str,
        record: dict[str, Any],
    ) -> bool:
        order = self.orders.get(order_id)
        if order is None or order.get("status") != "confirmed":
            return False
        for ticket in order["tickets"]:
            current = int(ticket.get("version") or 0) == version
            unused = ticket.get("checked_in_at") is None
            if ticket.get("ticket_id") == ticket_id and current and unused:
                ticket.update(owner_id=to_user, version=version + 1, qr=qr)
                ticket["transferred_at"] = order["updated_at"] = record["at"]
                order.setdefault("transfers", []).append(record)
                return True
        return False


def _copy(order: dict[str, Any]) -> dict[str, Any]:
    """A read of the order: what the caller holds does not change under it."""
    return {**order, "tickets": [dict(t) for t in order.get("tickets") or []]}


class FakeEvents:
    """Events' documents by id (``EventsStore.get``)."""

    def __init__(self, *events: dict[str, Any]) -> None:
        self.events = {e["_id"]: e for e in events}

    async def get(self, event_id: str) -> dict[str, Any] | None:
        return self.events.get(event_id)


@dataclass(frozen=True)
class Account:
    id: str
    email: str


class FakeAccounts:
    """Accounts by email (``UsersStore.by_email``)."""

    def __init__(self, *accounts: Account) -> None:
        self.by = {a.email: a for a in accounts}

    async def by_email(self, email: str) -> Account | None:
        return self.by.get(email)


class FakeSigner:
    """Signs nothing: the payload is the claims as JSON, enough to read them back."""

    def sign(self, claims: dict[str, Any]) -> str:
        return json.dumps(claims, sort_keys=True)
