"""The actor's core without Ray: group commit, durability before answers, failure rebuild.

The journal is the real SQLite adapter. Two tests wrap it to control timing or to
inject a failed write: a gate that holds a write back, and a write that fails
once. Both say so: they are fault injectors around the real store, not mocks.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from actors.core import InventoryCore
from actors.errors import InventoryUnavailableError
from actors.journal import JournalUnavailableError
from actors.journal.sqlite import SqliteJournal
from actors.kinds import inventory_kind
from actors.queries import ReadHold
from engine import (
    ConfirmHold,
    HoldConfirmed,
    HoldSeats,
    Inventory,
    SeatsHeld,
    SeatUnavailableError,
    snapshot,
)
from tests.unit.engine_helpers import terms_for, venue
from tests.waiting import eventually

V = venue({"A": [20] * 10})
T = terms_for(V, limit=4)


class GatedJournal(SqliteJournal):
    """Holds each write until the test opens the gate (timing control, real writes)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()  # a write is waiting at the gate

    async def append(self, stream, events) -> None:  # type: ignore[no-untyped-def]
        self.entered.set()
        await self.gate.wait()
        await super().append(stream, events)


class FailingOnceJournal(SqliteJournal):
    """Fault injector: the next write after ``arm()`` fails as if the disk went away."""

    armed = False

    async def append(self, stream, events) -> None:  # type: ignore[no-untyped-def]
        if self.armed:
            self.armed = False
            await asyncio.sleep(0.01)  # let more commands pile up behind the failing write
            raise JournalUnavailableError("injected: disk gone")
        await super().append(stream, events)


def core_for(journal: SqliteJournal, **kw: int) -> InventoryCore:
    return InventoryCore(
        "ev", journal, inventory_kind(V, T), Inventory(V, T), clock=lambda: 1_000.0, **kw
    )


def seat(i: int) -> str:
    return f"A-{i // 20 + 1}-{i % 20 + 1}"


async def test_concurrent_commands_share_journal_writes(tmp_path: Path) -> None:
    core = core_for(SqliteJournal(tmp_path / "j.db"))
    answers = await asyncio.gather(
        *(core.execute([HoldSeats(f"c{i}", (seat(i),))]) for i in range(200))
    )
    assert all(isinstance(a[0], SeatsHeld) for a in answers)
    assert core.durable_seq == core.inv.seq == 200
    assert core.batches < 20, f"{core.batches} writes for 200 holds: no group commit"
    recovered = await core.journal.recover("ev")
    assert snapshot(inventory_kind(V, T).rebuild(recovered)) == snapshot(core.inv)
    await core.close()


async def test_reads_in_a_batch_are_answered_in_order_and_never_journaled(
    tmp_path: Path,
) -> None:
    now = [1_000.0]
    core = InventoryCore(
        "ev", SqliteJournal(tmp_path / "j.db"), inventory_kind(V, T), Inventory(V, T),
        clock=lambda: now[0],
    )  # fmt: skip
    held, before, confirmed, after, unknown = await core.execute(
        [
            HoldSeats("ann", ("A-1-1",)),
            ReadHold(1),
            ConfirmHold(1, "pi_1", "ann"),
            ReadHold(1),
            ReadHold(99),
        ]
    )
    assert isinstance(held, SeatsHeld) and isinstance(confirmed, HoldConfirmed)
    assert before is not None and after is not None
    assert (before["status"], before["customer"], before["seats"]) == ("held", "ann", ["A-1-1"])
    assert (after["status"], after["payment_ref"]) == ("sold", "pi_1")
    assert unknown is None
    assert core.inv.seq == core.durable_seq == 2  # the hold and its confirmation only
    (other,) = await core.execute([HoldSeats("bob", ("A-1-2",))])
    now[0] += T.hold_ttl_seconds + 1
    (expired,) = await core.execute([ReadHold(other.hold_id)])  # after the lazy expiry
    assert expired == {"hold_id": other.hold_id, "customer": "bob", "status": "expired"}
    await core.close()


