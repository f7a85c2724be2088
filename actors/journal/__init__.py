"""Journals: where inventory actors make their events durable before answering.

``open_journal(url)`` picks the adapter from ``JOURNAL_URL``:
``sqlite:///path/to/journal.db`` (embedded default), ``mongodb://host/db`` (production;
the database defaults to ``inventory_journal``)
or ``memory://`` (not durable: benchmarks' upper bound only).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from actors.journal.base import (
    EncodedEvent,
    Journal,
    JournalConflictError,
    JournalError,
    JournalUnavailableError,
    Recovered,
)


def open_journal(url: str) -> Journal:
    """A journal for ``url``; opens nothing until first used."""
    if url.startswith("sqlite:///"):
        from actors.journal.sqlite import SqliteJournal

        return SqliteJournal(url.removeprefix("sqlite:///"))
    if url.startswith(("mongodb://", "mongodb+srv://")):
        from pymongo.uri_parser import parse_uri

        from actors.journal.mongo import MongoJournal

        parsed = parse_uri(url)
        database = parsed.get("database") or "inventory_journal"
        timeout = parsed["options"].get("serverselectiontimeoutms", 5000)
        return MongoJournal(url, database=database, timeout_ms=int(timeout))
    if url == "memory://":
        from actors.journal.memory import MemoryJournal

        return MemoryJournal()
    raise ValueError(f"unsupported JOURNAL_URL {url!r}: use sqlite:///, mongodb:// or memory://")


def recover_blocking(url: str, stream: str) -> Recovered:
    """A stream's snapshot and later events, read on a private event loop.

    For an actor's ``__init__``, which may not await: Ray delivers no call before it
    returns, so the state is whole before the first command.
    """

    async def read() -> Recovered:
        journal = open_journal(url)
        try:
            return await journal.recover(stream)
        finally:
            await journal.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, read()).result()


__all__ = [
    "EncodedEvent",
    "Journal",
    "JournalConflictError",
    "JournalError",
    "JournalUnavailableError",
    "Recovered",
    "open_journal",
    "recover_blocking",
]
