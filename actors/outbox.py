"""The outbox relay: publishes one inventory's journaled events to RabbitMQ.

The journal doubles as the outbox (DESIGN.md, Durability). A relay publishes the
journal's entries after the stream's outbox cursor in order with publisher confirms,
one message per entry (a committed batch) and routing key (``actors.facts``, format
2), and moves the cursor only once the broker has confirmed every message of what it
sent. Any failure leaves the cursor where it was, and the next attempt starts again
from it on a fresh connection: consumers may see a fact twice (they dedup each fact
by its ``stream:seq``), but never miss one.

Where the events come from: the actor hands each batch to ``notify`` right after its
journal write (already encoded), and the relay publishes from that in-memory queue.
Reading the journal back (a query and a JSON decode of what was just written) cost
the actor a quarter of its CPU under load; it is now done only when memory cannot
say what comes next: at start (a previous incarnation's backlog), after the queue
overflowed (a long broker outage) or missed a batch, and on the idle poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from aio_pika import Message

from actors import spans as tracing
from actors.amqp import DEFAULT_EXCHANGE, Backoff, declare_topology, routing_key
from actors.facts import OutboxMessage, batch_messages
from actors.journal.base import EncodedEvent, Journal
from actors.publisher import BrokerError, ConfirmedPublisher

__all__ = ["BrokerError", "OutboxRelay", "declare_topology", "routing_key"]  # re-exported

log = logging.getLogger(__name__)


class OutboxRelay:
    """Publishes one stream's journaled events to a topic exchange, in order, at least once.

    Runs as an asyncio task in its owner's loop: ``start()``, ``notify()`` after each
    journal commit (with the batch's events, so they need not be read back), ``await
    stop()``. A poll every ``poll_interval`` seconds is the safety net for a missed
    notification and for events left by a previous incarnation. At most
    ``memory_limit`` events wait in memory; beyond that the journal is the source.
    Each round publishes whole journal batches, ``batch_size`` events or more (a
    single batch larger than that goes whole).
    """

    def __init__(
        self,
        journal: Journal,
        stream: str,
        event_id: str,
        amqp_url: str,
        exchange: str = DEFAULT_EXCHANGE,
        batch_size: int = 500,
        *,
        poll_interval: float = 1.0,
        confirm_timeout: float = 10.0,
        connect_timeout: float = 5.0,
        backoff: tuple[float, float] = (0.1, 5.0),
        connection_name: str | None = None,
        trace_of: Callable[[int], Any] | None = None,
        memory_limit: int = 50_000,
        cursor_interval: float = 0.25,
    ) -> None:
        self.journal, self.stream, self.event_id = journal, stream, event_id
        self.batch_size, self.poll_interval = batch_size, poll_interval
        name = connection_name or f"outbox:{stream}"
        self.publisher = ConfirmedPublisher(
            amqp_url, exchange, name, connect_timeout, confirm_timeout
        )
        self.last_error: str | None = None
        # The trace context of the request that produced an event (by seq), if known: its
        # message carries it (AMQP headers), so the consumer's span joins that trace.
        self.trace_of = trace_of
        self._backoff = Backoff(*backoff)
        self._published_seq = 0  # the cursor as last seen: inferred from reads, then moved
        self._head_seq = 0  # the highest journaled seq we know of (reads and notify)
        # Journal batches handed over by notify(), consecutive, not yet published: kept
        # as batches because each is published as its own messages.
        self._memory: deque[list[EncodedEvent]] = deque()
        self._memory_events = 0
        self.memory_limit = memory_limit
        self.cursor_interval = cursor_interval
        self._cursor_seq = 0  # the last cursor this relay recorded in the journal
        self._cursor_at = 0.0  # when (monotonic)
        # True once a journal read found nothing after the cursor: from then on the
        # cursor is known and memory says what follows it (while it is consecutive).
        self._synced = False
        self._poll = False  # the idle poll expired: look at the journal once
        self.journal_reads = 0  # how often the journal was read back (tests, status)
        self._wakeup = asyncio.Event()
        self._progress = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def published_seq(self) -> int:
        """The last seq known to be confirmed by the broker. The journal's cursor follows
        within ``cursor_interval`` (and is recorded by ``stop``)."""
        return self._published_seq

    @property
    def caught_up(self) -> bool:
        """Whether a journal read found nothing left behind: memory takes over from here."""
        return self._synced

    @property
    def lag(self) -> int:
        """Journaled events not yet published, as far as this relay knows."""
        return max(0, self._head_seq - self._published_seq)

    def status(self) -> dict[str, Any]:
        """A snapshot for health and admin views."""
        return {
            "stream": self.stream,
            "published_seq": self._published_seq,
            "lag": self.lag,
            "connected": self.publisher.connected,
            "last_error": self.last_error,
        }

    def start(self) -> None:
        """Start the relay task in the running loop."""
        if self._task is not None:
            raise RuntimeError(f"outbox relay for {self.stream} already started")
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"outbox:{self.stream}"
        )

    def notify(self, seq: int | None = None, events: Sequence[EncodedEvent] = ()) -> None:
        """Wake the relay: events up to ``seq`` (if given) were just journaled, and
        ``events`` (if given) are those of that write, in order."""
        if seq is not None:
            self._head_seq = max(self._head_seq, seq)
        if events:
            memory = self._memory
            if memory and memory[-1][-1]["seq"] + 1 != events[0]["seq"]:
                memory.clear()  # a batch was missed: memory restarts, the journal fills in
                self._memory_events = 0
            if self._memory_events + len(events) <= self.memory_limit:
                memory.append(list(events))
                self._memory_events += len(events)
            # else: dropped; the gap sends the relay to the journal once memory is out
        self._wakeup.set()

    async def wait_published(self, seq: int, timeout: float | None = None) -> None:
        """Return once every event up to ``seq`` is published; ``TimeoutError`` otherwise."""
        async with asyncio.timeout(timeout):
            while self._published_seq < seq:
                self._progress.clear()
                await self._progress.wait()

    async def stop(self) -> None:
        """Stop the task and close the connection; the cursor stays where it was confirmed."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()  # safe at any point: the cursor only moves after confirms
            await asyncio.wait([task])
        if self._cursor_seq < self._published_seq:
            with contextlib.suppress(Exception):  # best effort: a lagging cursor only resends
                await self._record_cursor(self._published_seq)
        await self.publisher.close()

    async def _run(self) -> None:
        while True:
            self._wakeup.clear()  # a notify() from now on cuts the idle wait short
            batches = self._from_memory()
            if batches:
                await self._relay(batches)
                continue
            if self._cursor_seq < self._published_seq and self._memory_dry():
                # Ran dry with the cursor behind: record it once it is due (at a light
                # load the relay runs dry after every batch, and a cursor per batch was
                # a second journal commit per batch), unless a batch comes first.
                wait = self._cursor_wait()
                if wait > 0:
                    await self._idle(wait, poll=False)
                    continue
                try:
                    await self._record_cursor(self._published_seq)
                except Exception as exc:
                    await self._failed("outbox cursor update failed", exc)
                continue
            if self._synced and not self._poll and self._head_seq <= self._published_seq:
                await self._idle()
                continue
            self._poll = False
            head = self._head_seq  # everything up to here was journaled before the read
            try:
                batches = await self.journal.unpublished(self.stream, self.batch_size)
            except Exception as exc:  # a journal outage: wait and retry, never skip
                await self._failed("outbox journal read failed", exc)
                continue
            self.journal_reads += 1
            if batches:
                await self._relay(batches)
                continue
            self._advance(head)  # nothing unpublished: all journaled before the read is out
            self._synced = True
            self._backoff.reset()
            if self._head_seq <= self._published_seq:
                await self._idle()

    def _memory_dry(self) -> bool:
        return self._head_seq <= self._published_seq

    async def _idle(self, timeout: float | None = None, poll: bool = True) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.poll_interval if timeout is None else timeout):
                await self._wakeup.wait()
                return
        self._poll = self._poll or poll  # the safety net: events journaled without a notify

    def _from_memory(self) -> list[list[EncodedEvent]]:
        """The next journal batches from memory if they start right after the cursor,
        whole, ``batch_size`` events or more; else []."""
        memory, after = self._memory, self._published_seq
        self._drop_published(after)  # published from the journal meanwhile
        if not self._synced or not memory or memory[0][0]["seq"] > after + 1:
            return []
        if memory[0][0]["seq"] <= after:  # a cursor inside a batch (left by a format 1 relay)
            cut = [e for e in memory[0] if e["seq"] > after]
            self._memory_events -= len(memory[0]) - len(cut)
            memory[0] = cut
        taken, count = [], 0
        for batch in memory:  # removed once published (see _advance)
            taken.append(batch)
            count += len(batch)
            if count >= self.batch_size:
                break
        return taken

    def _drop_published(self, seq: int) -> None:
        memory = self._memory
        while memory and memory[0][-1]["seq"] <= seq:
            self._memory_events -= len(memory.popleft())

    async def _relay(self, batches: list[list[EncodedEvent]]) -> None:
        """Publish whole journal batches, then move the cursor; after a failure, wait
        and keep it."""
        first, last = batches[0][0]["seq"], batches[-1][-1]["seq"]
        self._advance(first - 1)  # the journal's cursor, learned from what follows it
        self._head_seq = max(self._head_seq, last)
        spans: list[Any] = []
        try:
            # Framing inside the try: an event the relay cannot frame (an unknown type)
            # is retried with backoff and shown in last_error, never skipped, and never
            # ends the relay task silently.
            messages, spans = self._messages(batches)
            await self.publisher.publish(messages)
        except Exception as exc:  # the next attempt resends from the cursor
            tracing.end_spans(spans, exc)
            await self._failed("outbox publish failed", exc, first)
            return
        tracing.end_spans(spans)
        # The journal's cursor is a durable write (an fsync): it is recorded at most
        # every ``cursor_interval``, and that long after the relay runs dry, not per
        # batch. A cursor that lags only means more duplicates after a restart (deduped).
        if self._cursor_due():
            try:
                await self._record_cursor(last)
            except Exception as exc:  # confirmed, not recorded: resent later, deduped
                await self._failed("outbox cursor update failed", exc, first)
                return
        self._advance(last)
        self._backoff.reset()
        self.last_error = None
        log.debug("outbox published", extra={"stream": self.stream, "seq": last, "from": first})

    def _cursor_due(self) -> bool:
        return self._cursor_wait() <= 0

    def _cursor_wait(self) -> float:
        """Seconds until the cursor may be recorded again (<= 0: now)."""
        return self._cursor_at + self.cursor_interval - time.monotonic()

    async def _record_cursor(self, seq: int) -> None:
        await self.journal.mark_published(self.stream, seq)
        self._cursor_seq, self._cursor_at = seq, time.monotonic()

    def _messages(
        self, batches: list[list[EncodedEvent]]
    ) -> tuple[list[tuple[Message | OutboxMessage, str]], list[Any]]:
        """The batches' messages, and a producer span for each one carrying a fact whose
        trace is known (the first such fact's trace is its parent, the others linked)."""
        event_id, stream = self.event_id, self.stream
        made: list[tuple[Message | OutboxMessage, str]] = [
            pair for batch in batches for pair in batch_messages(event_id, stream, batch)
        ]
        trace_of = self.trace_of
        if trace_of is None:  # tracing off: no headers to add, frame them directly
            return made, []
        messages: list[tuple[Message | OutboxMessage, str]] = []
        spans = []
        for outbox, key in made:
            assert isinstance(outbox, OutboxMessage)  # what batch_messages makes
            message = outbox.to_message()
            contexts = [c for seq in outbox.seqs if (c := trace_of(seq)) is not None]
            if contexts:
                seqs = outbox.seqs
                attributes = {
                    "stream": stream,
                    "seq": seqs[0],
                    "last_seq": seqs[-1],
                    "facts": len(seqs),
                    "type": str(message.type),
                }
                spans.append(
                    tracing.producer_span(
                        "outbox.publish", contexts[0], message.headers, attributes, contexts[1:]
                    )
                )
            messages.append((message, key))
        return messages, spans

    async def _failed(self, what: str, exc: Exception, first: int | None = None) -> None:
        self.last_error = f"{what}: {exc!r}"
        delay = self._backoff.next()
        fields = {"stream": self.stream, "seq": self._published_seq, "from": first}
        log.warning(what, extra={**fields, "error": repr(exc), "retry_in": round(delay, 3)})
        await asyncio.sleep(delay)

    def _advance(self, seq: int) -> None:
        if seq > self._published_seq:
            self._published_seq = seq
            self._drop_published(seq)
            self._progress.set()
