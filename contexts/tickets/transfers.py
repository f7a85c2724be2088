"""Ticket transfer: the holder sends a ticket to another account, by its email.

The ticket gets a new holder, a bumped version and a newly signed QR payload in one
conditional update of its order (see ``TicketTransfers``); check-in then refuses the
old payload (``ticket_superseded``). A recipient must already have an account: an
unknown email is a 422 (``unknown_recipient``), no pending transfer is kept.
A ``ticket.transferred`` message goes to the events exchange afterwards (the
notifications worker emails both parties), best effort: the transfer stands if the
broker is down, and then nobody is emailed.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from contexts.shared.clock import now
from contexts.shared.errors import Conflict, Invalid, NotFound, Refusal
from contexts.shared.messages import TicketTransferred
from contexts.shared.principal import Principal
from contexts.shared.publisher import send
from contexts.tickets.transfer_rules import check_transferable, holder_of, version_of
from contexts.tickets.transfer_schemas import TicketTransferCreate, TicketTransferPublic

log = logging.getLogger(__name__)


class Tickets(Protocol):
    """Finds a ticket (``contexts.tickets.service.TicketService``): (order, ticket), or
    ``NotFound``."""

    async def find(self, ticket_id: str) -> tuple[dict[str, Any], dict[str, Any]]: ...


class Moves(Protocol):
    """The conditional write (``contexts.tickets.transfers_store.TicketTransfers``)."""

    async def move(
        self, order_id: Any, ticket_id: str, version: int, to_user: str, qr: str,
        record: dict[str, Any],
    ) -> bool: ...  # fmt: skip


class Events(Protocol):
    """An event's document (``contexts.catalog.events_store.EventsStore``)."""

    async def get(self, event_id: str) -> dict[str, Any] | None: ...


class Account(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def email(self) -> str: ...


class Accounts(Protocol):
    """Accounts by email (``contexts.auth.users_store.UsersStore``)."""

    async def by_email(self, email: str) -> Account | None: ...


class Signer(Protocol):
    """Signs a QR payload (``contexts.tickets.signer.TicketSigner``)."""

    def sign(self, claims: dict[str, Any]) -> str: ...


class Publisher(Protocol):
    """The bus (``contexts.shared.publisher.MessagePublisher``); raises a ``Refusal``
    (``BrokerUnavailable``) when a message is not confirmed."""

    async def publish(self, kind: str, body: dict[str, Any], message_id: str) -> None: ...


class TransferService:
    """Transfers of tickets between accounts."""

    def __init__(
        self,
        tickets: Tickets,
        transfers: Moves,
        events: Events,
        users: Accounts,
        signer: Signer,
        publisher: Publisher | None = None,
    ) -> None:
        self.tickets, self.transfers, self.events = tickets, transfers, events
        self.users, self.signer, self.publisher = users, signer, publisher

    async def transfer(
        self, user: Principal, ticket_id: str, body: TicketTransferCreate
    ) -> TicketTransferPublic:
        order, ticket = await self.tickets.find(ticket_id)
        holder = holder_of(order, ticket)
        if holder != user.id:  # only the holder; others must not learn it exists
            raise NotFound(f"No ticket {ticket_id}.")
        event = await self.events.get(order["event_id"])
        if event is None:
            raise NotFound(f"No ticket {ticket_id}.")
        at = now()
        check_transferable(event, order, ticket, at)
        recipient = await self.users.by_email(str(body.to_email))
        if recipient is None:
            raise Invalid(
                "No account has this email; ask them to register.", code="unknown_recipient"
            )
        if recipient.id == holder:
            raise Invalid("This ticket is already yours.", code="transfer_to_self")
        version = version_of(ticket) + 1
        claims = {"tid": ticket_id, "eid": order["event_id"], "seat": ticket.get("seat")}
        qr = self.signer.sign({**claims, "area": ticket.get("area"), "n": version})
        record = {"ticket_id": ticket_id, "from": holder, "to": recipient.id, "at": at}
        if not await self.transfers.move(
            order["_id"], ticket_id, version - 1, recipient.id, qr, {**record, "version": version}
        ):
            raise Conflict("The ticket changed meanwhile: read it again.", code="ticket_changed")
        about = {"event_id": order["event_id"], "event_title": event.get("title", "")}
        await self._announce({**record, **about, "to_email": recipient.email, "version": version})
        return TicketTransferPublic(
            ticket_id=ticket_id,
            event_id=order["event_id"],
            to_email=recipient.email,
            transferred_at=at,
        )

    async def _announce(self, record: dict[str, Any]) -> None:
        if self.publisher is None:
            return
        message = TicketTransferred(
            ticket_id=record["ticket_id"],
            sender=record["from"],
            recipient=record["to"],
            at=record["at"].isoformat(),
            event_id=record["event_id"],
            event_title=record["event_title"],
            to_email=record["to_email"],
            version=record["version"],
        )
        message_id = f"{message.KIND}:{message.ticket_id}:{message.version}"
        try:
            await send(self.publisher, message, message_id)
        except Refusal:  # broker down: the transfer is done and stays done
            log.warning("ticket.transferred not published", extra={"ticket": record["ticket_id"]})
