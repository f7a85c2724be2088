"""What buyers may ask for: an event's real seat map, read from the API (``--event-id``).

A given event is sold as its organiser laid it out: seat ids are SECTION-ROW-NUMBER of
the venue's sections, quantities go to a section or an area. Only what the event
prices is on sale, so picks are drawn from the priced sections and areas alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import aiohttp

from cluster.loadtest.client import LoadTestError, call


@dataclass(frozen=True)
class Layout:
    """The rows of seats (section, row label, seats), sections and areas buyers ask for,
    and the event's per-customer limit."""

    rows: list[tuple[str, str, int]]
    sections: list[str]
    areas: list[str] = field(default_factory=list)
    limit: int | None = None

    @classmethod
    def of_rows(cls, rows: list[tuple[str, str, int]]) -> Layout:
        """The layout of a created event (cluster.loadtest.setup.stadium_layout)."""
        return cls(rows, sorted({section for section, _, _ in rows}))

    @property
    def seats(self) -> int:
        return sum(n for _, _, n in self.rows)


async def event_layout(base_url: str, event_id: str) -> Layout:
    """The priced sections (their rows) and areas of ``event_id``; it must be on sale."""
    async with aiohttp.ClientSession() as http:
        event = await call(
            http, "GET", f"{base_url}/v1/events/{event_id}", f"reading the event {event_id}"
        )
        if event.get("status") != "on_sale":
            raise LoadTestError(
                f"the event {event_id} is {event.get('status')!r}, not on sale: publish it "
                "(within its sale window) or give another --event-id"
            )
        venue_id = event["venue"]["id"]
        venue = await call(
            http, "GET", f"{base_url}/v1/venues/{venue_id}", f"reading the venue {venue_id}"
        )
    priced_sections = {s for price in event.get("prices", []) for s in price.get("sections", [])}
    priced_areas = {a for price in event.get("prices", []) for a in price.get("areas", [])}
    rows = [
        (section["name"], row["label"], row["seats"])
        for section in venue.get("sections", [])
        if section["name"] in priced_sections
        for row in section["rows"]
    ]
    areas = [a["name"] for a in venue.get("areas", []) if a["name"] in priced_areas]
    if not rows and not areas:
        raise LoadTestError(f"the event {event_id} prices no section or area of its venue")
    sections = sorted({section for section, _, _ in rows})
    return Layout(rows, sections, areas, event.get("max_tickets_per_customer"))
