"""Read models across the shards of an event: sums and merges of shard views."""

from __future__ import annotations

from typing import Any

from engine import Venue
from engine.views import counts


def merge_availability(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One availability view from the views of an event's shards."""
    if len(parts) == 1:
        return parts[0]
    sections: dict[str, Any] = {}
    areas: dict[str, list[int]] = {}
    for part in parts:
        sections.update(part["sections"])
        for name, c in part["areas"].items():
            total = areas.setdefault(name, [0, 0, 0])
            total[0] += c["capacity"]
            total[1] += c["held"]
            total[2] += c["sold"]
    merged = counts(*(sum(p[k] for p in parts) for k in ("capacity", "held", "sold")))
    return {
        **merged,
        "sections": sections,
        "areas": {name: counts(*c) for name, c in areas.items()},
    }


def merge_seats(venue: Venue, parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One seat map, sections in the venue's order, from the shards' seat maps."""
    by_name = {s["name"]: s for part in parts for s in part["sections"]}
    return {
        "seq": sum(p["seq"] for p in parts),
        "sections": [by_name[s.name] for s in venue.sections if s.name in by_name],
    }
