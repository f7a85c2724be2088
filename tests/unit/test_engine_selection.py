"""Best-available selection: adjacency in one row first, nearest rows first, then spread."""

from __future__ import annotations

import pytest

from engine import HoldBestAvailable, HoldSeats, SoldOutError
from engine.selection import free_runs
from tests.unit.engine_helpers import inventory

NOW = 1_000.0


def best(inv, quantity: int, customer: str = "buyer") -> list[str]:
    held = inv.handle(HoldBestAvailable(customer, "A", quantity), NOW)[0]
    return inv.map.seat_ids(held.seats)


def take(inv, *seats: str, customer: str = "blocker") -> None:
    inv.handle(HoldSeats(customer, seats), NOW)


def test_picks_adjacent_seats_in_the_front_row() -> None:
    inv = inventory({"A": [5, 5]})
    assert best(inv, 3) == ["A-1-1", "A-1-2", "A-1-3"]


def test_skips_a_front_row_without_enough_adjacent_seats() -> None:
    inv = inventory({"A": [5, 5, 5]}, limit=10)
    take(inv, "A-1-3")  # row 1 has 4 free seats but no run of 3
    assert best(inv, 3) == ["A-2-1", "A-2-2", "A-2-3"]


def test_finds_a_gap_in_the_middle_of_a_row() -> None:
    inv = inventory({"A": [6, 6]}, limit=10)
    take(inv, "A-1-1", "A-1-5", "A-2-1", "A-2-2", "A-2-3")
    assert best(inv, 3) == ["A-1-2", "A-1-3", "A-1-4"]


def test_spreads_over_the_nearest_rows_when_no_row_fits() -> None:
    inv = inventory({"A": [3, 3, 3]}, limit=10)
    take(inv, "A-1-2", "A-2-2", "A-3-1", "A-3-2", "A-3-3")
    # No run of 3 anywhere: take rows 1 and 2, nearest the stage.
    assert best(inv, 3) == ["A-1-1", "A-1-3", "A-2-1"]


def test_spread_prefers_the_longest_run_of_a_row() -> None:
    inv = inventory({"A": [6, 6]}, limit=10)
    take(inv, "A-1-2", "A-2-1", "A-2-2", "A-2-3", "A-2-4", "A-2-5", "A-2-6")
    # Row 1 free: 1 | 3..6 (4 long); 5 wanted: the run of 4 then the single seat.
    assert best(inv, 5) == ["A-1-1", "A-1-3", "A-1-4", "A-1-5", "A-1-6"]


def test_sold_out_section_says_how_many_are_left() -> None:
    inv = inventory({"A": [2], "B": [5]}, limit=10)
    take(inv, "A-1-1")
    with pytest.raises(SoldOutError) as err:
        best(inv, 2)
    assert err.value.available == 1
    assert err.value.code == "sold_out"


def test_free_runs() -> None:
    states = bytearray([0, 1, 0, 0, 2, 0])
    assert free_runs(states, 0, 6) == [(0, 1), (2, 2), (5, 1)]
    assert free_runs(states, 2, 4) == [(2, 2)]
