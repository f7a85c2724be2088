"""Which traced request produced which journaled events, kept in the actor's memory.

The journal write and the outbox publish happen after the request's call returned (or
on behalf of many requests at once); they find the trace to join here, by sequence
number. Memory only, bounded: the journal's format is unchanged, and events whose mark
was dropped (an old backlog, a restart) are simply published without a trace context.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any


class TraceMarks:
    """Ranges of sequence numbers, in increasing order, each with a trace context."""

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self._lasts: list[int] = []  # last seq of each range, increasing: bisect finds a seq
        self._marks: list[tuple[int, int, Any]] = []  # (first seq, last seq, context)

    def __len__(self) -> int:
        return len(self._marks)

    def add(self, first: int, last: int, context: Any) -> None:
        """Events ``first``..``last`` were produced by the request traced in ``context``."""
        self._lasts.append(last)
        self._marks.append((first, last, context))
        if len(self._marks) > 2 * self.limit:  # trim in chunks: amortised O(1) per add
            del self._lasts[: self.limit], self._marks[: self.limit]

    def of(self, seq: int) -> Any | None:
        """The context of the request that produced event ``seq``, if still known."""
        i = bisect_left(self._lasts, seq)
        if i < len(self._marks) and self._marks[i][0] <= seq:
            return self._marks[i][2]
        return None

    def between(self, first: int, last: int) -> list[Any]:
        """The contexts of every request with events in ``first``..``last``, in order."""
        found = []
        for i in range(bisect_left(self._lasts, first), len(self._marks)):
            start, _, context = self._marks[i]
            if start > last:
                break
            found.append(context)
        return found

    def clear(self) -> None:
        """Forget everything (the state was rebuilt: sequence numbers will be reused)."""
        self._lasts.clear()
        self._marks.clear()
