"""MongoDB journal: the production adapter, through pymongo's async client.

One document per committed batch (``batches``, ``_id`` = ``stream:first_seq``), one
snapshot document per stream (``snapshots``) and one outbox cursor per stream
(``outbox``). The deterministic ``_id`` makes the fence atomic: of two writers that
both passed the "journal ends at first - 1" check, the second insert is a duplicate
key. Snapshots over 12 MB (MongoDB refuses documents over 16 MB) are stored as BSON
bytes split over ``snapshot_chunks`` documents.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import bson
from bson.raw_bson import RawBSONDocument
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, WriteConcern
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, DuplicateKeyError, OperationFailure

from actors.journal.base import (
    EncodedEvent,
    JournalConflictError,
    JournalUnavailableError,
    Recovered,
    check_batch,
)

INLINE_LIMIT = 12 * 1024 * 1024  # larger snapshots go to snapshot_chunks
CHUNK_SIZE = 8 * 1024 * 1024


class MongoJournal:
    """A ``Journal`` in one MongoDB database; the client is created on first use."""

    def __init__(self, url: str, database: str = "inventory_journal", timeout_ms: int = 5000):
        self.url = url
        self.database = database
        self.timeout_ms = timeout_ms
        self.inline_limit = INLINE_LIMIT
        self.chunk_size = CHUNK_SIZE
        self._client: AsyncMongoClient[dict[str, Any]] | None = None
        self._indexed = False

    @asynccontextmanager
    async def _db(self) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
        """The database, with pymongo's failures turned into journal errors."""
        try:
            if self._client is None:
                # Created here, inside the running loop the async client binds to. Short
                # timeouts: an outage must fail the pending commands in seconds.
                t = self.timeout_ms
                self._client = AsyncMongoClient(
                    self.url,
                    serverSelectionTimeoutMS=t,
                    connectTimeoutMS=t,
                    socketTimeoutMS=t,
                )
            # majority + journaled: an acknowledged batch survives a primary failover.
            db = self._client.get_database(
                self.database, write_concern=WriteConcern(w="majority", j=True)
            )
            if not self._indexed:
                await db.batches.create_index(
                    [("stream", ASCENDING), ("first_seq", ASCENDING)], unique=True
                )
                await db.snapshot_chunks.create_index([("stream", ASCENDING), ("seq", ASCENDING)])
                self._indexed = True
            yield db
        except DuplicateKeyError as exc:
            raise JournalConflictError(f"{self.database}: {exc}") from exc
        except (ConnectionFailure, OperationFailure) as exc:
            # ConnectionFailure covers AutoReconnect, NetworkTimeout, ServerSelectionTimeout.
            raise JournalUnavailableError(f"{self.database}: {exc}") from exc

    async def append(self, stream: str, events: Sequence[EncodedEvent]) -> None:
        first, last = check_batch(events)
        async with self._db() as db:
            newest = await db.batches.find_one(
                {"stream": stream}, {"last_seq": 1}, sort=[("first_seq", DESCENDING)]
            )
            stored = max(newest["last_seq"] if newest else 0, await _snapshot_seq(db, stream))
            if stored != first - 1:
                raise JournalConflictError(
                    f"{stream}: batch starts at {first} but the journal ends at {stored}"
                )
            _id = f"{stream}:{first:012d}"
            doc = {"_id": _id, "stream": stream, "first_seq": first, "last_seq": last}
            await db.batches.insert_one({**doc, "events": list(events)})
            # A zombie that checked before a snapshot compacted our first_seq's batch away
            # would not hit the duplicate key: the snapshot now covering it betrays it.
            if await _snapshot_seq(db, stream) >= first:
                await db.batches.delete_one({"_id": _id})
                raise JournalConflictError(f"{stream}: batch {first} is behind the snapshot")

    async def recover(self, stream: str) -> Recovered:
        async with self._db() as db:
            seq, data = await self._load_snapshot(db, stream)
            return Recovered(data, seq, await _events_after(db, stream, seq, None))

    async def _load_snapshot(self, db: AsyncDatabase, stream: str) -> tuple[int, Any]:
        for _ in range(3):  # a concurrent save may swap the chunks under us: read again
            doc = await db.snapshots.find_one({"_id": stream})
            if doc is None:
                return 0, None
            if "chunks" not in doc:
                return doc["seq"], doc["data"]
            found = db.snapshot_chunks.find({"stream": stream, "seq": doc["seq"]}).sort("n")
            parts = [chunk["data"] async for chunk in found]
            if len(parts) == doc["chunks"]:
                return doc["seq"], bson.decode(b"".join(parts))
        raise JournalUnavailableError(f"{stream}: snapshot chunks changed during the read")

    async def save_snapshot(self, stream: str, seq: int, data: dict[str, Any]) -> None:
        raw = bson.encode(data)  # once: its size decides inline or chunked
        async with self._db() as db:
            if await _snapshot_seq(db, stream) < seq:  # replaced only by a newer snapshot
                if len(raw) <= self.inline_limit:
                    data_doc = RawBSONDocument(raw)  # no second encoding
                    update = {"$set": {"seq": seq, "data": data_doc}, "$unset": {"chunks": ""}}
                else:
                    await db.snapshot_chunks.delete_many({"stream": stream, "seq": seq})
                    await db.snapshot_chunks.insert_many(
                        {"stream": stream, "seq": seq, "n": n, "data": raw[i : i + self.chunk_size]}
                        for n, i in enumerate(range(0, len(raw), self.chunk_size))
                    )
                    chunks = -(-len(raw) // self.chunk_size)
                    update = {"$set": {"seq": seq, "chunks": chunks}, "$unset": {"data": ""}}
                try:
                    await db.snapshots.update_one(
                        {"_id": stream, "seq": {"$lt": seq}}, update, upsert=True
                    )
                    await db.snapshot_chunks.delete_many({"stream": stream, "seq": {"$lt": seq}})
                except DuplicateKeyError:
                    pass  # a newer snapshot landed meanwhile: it stays
            # Compact what the snapshot covers, but never what the outbox still needs.
            keep_after = min(seq, await _published_seq(db, stream))
            await db.batches.delete_many({"stream": stream, "last_seq": {"$lte": keep_after}})

    async def unpublished(self, stream: str, limit: int) -> list[list[EncodedEvent]]:
        async with self._db() as db:
            cursor = await _published_seq(db, stream)
            found = db.batches.find({"stream": stream, "last_seq": {"$gt": cursor}}, {"events": 1})
            taken: list[list[EncodedEvent]] = []
            count = 0
            async for batch in found.sort("first_seq", ASCENDING):
                events = [e for e in batch["events"] if e["seq"] > cursor]
                taken.append(events)  # last_seq > cursor: never empty
                count += len(events)
                if count >= limit:
                    break
            return taken

    async def mark_published(self, stream: str, seq: int) -> None:
        async with self._db() as db:
            # $max: the cursor never moves backwards, even with racing relays.
            await db.outbox.update_one(
                {"_id": stream}, {"$max": {"published_seq": seq}}, upsert=True
            )

    async def close(self) -> None:
        client, self._client = self._client, None
        self._indexed = False
        if client is not None:
            await client.close()


async def _events_after(
    db: AsyncDatabase, stream: str, seq: int, limit: int | None
) -> list[EncodedEvent]:
    events: list[EncodedEvent] = []
    found = db.batches.find({"stream": stream, "last_seq": {"$gt": seq}}, {"events": 1})
    async for batch in found.sort("first_seq", ASCENDING):
        events.extend(e for e in batch["events"] if e["seq"] > seq)
        if limit is not None and len(events) >= limit:
            return events[:limit]
    return events


async def _snapshot_seq(db: AsyncDatabase, stream: str) -> int:
    doc = await db.snapshots.find_one({"_id": stream}, {"seq": 1})
    return doc["seq"] if doc else 0


async def _published_seq(db: AsyncDatabase, stream: str) -> int:
    doc = await db.outbox.find_one({"_id": stream}, {"published_seq": 1})
    return doc["published_seq"] if doc else 0
