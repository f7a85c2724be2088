"""Request and response shapes of ``/v1/webhooks`` (organiser webhook subscriptions)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from contexts.shared.pagination import Page
from contexts.shared.schemas import RequestModel

EventKind = Literal["order.confirmed", "order.failed", "order.refunded", "ticket.checked_in"]
ALL_KINDS: tuple[EventKind, ...] = (
    "order.confirmed",
    "order.failed",
    "order.refunded",
    "ticket.checked_in",
)
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2000)]
EventId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24}$")]


class WebhookCreate(RequestModel):
    """Subscribe ``url`` to ``events`` of one event, or of every event you manage."""

    url: Url = Field(examples=["https://organiser.example.com/hooks/ticketing"])
    event_id: EventId | None = Field(None, description="Omit for every event you manage.")
    events: list[EventKind] = Field(default_factory=lambda: list(ALL_KINDS), min_length=1)


class WebhookPublic(BaseModel):
    """A subscription; its secret is only in the answer to its creation."""

    id: str
    url: str
    event_id: str | None
    events: list[EventKind]
    created_at: datetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="HMAC-SHA256 key of the signatures: shown only once.")


class DeliveryPublic(BaseModel):
    """One delivery attempt of one message to the subscription's URL."""

    id: str
    message_id: str
    kind: str
    attempt: int
    ok: bool
    status_code: int | None = None
    latency_ms: float
    error: str | None = None
    at: datetime


WebhookPage = Page[WebhookPublic]
DeliveryPage = Page[DeliveryPublic]
