"""Tickets: one's own tickets with their signed QR codes, the scanners' public key, and
check-in at the door."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from api.deps import ContainerDep, CurrentUser, Tickets
from api.openapi import Responses
from api.pagination import Cursor, Limit
from contexts.tickets.check_in_notice import announce_check_in
from contexts.tickets.schemas import CheckInCreate, CheckInPublic, TicketPage, TicketPublic

router = APIRouter(prefix="/v1/tickets", tags=["tickets"])
NOT_YOURS: Responses = {404: {"description": "Not found (or not yours)"}}


@router.get("", operation_id="tickets_list", responses={401: {"description": "Not signed in"}})
async def list_tickets(
    user: CurrentUser, tickets: Tickets, limit: Limit = 20, cursor: Cursor = None
) -> TicketPage:
    """The caller's tickets, newest first, each with its one `status`: valid,
    checked_in, or void (refunded, cancelled: no QR code)."""
    return await tickets.list(user, limit, cursor)


# Declared before `/{ticket_id}`, which would otherwise match `public-key`.
@router.get(
    "/public-key",
    operation_id="tickets_public_key",
    response_class=PlainTextResponse,
    responses={200: {"content": {"application/x-pem-file": {}}}},
)
async def public_key(container: ContainerDep) -> PlainTextResponse:
    """The Ed25519 public key (PEM) that verifies ticket QR payloads offline: a payload
    is `base64url(JSON claims) "." base64url(signature over the first part)`."""
    return PlainTextResponse(container.signer.public_pem, media_type="application/x-pem-file")


@router.get("/{ticket_id}", operation_id="tickets_get", responses=NOT_YOURS)
async def get_ticket(ticket_id: str, user: CurrentUser, tickets: Tickets) -> TicketPublic:
    """One of the caller's tickets with its QR payload (admins see any)."""
    return await tickets.get(user, ticket_id)


@router.post(
    "/{ticket_id}/check-in",
    operation_id="tickets_check_in",
    responses={
        **NOT_YOURS,
        403: {"description": "Not the event's organiser (nor an admin)"},
        409: {
            "description": "Already checked in (`already_checked_in`), replaced by a "
            "transfer (`ticket_superseded`), or void (`ticket_void`, with its `state`: "
            "refunded or cancelled)"
        },
        422: {"description": "Forged, damaged or another ticket's QR code (`invalid_qr`)"},
    },
)
async def check_in(
    ticket_id: str,
    body: CheckInCreate,
    user: CurrentUser,
    tickets: Tickets,
    container: ContainerDep,
) -> CheckInPublic:
    """Scan a ticket at the door (the event's organiser or an admin): the QR signature
    must verify and match the ticket; a ticket checks in once."""
    scan = await tickets.check_in(user, ticket_id, body)
    await announce_check_in(container.publisher, scan)  # for organiser webhooks
    return scan
