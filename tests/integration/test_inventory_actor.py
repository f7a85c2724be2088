"""Inventory actors on a real local Ray, journaling to SQLite."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
import ray

from actors.journal.sqlite import SqliteJournal
from actors.kinds import inventory_kind
from engine import (
    ConfirmHold,
    HoldBestAvailable,
    HoldConfirmed,
    HoldSeats,
    Inventory,
    SeatsHeld,
    SeatUnavailableError,
    SoldOutError,
    event_from_dict,
)
from engine.views import availability
from tests.integration.ray_support import RETRIES, make_router, ray_local, retrying, sqlite_url
from tests.unit.engine_helpers import terms_for, venue
from tests.waiting import eventually

__all__ = ["ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")


async def test_5000_concurrent_holds_on_1000_seats_hold_exactly_1000(tmp_path: Path) -> None:
    router = make_router(sqlite_url(tmp_path))
    v = venue({"A": [25] * 40})
    await router.open("ev", v, terms_for(v))
    seat_ids = [f"A-{r}-{n}" for r in range(1, 41) for n in range(1, 26)]
    rng = random.Random(7)
    commands = [
        HoldSeats(f"c{i}", (rng.choice(seat_ids),)) if i % 2 else HoldBestAvailable(f"c{i}", "A", 1)
        for i in range(5_000)
    ]
    answers = await asyncio.gather(
        *(router.execute("ev", c) for c in commands), return_exceptions=True
    )
    held = [a for a in answers if isinstance(a, SeatsHeld)]
    refused = [a for a in answers if not isinstance(a, SeatsHeld)]
    assert len(held) == 1_000
    assert all(isinstance(a, SeatUnavailableError | SoldOutError) for a in refused)
    assert len({seat for a in held for seat in a.seats}) == 1_000
    view = await router.call("ev", "availability")
    assert (view["held"], view["available"], view["sold"]) == (1_000, 0, 0)
    status = await router.call("ev", "status")
    assert status["durable_seq"] == status["seq"] == 1_000
    assert status["batches"] < 1_000, "holds should be group-committed"


async def test_hold_views_travel_in_batches_with_commands(tmp_path: Path) -> None:
    router = make_router(sqlite_url(tmp_path))
    v = venue({"A": [10]})
    await router.open("ev", v, terms_for(v))
    held = [await router.hold("ev", HoldSeats(f"c{i}", (f"A-1-{i + 1}",))) for i in range(5)]
    assert await router.calls.reads_in_batches("ev")
    before = await router.call("ev", "status")
    views = await asyncio.gather(*(router.hold_view(h.ref) for h in held))
    assert [(w or {}).get("customer") for w in views] == [f"c{i}" for i in range(5)]
    assert [(w or {}).get("seats") for w in views] == [[f"A-1-{i + 1}"] for i in range(5)]
    after = await router.call("ev", "status")
    assert after["seq"] == before["seq"]  # reads are not journaled
    assert await router.call("ev", "hold", held[0].ref.hold_id) == views[0]  # the direct read


async def test_killed_actor_loses_no_acknowledged_confirm(tmp_path: Path) -> None:
    """Kill the actor while clients confirm holds, and again while it recovers."""
    url = sqlite_url(tmp_path)
    router = make_router(url, snapshot_every=150)
    v = venue({"A": [20] * 30})
    terms = terms_for(v)
    await router.open("ev", v, terms)
    holds = [
        await router.execute("ev", HoldSeats(f"c{i}", (f"A-{i // 20 + 1}-{i % 20 + 1}",)))
        for i in range(300)
    ]
    acknowledged: list[int] = []

    async def confirm(hold: SeatsHeld) -> None:
        await asyncio.sleep(rng.uniform(0, 1.5))  # confirms keep coming through both kills
        answer = await retrying(
            lambda: router.execute("ev", ConfirmHold(hold.hold_id, f"pi_{hold.hold_id}"))
        )
        assert isinstance(answer, HoldConfirmed)
        acknowledged.append(hold.hold_id)

    async def killer() -> None:
        await eventually(lambda: len(acknowledged) >= 5, 30, "confirms under way")
        handle = await router.handle("ev")
        at_kill.append(len(acknowledged))
        ray.kill(handle, no_restart=False)
        await asyncio.sleep(0.3)  # Ray is restarting it: kill it again mid-recovery
        ray.kill(handle, no_restart=False)

    rng = random.Random(3)
    at_kill: list[int] = []
    RETRIES.clear()
    await asyncio.gather(killer(), *(confirm(h) for h in holds))
    assert RETRIES, "the kills should have interrupted some confirms"
    assert 0 < at_kill[0] < 300, "the first kill should land mid-stream"

    view = await retrying(lambda: router.call("ev", "availability"))
    assert view["sold"] == 300 and view["held"] == 0

    # The journal on disk: gap-free sequence numbers, and a replay that agrees.
    journal = SqliteJournal(tmp_path / "journal.db")
    recovered = await journal.recover("ev")
    await journal.close()
    seqs = [e["seq"] for e in recovered.events]
    assert seqs == list(range(recovered.snapshot_seq + 1, recovered.snapshot_seq + 1 + len(seqs)))
    assert recovered.last_seq == 600  # 300 holds + 300 confirms, each exactly once
    replayed: Inventory = inventory_kind(v, terms).rebuild(recovered)
    assert set(replayed.sales) == set(acknowledged) == {h.hold_id for h in holds}
    assert availability(replayed) == view
    assert all(isinstance(event_from_dict(e), HoldConfirmed) for e in recovered.events[-1:])
