"""Catalog rules without I/O: an event's derived status, its schedule, its engine shape.

Only ``draft``, ``published`` and ``cancelled`` are stored. ``on_sale`` and ``ended``
depend on the clock, so they are derived on every read: nothing has to flip them
at the right moment, and every replica agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contexts.shared.principal import Principal
from engine import PriceTier, SaleTerms, Venue


def now_ms() -> datetime:
    """Now, at BSON's millisecond precision: what we return is what a re-read returns."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def to_ms(value: datetime) -> datetime:
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def derive_status(
    stored: str,
    now: datetime,
    starts_at: datetime,
    ends_at: datetime | None,
    sale_starts_at: datetime,
    sale_ends_at: datetime | None,
) -> str:
    """draft | cancelled as stored; a published event is on_sale, ended or published."""
    if stored != "published":
        return stored
    if now >= (ends_at or starts_at):
        return "ended"
    if sale_starts_at <= now < (sale_ends_at or starts_at):
        return "on_sale"
    return "published"  # before the sale opens, or after it closed but before the show


def status_of(doc: dict[str, Any], now: datetime) -> str:
    return derive_status(
        doc["status"],
        now,
        doc["starts_at"],
        doc.get("ends_at"),
        doc["sale_starts_at"],
        doc.get("sale_ends_at"),
    )


def can_manage(owner_id: str, user: Principal | None) -> bool:
    """Owners and admins change a personal event. Events of an organiser are decided by
    its members' permissions: ask ``OrganiserAccess.can`` (``container.organisers``),
    which falls back to this for personal events."""
    return user is not None and (user.is_admin or user.id == owner_id)


def can_see(status: str, published: bool, owner_id: str, user: Principal | None) -> bool:
    """Published events are public (and stay so once cancelled); drafts are their owner's."""
    return (published and status != "draft") or can_manage(owner_id, user)


def check_schedule(
    starts_at: datetime,
    ends_at: datetime | None,
    sale_starts_at: datetime,
    sale_ends_at: datetime | None,
) -> None:
    """Raise ValueError unless the dates are in order (the sale ends by the event's end)."""
    if ends_at is not None and ends_at <= starts_at:
        raise ValueError("ends_at must be after starts_at")
    if sale_ends_at is None and sale_starts_at >= starts_at:
        raise ValueError("sale_starts_at must be before starts_at")
    if sale_ends_at is not None:
        if sale_ends_at <= sale_starts_at:
            raise ValueError("sale_ends_at must be after sale_starts_at")
        if sale_ends_at > (ends_at or starts_at):
            raise ValueError("sale_ends_at may not be after the event ends (or starts)")


def engine_venue(venue_doc: dict[str, Any]) -> Venue:
    """The engine's seat map of a stored venue (raises InvalidConfigurationError)."""
    return Venue.from_dict(venue_doc)


def engine_terms(event: dict[str, Any]) -> SaleTerms:
    """The engine's sale terms of a stored (or about to be stored) event."""
    tiers = tuple(
        PriceTier(
            p["name"],
            p["amount"],
            tuple(p["sections"]),
            tuple(p["areas"]),
            bool(p.get("hidden", False)),  # behind an access code (contexts/catalog/promos.py)
        )
        for p in event["prices"]
    )
    return SaleTerms(
        currency=event["currency"],
        tiers=tiers,
        max_per_customer=event["max_tickets_per_customer"],
        hold_ttl_seconds=event["hold_ttl_seconds"],
    )


@dataclass(frozen=True, slots=True)
class EventForSale:
    """What the reserve path needs of an event, cached in-process (see EventsStore)."""

    id: str
    title: str
    owner_id: str
    stored_status: str
    starts_at: datetime
    ends_at: datetime | None
    sale_starts_at: datetime
    sale_ends_at: datetime | None
    currency: str
    max_tickets_per_customer: int
    hold_ttl_seconds: int
    published_at: datetime | None = None
    organiser_id: str | None = None  # None: a personal event (owner_id alone manages it)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> EventForSale:
        return cls(
            id=str(doc["_id"]),
            title=doc["title"],
            owner_id=doc["owner_id"],
            stored_status=doc["status"],
            starts_at=doc["starts_at"],
            ends_at=doc.get("ends_at"),
            sale_starts_at=doc["sale_starts_at"],
            sale_ends_at=doc.get("sale_ends_at"),
            currency=doc["currency"],
            max_tickets_per_customer=doc["max_tickets_per_customer"],
            hold_ttl_seconds=doc["hold_ttl_seconds"],
            published_at=doc.get("published_at"),
            organiser_id=doc.get("organiser_id"),
        )

    def status_at(self, now: datetime) -> str:
        return derive_status(
            self.stored_status,
            now,
            self.starts_at,
            self.ends_at,
            self.sale_starts_at,
            self.sale_ends_at,
        )

    @property
    def status(self) -> str:
        """The derived status now: draft, published, on_sale, ended or cancelled."""
        return self.status_at(datetime.now(UTC))

    @property
    def on_sale(self) -> bool:
        return self.status == "on_sale"
