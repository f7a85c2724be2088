"""Venue seat maps and sale terms: the static shape an event inventory is built from.

A venue is sections made of rows of seats numbered from 1, plus general-admission
areas with a capacity. Seat ids are ``SECTION-ROW-NUMBER``, so row labels may not
contain ``-`` (section names may: ids are split from the right).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.errors import InvalidConfigurationError

MAX_SEATS_PER_ROW = 10_000
DEFAULT_HOLD_TTL_SECONDS = 600.0
DEFAULT_MAX_PER_CUSTOMER = 10


@dataclass(frozen=True, slots=True)
class Row:
    """A row of ``seats`` seats numbered 1..seats."""

    label: str
    seats: int


@dataclass(frozen=True, slots=True)
class Section:
    """A seated section: rows in order, the first nearest the stage."""

    name: str
    rows: tuple[Row, ...]

    @property
    def capacity(self) -> int:
        return sum(row.seats for row in self.rows)


@dataclass(frozen=True, slots=True)
class Area:
    """A general-admission area sold by quantity."""

    name: str
    capacity: int


@dataclass(frozen=True, slots=True)
class Venue:
    """The seat map of a venue."""

    sections: tuple[Section, ...] = ()
    areas: tuple[Area, ...] = ()

    def __post_init__(self) -> None:
        _validate_venue(self)

    @property
    def capacity(self) -> int:
        return sum(s.capacity for s in self.sections) + sum(a.capacity for a in self.areas)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sections": [
                {"name": s.name, "rows": [{"label": r.label, "seats": r.seats} for r in s.rows]}
                for s in self.sections
            ],
            "areas": [{"name": a.name, "capacity": a.capacity} for a in self.areas],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Venue:
        try:
            sections = tuple(
                Section(s["name"], tuple(Row(r["label"], r["seats"]) for r in s["rows"]))
                for s in data.get("sections", ())
            )
            areas = tuple(Area(a["name"], a["capacity"]) for a in data.get("areas", ()))
        except (KeyError, TypeError) as exc:
            raise InvalidConfigurationError(f"malformed venue: {exc!r}") from exc
        return cls(sections, areas)


@dataclass(frozen=True, slots=True)
class PriceTier:
    """A price, in integer minor units, for the sections and areas it names."""

    name: str
    amount: int
    sections: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    hidden: bool = False  # sold only to holders of an access code (engine/promos.py)


@dataclass(frozen=True, slots=True)
class SaleTerms:
    """How an event sells its venue: currency, tiers, per-customer limit, hold TTL."""

    currency: str
    tiers: tuple[PriceTier, ...]
    max_per_customer: int = DEFAULT_MAX_PER_CUSTOMER
    hold_ttl_seconds: float = DEFAULT_HOLD_TTL_SECONDS

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "tiers": [
                {
                    "name": t.name,
                    "amount": t.amount,
                    "sections": list(t.sections),
                    "areas": list(t.areas),
                    # Only when set: specs and snapshots of ordinary events stay as they were.
                    **({"hidden": True} if t.hidden else {}),
                }
                for t in self.tiers
            ],
            "max_per_customer": self.max_per_customer,
            "hold_ttl_seconds": self.hold_ttl_seconds,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SaleTerms:
        try:
            tiers = tuple(
                PriceTier(
                    t["name"],
                    t["amount"],
                    tuple(t.get("sections", ())),
                    tuple(t.get("areas", ())),
                    bool(t.get("hidden", False)),
                )
                for t in data["tiers"]
            )
            return cls(
                currency=data["currency"],
                tiers=tiers,
                max_per_customer=data.get("max_per_customer", DEFAULT_MAX_PER_CUSTOMER),
                hold_ttl_seconds=data.get("hold_ttl_seconds", DEFAULT_HOLD_TTL_SECONDS),
            )
        except (KeyError, TypeError) as exc:
            raise InvalidConfigurationError(f"malformed sale terms: {exc!r}") from exc


def _validate_venue(venue: Venue) -> None:
    if not venue.sections and not venue.areas:
        raise InvalidConfigurationError("a venue needs at least one section or area")
    names: set[str] = set()
    for section in venue.sections:
        _check_name(section.name, "section", names)
        if not section.rows:
            raise InvalidConfigurationError(f"section {section.name!r} has no rows")
        labels: set[str] = set()
        for row in section.rows:
            _check_name(row.label, f"row of section {section.name!r}", labels)
            if "-" in row.label:
                raise InvalidConfigurationError(f"row label {row.label!r} may not contain '-'")
            if not _is_count(row.seats) or not 1 <= row.seats <= MAX_SEATS_PER_ROW:
                raise InvalidConfigurationError(
                    f"row {section.name}-{row.label} needs 1..{MAX_SEATS_PER_ROW} seats"
                )
    for area in venue.areas:
        _check_name(area.name, "area", names)
        if not _is_count(area.capacity) or area.capacity < 1:
            raise InvalidConfigurationError(f"area {area.name!r} needs a positive capacity")


def validate_terms(venue: Venue, terms: SaleTerms) -> None:
    """Check that every section and area has exactly one price tier, and sane limits."""
    cur = terms.currency
    if not (isinstance(cur, str) and len(cur) == 3 and cur.isascii() and cur.isupper()):
        raise InvalidConfigurationError(f"currency {cur!r} is not an ISO 4217 code")
    if not _is_count(terms.max_per_customer) or terms.max_per_customer < 1:
        raise InvalidConfigurationError("max_per_customer must be a positive integer")
    ttl = terms.hold_ttl_seconds
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 < ttl <= 86_400:
        raise InvalidConfigurationError("hold_ttl_seconds must be in (0, 86400]")
    priced: dict[str, str] = {}
    for tier in terms.tiers:
        if not _is_count(tier.amount) or tier.amount < 0:
            raise InvalidConfigurationError(f"tier {tier.name!r} needs a non-negative amount")
        for name in (*tier.sections, *tier.areas):
            if name in priced:
                raise InvalidConfigurationError(f"{name!r} is priced by two tiers")
            priced[name] = tier.name
    sections = {s.name for s in venue.sections}
    areas = {a.name for a in venue.areas}
    for tier in terms.tiers:
        unknown = [n for n in tier.sections if n not in sections]
        unknown += [n for n in tier.areas if n not in areas]
        if unknown:
            raise InvalidConfigurationError(f"tier {tier.name!r} names unknown {unknown}")
    unpriced = sorted((sections | areas) - priced.keys())
    if unpriced:
        raise InvalidConfigurationError(f"no price tier for {unpriced}")


def _check_name(name: object, what: str, seen: set[str]) -> None:
    if not isinstance(name, str) or not name or not name.isprintable() or name != name.strip():
        raise InvalidConfigurationError(f"{what} name {name!r} must be printable and non-empty")
    if name in seen:
        raise InvalidConfigurationError(f"duplicate {what} name {name!r}")
    seen.add(name)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
