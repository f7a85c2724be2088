"""The waiting room's state and the only code that changes it: applying its events.

Before the opening, joiners wait in ``lobby`` (arrival order, which gives no
advantage); ``QueueOpened`` shuffles them into ``line`` with the journaled seed, and
later joiners are appended. ``line[:head]`` have been admitted, in order, so a
waiting buyer's position is its index minus ``head``: no renumbering when people
move up. Admission credit (a token bucket) is part of the state and only changes in
``apply``, so a replay rebuilds the same credit from the same events.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from hashlib import blake2b
from heapq import heappush
from typing import Any

from engine.queue_messages import (
    AdmissionPaused,
    AdmissionsExpired,
    AdmissionUsed,
    Admitted,
    QueueClosed,
    QueueConfigured,
    QueueEvent,
    QueueJoined,
    QueueOpened,
)
from engine.state import SequenceGapError

BURST_S = 5.0  # the bucket holds five seconds of admissions: a late tick loses nothing
RECENT_S = 60.0  # the window the observed admission rate is measured over


def shuffled(accounts: list[str], seed: int) -> list[str]:
    """``accounts`` in a random order fixed by ``seed``: sorted by a keyed hash, so
    the order depends neither on arrival nor on anything but the seed."""
    key = seed.to_bytes(8, "big", signed=False)
    return sorted(accounts, key=lambda a: blake2b(a.encode(), key=key, digest_size=16).digest())


class QueueState:
    """One event's queue: who joined, in what order, who was let in; changed by ``apply``."""

    def __init__(self) -> None:
        self.seq = 0
        self.configured = False
        self.opens_at = float("inf")
        self.rate: float | None = None  # admissions per minute
        self.max_active: int | None = None
        self.max_unpaid: int | None = None  # checkout capacity, in held places
        self.ttl = 300.0
        self.access: frozenset[str] | None = None
        self.lobby: list[str] = []
        self.line: list[str] = []
        self.place: dict[str, int] = {}  # account -> index in lobby (before) or line (after)
        self.opened_at: float | None = None
        self.head = 0
        self.admitted: dict[str, float] = {}  # admitted, not used yet: account -> deadline
        self.outcome: dict[str, str] = {}  # account -> "used" | "expired"
        self.deadlines: list[tuple[float, int]] = []  # heap of (deadline, line index)
        self.credit = 0.0
        self.credit_at = 0.0
        self.paused = False
        self.closed: str | None = None
        self.recent: deque[tuple[float, int]] = deque()  # (at, count) of recent admissions
        # Keyed by the event's exact type; each applier takes that one type (hence Any).
        self._appliers: dict[type, Callable[[Any], None]] = {
            QueueConfigured: self._configured,
            QueueJoined: self._joined,
            QueueOpened: self._opened,
            Admitted: self._admitted,
            AdmissionUsed: self._used,
            AdmissionsExpired: self._expired,
            AdmissionPaused: self._paused,
            QueueClosed: self._closed,
        }

    @property
    def burst(self) -> float:
        return max(1.0, (self.rate or 0.0) * BURST_S / 60)

    @property
    def waiting(self) -> int:
        return len(self.lobby) if self.opened_at is None else len(self.line) - self.head

    def credit_at_time(self, now: float) -> float:
        """Admissions the rate allows at ``now`` (unbounded without a rate)."""
        if self.rate is None:
            return float("inf")
        elapsed = max(0.0, now - self.credit_at)
        return min(self.burst, self.credit + self.rate * elapsed / 60)

    def apply(self, event: QueueEvent) -> None:
        """Change the state by one event; the only way state changes."""
        if event.seq != self.seq + 1:
            raise SequenceGapError(f"event seq {event.seq} does not follow {self.seq}")
        self._appliers[type(event)](event)
        self.seq = event.seq

    def _accrue(self, at: float) -> None:
        if self.rate is not None:
            self.credit = self.credit_at_time(at)
        self.credit_at = at

    def _configured(self, e: QueueConfigured) -> None:
        self._accrue(e.at)  # credit earned so far at the old rate
        self.configured = True
        self.opens_at, self.rate, self.max_active = e.opens_at, e.rate_per_minute, e.max_active
        self.ttl, self.max_unpaid = e.admission_ttl_s, e.max_unpaid
        self.access = None if e.access_list is None else frozenset(e.access_list)
        self.credit = min(self.credit, self.burst)

    def _joined(self, e: QueueJoined) -> None:
        queue = self.lobby if self.opened_at is None else self.line
        self.place[e.account] = len(queue)
        queue.append(e.account)

    def _opened(self, e: QueueOpened) -> None:
        self.line = shuffled(self.lobby, e.seed)  # nobody joins the line before it opens
        self.lobby = []
        self.place = {account: i for i, account in enumerate(self.line)}
        self.opened_at = e.at
        self.credit, self.credit_at = 0.0, e.at  # nobody is let in ahead of the rate

    def _admitted(self, e: Admitted) -> None:
        self._accrue(e.at)
        self.credit = max(0.0, self.credit - e.count)
        for index in range(e.first, e.first + e.count):
            self.admitted[self.line[index]] = e.expires_at
            heappush(self.deadlines, (e.expires_at, index))
        self.head = e.first + e.count
        self.recent.append((e.at, e.count))
        while self.recent and self.recent[0][0] < e.at - RECENT_S:
            self.recent.popleft()

    def _used(self, e: AdmissionUsed) -> None:
        del self.admitted[e.account]
        self.outcome[e.account] = "used"

    def _expired(self, e: AdmissionsExpired) -> None:
        for account in e.accounts:
            del self.admitted[account]
            self.outcome[account] = "expired"

    def _paused(self, e: AdmissionPaused) -> None:
        self._accrue(e.at)  # no credit piles up for the pause beyond the burst
        self.paused = e.paused

    def _closed(self, e: QueueClosed) -> None:
        self.closed = e.reason

    # -- snapshot ---------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole state as plain data (lists, not dicts keyed by account ids)."""
        return {
            "format": 1,
            "seq": self.seq,
            "configured": self.configured,
            "config": [self.opens_at, self.rate, self.max_active, self.ttl],
            "access": None if self.access is None else sorted(self.access),
            "max_unpaid": self.max_unpaid,
            "lobby": list(self.lobby),
            "line": list(self.line),
            "opened_at": self.opened_at,
            "head": self.head,
            "admitted": [[a, d] for a, d in self.admitted.items()],
            "outcome": [[a, o] for a, o in self.outcome.items()],
            "credit": [self.credit, self.credit_at],
            "paused": self.paused,
            "closed": self.closed,
            "recent": [list(r) for r in self.recent],
        }

    def restore_from(self, data: dict[str, Any]) -> None:
        """Load a ``snapshot`` into this (fresh) state."""
        self.seq, self.configured = data["seq"], data["configured"]
        self.opens_at, self.rate, self.max_active, self.ttl = data["config"]
        self.access = None if data["access"] is None else frozenset(data["access"])
        self.max_unpaid = data.get("max_unpaid")  # older snapshots: no checkout cap
        self.lobby, self.line = list(data["lobby"]), list(data["line"])
        self.opened_at, self.head = data["opened_at"], data["head"]
        queue = self.lobby if self.opened_at is None else self.line
        self.place = {account: i for i, account in enumerate(queue)}
        self.admitted = {a: d for a, d in data["admitted"]}
        self.outcome = {a: o for a, o in data["outcome"]}
        self.deadlines = sorted((d, self.place[a]) for a, d in self.admitted.items())
        self.credit, self.credit_at = data["credit"]
        self.paused, self.closed = data["paused"], data["closed"]
        self.recent = deque((at, n) for at, n in data["recent"])
