"""Venue requests and responses: the seat map of DESIGN.md with its schema limits.

The schema bounds sizes (so a request cannot ask for a billion seats); the rules of
a seat map (unique names, no ``-`` in row labels, ...) are the engine's ``Venue``,
whose refusal is a 422 ``invalid_configuration`` problem.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from contexts.shared.schemas import RequestModel

MAX_SECTIONS = 500
MAX_ROWS_PER_SECTION = 2_000
MAX_SEATS_PER_ROW = 10_000
MAX_AREAS = 100
MAX_CAPACITY = 1_000_000

# Seat-map names are kept verbatim (seat ids are built from them); the engine refuses
# blank or padded ones. Descriptive fields are stripped.
MapName = Annotated[str, StringConstraints(min_length=1, max_length=50)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
City = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Country = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")
]


class Input(RequestModel):
    """Request bodies refuse unknown fields (a typo is a 422, not silently ignored)."""


class RowIn(Input):
    """A row of ``seats`` seats, numbered 1..seats; seat ids are SECTION-ROW-NUMBER."""

    label: MapName
    seats: int = Field(ge=1, le=MAX_SEATS_PER_ROW)


class SectionIn(Input):
    """A seated section, rows in order."""

    name: MapName
    rows: list[RowIn] = Field(min_length=1, max_length=MAX_ROWS_PER_SECTION)


class AreaIn(Input):
    """A general-admission area sold by quantity."""

    name: MapName
    capacity: int = Field(ge=1, le=MAX_CAPACITY)


class VenueCreate(Input):
    """A venue and its seat map (at least one section or area)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Zenith",
                    "city": "Paris",
                    "country": "FR",
                    "timezone": "Europe/Paris",
                    "sections": [{"name": "A", "rows": [{"label": "1", "seats": 20}]}],
                    "areas": [{"name": "FLOOR", "capacity": 5000}],
                }
            ]
        },
    )

    name: Name
    city: City
    country: Country = Field(description="ISO 3166-1 alpha-2 code.")
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    timezone: str | None = Field(None, max_length=64, description="IANA zone: Europe/Paris.")
    sections: list[SectionIn] = Field(default_factory=list, max_length=MAX_SECTIONS)
    areas: list[AreaIn] = Field(default_factory=list, max_length=MAX_AREAS)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # "Europe" is a dir
                raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class VenueSummary(BaseModel):
    """A venue in a list: no seat map (fetch the venue for it)."""

    id: str
    name: str
    city: str
    country: str
    address: str | None = None
    timezone: str | None = None
    capacity: int
    owner_id: str
    created_at: datetime


class VenuePublic(VenueSummary):
    """A venue with its seat map."""

    sections: list[SectionIn]
    areas: list[AreaIn]
