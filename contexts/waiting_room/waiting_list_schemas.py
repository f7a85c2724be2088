"""Request and response shapes of ``/v1/events/{id}/waiting-list``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from contexts.shared.schemas import RequestModel

Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class WaitingListJoin(RequestModel):
    """Wait for ``quantity`` places of an area, seats of a section, or anything."""

    area: Name | None = Field(None, description="A general-admission area.")
    section: Name | None = Field(None, description="A seated section (best available).")
    quantity: int = Field(1, ge=1, le=50)

    @model_validator(mode="after")
    def one_place(self) -> WaitingListJoin:
        if self.area is not None and self.section is not None:
            raise ValueError("give an area or a section, not both")
        return self


class Offer(BaseModel):
    """A hold made in your name: pay for it before it expires (``/v1/payments/process``)."""

    reservation_id: str
    expires_at: datetime | None = None


class WaitingListEntry(BaseModel):
    """Your place on an event's waiting list."""

    id: str
    event_id: str
    area: str | None
    section: str | None
    quantity: int
    status: Literal["waiting", "offered", "claimed", "lapsed", "left"]
    position: int | None = Field(None, description="1: next in line (while waiting).")
    joined_at: datetime
    offer: Offer | None = None
