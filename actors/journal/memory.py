"""In-memory journal: not durable. The benchmarks' upper bound and a test double
for actor logic where durability is not what is under test."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from actors.journal.base import (
    EncodedEvent,
    JournalConflictError,
    Recovered,
    check_batch,
    take_batches,
)


class MemoryJournal:
    """A ``Journal`` in a dict; shares nothing across processes."""

    def __init__(self) -> None:
        self.stored: dict[str, list[list[EncodedEvent]]] = {}  # per stream, as appended
        self.snapshots: dict[str, tuple[int, dict[str, Any]]] = {}
        self.published: dict[str, int] = {}
        self.batches = 0

    def _last_seq(self, stream: str) -> int:
        batches = self.stored.get(stream)
        last = batches[-1][-1]["seq"] if batches else 0
        return max(last, self.snapshots.get(stream, (0,))[0])

    def _events(self, stream: str, after: int) -> list[EncodedEvent]:
        return [e for batch in self.stored.get(stream, []) for e in batch if e["seq"] > after]

    async def append(self, stream: str, events: Sequence[EncodedEvent]) -> None:
        first, _ = check_batch(events)
        if self._last_seq(stream) != first - 1:
            raise JournalConflictError(f"{stream}: batch starts at {first}")
        self.stored.setdefault(stream, []).append(list(events))
        self.batches += 1

    async def recover(self, stream: str) -> Recovered:
        seq, data = self.snapshots.get(stream, (0, None))
        return Recovered(copy.deepcopy(data), seq, self._events(stream, seq))

    async def save_snapshot(self, stream: str, seq: int, data: dict[str, Any]) -> None:
        if seq > self.snapshots.get(stream, (0,))[0]:
            self.snapshots[stream] = (seq, copy.deepcopy(data))
        keep_after = min(seq, self.published.get(stream, 0))
        # Whole batches, as the other journals compact.
        kept = [b for b in self.stored.get(stream, []) if b[-1]["seq"] > keep_after]
        self.stored[stream] = kept

    async def unpublished(self, stream: str, limit: int) -> list[list[EncodedEvent]]:
        cursor = self.published.get(stream, 0)
        return take_batches(self.stored.get(stream, []), cursor, limit)

    async def mark_published(self, stream: str, seq: int) -> None:
        self.published[stream] = max(seq, self.published.get(stream, 0))

    async def close(self) -> None:
        return None
