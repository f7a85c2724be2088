"""Request and response shapes of reservations (``/v1/tickets/reserve``, ``/v1/reservations``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from contexts.shared.schemas import RequestModel

Name = Annotated[str, StringConstraints(min_length=1, max_length=50)]
SeatId = Annotated[str, StringConstraints(min_length=5, max_length=120)]
MAX_PER_REQUEST = 50


class ReserveCreate(RequestModel):
    """Explicit seats, or a quantity in a section (best available) or in a GA area."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"event_id": "66f0c0ffee0000000000abcd", "seats": ["A-1-1", "A-1-2"]},
                {"event_id": "66f0c0ffee0000000000abcd", "section": "A", "quantity": 2},
                {"event_id": "66f0c0ffee0000000000abcd", "area": "FLOOR", "quantity": 2},
            ]
        },
    )

    event_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    seats: list[SeatId] | None = Field(None, min_length=1, max_length=MAX_PER_REQUEST)
    section: Name | None = None
    area: Name | None = None
    quantity: int | None = Field(None, ge=1, le=MAX_PER_REQUEST)
    promo_code: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="A promo or access code of the event (any case).",
    )

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        forms = [self.seats is not None, self.section is not None, self.area is not None]
        if sum(forms) != 1:
            raise ValueError(
                "give exactly one of `seats`, `section` + `quantity`, `area` + `quantity`"
            )
        if self.seats is not None and self.quantity is not None:
            raise ValueError("`quantity` goes with `section` or `area`, not with `seats`")
        if self.seats is None and self.quantity is None:
            raise ValueError("`quantity` is required with `section` or `area`")
        return self


class Money(BaseModel):
    """An amount in integer minor units (cents) and its ISO 4217 currency."""

    amount: int
    currency: str


class ReservationPublic(BaseModel):
    """A reservation as its owner sees it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reservation_id": "66f0c0ffee0000000000abcd.-1.17.0",
                    "event_id": "66f0c0ffee0000000000abcd",
                    "status": "held",
                    "seats": ["A-1-1", "A-1-2"],
                    "area": None,
                    "quantity": 2,
                    "expires_at": "2027-06-01T19:10:00Z",
                    "total": {"amount": 8000, "currency": "EUR"},
                    "subtotal": {"amount": 10000, "currency": "EUR"},
                    "discount": {"amount": 2000, "currency": "EUR"},
                    "promo_code": "EARLY20",
                }
            ]
        }
    )

    reservation_id: str
    event_id: str
    status: Literal["held", "sold", "expired", "released", "returned"]
    seats: list[str] = Field(default_factory=list)
    area: str | None = None
    quantity: int = 0
    expires_at: datetime | None = None
    total: Money | None = None  # what is to be paid, after any discount
    subtotal: Money | None = None  # before the discount
    discount: Money | None = None
    promo_code: str | None = None  # the code applied, if any
