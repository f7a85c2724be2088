"""Live views of an event's inventory: availability counts and seat states."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Counts(BaseModel):
    """Seats or places of a part of the venue, by state."""

    capacity: int
    available: int
    held: int
    sold: int


class AvailabilityPublic(Counts):
    """Live counts from the event's inventory actor(s); available + held + sold == capacity."""

    event_id: str
    sections: dict[str, Counts]
    areas: dict[str, Counts]


class SeatRow(BaseModel):
    """One row's seats, in number order."""

    label: str
    states: str = Field(description="One character per seat: A available, H held, S sold.")


class SeatSection(BaseModel):
    """A seated section's rows, in the venue's order."""

    name: str
    rows: list[SeatRow]


class SeatsPublic(BaseModel):
    """Seat states of the seated sections (a second or so old at most)."""

    event_id: str
    seq: int
    sections: list[SeatSection]
