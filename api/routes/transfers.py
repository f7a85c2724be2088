"""Ticket transfer: the holder sends a ticket to another account."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser, Transfers
from contexts.tickets.transfer_schemas import TicketTransferCreate, TicketTransferPublic

router = APIRouter(prefix="/v1/tickets", tags=["tickets"])


@router.post(
    "/{ticket_id}/transfer",
    operation_id="tickets_transfer",
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "The organiser forbids transfers (`transfers_disabled`)"},
        404: {"description": "Not found (or not yours)"},
        409: {
            "description": "Checked in (`ticket_checked_in`), refunded (`ticket_void`), too "
            "close to the event (`transfers_frozen`), event cancelled (`event_cancelled`), "
            "or moved meanwhile (`ticket_changed`)"
        },
        422: {"description": "No account has that email (`unknown_recipient`), or it is yours"},
    },
)
async def transfer_ticket(
    ticket_id: str, body: TicketTransferCreate, user: CurrentUser, transfers: Transfers
) -> TicketTransferPublic:
    """Give one of your tickets to the account registered with `to_email`: it leaves
    your tickets, appears in theirs with a new QR code, and the old QR code no longer
    checks in (`ticket_superseded`)."""
    return await transfers.transfer(user, ticket_id, body)
