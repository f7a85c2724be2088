"""Actor benchmark: durable holds per second through the router, and recovery time.

Many concurrent callers in this (driver) process send single-seat holds for one
event through ``InventoryRouter``, which coalesces them into actor calls; the
actor group-commits them to the SQLite journal (``synchronous=FULL``) before
answering. The same run with the in-memory journal gives the upper bound.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import ray

from actors.config import ActorConfig, RouterConfig
from actors.journal.sqlite import SqliteJournal
from actors.kinds import inventory_kind
from actors.router import InventoryRouter
from bench.report import Figure
from engine import HoldSeats, Inventory, PriceTier, Row, SaleTerms, Section, Venue, event_to_dict

SECTIONS, ROWS, SEATS = 40, 50, 50
HOLDS = 40_000
CALLERS = 2_000
NOW = 1_800_000_000.0


def stadium() -> tuple[Venue, SaleTerms]:
    names = [f"S{s}" for s in range(SECTIONS)]
    venue = Venue(
        tuple(Section(n, tuple(Row(str(r), SEATS) for r in range(1, ROWS + 1))) for n in names)
    )
    return venue, SaleTerms("EUR", (PriceTier("Cat 1", 5_000, tuple(names)),))


def seat_ids() -> list[str]:
    return [
        f"S{s}-{r}-{n}"
        for s in range(SECTIONS)
        for r in range(1, ROWS + 1)
        for n in range(1, SEATS + 1)
    ]


async def hold_rate(router: InventoryRouter, event_id: str) -> float:
    seats = seat_ids()[:HOLDS]
    queue = iter(range(HOLDS))

    async def caller() -> None:
        for i in queue:
            await router.execute(event_id, HoldSeats(f"buyer-{i}", (seats[i],)))

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(CALLERS)))
    return HOLDS / (time.perf_counter() - started)


async def measure(journal_url: str, event_id: str) -> tuple[float, float]:
    router = InventoryRouter(RouterConfig(actor=ActorConfig(journal_url=journal_url)))
    venue, terms = stadium()
    await router.open(event_id, venue, terms)
    rate = await hold_rate(router, event_id)
    status = await router.call(event_id, "status")
    handle = await router.handle(event_id)
    ray.kill(handle, no_restart=True)
    return rate, status["mean_batch"]


async def recovery(data_dir: Path) -> tuple[float, float]:
    """Seconds to bring back a 100k-seat event with 100k events after its last snapshot."""
    venue, terms = stadium()
    journal = SqliteJournal(data_dir / "recovery.db")
    inv, batch = Inventory(venue, terms), []
    for i, seat in enumerate(seat_ids()):
        batch.extend(event_to_dict(e) for e in inv.handle(HoldSeats(f"b{i}", (seat,)), NOW)[1])
        if len(batch) == 1_000:
            await journal.append("recover", batch)
            batch = []
    started = time.perf_counter()
    core = inventory_kind(venue, terms).rebuild(await journal.recover("recover"))
    core_s = time.perf_counter() - started
    assert core.held == 100_000
    await journal.close()
    router = InventoryRouter(
        RouterConfig(actor=ActorConfig(journal_url=f"sqlite:///{data_dir}/recovery.db"))
    )
    started = time.perf_counter()
    await router.open("recover", venue, terms)  # a fresh actor: __init__ replays it all
    actor_s = time.perf_counter() - started
    ray.kill(await router.handle("recover"), no_restart=True)
    return core_s, actor_s


async def run_all() -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        durable, batch = await measure(f"sqlite:///{tmp}/journal.db", "bench-durable")
        memory, _ = await measure("memory://", "bench-memory")
        core_s, actor_s = await recovery(Path(tmp))
    return [
        Figure(
            "actor_holds_per_s",
            durable,
            "holds/s",
            ">= 10,000",
            note=f"{CALLERS} concurrent callers via router, SQLite journal, synchronous=FULL",
        ),
        Figure(
            "actor_holds_per_s_memory",
            memory,
            "holds/s",
            note="same, journal in memory (not durable): the upper bound",
        ),
        Figure("journal_mean_batch", batch, "events/write", note="group commit, durable run"),
        Figure(
            "recovery_s_100k",
            actor_s,
            "s",
            "< 2",
            note="new actor ready: 100k-seat event, 100k events after its last snapshot",
        ),
        Figure(
            "recovery_replay_s_100k", core_s, "s", note="of which journal read + replay in-process"
        ),
    ]


def run() -> list[Figure]:
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        return asyncio.run(run_all())
    finally:
        ray.shutdown()
