"""Best-available seat selection inside one section.

Adjacent seats in one row first, rows nearest the stage first; if no row has
enough adjacent seats, the group is split over as few, and as near, rows as
possible, taking the longest free runs of each row first. Pure functions over
the inventory's seat-state bytes: ``0`` is a free seat.
"""

from __future__ import annotations

from collections.abc import Sequence

FREE = 0


def best_available(
    states: bytearray,
    row_span: Sequence[tuple[int, int]],
    row_free: Sequence[int],
    rows: range,
    quantity: int,
) -> tuple[int, ...] | None:
    """Seat indexes for ``quantity`` seats among ``rows``, or None if too few are free."""
    together = adjacent_in_one_row(states, row_span, row_free, rows, quantity)
    if together is not None:
        return together
    return spread_over_rows(states, row_span, row_free, rows, quantity)


def adjacent_in_one_row(
    states: bytearray,
    row_span: Sequence[tuple[int, int]],
    row_free: Sequence[int],
    rows: range,
    quantity: int,
) -> tuple[int, ...] | None:
    """The first run of ``quantity`` free seats side by side, front rows first."""
    needle = bytes(quantity)  # `quantity` zero bytes: a run of free seats
    for row in rows:
        if row_free[row] >= quantity:
            start, length = row_span[row]
            found = states.find(needle, start, start + length)
            if found >= 0:
                return tuple(range(found, found + quantity))
    return None


def spread_over_rows(
    states: bytearray,
    row_span: Sequence[tuple[int, int]],
    row_free: Sequence[int],
    rows: range,
    quantity: int,
) -> tuple[int, ...] | None:
    """Fill from the front rows, longest free runs of a row first."""
    picked: list[int] = []
    for row in rows:
        if not row_free[row]:
            continue
        start, length = row_span[row]
        for run_start, run_length in sorted(
            free_runs(states, start, start + length), key=lambda run: -run[1]
        ):
            take = min(run_length, quantity - len(picked))
            picked.extend(range(run_start, run_start + take))
            if len(picked) == quantity:
                return tuple(sorted(picked))
    return None


def free_runs(states: bytearray, start: int, end: int) -> list[tuple[int, int]]:
    """(start, length) of each maximal run of free seats in ``states[start:end]``."""
    runs: list[tuple[int, int]] = []
    run_start = -1
    for index in range(start, end):
        if states[index] == FREE:
            if run_start < 0:
                run_start = index
        elif run_start >= 0:
            runs.append((run_start, index - run_start))
            run_start = -1
    if run_start >= 0:
        runs.append((run_start, end - run_start))
    return runs
