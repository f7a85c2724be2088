"""Ticket transfer shapes: the organiser's per-event policy, the holder's request and
what it answers. The new QR code is never in the answer: it is the recipient's, who
reads it from their own ``GET /v1/tickets``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contexts.auth.schemas import Email
from contexts.shared.schemas import RequestModel


class TransferPolicy(RequestModel):
    """Whether an event's tickets may change hands, and until when (an event without a
    policy allows transfers until it starts)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"allowed": True, "freeze_hours_before": 24}]},
    )

    allowed: bool = True
    freeze_hours_before: int = Field(
        default=0, ge=0, le=8760, description="No transfers from this many hours before the start."
    )


class TicketTransferCreate(RequestModel):
    """Send one of your tickets to the account registered with ``to_email``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"to_email": "friend@example.com"}]})

    to_email: Email


class TicketTransferPublic(BaseModel):
    """A done transfer: the old QR code no longer checks in; the recipient holds the
    ticket with a new one."""

    ticket_id: str
    event_id: str
    status: Literal["transferred"] = "transferred"
    to_email: str
    transferred_at: datetime
