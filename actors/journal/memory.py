"""In-memory journal: not durable. The benchmarks' upper bound and a test double
for actor logic where durability is not what is under test."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from actors.journal.base import EncodedEvent, JournalConflictError, Recovered, check_batch


class MemoryJournal:
    """A ``Journal`` in a dict; shares nothing across processes."""

    def __init__(self) -> None:
        self.events: dict[str, list[EncodedEvent]] = {}
        self.snapshots: dict[str, tuple[int, dict[str, Any]]] = {}
        self.published: dict[str, int] = {}
        self.batches = 0

    def _last_seq(self, stream: str) -> int:
        events = self.events.get(stream)
        return max(events[-1]["seq"] if events else 0, self.snapshots.get(stream, (0,))[0])

    async def append(self, stream: str, events: Sequence[EncodedEvent]) -> None:
        first, _ = check_batch(events)
        if self._last_seq(stream) != first - 1:
            raise JournalConflictError(f"{stream}: batch starts at {first}")
        self.events.setdefault(stream, []).extend(events)
        self.batches += 1

    async def recover(self, stream: str) -> Recovered:
        seq, data = self.snapshots.get(stream, (0, None))
        after = [e for e in self.events.get(stream, []) if e["seq"] > seq]
        return Recovered(copy.deepcopy(data), seq, after)

    async def save_snapshot(self, stream: str, seq: int, data: dict[str, Any]) -> None:
        if seq > self.snapshots.get(stream, (0,))[0]:
            self.snapshots[stream] = (seq, copy.deepcopy(data))
        keep_after = min(seq, self.published.get(stream, 0))
        self.events[stream] = [e for e in self.events.get(stream, []) if e["seq"] > keep_after]

    async def unpublished(self, stream: str, limit: int) -> list[EncodedEvent]:
        cursor = self.published.get(stream, 0)
        return [e for e in self.events.get(stream, []) if e["seq"] > cursor][:limit]

    async def mark_published(self, stream: str, seq: int) -> None:
        self.published[stream] = max(seq, self.published.get(stream, 0))

    async def close(self) -> None:
        return None
