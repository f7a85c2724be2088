"""Response shapes of ``/v1/orders`` (an organiser's view of one order)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from contexts.reservations.schemas import Money


class OrderPublic(BaseModel):
    """An order: who bought what for which event, and where its payment stands."""

    id: str
    user_id: str
    event_id: str
    status: str
    total: Money
    tickets: int
    created_at: datetime
    refunded_at: datetime | None = None
    refund_reason: str | None = None
