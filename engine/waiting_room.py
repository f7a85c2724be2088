"""The waiting room aggregate: one event's on-sale queue, decided without I/O.

Same shape as ``Inventory``: ``handle(command, now)`` validates, builds past-tense
events and applies them, returning ``(answer, events)``, or raises a typed refusal
having changed nothing; ``apply`` (in ``QueueState``) is the only change. Time and
randomness are arguments: the opening's shuffle seed comes in ``AdvanceQueue`` and is
journaled in ``QueueOpened``, so a replay after a restart gives the same positions.
Admission is a token bucket (``rate_per_minute``, five seconds of burst) and/or a cap
on buyers admitted who have not reserved yet (``max_active``); both stop while
nothing is left to hold, or while as many places are held unpaid as checkout can
charge in a hold's time (``max_unpaid``), and the queue closes once all is sold.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heappop
from typing import Any

from engine.queue_messages import (
    AdmissionPaused,
    AdmissionsExpired,
    AdmissionUsed,
    Admitted,
    AdvanceQueue,
    CloseQueue,
    ConfigureQueue,
    InvalidQueueConfigError,
    JoinQueue,
    NotInvitedError,
    ObserveStock,
    QueueClosed,
    QueueClosedError,
    QueueCommand,
    QueueConfigured,
    QueueEvent,
    QueueJoined,
    QueueOpened,
    UseAdmission,
)
from engine.queue_state import QueueState
from engine.queue_views import place_view

type QueueOutcome = tuple[Any, tuple[QueueEvent, ...]]
MAX_RATE = 1_000_000.0  # per minute; beyond it a rate means "no cap": leave it out


class WaitingRoom(QueueState):
    """Joins, the opening shuffle, admissions, their use and expiry, the close."""

    def __init__(self) -> None:
        super().__init__()
        # Keyed by the command's exact type; each handler takes that one type (hence Any).
        self._handlers: dict[type, Callable[[Any, float], QueueOutcome]] = {
            ConfigureQueue: self._configure,
            JoinQueue: self._join,
            AdvanceQueue: self._advance,
            UseAdmission: self._use,
            ObserveStock: self._observe,
            CloseQueue: self._close,
        }

    def handle(self, command: QueueCommand, now: float) -> QueueOutcome:
        """Decide ``command`` at ``now``; raises an InventoryError with no change."""
        return self._handlers[type(command)](command, now)

    def _emit(self, event: QueueEvent) -> QueueEvent:
        self.apply(event)
        return event

    def _configure(self, cmd: ConfigureQueue, now: float) -> QueueOutcome:
        rate, cap, ttl = cmd.rate_per_minute, cmd.max_active, cmd.admission_ttl_s
        if rate is None and cap is None:
            raise InvalidQueueConfigError("set a rate, a cap on active admissions, or both")
        if rate is not None and not (0 < rate <= MAX_RATE):
            raise InvalidQueueConfigError(f"rate_per_minute must be in (0, {MAX_RATE:.0f}]")
        if cap is not None and (type(cap) is not int or cap < 1):
            raise InvalidQueueConfigError("max_active must be a positive integer")
        unpaid = cmd.max_unpaid
        if unpaid is not None and (type(unpaid) is not int or unpaid < 1):
            raise InvalidQueueConfigError("max_unpaid must be a positive integer")
        if not (0 < ttl <= 86_400):
            raise InvalidQueueConfigError("admission_ttl_s must be in (0, 86400]")
        if not math.isfinite(cmd.opens_at):
            raise InvalidQueueConfigError("opens_at must be a finite time")
        if self.closed:
            raise QueueClosedError(f"the queue is closed ({self.closed})", self.closed)
        access = None if cmd.access_list is None else tuple(sorted(set(cmd.access_list)))
        event = QueueConfigured(self.seq + 1, now, cmd.opens_at, rate, cap, ttl, access, unpaid)
        return (self._emit(event), (event,))

    def _join(self, cmd: JoinQueue, now: float) -> QueueOutcome:
        account = cmd.account
        if account in self.place:  # one place per account: the same answer again
            return (place_view(self, account, now), ())
        if not self.configured or self.closed:
            reason = self.closed or "closed"
            raise QueueClosedError(f"the queue is closed ({reason})", reason)
        if self.access is not None and account not in self.access:
            raise NotInvitedError("this queue is open to invited accounts only")
        event = self._emit(QueueJoined(self.seq + 1, now, account))
        return (place_view(self, account, now), (event,))

    def _advance(self, cmd: AdvanceQueue, now: float) -> QueueOutcome:
        events: list[QueueEvent] = []
        lapsed: list[str] = []
        while self.deadlines and self.deadlines[0][0] <= now:
            # The heap is an index of deadlines; entries of used admissions are stale.
            account = self.line[heappop(self.deadlines)[1]]
            if account in self.admitted:
                lapsed.append(account)
        if lapsed:  # their places are gone: the next in line moves up
            events.append(self._emit(AdmissionsExpired(self.seq + 1, now, tuple(lapsed))))
        if self.closed:
            return (None, tuple(events))
        if self.opened_at is None and self.configured and now >= self.opens_at:
            events.append(self._emit(QueueOpened(self.seq + 1, now, cmd.seed)))
        if self.opened_at is not None and not self.paused:
            due = self._due(now)
            if due:
                admitted = Admitted(self.seq + 1, now, self.head, due, now + self.ttl)
                events.append(self._emit(admitted))
        return (None, tuple(events))

    def _due(self, now: float) -> int:
        due = len(self.line) - self.head
        if self.rate is not None:  # a hair of slack: 0.9999999 earned is one admission
            due = min(due, int(self.credit_at_time(now) + 1e-9))
        if self.max_active is not None:
            due = min(due, self.max_active - len(self.admitted))
        return max(0, due)

    def _use(self, cmd: UseAdmission, now: float) -> QueueOutcome:
        if cmd.account not in self.admitted:  # used already, lapsed, or never admitted
            return (place_view(self, cmd.account, now), ())
        event = self._emit(AdmissionUsed(self.seq + 1, now, cmd.account))
        return (place_view(self, cmd.account, now), (event,))

    def _observe(self, cmd: ObserveStock, now: float) -> QueueOutcome:
        if self.closed:
            return (None, ())
        # Held places may come back (nothing available: wait), and checkout has a pace
        # of its own: buyers let in beyond it would hold seats they cannot pay in time.
        unpaid = self.max_unpaid
        blocked = cmd.available <= 0 or (unpaid is not None and cmd.held >= unpaid)
        if cmd.available <= 0 and cmd.held <= 0:
            event: QueueEvent = QueueClosed(self.seq + 1, now, "sold_out")
        elif blocked != self.paused:
            event = AdmissionPaused(self.seq + 1, now, blocked)
        else:
            return (None, ())
        return (self._emit(event), (event,))

    def _close(self, cmd: CloseQueue, now: float) -> QueueOutcome:
        if self.closed:
            return (None, ())
        event = self._emit(QueueClosed(self.seq + 1, now, cmd.reason))
        return (event, (event,))

    @classmethod
    def restore(cls, data: dict[str, Any]) -> WaitingRoom:
        """A room equal to the one ``data`` (its ``snapshot``) was taken from."""
        room = cls()
        room.restore_from(data)
        return room