async def test_no_answer_before_the_journal_holds_it(tmp_path: Path) -> None:
    journal = GatedJournal(tmp_path / "j.db")
    core = core_for(journal)
    first = asyncio.create_task(core.execute([HoldSeats("ann", ("A-1-1",))]))
    # A refusal that rests on the undurable hold waits too.
    second = asyncio.create_task(core.execute([HoldSeats("bob", ("A-1-1",))]))
    await asyncio.wait_for(journal.entered.wait(), 10)  # the hold's write is under way
    await asyncio.sleep(0)  # one turn of the loop: an answer given early would be done now
    assert not first.done() and not second.done()
    journal.gate.set()
    assert isinstance((await first)[0], SeatsHeld)
    assert isinstance((await second)[0], SeatUnavailableError)
    await core.close()


async def test_failed_write_fails_its_callers_and_leaves_no_trace(tmp_path: Path) -> None:
    journal = FailingOnceJournal(tmp_path / "j.db")
    core = core_for(journal)
    kept = (await core.execute([HoldSeats("ann", ("A-1-1",))]))[0]
    await core.execute([ConfirmHold(kept.hold_id, "pi_1")])
    journal.armed = True
    doomed = [
        asyncio.create_task(core.execute([HoldSeats(f"c{i}", (seat(i + 5),))])) for i in range(20)
    ]
    results = await asyncio.gather(*doomed, return_exceptions=True)
    assert all(isinstance(r, InventoryUnavailableError) for r in results)
    await eventually(lambda: core.ready, 10, "rebuilt from the journal in the background")
    assert core.inv.seq == core.durable_seq == 2
    assert core.inv.held == 0 and core.inv.sold == 1  # nothing unjournaled survived
    again = (await core.execute([HoldSeats("c0", (seat(5),))]))[0]
    assert isinstance(again, SeatsHeld) and again.seq == 3
    await core.close()


async def test_snapshots_are_taken_and_recovery_uses_them(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "j.db")
    core = core_for(journal, snapshot_every=10)
    for i in range(25):
        await core.execute([HoldSeats(f"c{i}", (seat(i),))])

    async def snapshotted() -> Any:  # snapshots are written in the background
        recovered = await journal.recover("ev")
        return (
            recovered if recovered.snapshot is not None and recovered.snapshot_seq >= 20 else None
        )

    recovered = await eventually(snapshotted, 10, "a snapshot at seq 20 or later")
    assert [e["seq"] for e in recovered.events] == list(range(recovered.snapshot_seq + 1, 26))
    assert snapshot(inventory_kind(V, T).rebuild(recovered)) == snapshot(core.inv)
    await core.close()  # the graceful stop snapshots the rest
    final = await SqliteJournal(tmp_path / "j.db").recover("ev")
    assert final.snapshot_seq == 25 and final.events == []


@pytest.mark.parametrize("url", ["memory://", "mongodb://x", "sqlite:///x.db"])
def test_open_journal_picks_the_adapter(url: str) -> None:
    from actors.journal import open_journal

    assert type(open_journal(url)).__name__.lower().startswith(url.split(":")[0][:5])


def test_open_journal_refuses_unknown_urls() -> None:
    from actors.journal import open_journal

    with pytest.raises(ValueError, match="unsupported JOURNAL_URL"):
        open_journal("redis://localhost")


async def test_a_write_failing_while_a_snapshot_is_built_fails_the_snapshot(
    tmp_path: Path,
) -> None:
    """The snapshot is built off the loop; a journal failure meanwhile must not let it be
    saved later under sequence numbers the rebuilt state reuses for other events."""
    import dataclasses
    import time

    base = inventory_kind(V, T)

    def slow_snapshot(inv: Any) -> Any:  # timing control: the failure lands mid-build
        time.sleep(0.1)
        return base.snapshot(inv)

    journal = FailingOnceJournal(tmp_path / "j.db")
    kind = dataclasses.replace(base, snapshot=slow_snapshot)
    core = InventoryCore("ev", journal, kind, Inventory(V, T), clock=lambda: 1_000.0)
    await core.execute([HoldSeats("ann", ("A-1-1",))])
    journal.armed = True
    doomed = asyncio.create_task(core.execute([HoldSeats("bob", ("A-1-2",))]))
    await asyncio.sleep(0)  # decided, its write under way (and about to fail)
    with pytest.raises(InventoryUnavailableError):
        await core.save_snapshot()
    with pytest.raises(InventoryUnavailableError):
        await doomed
    await eventually(lambda: core.ready, 10, "rebuilt from the journal in the background")
    await core.execute([HoldSeats("cid", ("A-1-3",))])  # seq 2 again, another event
    assert (await journal.recover("ev")).snapshot is None
    await core.close()
