"""One contract for every journal adapter (memory, SQLite, MongoDB on mongoeco), then
each durable adapter's behaviour when its store goes away and comes back."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient, WriteConcern
from pymongo.errors import OperationFailure

from actors.journal.base import Journal, JournalConflictError, JournalUnavailableError
from actors.journal.memory import MemoryJournal
from actors.journal.mongo import MongoJournal
from actors.journal.sqlite import SqliteJournal
from actors.mongo_embedded import EmbeddedMongo
from engine import ConfirmHold, HoldArea, HoldSeats, event_to_dict, restore, snapshot
from tests.unit.engine_helpers import inventory


def ev(first: int, last: int) -> list[dict[str, Any]]:
    """Events first..last with the value types real events carry."""
    return [
        {"type": "T", "seq": s, "seats": [s, s + 1], "note": None, "at": s / 2, "ok": True}
        for s in range(first, last + 1)
    ]


def seqs(events: list[dict[str, Any]]) -> list[int]:
    return [e["seq"] for e in events]


def batched(batches: list[list[dict[str, Any]]]) -> list[list[int]]:
    """The seqs of ``unpublished``'s batches, batch by batch."""
    return [seqs(batch) for batch in batches]


@pytest.fixture(params=["memory", "sqlite", "mongo"])
async def journal(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[MemoryJournal | SqliteJournal | MongoJournal]:
    if request.param == "memory":
        j: Any = MemoryJournal()
    elif request.param == "sqlite":
        j = SqliteJournal(tmp_path / "journal.db")
    else:
        server: EmbeddedMongo = request.getfixturevalue("embedded_mongo")
        j = MongoJournal(server.url, database=f"t_{uuid.uuid4().hex[:12]}")
    yield j
    await j.close()


async def stored_seqs(j: Any, stream: str) -> list[int]:
    """Every event seq still stored for ``stream`` (compacted ones are gone)."""
    if isinstance(j, MemoryJournal):
        return [e["seq"] for batch in j.stored.get(stream, []) for e in batch]
    if isinstance(j, SqliteJournal):
        with sqlite3.connect(j.path) as db:
            rows = db.execute(
                "SELECT first_seq, last_seq FROM batches WHERE stream = ? ORDER BY first_seq",
                (stream,),
            ).fetchall()
    else:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(j.url)
        found = client[j.database].batches.find({"stream": stream}).sort("first_seq")
        rows = [(b["first_seq"], b["last_seq"]) async for b in found]
        await client.close()
    return [s for first, last in rows for s in range(first, last + 1)]


async def test_append_recover_round_trip(journal: Journal) -> None:
    await journal.append("e1", ev(1, 3))
    got = await journal.recover("e1")
    assert (got.snapshot, got.snapshot_seq, got.events, got.last_seq) == (None, 0, ev(1, 3), 3)
    empty = await journal.recover("nothing")
    assert (empty.snapshot, empty.events, empty.last_seq) == (None, [], 0)


async def test_batches_come_back_in_order(journal: Journal) -> None:
    for first, last in [(1, 1), (2, 5), (6, 6), (7, 12)]:
        await journal.append("e1", ev(first, last))
    assert (await journal.recover("e1")).events == ev(1, 12)


async def test_fencing_refuses_a_batch_not_right_after_the_last(journal: Journal) -> None:
    with pytest.raises(JournalConflictError):
        await journal.append("e1", ev(2, 2))  # empty stream: must start at 1
    await journal.append("e1", ev(1, 3))
    for first in (1, 3, 5):  # a replay, an overlap, a gap
        with pytest.raises(JournalConflictError):
            await journal.append("e1", ev(first, first + 1))
    await journal.append("e1", ev(4, 4))
    # After a snapshot that compacted everything, the snapshot seq is the fence.
    await journal.mark_published("e1", 4)
    await journal.save_snapshot("e1", 4, {"states": b"\x00"})
    assert await stored_seqs(journal, "e1") == []
    for first in (4, 6):
        with pytest.raises(JournalConflictError):
            await journal.append("e1", ev(first, first))
    await journal.append("e1", ev(5, 6))
    assert seqs((await journal.recover("e1")).events) == [5, 6]


async def test_recover_returns_the_snapshot_and_only_later_events(journal: Journal) -> None:
    await journal.append("e1", ev(1, 2))
    await journal.append("e1", ev(3, 5))
    await journal.save_snapshot("e1", 4, {"states": b"\x01\x02", "seq": 4})
    got = await journal.recover("e1")
    assert (got.snapshot, got.snapshot_seq, got.events) == (
        {"states": b"\x01\x02", "seq": 4},
        4,
        ev(5, 5),
    )
    # Only a newer snapshot replaces it.
    await journal.save_snapshot("e1", 3, {"states": b"old"})
    assert (await journal.recover("e1")).snapshot_seq == 4
    await journal.save_snapshot("e1", 5, {"states": b"new"})
    got = await journal.recover("e1")
    assert (got.snapshot, got.events, got.last_seq) == ({"states": b"new"}, [], 5)


async def test_compaction_keeps_what_the_outbox_still_needs(journal: Journal) -> None:
    for first, last in [(1, 4), (5, 7), (8, 10)]:
        await journal.append("e1", ev(first, last))
    await journal.mark_published("e1", 4)
    await journal.save_snapshot("e1", 10, {"states": b"s10"})
    # As appended, batch by batch (the relay publishes per batch), whole: at least one.
    assert batched(await journal.unpublished("e1", 100)) == [[5, 6, 7], [8, 9, 10]]
    assert batched(await journal.unpublished("e1", 2)) == [[5, 6, 7]]
    assert batched(await journal.unpublished("e1", 3)) == [[5, 6, 7]]
    assert batched(await journal.unpublished("e1", 4)) == [[5, 6, 7], [8, 9, 10]]
    assert await stored_seqs(journal, "e1") == list(range(5, 11))  # 1..4 compacted
    assert (await journal.recover("e1")).events == []
    await journal.mark_published("e1", 6)  # mid-batch: unpublished cuts inside 5..7
    assert batched(await journal.unpublished("e1", 3)) == [[7], [8, 9, 10]]
    await journal.mark_published("e1", 10)
    await journal.append("e1", ev(11, 12))
    await journal.save_snapshot("e1", 12, {"states": b"s12"})
    assert await stored_seqs(journal, "e1") == [11, 12]  # 12 > cursor 10: kept
    assert batched(await journal.unpublished("e1", 100)) == [[11, 12]]


async def test_mark_published_never_moves_back(journal: Journal) -> None:
    await journal.append("e1", ev(1, 6))
    await journal.mark_published("e1", 5)
    await journal.mark_published("e1", 2)
    assert batched(await journal.unpublished("e1", 10)) == [[6]]
    await journal.mark_published("e1", 6)
    assert await journal.unpublished("e1", 10) == []


async def test_a_real_engine_snapshot_round_trips(journal: Journal) -> None:
    inv = inventory({"A": [3, 3], "B": [2]}, {"FLOOR": 10})
    events = []
    held, new = inv.handle(HoldSeats("ann", ("A-1-1", "A-1-2"), "k1"), 50.0)
    events += new
    events += inv.handle(ConfirmHold(held.hold_id, "pi_1"), 51.0)[1]
    events += inv.handle(HoldArea("bob", "FLOOR", 3), 52.0)[1]
    events += inv.handle(HoldSeats("bob", ("B-1-2",)), 53.0)[1]
    await journal.append("e1", [event_to_dict(e) for e in events])
    data = snapshot(inv)
    await journal.save_snapshot("e1", inv.seq, data)
    got = await journal.recover("e1")
    assert got.snapshot is not None and isinstance(got.snapshot["states"], bytes)
    assert got.snapshot["states"] == data["states"]
    assert snapshot(restore(got.snapshot)) == data


async def test_streams_are_isolated(journal: Journal) -> None:
    await journal.append("e1", ev(1, 3))
    await journal.append("e2", ev(1, 1))
    await journal.mark_published("e1", 3)
    await journal.save_snapshot("e1", 3, {"states": b"1"})
    await journal.append("e2", ev(2, 2))
    assert (await journal.recover("e2")).events == ev(1, 2)
    assert batched(await journal.unpublished("e2", 10)) == [[1], [2]]
    assert (await journal.recover("e1")).snapshot == {"states": b"1"}
    assert (await journal.recover("e2")).snapshot is None


# --- MongoDB specifics ----------------------------------------------------------------


@pytest.fixture
async def mongo_journal(embedded_mongo: EmbeddedMongo) -> AsyncIterator[MongoJournal]:
    j = MongoJournal(embedded_mongo.url, database=f"t_{uuid.uuid4().hex[:12]}")
    yield j
    await j.close()


async def test_mongo_chunks_a_snapshot_over_the_inline_limit(mongo_journal: MongoJournal) -> None:
    j = mongo_journal
    j.inline_limit, j.chunk_size = 100, 40  # tiny limits: the same code path, quick
    await j.append("e1", ev(1, 3))
    await j.save_snapshot("e1", 1, {"states": b"x" * 50})  # inline
    medium = {"states": b"y" * 150, "seq": 2}
    await j.save_snapshot("e1", 2, medium)  # 171 bytes of BSON: 5 chunks
    got = await j.recover("e1")
    assert (got.snapshot, got.snapshot_seq, got.events) == (medium, 2, ev(3, 3))
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(j.url)
    db = client[j.database]
    assert await db.snapshot_chunks.count_documents({"stream": "e1", "seq": 2}) == 5
    assert "data" not in await db.snapshots.find_one({"_id": "e1"})
    await j.save_snapshot("e1", 2, {"states": b"same seq: ignored"})
    await j.save_snapshot("e1", 3, {"states": b"z" * 120})  # chunked again: seq 2's go
    assert await db.snapshot_chunks.distinct("seq", {"stream": "e1"}) == [3]
    await j.save_snapshot("e1", 4, {"states": b"small again"})
    assert (await j.recover("e1")).snapshot == {"states": b"small again"}
    assert await db.snapshot_chunks.count_documents({}) == 0
    await client.close()


async def test_mongo_duplicate_batch_id_is_a_conflict(mongo_journal: MongoJournal) -> None:
    # The race the unique _id closes: a batch landed between our check and our insert.
    # Staged by a document the check cannot see (another stream field, same _id).
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_journal.url)
    await mongo_journal.append("e0", ev(1, 1))  # creates the collection and its indexes
    await client[mongo_journal.database].batches.insert_one(
        {"_id": "e1:000000000001", "stream": "elsewhere", "first_seq": 1, "last_seq": 1}
    )
    with pytest.raises(JournalConflictError):
        await mongo_journal.append("e1", ev(1, 1))
    await client.close()


