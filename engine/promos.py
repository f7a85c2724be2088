"""Promo codes in the inventory: discounts, access to hidden tiers, usage limits.

The catalog owns a code's definition (discount, window, disabled flag); the
inventory owns its usage count, because only the single writer can enforce a limit
under concurrency without a read-then-write race. So a hold command carries the
code's current terms as a ``Promo`` and the aggregate decides against its counter.

A *use* is one hold (one reservation, whatever its quantity), counted while the
hold is live or sold. A hold that is released, expires or is refunded gives its use
back (the pretix convention: cancelled and expired uses are returned). Counters are
derived from the holds, so replay and restore rebuild them with no extra record.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import InvalidConfigurationError, InventoryError
from engine.seatmap import SeatMap
from engine.venue import SaleTerms

# Slotted, not frozen: built on the hot path, like the commands (see commands.py).


@dataclass(slots=True, repr=False)
class Promo:
    """A code's terms as of the request: its limit, discount and the tiers it unlocks.

    ``limit`` counts holds (None: unlimited). ``percent`` comes off the total (rounded
    half up); ``amount_off`` comes off per place, never below zero. A code with neither
    is an access code: it only unlocks ``unlocks`` (names of hidden price tiers).
    """

    def __repr__(self) -> str:
        # The command fingerprint (commands.fingerprint) is built from reprs: a retry
        # with the same idempotency key and code is the same request even if the
        # organiser changed the code's terms in between, so only the code counts.
        return f"Promo({self.code!r})"

    code: str
    limit: int | None = None
    percent: int = 0
    amount_off: int = 0
    unlocks: tuple[str, ...] = ()


class PromoExhaustedError(InventoryError):
    """The code has been used ``limit`` times (live or sold holds)."""

    code = "promo_exhausted"

    def __init__(self, detail: str, promo: str = "", limit: int = 0) -> None:
        super().__init__(detail, promo, limit)
        self.promo = promo
        self.limit = limit


class AccessCodeRequiredError(InventoryError):
    """The seats or places belong to a hidden price tier the request did not unlock."""

    code = "access_code_required"

    def __init__(self, detail: str, tiers: tuple[str, ...] = ()) -> None:
        super().__init__(detail, tuple(tiers))
        self.tiers = tuple(tiers)


def locked_places(seat_map: SeatMap, terms: SaleTerms) -> tuple[dict[int, str], dict[int, str]]:
    """Section and area indexes of hidden tiers, each to its tier's name."""
    sections: dict[int, str] = {}
    areas: dict[int, str] = {}
    for tier in terms.tiers:
        if tier.hidden:
            sections.update({seat_map.section_index[n]: tier.name for n in tier.sections})
            areas.update({seat_map.area_index[n]: tier.name for n in tier.areas})
    return sections, areas


def check_promo(promo: Promo) -> None:
    """Refuse malformed terms (the API validates first; this guards the aggregate)."""
    if not isinstance(promo.code, str) or not promo.code:
        raise InvalidConfigurationError("a promo code needs a non-empty code")
    if promo.limit is not None and (type(promo.limit) is not int or promo.limit < 0):
        raise InvalidConfigurationError("a promo limit must be a non-negative integer")
    if type(promo.percent) is not int or not 0 <= promo.percent <= 100:
        raise InvalidConfigurationError("a promo percentage must be in 0..100")
    if type(promo.amount_off) is not int or promo.amount_off < 0:
        raise InvalidConfigurationError("a promo amount must be non-negative")


def discount(promo: Promo | None, amount: int, quantity: int) -> int:
    """How much ``promo`` takes off ``amount`` for ``quantity`` places (0..amount)."""
    if promo is None:
        return 0
    off = (amount * promo.percent + 50) // 100 + promo.amount_off * quantity
    return min(off, amount)


def locked_tiers(
    seat_map: SeatMap,
    locked: tuple[dict[int, str], dict[int, str]],
    seats: tuple[int, ...],
    area: int,
    promo: Promo | None,
) -> tuple[str, ...]:
    """The hidden tiers a hold touches that ``promo`` does not unlock (sorted)."""
    sections, areas = locked
    if area >= 0:
        needed = {areas[area]} if area in areas else set()
    else:
        section_of = seat_map.seat_section
        needed = {sections[section_of[s]] for s in seats if section_of[s] in sections}
    if promo is not None:
        needed.difference_update(promo.unlocks)
    return tuple(sorted(needed))
