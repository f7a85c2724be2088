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
from typing import Any

from contexts.shared.clock import now
from contexts.shared.errors import ApiError, Conflict, Invalid, NotFound
from contexts.shared.messages import TICKET_TRANSFERRED
from contexts.shared.principal import Principal
from contexts.tickets.signer import TicketSigner
from contexts.tickets.transfer_rules import check_transferable, holder_of, version_of
from contexts.tickets.transfer_schemas import TicketTransferCreate, TicketTransferPublic
from contexts.tickets.transfers_store import TicketTransfers

log = logging.getLogger(__name__)


class TransferService:
    """Transfers of tickets between accounts."""

    def __init__(
        self,
        tickets: Any,  # contexts.tickets.service.TicketService: finds a ticket by id
        transfers: TicketTransfers,
        events: Any,  # contexts.catalog.events_store.EventsRepo
        users: Any,  # contexts.auth.users_store.UsersRepository
        signer: TicketSigner,
        publisher: Any = None,  # contexts.shared.publisher.EventsPublisher
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
        body = {**record, "at": record["at"].isoformat()}
        message_id = f"{TICKET_TRANSFERRED}:{record['ticket_id']}:{record['version']}"
        try:
            await self.publisher.publish(TICKET_TRANSFERRED, body, message_id)
        except ApiError:  # broker down: the transfer is done and stays done
            log.warning("ticket.transferred not published", extra={"ticket": record["ticket_id"]})
