"""SQLite journal: the embedded default. WAL mode, ``synchronous=FULL``, one file.

sqlite3 blocks, so every call runs on one dedicated thread that owns the
connection; the actor's event loop never waits on disk. Every inventory actor of
a machine shares the file (WAL lets one writer in at a time; ``busy_timeout``
queues the others), so a restarted actor finds its journal wherever Ray places it
on that machine.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from actors import stagestats
from actors.journal.base import (
    EncodedEvent,
    JournalConflictError,
    JournalUnavailableError,
    Recovered,
    check_batch,
    take_batches,
)
from actors.journal.codec import dump_events, dump_snapshot, load_events, load_snapshot

SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    stream TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
    events TEXT NOT NULL, PRIMARY KEY (stream, first_seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
    stream TEXT PRIMARY KEY, seq INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    stream TEXT PRIMARY KEY, published_seq INTEGER NOT NULL);
"""


class SqliteJournal:
    """A ``Journal`` in one SQLite file."""

    def __init__(self, path: str | Path, busy_timeout_ms: int = 10_000) -> None:
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        self._db: sqlite3.Connection | None = None

    async def _run[T](self, work: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, work)

    def _call[T](self, work: Callable[[sqlite3.Connection], T]) -> T:
        try:
            db = self._connection()
            try:
                return work(db)
            finally:
                if db is not self._db:  # a read-only stand-in: never keep it
                    db.close()
        except sqlite3.IntegrityError as exc:
            raise JournalConflictError(f"{self.path}: {exc}") from exc
        except (sqlite3.OperationalError, sqlite3.DatabaseError, OSError) as exc:
            self._reset()  # a read-only or full disk may recover: reconnect next time
            raise JournalUnavailableError(f"{self.path}: {exc}") from exc

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            db.execute("PRAGMA journal_mode = WAL")
            # FULL: a commit is on disk (fsync of the WAL) before append() returns.
            db.execute("PRAGMA synchronous = FULL")
            db.executescript(SCHEMA)
            try:
                # SQLite silently opens an unwritable file read-only; a no-op write tells.
                version = db.execute("PRAGMA user_version").fetchone()[0]
                db.execute(f"PRAGMA user_version = {int(version)}")
            except sqlite3.OperationalError:
                return db  # reads may go on; writes fail; reconnect on the next call
            self._db = db
        return self._db

    def _reset(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            finally:
                self._db = None

    async def append(self, stream: str, events: Sequence[EncodedEvent]) -> None:
        first, last = check_batch(events)
        payload = dump_events(events)

        def write(db: sqlite3.Connection) -> None:
            began = time.perf_counter()
            with _immediate(db):
                stored = _last_seq(db, stream)
                if stored != first - 1:
                    raise JournalConflictError(
                        f"{stream}: batch starts at {first} but the journal ends at {stored}"
                    )
                db.execute(
                    "INSERT INTO batches VALUES (?, ?, ?, ?)", (stream, first, last, payload)
                )
            stagestats.observe("journal.commit", time.perf_counter() - began)

        await self._run(write)

    async def recover(self, stream: str) -> Recovered:
        def read(db: sqlite3.Connection) -> Recovered:
            row = db.execute(
                "SELECT seq, data FROM snapshots WHERE stream = ?", (stream,)
            ).fetchone()
            seq, data = (row[0], load_snapshot(row[1])) if row else (0, None)
            events: list[EncodedEvent] = []
            for (text,) in db.execute(
                "SELECT events FROM batches WHERE stream = ? AND last_seq > ? ORDER BY first_seq",
                (stream, seq),
            ):
                events.extend(e for e in load_events(text) if e["seq"] > seq)
            return Recovered(data, seq, events)

        return await self._run(read)

    async def save_snapshot(self, stream: str, seq: int, data: dict[str, Any]) -> None:
        began = time.perf_counter()
        # Off the loop, and in chunks (dump_snapshot) so the loop gets the GIL between
        # them; not on the journal's thread, where appends would queue behind it.
        blob = await asyncio.to_thread(dump_snapshot, data)
        stagestats.observe("actor.snapshot_encode", time.perf_counter() - began)

        def write(db: sqlite3.Connection) -> None:
            began = time.perf_counter()
            with _immediate(db):
                db.execute(
                    "INSERT INTO snapshots VALUES (?, ?, ?) ON CONFLICT (stream) DO UPDATE "
                    "SET seq = excluded.seq, data = excluded.data WHERE excluded.seq > seq",
                    (stream, seq, blob),
                )
                # Compact what the snapshot covers, but never what the outbox still needs.
                db.execute(
                    "DELETE FROM batches WHERE stream = ? AND last_seq <= ? AND last_seq <= "
                    "coalesce((SELECT published_seq FROM outbox WHERE stream = ?), 0)",
                    (stream, seq, stream),
                )
            stagestats.observe("journal.snapshot_write", time.perf_counter() - began)

        await self._run(write)

    async def unpublished(self, stream: str, limit: int) -> list[list[EncodedEvent]]:
        def read(db: sqlite3.Connection) -> list[list[EncodedEvent]]:
            cursor = _published_seq(db, stream)
            rows = db.execute(
                "SELECT events FROM batches WHERE stream = ? AND last_seq > ? ORDER BY first_seq",
                (stream, cursor),
            )
            return take_batches((load_events(text) for (text,) in rows), cursor, limit)

        return await self._run(read)

    async def mark_published(self, stream: str, seq: int) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO outbox VALUES (?, ?) ON CONFLICT (stream) DO UPDATE "
                "SET published_seq = max(published_seq, excluded.published_seq)",
                (stream, seq),
            )

        await self._run(write)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._reset)
        self._executor.shutdown(wait=True)


@contextmanager
def _immediate(db: sqlite3.Connection) -> Iterator[None]:
    """A write transaction that takes the file's write lock up front."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _last_seq(db: sqlite3.Connection, stream: str) -> int:
    row = db.execute(
        "SELECT last_seq FROM batches WHERE stream = ? ORDER BY first_seq DESC LIMIT 1", (stream,)
    ).fetchone()
    snap = db.execute("SELECT seq FROM snapshots WHERE stream = ?", (stream,)).fetchone()
    return max(row[0] if row else 0, snap[0] if snap else 0)


def _published_seq(db: sqlite3.Connection, stream: str) -> int:
    row = db.execute("SELECT published_seq FROM outbox WHERE stream = ?", (stream,)).fetchone()
    return row[0] if row else 0
