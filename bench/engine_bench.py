"""Engine benchmark: hold+confirm throughput and memory of a 100,000-seat inventory.

One core, no I/O: the ceiling the actor layer builds on. Each timing sells the whole
venue out, two seats a hold, and the median of three runs is reported.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable

from bench.report import Figure
from engine import (
    ConfirmHold,
    HoldBestAvailable,
    HoldSeats,
    Inventory,
    PriceTier,
    Row,
    SaleTerms,
    Section,
    Venue,
    restore,
    snapshot,
)

SECTIONS, ROWS, SEATS = 40, 50, 50  # 40 x 50 x 50 = 100,000 seats
RUNS = 3
NOW = 1_800_000_000.0


def stadium() -> tuple[Venue, SaleTerms]:
    names = [f"S{s}" for s in range(SECTIONS)]
    venue = Venue(
        tuple(Section(n, tuple(Row(str(r), SEATS) for r in range(1, ROWS + 1))) for n in names)
    )
    terms = SaleTerms("EUR", (PriceTier("Cat 1", 5_000, tuple(names)),), max_per_customer=6)
    return venue, terms


def pair_commands() -> list[HoldSeats]:
    """One hold of two adjacent seats per customer, covering every seat."""
    return [
        HoldSeats(f"customer-{s}-{r}-{n}", (f"S{s}-{r}-{n}", f"S{s}-{r}-{n + 1}"))
        for s in range(SECTIONS)
        for r in range(1, ROWS + 1)
        for n in range(1, SEATS + 1, 2)
    ]


def sell_out(inv: Inventory, holds: list) -> float:
    """Seconds to hold then confirm every command of ``holds``."""
    handle = inv.handle
    refs = [f"pi_{i:024d}" for i in range(len(holds))]  # as a request would bring them
    # The harness's own objects (commands, refs) out of the collector's way: in the
    # actor they arrive one batch at a time, not 50,000 at once.
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    for command, ref in zip(holds, refs, strict=True):
        held = handle(command, NOW)[0]
        handle(ConfirmHold(held.hold_id, ref), NOW)
    elapsed = time.perf_counter() - started
    gc.unfreeze()
    return elapsed


def median_rate(make_holds: Callable[[], list]) -> float:
    venue, terms = stadium()
    rates = []
    for _ in range(RUNS):
        holds = make_holds()
        inv = Inventory(venue, terms)
        elapsed = sell_out(inv, holds)
        assert inv.available == 0, "the benchmark must sell the venue out"
        rates.append(len(holds) / elapsed)
    return statistics.median(rates)


def inventory_mb() -> tuple[float, float]:
    """Traced memory of a fresh inventory, and of the same inventory sold out."""
    venue, terms = stadium()
    holds = pair_commands()
    gc.collect()
    tracemalloc.start()
    inv = Inventory(venue, terms)
    fresh = tracemalloc.get_traced_memory()[0]
    for command in holds:
        held = inv.handle(command, NOW)[0]
        inv.handle(ConfirmHold(held.hold_id, f"pi_{held.hold_id:024d}"), NOW)
    del holds, held  # what the caller built is not the inventory's
    gc.collect()
    sold = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return fresh / 1e6, sold / 1e6


def recovery_figures() -> tuple[float, float]:
    """Events replayed per second from empty, and seconds to restore a sold-out snapshot."""
    venue, terms = stadium()
    live, log = Inventory(venue, terms), []
    for command in pair_commands():
        held = live.handle(command, NOW)[0]
        log.append(held)
        log.extend(live.handle(ConfirmHold(held.hold_id, "pi"), NOW)[1])
    replayed = Inventory(venue, terms)
    started = time.perf_counter()
    for event in log:
        replayed.apply(event)
    replay_rate = len(log) / (time.perf_counter() - started)
    data = snapshot(live)
    started = time.perf_counter()
    restore(data)
    return replay_rate, time.perf_counter() - started


def run() -> list[Figure]:
    rate = median_rate(pair_commands)
    best = median_rate(
        lambda: [HoldBestAvailable(f"c{i}", f"S{i % SECTIONS}", 2) for i in range(50_000)]
    )
    fresh_mb, sold_mb = inventory_mb()
    replay_rate, restore_s = recovery_figures()
    return [
        Figure(
            "engine_hold_confirm_per_s",
            rate,
            "pairs/s",
            ">= 200,000",
            note="hold 2 explicit seats + confirm, 100k seats, 1 core, median of 3",
        ),
        Figure(
            "engine_best_available_confirm_per_s",
            best,
            "pairs/s",
            note="best-available hold of 2 + confirm, until sold out",
        ),
        Figure(
            "engine_inventory_mb_100k",
            fresh_mb,
            "MB",
            "<= 30",
            note="fresh 100,000-seat inventory (tracemalloc)",
        ),
        Figure(
            "engine_inventory_mb_100k_sold",
            sold_mb,
            "MB",
            note="same, sold out: 50,000 holds with customer ids and payment refs",
        ),
        Figure(
            "engine_replay_events_per_s",
            replay_rate,
            "events/s",
            note="apply() from empty: the recovery path",
        ),
        Figure(
            "engine_restore_s_100k",
            restore_s,
            "s",
            note="restore a sold-out 100k snapshot (with consistency check)",
        ),
    ]
