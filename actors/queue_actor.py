"""The Ray actor that owns one event's waiting room: ``queue:<event>``.

The same single-writer core as the inventory (``InventoryCore``: group-committed
journal, snapshots, rebuild after a failed write), holding a ``WaitingRoom``. Two
timers: the admission tick (expire, open, admit: ``AdvanceQueue`` with a fresh seed,
journaled only when the opening uses it) and a stock watch that reads the event's
inventory once a second, so admission pauses when nothing is left to hold and the
queue closes once everything is sold. Detached and restarted without limit by Ray;
``__init__`` recovers from the snapshot plus the journal, so positions survive.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from contextlib import suppress
from typing import Any

from actors.config import ActorConfig, RouterConfig
from actors.core import InventoryCore
from actors.errors import InventoryNotFoundError
from actors.journal import open_journal, recover_blocking
from actors.kinds import AggregateKind
from actors.router import InventoryRouter
from engine.queue_messages import AdvanceQueue, ObserveStock
from engine.queue_views import place_view, summary
from engine.waiting_room import WaitingRoom

log = logging.getLogger(__name__)
TICK_S = 0.25  # admission granularity; the token bucket makes the rate exact anyway
STOCK_EVERY_S = 1.0


def queue_kind() -> AggregateKind:
    """The waiting room as an aggregate kind; its timer command draws a fresh seed."""
    return AggregateKind(
        "queue",
        WaitingRoom,
        WaitingRoom.snapshot,
        WaitingRoom.restore,
        lambda: AdvanceQueue(secrets.randbits(63)),  # 63 bits: a BSON int64 holds it
    )


class QueueActor:
    """One event's queue. ``spec``: ``{"kind": "queue", "namespace": <Ray namespace>}``."""

    def __init__(
        self, stream: str, event_id: str, spec: dict[str, Any], config: ActorConfig
    ) -> None:
        self.stream, self.event_id, self.spec = stream, event_id, spec
        kind = queue_kind()
        recovered = recover_blocking(config.journal_url, stream)
        self.core = InventoryCore(
            stream,
            open_journal(config.journal_url),
            kind,
            kind.rebuild(recovered),
            snapshot_every=config.snapshot_every,
            on_commit=self._committed,
        )
        self._changed: asyncio.Event | None = None
        self._timers: list[asyncio.Task[None]] = []
        log.info("restored stream=%s seq=%d", stream, self.core.inv.seq)

    def _start_background(self) -> None:
        # On the first call: __init__ runs before the actor's event loop serves.
        if not self._timers:
            self._changed = asyncio.Event()
            self._timers = [
                asyncio.create_task(self._tick_forever()),
                asyncio.create_task(self._watch_stock()),
            ]

    def _committed(self, seq: int) -> None:
        # Wake every long poll waiting on the old event; later ones wait on a new one.
        if self._changed is not None:
            self._changed.set()
            self._changed = asyncio.Event()

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            try:
                await self.core.expire()  # AdvanceQueue: expire, open, admit
            except Exception:  # the journal may be down: the next tick retries
                log.exception("queue tick failed stream=%s", self.stream)

    async def _watch_stock(self) -> None:
        inventory = InventoryRouter(RouterConfig(namespace=self.spec["namespace"]))
        while not self.core.inv.closed:
            await asyncio.sleep(STOCK_EVERY_S)
            try:
                counts = await inventory.availability(self.event_id)
                await self.core.execute([ObserveStock(counts["available"], counts["held"])])
            except InventoryNotFoundError:
                continue  # not published yet: nothing to sell, nothing to close
            except Exception as exc:  # restarting inventory or journal: next second
                log.warning("stock watch failed stream=%s error=%r", self.stream, exc)

    async def execute(self, commands: list[Any], carriers: Any = None) -> list[Any]:
        """Answers, in order: the buyer's view or event, or the refusal."""
        self._start_background()
        if carriers is None:  # tracing off (the API passes carriers only when it is on)
            return await self.core.execute(commands)
        return await self.core.execute(commands, carriers)

    async def views(
        self, accounts: list[str], since: int = -1, timeout: float = 0.0
    ) -> dict[str, Any]:
        """Each account's place (None: not in the queue), once durable. A long poll: if
        nothing changed since ``since`` (a ``seq`` it returned), wait up to ``timeout``."""
        self._start_background()
        changed = self._changed
        if since == self.core.inv.seq and timeout > 0 and changed is not None:
            with suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout)
        seq = self.core.inv.seq
        await self.core.durable(seq)  # never show a place the journal could still lose
        now = self.core.clock()
        room = self.core.inv
        return {"seq": seq, "views": [place_view(room, a, now) for a in accounts]}

    async def summary(self) -> dict[str, Any]:
        self._start_background()
        return {**summary(self.core.inv, self.core.clock()), "seq": self.core.inv.seq}

    async def describe(self) -> dict[str, Any]:
        self._start_background()
        return self.spec

    async def status(self) -> dict[str, Any]:
        core = self.core
        return {"stream": self.stream, "seq": core.inv.seq, "durable_seq": core.durable_seq}

    async def snapshot(self) -> int:
        return await self.core.save_snapshot()

    async def shutdown(self) -> int:
        """Flush, snapshot and stop the timers (before a planned stop)."""
        for timer in self._timers:
            timer.cancel()
        await self.core.close()
        return self.core.inv.seq