async def test_mongo_stores_a_snapshot_too_big_for_one_document(tmp_path: Path) -> None:
    # Its own server: mongoeco's large writes slow down on a file other tests filled.
    with EmbeddedMongo(tmp_path / "mongo") as server:
        j = MongoJournal(server.url, database="big", timeout_ms=30_000)
        await j.append("e1", ev(1, 1))
        big = {"states": bytes(range(256)) * (13 * 4096), "holds": [[1, "ann", [1, 2]]]}
        await j.save_snapshot("e1", 1, big)  # 13 MB: over the inline limit, under 16 MB
        assert (await j.recover("e1")).snapshot == big
        await j.close()


async def test_mongoeco_accepts_majority_journaled_writes(embedded_mongo: EmbeddedMongo) -> None:
    # The journal writes with w="majority", j=True; mongoeco parses write concerns
    # (it refuses w=2 on its single node) and takes this one, so no fallback is needed.
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(embedded_mongo.url)
    db = client[f"t_{uuid.uuid4().hex[:12]}"]
    done = await db.get_collection(
        "c", write_concern=WriteConcern(w="majority", j=True)
    ).insert_one({})
    assert done.acknowledged
    with pytest.raises(OperationFailure, match="replicated"):
        await db.get_collection("c", write_concern=WriteConcern(w=2)).insert_one({})
    await client.close()


