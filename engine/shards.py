"""Splitting a very large event into shard inventories (pure planning).

Each shard owns whole seated sections (so a seat id names its shard through its
section) and a slice of every general-admission area (so a quantity can go to
any shard with room). Sections are dealt largest first to the least-loaded
shard, which keeps shards within one section's size of each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.errors import InvalidConfigurationError, InvalidSeatError
from engine.venue import Area, PriceTier, SaleTerms, Section, Venue


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """Which shard owns which section, and which shards hold a slice of each area."""

    shards: tuple[tuple[Venue, SaleTerms], ...]
    section_shard: dict[str, int]
    area_shards: dict[str, tuple[int, ...]]

    def shard_of_seats(self, seat_ids: tuple[str, ...]) -> int:
        """The one shard owning all these seats; InvalidSeatError if none or several."""
        owners = set()
        for seat_id in seat_ids:
            section = seat_id.rsplit("-", 2)[0] if isinstance(seat_id, str) else None
            if section not in self.section_shard:
                raise InvalidSeatError(f"{seat_id!r} is not a seat of this venue", (str(seat_id),))
            owners.add(self.section_shard[section])
        if len(owners) != 1:
            raise InvalidSeatError(
                "the seats of one reservation must be in the same part of the venue",
                tuple(seat_ids),
            )
        return owners.pop()

    def to_dict(self) -> dict[str, Any]:
        return {"shards": [[v.to_dict(), t.to_dict()] for v, t in self.shards]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShardPlan:
        shards = tuple((Venue.from_dict(v), SaleTerms.from_dict(t)) for v, t in data["shards"])
        return _index(shards)


def plan_shards(venue: Venue, terms: SaleTerms, count: int) -> ShardPlan:
    """Split ``venue`` into at most ``count`` shards (fewer if there is too little to split)."""
    if count < 1:
        raise InvalidConfigurationError("an event needs at least one shard")
    if not venue.areas:
        count = min(count, len(venue.sections))
    sections: list[list[Section]] = [[] for _ in range(count)]
    load = [0] * count
    for section in sorted(venue.sections, key=lambda s: -s.capacity):
        target = load.index(min(load))
        sections[target].append(section)
        load[target] += section.capacity
    order = {s.name: i for i, s in enumerate(venue.sections)}
    shards = []
    for k in range(count):
        own = tuple(sorted(sections[k], key=lambda s: order[s.name]))
        areas = tuple(
            Area(a.name, a.capacity // count + (1 if k < a.capacity % count else 0))
            for a in venue.areas
        )
        areas = tuple(a for a in areas if a.capacity > 0)
        if own or areas:
            sub = Venue(own, areas)
            shards.append((sub, _terms_for(sub, terms)))
    return _index(tuple(shards))


def _terms_for(sub: Venue, terms: SaleTerms) -> SaleTerms:
    names = {s.name for s in sub.sections} | {a.name for a in sub.areas}
    tiers = tuple(
        PriceTier(
            t.name,
            t.amount,
            tuple(n for n in t.sections if n in names),
            tuple(n for n in t.areas if n in names),
            t.hidden,  # a hidden tier stays hidden in every shard
        )
        for t in terms.tiers
        if names & {*t.sections, *t.areas}
    )
    return SaleTerms(terms.currency, tiers, terms.max_per_customer, terms.hold_ttl_seconds)


def _index(shards: tuple[tuple[Venue, SaleTerms], ...]) -> ShardPlan:
    section_shard = {s.name: k for k, (v, _) in enumerate(shards) for s in v.sections}
    area_shards: dict[str, list[int]] = {}
    for k, (v, _) in enumerate(shards):
        for area in v.areas:
            area_shards.setdefault(area.name, []).append(k)
    return ShardPlan(shards, section_shard, {n: tuple(ks) for n, ks in area_shards.items()})
