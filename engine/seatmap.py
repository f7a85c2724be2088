"""The compiled seat map: seat ids to dense indexes and back, without an object per seat.

Seats are numbered 0..N-1 in section, row, number order, so per-seat data lives in
flat arrays (a 100,000-seat stadium costs a few hundred kilobytes here). Parsing an
id is three dict/str operations; no table of 100,000 id strings is kept.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right

from engine.errors import InvalidAreaError, InvalidSeatError
from engine.venue import SaleTerms, Venue, validate_terms


class SeatMap:
    """Index arithmetic over a venue's seats, sections, rows and areas."""

    __slots__ = (
        "area_capacity",
        "area_index",
        "area_names",
        "area_price",
        "numbers",
        "row_label",
        "row_section",
        "row_span",
        "row_starts",
        "rows",
        "seat_count",
        "seat_row",
        "seat_section",
        "section_index",
        "section_names",
        "section_price",
        "section_rows",
        "section_span",
    )

    def __init__(self, venue: Venue, terms: SaleTerms) -> None:
        validate_terms(venue, terms)
        price = {n: t.amount for t in terms.tiers for n in (*t.sections, *t.areas)}
        self.section_names = [s.name for s in venue.sections]
        self.section_index = {name: i for i, name in enumerate(self.section_names)}
        self.section_price = [price[s.name] for s in venue.sections]
        self.area_names = [a.name for a in venue.areas]
        self.area_index = {name: i for i, name in enumerate(self.area_names)}
        self.area_capacity = [a.capacity for a in venue.areas]
        self.area_price = [price[a.name] for a in venue.areas]
        # "SECTION-ROW" -> (first seat, seats): one dict lookup per seat id.
        self.rows: dict[str, tuple[int, int]] = {}
        self.row_span: list[tuple[int, int]] = []
        self.row_starts: list[int] = []
        self.row_label: list[str] = []
        self.row_section: list[int] = []
        self.section_rows: list[range] = []
        self.section_span: list[tuple[int, int]] = []
        self.seat_section = array("H")
        self.seat_row = array("I")
        seat = 0
        for s_idx, section in enumerate(venue.sections):
            first_row, first_seat = len(self.row_span), seat
            for row in section.rows:
                self.rows[f"{section.name}-{row.label}"] = (seat, row.seats)
                self.seat_row.extend([len(self.row_span)] * row.seats)
                self.row_span.append((seat, row.seats))
                self.row_starts.append(seat)
                self.row_label.append(row.label)
                self.row_section.append(s_idx)
                seat += row.seats
            self.seat_section.extend([s_idx] * (seat - first_seat))
            self.section_rows.append(range(first_row, len(self.row_span)))
            self.section_span.append((first_seat, seat))
        self.seat_count = seat
        # Canonical seat numbers only ("7", never "07", "+7", " 7" or non-ASCII digits), and the
        # lookup doubles as the int conversion.
        longest = max((r.seats for s in venue.sections for r in s.rows), default=0)
        self.numbers = {str(n): n for n in range(1, longest + 1)}

    def seat_index(self, seat_id: str) -> int:
        """The dense index of ``SECTION-ROW-NUMBER``; InvalidSeatError if it is not a seat."""
        return self.seat_indexes((seat_id,))[0]

    def seat_indexes(self, seat_ids: tuple[str, ...]) -> tuple[int, ...]:
        """Dense indexes of seat ids, in order; InvalidSeatError names the first bad one."""
        rows, numbers, indexes = self.rows, self.numbers, []
        for seat_id in seat_ids:
            try:
                prefix, _, number = seat_id.rpartition("-")
            except AttributeError:  # not a string
                prefix = number = ""
            row = rows.get(prefix)
            n = numbers.get(number)
            if row is None or n is None or n > row[1]:
                raise InvalidSeatError(f"{seat_id!r} is not a seat of this venue", (str(seat_id),))
            indexes.append(row[0] + n - 1)
        return tuple(indexes)

    def seat_id(self, index: int) -> str:
        """The ``SECTION-ROW-NUMBER`` id of a dense seat index."""
        row = bisect_right(self.row_starts, index) - 1
        section = self.section_names[self.row_section[row]]
        return f"{section}-{self.row_label[row]}-{index - self.row_starts[row] + 1}"

    def seat_ids(self, indexes: tuple[int, ...] | list[int]) -> list[str]:
        return [self.seat_id(i) for i in indexes]

    def section(self, name: str) -> int:
        index = self.section_index.get(name)
        if index is None:
            raise InvalidAreaError(f"no section named {name!r}", str(name))
        return index

    def area(self, name: str) -> int:
        index = self.area_index.get(name)
        if index is None:
            raise InvalidAreaError(f"no general-admission area named {name!r}", str(name))
        return index