# --- outages ----------------------------------------------------------------------------


async def test_mongo_outage_then_recovery(tmp_path: Path) -> None:
    server = EmbeddedMongo(tmp_path / "mongo")
    server.start()
    j = MongoJournal(server.url, database="outage", timeout_ms=1000)
    try:
        await j.append("e1", ev(1, 2))
        server.stop()
        started = time.monotonic()
        with pytest.raises(JournalUnavailableError):
            await j.append("e1", ev(3, 3))
        assert time.monotonic() - started < 10
        with pytest.raises(JournalUnavailableError):
            await j.recover("e1")
        server.restart()  # same port, same file
        await j.append("e1", ev(3, 3))
        assert (await j.recover("e1")).events == ev(1, 3)
    finally:
        await j.close()
        server.stop()


class Immutable:
    """``chattr +i``: the one read-only switch that root obeys (chmod does not stop it)."""

    def __init__(self) -> None:
        self.frozen: list[Path] = []

    def freeze(self, *paths: Path) -> None:
        if shutil.which("chattr") is None:
            pytest.skip("chattr not installed: no way to make a file read-only for root")
        done = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True)
        if done.returncode:
            pytest.skip(
                f"chattr +i refused here ({done.stderr.decode().strip()}): it needs an "
                "ext2/3/4-like filesystem and CAP_LINUX_IMMUTABLE"
            )
        self.frozen.extend(paths)

    def thaw(self) -> None:
        if self.frozen:
            subprocess.run(["chattr", "-i", *map(str, self.frozen)], check=True)
            self.frozen.clear()


@pytest.fixture
def immutable() -> Iterator[Immutable]:
    switch = Immutable()
    yield switch
    switch.thaw()  # always: pytest could not even delete tmp_path otherwise


def sqlite_files(path: Path) -> list[Path]:
    # Never the -shm file: SQLite maps it, and writing a mapping of an immutable file
    # is a SIGBUS that kills the whole test process.
    return [path, path.with_name(path.name + "-wal"), path.parent]


async def test_sqlite_read_only_store_then_recovery(tmp_path: Path, immutable: Immutable) -> None:
    j = SqliteJournal(tmp_path / "db" / "journal.db")
    try:
        await j.append("e1", ev(1, 2))
        immutable.freeze(*sqlite_files(j.path))
        for _ in range(2):  # the open connection fails, then the reopened one
            with pytest.raises(JournalUnavailableError):
                await j.append("e1", ev(3, 3))
        immutable.thaw()
        await j.append("e1", ev(3, 3))
        assert (await j.recover("e1")).events == ev(1, 3)
    finally:
        await j.close()


async def test_sqlite_read_during_outage_does_not_pin_read_only(
    tmp_path: Path, immutable: Immutable
) -> None:
    j = SqliteJournal(tmp_path / "db" / "journal.db")
    try:
        await j.append("e1", ev(1, 2))
        immutable.freeze(*sqlite_files(j.path))
        with pytest.raises(JournalUnavailableError):
            await j.append("e1", ev(3, 3))
        assert (await j.recover("e1")).events == ev(1, 2)  # reads still work
        immutable.thaw()
        await j.append("e1", ev(3, 3))
    finally:
        await j.close()
