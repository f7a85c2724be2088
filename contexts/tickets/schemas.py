"""Response and request shapes of ``/v1/tickets`` (reading and scanning tickets)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from contexts.shared.pagination import Page
from contexts.shared.schemas import RequestModel
from contexts.tickets.states import TicketState

QrPayload = Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class TicketPublic(BaseModel):
    """A ticket and its signed QR payload (verifiable offline: ``/v1/tickets/public-key``).
    ``status``: valid, checked_in, or void: refunded (its order) or cancelled (its event),
    which carry no QR code."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ticket_id": "6a1f0c0ffee0000000000abc-1",
                    "order_id": "6a1f0c0ffee0000000000abc",
                    "event_id": "66f0c0ffee0000000000abcd",
                    "seat": "A-1-1",
                    "area": None,
                    "qr": "eyJ0aWQiOi4uLn0.c2lnbmF0dXJl",
                    "status": "valid",
                    "checked_in_at": None,
                }
            ]
        }
    )

    ticket_id: str
    order_id: str
    event_id: str
    event_title: str | None = None
    seat: str | None = None
    area: str | None = None
    qr: str | None = Field(description="The signed QR payload; null once the ticket is void")
    status: TicketState
    checked_in_at: datetime | None = None


TicketPage = Page[TicketPublic]


class CheckInCreate(RequestModel):
    """What a door scanner read from the ticket's QR code."""

    qr: QrPayload


class CheckInPublic(BaseModel):
    """A successful scan: the ticket is now used."""

    ticket_id: str
    event_id: str
    seat: str | None = None
    area: str | None = None
    checked_in_at: datetime
