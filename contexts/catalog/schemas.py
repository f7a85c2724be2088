"""Event requests and responses. Datetimes must carry a time zone (naive ones are a 422);
amounts are integer minor units; a venue's sections and areas are priced by the tiers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    field_validator,
    model_validator,
)

from contexts.catalog.rules import check_schedule
from contexts.catalog.venue_schemas import MapName, Name
from contexts.shared.schemas import Instant, PatchModel, RequestModel
from contexts.tickets.transfer_schemas import TransferPolicy

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=5_000)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
VenueId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24}$")]
MaxTickets = Annotated[int, Field(ge=1, le=50)]
HoldTtl = Annotated[int, Field(ge=30, le=3600)]
Status = Literal["draft", "published", "on_sale", "ended", "cancelled"]
EXAMPLE: dict[str, Any] = {
    "title": "Zenith Live",
    "description": "One night only.",
    "category": "concert",
    "venue_id": "6650c0ffee0000000000beef",
    "starts_at": "2027-06-01T20:00:00Z",
    "sale_starts_at": "2026-01-01T00:00:00Z",
    "currency": "EUR",
    "prices": [
        {"name": "Cat 1", "amount": 5000, "sections": ["A"], "areas": []},
        {"name": "Floor", "amount": 3500, "sections": [], "areas": ["FLOOR"]},
    ],
    "max_tickets_per_customer": 6,
    "hold_ttl_seconds": 600,
}


class Category(StrEnum):
    """What kind of event; a search filter."""

    concert = "concert"
    theatre = "theatre"
    sport = "sport"
    festival = "festival"
    comedy = "comedy"
    conference = "conference"
    other = "other"


# Its value, as JSON carries it (strict mode would want an enum member).
CategoryIn = Annotated[Category, Strict(False)]


class PriceIn(RequestModel):
    """One price tier: ``amount`` minor units for each seat or place it names."""

    name: Name
    amount: int = Field(ge=0, le=100_000_000)
    sections: list[MapName] = Field(default_factory=list, max_length=500)
    areas: list[MapName] = Field(default_factory=list, max_length=100)
    hidden: bool = Field(False, description="Sold only with an access code that unlocks it")


class EventCreate(RequestModel):
    """A new event, created as a draft; every section and area needs exactly one tier."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    title: Title
    description: Description = ""
    category: CategoryIn
    venue_id: VenueId
    starts_at: Instant
    ends_at: Instant | None = None
    sale_starts_at: Instant
    sale_ends_at: Instant | None = Field(None, description="Default: starts_at.")
    currency: Currency = Field(description="ISO 4217 code, upper case.")
    prices: list[PriceIn] = Field(min_length=1, max_length=100)
    max_tickets_per_customer: MaxTickets = 6
    hold_ttl_seconds: HoldTtl = 600
    transfers: TransferPolicy | None = Field(None, description="Default: allowed until start.")
    organiser_id: VenueId | None = Field(
        None,
        description="The organiser the event belongs to (you need its manage_events "
        "permission); without one, a personal event of yours (role event_creator).",
    )

    @model_validator(mode="after")
    def _schedule(self) -> Self:
        check_schedule(self.starts_at, self.ends_at, self.sale_starts_at, self.sale_ends_at)
        return self


class EventUpdate(PatchModel):
    """Changes to an event. Prices, venue, currency and limits only while a draft."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"title": "Zenith Live (2nd date)"}]})
    nullable: ClassVar[frozenset[str]] = frozenset({"ends_at", "sale_ends_at"})

    title: Title | None = None
    description: Description | None = None
    category: CategoryIn | None = None
    venue_id: VenueId | None = None
    starts_at: Instant | None = None
    ends_at: Instant | None = Field(None, description="null clears it.")
    sale_starts_at: Instant | None = None
    sale_ends_at: Instant | None = Field(None, description="null clears it.")
    currency: Currency | None = None
    prices: list[PriceIn] | None = Field(None, min_length=1, max_length=100)
    max_tickets_per_customer: MaxTickets | None = None
    hold_ttl_seconds: HoldTtl | None = None
    transfers: TransferPolicy | None = None


class VenueRef(BaseModel):
    """Where the event takes place (denormalised: venues never change)."""

    id: str
    name: str
    city: str
    country: str


class EventPublic(BaseModel):
    """An event; ``status`` is derived: a published event is on_sale during its sale
    window and ended after it ends (or starts, without ``ends_at``)."""

    id: str
    title: str
    description: str
    category: Category
    status: Status
    owner_id: str = Field(description="Who created it (a personal event's only manager).")
    organiser_id: str | None = None
    venue: VenueRef
    starts_at: datetime
    ends_at: datetime | None
    sale_starts_at: datetime
    sale_ends_at: datetime | None
    currency: str
    prices: list[PriceIn]
    max_tickets_per_customer: int
    hold_ttl_seconds: int
    capacity: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None = None
    cancelled_at: datetime | None = None
    transfers: TransferPolicy = Field(default_factory=TransferPolicy)

    @field_validator("transfers", mode="before")
    @classmethod
    def _default_policy(cls, value: Any) -> Any:
        return TransferPolicy() if value is None else value  # events from before transfers
