"""The inventory's state and the only code that changes it: applying domain events.

Seat states live in one ``bytearray`` (0 free, 1 held, 2 sold) indexed by dense
seat number, with running counters per row, section and area so that the hot path
never scans. ``apply`` is the single gate for change: live decisions and journal
replay both go through it, so replaying the events from empty rebuilds the state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from heapq import heappush
from typing import Any

from engine.events import (
    DomainEvent,
    HoldConfirmed,
    HoldExpired,
    HoldExtended,
    HoldReleased,
    SaleReturned,
    SeatsHeld,
)
from engine.seatmap import SeatMap
from engine.venue import SaleTerms, Venue

FREE, HELD, SOLD = 0, 1, 2


class SequenceGapError(ValueError):
    """An event does not follow the last applied one: the journal is out of order."""


class InventoryState:
    """Seat and place counts of one event inventory, changed only by ``apply``."""

    def __init__(self, venue: Venue, terms: SaleTerms) -> None:
        self.venue = venue
        self.terms = terms
        self.map = SeatMap(venue, terms)
        self.capacity = venue.capacity
        self.seq = 0
        self.states = bytearray(self.map.seat_count)
        self.row_free = [length for _, length in self.map.row_span]
        self.section_free = [end - start for start, end in self.map.section_span]
        self.section_held = [0] * len(self.section_free)
        self.section_sold = [0] * len(self.section_free)
        self.area_held = [0] * len(self.map.area_names)
        self.area_sold = [0] * len(self.map.area_names)
        self.held = 0
        self.sold = 0
        # A hold is the event that created it and a sale the event that confirmed
        # it: no second record per hold (measured: one allocation fewer per hold).
        self.holds: dict[int, SeatsHeld] = {}
        self.sales: dict[int, HoldConfirmed] = {}
        # Holds that ended, so a late confirm can say "expired" rather than "unknown".
        self.ended: dict[int, tuple[str, str]] = {}
        self.owned: dict[str, int] = {}  # customer -> places held or bought
        self.promo_uses: dict[str, int] = {}  # code -> live or sold holds using it
        self.keys: dict[str, tuple[str | None, DomainEvent]] = {}
        self.deadlines: list[tuple[float, int]] = []  # heap; stale entries are skipped
        # Keyed by the event's exact type; each applier takes that one type (hence Any).
        self._appliers: dict[type, Callable[[Any], None]] = {
            SeatsHeld: self._apply_held,
            HoldConfirmed: self._apply_confirmed,
            HoldExtended: self._apply_extended,
            HoldReleased: self._apply_released,
            HoldExpired: self._apply_expired,
            SaleReturned: self._apply_returned,
        }

    @property
    def available(self) -> int:
        return self.capacity - self.held - self.sold

    def apply(self, event: DomainEvent) -> None:
        """Change the state by one event; the only way state changes."""
        if event.seq != self.seq + 1:
            raise SequenceGapError(f"event seq {event.seq} does not follow {self.seq}")
        self._appliers[type(event)](event)
        self.seq = event.seq
        key = event.key
        if key is not None:
            self.keys[key] = (event.fingerprint, event)

    def _apply_held(self, e: SeatsHeld) -> None:
        self.holds[e.hold_id] = e
        if e.area < 0:
            states, section_of, row_of = self.states, self.map.seat_section, self.map.seat_row
            section_held, section_free, row_free = (
                self.section_held,
                self.section_free,
                self.row_free,
            )
            for seat in e.seats:
                states[seat] = HELD
                section = section_of[seat]
                section_held[section] += 1
                section_free[section] -= 1
                row_free[row_of[seat]] -= 1
        else:
            self.area_held[e.area] += e.quantity
        self.held += e.quantity
        self.owned[e.customer] = self.owned.get(e.customer, 0) + e.quantity
        if e.promo is not None:
            self.promo_uses[e.promo] = self.promo_uses.get(e.promo, 0) + 1
        heappush(self.deadlines, (e.expires_at, e.hold_id))

    def _apply_confirmed(self, e: HoldConfirmed) -> None:
        hold = self.holds[e.hold_id]
        self.sales[e.hold_id] = e
        if hold.area < 0:
            states, section_of = self.states, self.map.seat_section
            section_held, section_sold = self.section_held, self.section_sold
            for seat in hold.seats:
                states[seat] = SOLD
                section = section_of[seat]
                section_held[section] -= 1
                section_sold[section] += 1
        else:
            self.area_held[hold.area] -= hold.quantity
            self.area_sold[hold.area] += hold.quantity
        self.held -= hold.quantity
        self.sold += hold.quantity

    def _apply_extended(self, e: HoldExtended) -> None:
        # The hold is its SeatsHeld event: a copy with the later deadline replaces it,
        # and the earlier heap entry becomes stale (expiry checks the hold's deadline).
        self.holds[e.hold_id] = replace(self.holds[e.hold_id], expires_at=e.expires_at)
        heappush(self.deadlines, (e.expires_at, e.hold_id))

    def _apply_released(self, e: HoldReleased) -> None:
        self._free(self.holds.pop(e.hold_id), "released", self.section_held, self.area_held)

    def _apply_expired(self, e: HoldExpired) -> None:
        self._free(self.holds.pop(e.hold_id), "expired", self.section_held, self.area_held)

    def _apply_returned(self, e: SaleReturned) -> None:
        del self.sales[e.hold_id]
        self._free(self.holds.pop(e.hold_id), "returned", self.section_sold, self.area_sold)

    def _free(
        self, hold: SeatsHeld, reason: str, section_count: list[int], area_count: list[int]
    ) -> None:
        """Give a hold's seats back; ``*_count`` are the held or the sold counters."""
        if hold.area < 0:
            states, section_of, row_of = self.states, self.map.seat_section, self.map.seat_row
            section_free, row_free = self.section_free, self.row_free
            for seat in hold.seats:
                states[seat] = FREE
                section = section_of[seat]
                section_count[section] -= 1
                section_free[section] += 1
                row_free[row_of[seat]] += 1
        else:
            area_count[hold.area] -= hold.quantity
        if reason != "returned":
            self.held -= hold.quantity
        else:
            self.sold -= hold.quantity
        left = self.owned[hold.customer] - hold.quantity
        if left:
            self.owned[hold.customer] = left
        else:
            del self.owned[hold.customer]
        code = hold.promo
        if code is not None:  # released, expired or refunded: the use comes back
            uses = self.promo_uses[code] - 1
            if uses:
                self.promo_uses[code] = uses
            else:
                del self.promo_uses[code]
        self.ended[hold.hold_id] = (reason, hold.customer)
