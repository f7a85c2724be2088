"""The actor's core: one engine aggregate, group-committed to a journal.

Single writer, no locks: every command is decided against the in-memory state
(which already includes events still waiting for the disk) and its events are
queued for the next journal write in the same step, with no ``await`` in between,
so the event loop makes decide-and-record atomic. Callers are answered only once
the journal holds everything decided before their answer. While one write is in
flight, new events pile up and go out together in the next one: one durable
write per batch, not per request.

If a write fails, no in-memory change may outlive it: every waiting caller gets a
retryable ``InventoryUnavailableError`` and the state is rebuilt from the journal
(as Akka Persistence stops an actor whose persist failed).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from actors import spans, stagestats, telemetry
from actors.errors import InventoryUnavailableError
from actors.journal import Journal, JournalError
from actors.kinds import AggregateKind
from actors.queries import Query
from actors.stats import BATCH_SIZE_BOUNDS, WRITE_SECONDS_BOUNDS, Buckets
from actors.tracemarks import TraceMarks
from engine import Command, DomainEvent, InventoryError, event_to_dict
from engine.queue_messages import QueueCommand, QueueEvent

log = logging.getLogger(__name__)

Answer = DomainEvent | QueueEvent | InventoryError | dict[str, Any] | None  # a dict: a Query's
# What ``inv.handle`` decides: an event's inventory commands, or its waiting room's.
Commands = Sequence[Command | QueueCommand]


class InventoryCore:
    """Decides commands, journals their events in batches, answers when durable.

    ``inv`` is the aggregate: an event's ``Inventory`` or, for a sharded event, its
    quota ledger; ``kind`` says how to snapshot, restore and expire it.
    """

    def __init__(
        self,
        stream: str,
        journal: Journal,
        kind: AggregateKind,
        inventory: Any,
        *,
        snapshot_every: int = 10_000,
        max_batch_events: int = 20_000,
        clock: Callable[[], float] = time.time,
        on_commit: Callable[[int], None] | None = None,
        outbox: bool = False,
        on_events: Callable[[int, list[dict[str, Any]]], None] | None = None,
    ) -> None:
        self.stream = stream
        self.journal = journal
        self.kind = kind
        self.inv = inventory
        self.clock = clock
        self.snapshot_every = snapshot_every
        self.max_batch_events = max_batch_events
        self.on_commit = on_commit
        # Called with each journaled batch, encoded as written: the outbox relay publishes
        # from it instead of reading the journal back.
        self.on_events = on_events
        self.outbox = outbox  # False: nothing publishes, so nothing holds compaction back
        self.durable_seq = inventory.seq
        self.snapshot_seq = inventory.seq
        self.ready = True
        self.batches = 0  # journal writes, for the mean batch size
        self.committed_events = 0
        self.inflight = 0  # commands received, not yet answered (the actor's queue depth)
        self.event_counts: Counter[str] = Counter()  # journaled events by type
        self.batch_sizes = Buckets(BATCH_SIZE_BOUNDS)
        self.write_seconds = Buckets(WRITE_SECONDS_BOUNDS)
        # Trace context per journaled event range (None: tracing off, no cost at all).
        self.marks: TraceMarks | None = TraceMarks() if telemetry.enabled() else None
        self._pending: list[DomainEvent] = []
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()

    # -- commands ------------------------------------------------------------------

    async def execute(
        self, commands: Commands, carriers: Sequence[dict[str, str] | None] | None = None
    ) -> list[Answer]:
        """Each command's answer (its event or its domain error), once durable.

        ``carriers``: each command's W3C trace context (tracing on in the API; None for an
        unsampled request). The call runs in an ``inventory.execute`` span (parent: the
        first sampled request, links: the others), and the journal write and outbox
        message of each command's events join its request's trace.
        """
        if not self.ready:
            raise InventoryUnavailableError(f"{self.stream}: rebuilding after a journal failure")
        self.inflight += len(commands)
        try:
            if carriers is None or self.marks is None:
                return await self._execute(commands, None)
            # Carriers stay unparsed (costly at thousands per call) until a span needs one;
            # None for an unsampled request. The first sampled one is the span's parent.
            traced: list[Any] = list(carriers)
            first = next((i for i, c in enumerate(traced) if c), None)
            if first is None:
                return await self._execute(commands, None)
            others = [c for i, c in enumerate(traced) if c and i != first]
            attributes = {"stream": self.stream, "commands": len(commands)}
            with spans.batch_span("inventory.execute", [traced[first], *others], attributes):
                traced[first] = telemetry.current_context()  # its events: this span's children
                return await self._execute(commands, traced)
        finally:
            self.inflight -= len(commands)

    async def _execute(self, commands: Commands, contexts: Sequence[Any] | None) -> list[Answer]:
        started = time.perf_counter() if stagestats.ENABLED else 0.0
        now = self.clock()
        # Lazy expiry first, so no command sees a hold whose deadline has passed.
        self._record(self.inv.handle(self.kind.expire_command(), now)[1])
        answers: list[Answer] = []
        for command in commands:
            if isinstance(command, Query):  # a read in the batch: no event, nothing to journal
                answers.append(self._read(command))
                continue
            try:
                result, events = self.inv.handle(command, now)
            except InventoryError as refused:
                answers.append(refused)
                continue
            except Exception as bug:  # a bug may have left a half-applied change: rebuild
                log.exception("command failed stream=%s command=%r", self.stream, command)
                await self._fail(bug)
                raise InventoryUnavailableError(f"{self.stream}: internal error, retry") from bug
            self._record(events)
            # No mark for an unsampled request (its context is None).
            if contexts and events and self.marks is not None and contexts[len(answers)]:
                self.marks.add(events[0].seq, events[-1].seq, contexts[len(answers)])
            answers.append(result)
        # Even a refusal or a replayed answer may rest on events not yet on disk:
        # wait for everything decided so far, so no answer outruns the journal.
        if stagestats.ENABLED:
            decided = time.perf_counter()
            stagestats.observe("actor.decide", decided - started)
            await self.durable(self.inv.seq)
            stagestats.observe("actor.durable_wait", time.perf_counter() - decided)
            return answers
        await self.durable(self.inv.seq)
        return answers

    def _read(self, query: Query) -> Any:
        try:
            return query.answer(self.inv)
        except Exception:  # a read changes nothing: only its own caller hears of it
            log.exception("query failed stream=%s query=%r", self.stream, query)
            return InventoryUnavailableError(f"{self.stream}: internal error reading, retry")

    async def expire(self) -> int:
        """Expire overdue holds (the timer's job); how many expired."""
        if not self.ready:
            return 0
        events = self.inv.handle(self.kind.expire_command(), self.clock())[1]
        self._record(events)
        await self.durable(self.inv.seq)
        return len(events)

    @property
    def journal_pending(self) -> int:
        """Events decided but not yet handed to the journal."""
        return len(self._pending)

    def _record(self, events: Sequence[DomainEvent]) -> None:
        self._pending.extend(events)

    # -- group commit --------------------------------------------------------------

    async def durable(self, seq: int) -> None:
        """Return once the journal holds every event up to ``seq``."""
        waiter = self._durable_waiter(seq)
        if waiter is not None:
            await waiter

    def _durable_waiter(self, seq: int) -> asyncio.Future[None] | None:
        """A future done once ``seq`` is durable (None: it is), registered at once: a
        journal failure from now on fails it, before the state is rebuilt."""
        if seq <= self.durable_seq:
            return None
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append((seq, waiter))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_batches())
        return waiter

    async def _write_batches(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self.max_batch_events]
                del self._pending[: len(batch)]
                started = time.perf_counter()
                encoded = [event_to_dict(e) for e in batch]
                try:
                    with spans.maybe_batch_span(*self._journal_span(batch)):
                        await self.journal.append(self.stream, encoded)
                except (JournalError, OSError, ValueError) as exc:
                    await self._fail(exc)
                    return
                self.write_seconds.observe(time.perf_counter() - started)
                stagestats.observe("actor.journal_append", time.perf_counter() - started)
                self.batch_sizes.observe(len(batch))
                self.event_counts.update(type(e).__name__ for e in batch)
                self.batches += 1
                self.committed_events += len(batch)
                self.durable_seq = batch[-1].seq
                self._wake(self.durable_seq)
                if self.on_events is not None:
                    self.on_events(self.durable_seq, encoded)
                if self.on_commit is not None:
                    self.on_commit(self.durable_seq)
                self._maybe_snapshot()
        finally:
            self._writer = None

    def _journal_span(self, batch: Sequence[DomainEvent]) -> tuple[str, list[Any], dict[str, Any]]:
        # One write serves many requests: the span joins the first one's trace, links the rest.
        parents = self.marks.between(batch[0].seq, batch[-1].seq) if self.marks else []
        return "journal.append", parents, {"stream": self.stream, "batch.size": len(batch)}

    def _wake(self, upto: int) -> None:
        still = []
        for seq, waiter in self._waiters:
            if seq <= upto:
                if not waiter.done():
                    waiter.set_result(None)
            else:
                still.append((seq, waiter))
        self._waiters = still

    async def _fail(self, exc: BaseException) -> None:
        """Fail every waiter, drop unjournaled state and rebuild from the journal."""
        log.error("journal write failed stream=%s error=%r: rebuilding", self.stream, exc)
        self.ready = False
        error = InventoryUnavailableError(f"{self.stream}: journal write failed ({exc})")
        for _, waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(error)
        self._waiters, self._pending = [], []
        if self.marks is not None:
            self.marks.clear()  # the rebuilt state reuses sequence numbers
        self._spawn(self._recover())

    async def _recover(self) -> None:
        delay = 0.05
        while True:
            try:
                recovered = await self.journal.recover(self.stream)
                break
            except JournalError as exc:
                log.warning("journal still unavailable stream=%s error=%r", self.stream, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
        self.inv = self.kind.rebuild(recovered)
        self.durable_seq = self.inv.seq
        self.ready = True
        log.info("rebuilt stream=%s seq=%d", self.stream, self.inv.seq)

    # -- snapshots -----------------------------------------------------------------

    def _maybe_snapshot(self) -> None:
        if self.inv.seq - self.snapshot_seq >= self.snapshot_every:
            self.snapshot_seq = self.inv.seq
            self._spawn(self.save_snapshot())

    async def save_snapshot(self) -> int:
        """Snapshot the current state once it is all durable; its sequence number."""
        began, seq = time.perf_counter(), self.inv.seq
        # Registered in the same step as the state is read: if a journal write fails
        # while the snapshot is built, this fails too, and the snapshot (of a state the
        # rebuild drops) is never saved under a sequence number new events will reuse.
        durable = self._durable_waiter(seq)
        if self.kind.freeze is None:
            data = self.kind.snapshot(self.inv)
        else:
            # A 200,000-seat event's snapshot took 75-125 ms to build and as long to
            # encode, all on this loop: every call waited (docs/performance.md, "Tail
            # latency"). Copied here at ``seq`` in a few ms, built on a thread, which
            # the interpreter preempts every 5 ms for this loop.
            view = self.kind.freeze(self.inv)
            stagestats.observe("actor.snapshot_freeze", time.perf_counter() - began)
            try:
                data = await asyncio.to_thread(self.kind.snapshot, view)
            except BaseException:
                if durable is not None:  # nobody will await it: retrieve its outcome
                    durable.add_done_callback(lambda f: f.cancelled() or f.exception())
                raise
        stagestats.observe("actor.snapshot_take", time.perf_counter() - began)
        try:
            if durable is not None:  # may include events still pending: written first
                await durable
            if not self.outbox:
                await self.journal.mark_published(self.stream, seq)
            await self.journal.save_snapshot(self.stream, seq, data)
        except (JournalError, InventoryUnavailableError) as exc:
            log.warning("snapshot failed stream=%s seq=%d error=%r", self.stream, seq, exc)
            self.snapshot_seq = min(self.snapshot_seq, self.durable_seq)  # try again later
            raise
        # An operator's snapshot counts too: status shows it, and close() need not redo it.
        self.snapshot_seq = max(self.snapshot_seq, seq)
        log.info("snapshot stream=%s seq=%d", self.stream, seq)
        return seq

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self) -> None:
        """Flush, snapshot and close the journal (graceful shutdown)."""
        if self.ready:
            await self.durable(self.inv.seq)
            if self.inv.seq > self.snapshot_seq:
                await self.save_snapshot()
        for task in list(self._background):
            task.cancel()
        await self.journal.close()
