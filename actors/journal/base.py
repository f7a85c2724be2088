"""The journal interface the inventory actor writes through, and its errors.

A journal keeps, per stream (one inventory: an event or one shard of it), the
committed batches of encoded domain events, the latest snapshot, and the outbox
cursor (the last sequence number published to RabbitMQ). Adapters: SQLite (the
embedded default), MongoDB (production) and memory (benchmarks' upper bound).

Writes are fenced by sequence number: a batch must start right after the last
stored event, so two incarnations of one actor (a zombie and its replacement)
can never both extend a stream; the loser gets ``JournalConflictError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

EncodedEvent = dict[str, Any]  # engine.event_to_dict output: has "seq"


class JournalError(Exception):
    """Base of journal failures; the pending commands fail with a retryable error."""

    retryable = True


class JournalUnavailableError(JournalError):
    """The store could not be written or read (down, read-only, full, timed out)."""


class JournalConflictError(JournalError):
    """Another writer extended the stream first: this actor's state is stale."""


@dataclass(frozen=True, slots=True)
class Recovered:
    """What an actor restores from: the latest snapshot and the events after it."""

    snapshot: dict[str, Any] | None
    snapshot_seq: int
    events: list[EncodedEvent]

    @property
    def last_seq(self) -> int:
        return self.events[-1]["seq"] if self.events else self.snapshot_seq


class Journal(Protocol):
    """Durable, ordered storage of one or more inventories' events and snapshots."""

    async def append(self, stream: str, events: Sequence[EncodedEvent]) -> None:
        """Durably store one batch of consecutive events, or raise JournalError."""
        ...

    async def recover(self, stream: str) -> Recovered:
        """The latest snapshot of ``stream`` and every event after it, in order."""
        ...

    async def save_snapshot(self, stream: str, seq: int, data: dict[str, Any]) -> None:
        """Store a snapshot taken at ``seq`` and compact the published events behind it."""
        ...

    async def unpublished(self, stream: str, limit: int) -> list[list[EncodedEvent]]:
        """The batches after the outbox cursor, in order, as they were appended (the
        relay publishes per batch), the first one cut at the cursor if it lies inside.
        Whole batches until they hold ``limit`` events or more: at least one batch."""
        ...

    async def mark_published(self, stream: str, seq: int) -> None:
        """Move the outbox cursor to ``seq`` (every event up to it reached the broker)."""
        ...

    async def close(self) -> None:
        """Release connections and files."""
        ...


def take_batches(
    batches: Iterable[Sequence[EncodedEvent]], cursor: int, limit: int
) -> list[list[EncodedEvent]]:
    """``unpublished`` from stored batches in seq order: those after ``cursor``, whole
    until ``limit`` events are reached (the one reaching it included)."""
    taken: list[list[EncodedEvent]] = []
    count = 0
    for batch in batches:
        events = [e for e in batch if e["seq"] > cursor]
        if events:
            taken.append(events)
            count += len(events)
            if count >= limit:
                break
    return taken


def check_batch(events: Sequence[EncodedEvent]) -> tuple[int, int]:
    """(first, last) sequence numbers of a non-empty batch of consecutive events."""
    if not events:
        raise ValueError("an empty batch")
    first, last = events[0]["seq"], events[-1]["seq"]
    if last - first + 1 != len(events):
        raise ValueError(f"batch {first}..{last} is not consecutive")
    return first, last
