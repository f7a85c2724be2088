"""Waiting-room requests and responses: the organiser's settings, a buyer's place."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from contexts.shared.schemas import Instant, RequestModel

AccountRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=320)]
PlaceStatus = Literal["pre_sale", "queued", "admitted", "used", "expired", "sold_out", "closed"]
RoomStatus = Literal["off", "pre_sale", "open", "paused", "sold_out", "closed"]


class WaitingRoomCreate(RequestModel):
    """The waiting room of an event (owner or admin). Admission is capped by a rate, by
    the number of buyers admitted who have not reserved yet (automatic: it follows
    how fast buyers get their holds), or both; the default is automatic, 100 at a time.
    ``enabled: false`` turns the room off for good: everyone waiting is told, and
    reservations no longer need an admission."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"rate_per_minute": 600, "admission_ttl_seconds": 300},
                {"max_active": 200, "access_list": ["fan@example.com"]},
            ]
        },
    )

    enabled: bool = True
    rate_per_minute: float | None = Field(None, gt=0, le=1_000_000)
    max_active: int | None = Field(None, ge=1, le=1_000_000)
    admission_ttl_seconds: int = Field(300, ge=10, le=3600)
    opens_at: Instant | None = Field(None, description="Default: the sale's start.")
    access_list: list[AccountRef] | None = Field(
        None, max_length=100_000, description="Emails or user ids; null: anyone may join."
    )

    @model_validator(mode="after")
    def _automatic_by_default(self) -> Self:
        if self.rate_per_minute is None and self.max_active is None:
            self.max_active = 100
        return self


class WaitingRoomPublic(BaseModel):
    """An event's waiting room: its settings and live counts."""

    event_id: str
    enabled: bool
    status: RoomStatus
    opens_at: datetime | None = None
    rate_per_minute: float | None = None
    max_active: int | None = None
    admission_ttl_seconds: int | None = None
    access_list_size: int | None = None
    joined: int = 0
    waiting: int = 0
    admitted: int = Field(default=0, description="Admitted and not reserved yet")
    used: int = 0
    expired: int = 0
    admissions_per_minute: float | None = None


class QueuePlacePublic(BaseModel):
    """A buyer's place. ``position`` 1 is next; ``admission_token`` (status admitted)
    goes in the ``X-Admission-Token`` header of ``POST /v1/tickets/reserve``."""

    event_id: str
    status: PlaceStatus
    position: int | None = None
    ahead: int | None = None
    waiting: int
    estimated_wait_seconds: int | None = None
    opens_at: datetime
    paused: bool = Field(description="Nothing left to hold right now; held places may return")
    admission_token: str | None = None
    admission_expires_at: datetime | None = None


class QueueJoinPublic(QueuePlacePublic):
    """The place taken (or the one already held), and a token naming it, for
    ``GET .../queue/stream?token=`` (an EventSource cannot send headers)."""

    queue_token: str
