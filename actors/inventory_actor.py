"""The Ray actor that owns one event's inventory (or one shard of it).

Thin by design: it restores an ``InventoryCore`` in ``__init__`` (so Ray delivers
no call before the state is back), runs the expiry timer and the outbox relay,
and forwards batches of commands. Named ``inventory:<stream>``, detached and
restarted without limit by Ray; after a restart ``__init__`` runs again and
recovers from the snapshot plus the journal.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from actors import stagestats, telemetry
from actors.config import ActorConfig
from actors.core import Answer, InventoryCore
from actors.heap import settle
from actors.journal import open_journal, recover_blocking
from actors.kinds import kind_from_spec
from actors.queries import ReadHold
from actors.relocation import Gate, placement_args
from engine import Command
from engine.views import availability, seat_states

log = logging.getLogger(__name__)


class InventoryActor:
    """One stream's single writer. Decorated with ``ray.remote`` by the router.

    ``spec`` names the aggregate: ``{"kind": "inventory", "venue", "terms"}`` for an
    event or a shard, ``{"kind": "limits", "limit", "plan", ...}`` for the quota
    ledger of a sharded event (which also tells routers the event's shard plan).
    """

    def __init__(
        self, stream: str, event_id: str, spec: dict[str, Any], config: ActorConfig
    ) -> None:
        self.stream = stream
        self.event_id = event_id
        self.spec = spec
        self.config = config
        telemetry.setup_tracing(config.tracing)  # this process's own provider, before the core
        kind = kind_from_spec(spec)
        recovered = recover_blocking(config.journal_url, stream)
        inventory = kind.rebuild(recovered)
        self.core = InventoryCore(
            stream,
            open_journal(config.journal_url),
            kind,
            inventory,
            snapshot_every=config.snapshot_every,
            max_batch_events=config.max_batch_events,
            on_events=self._journaled,
            # Only inventories publish; a quota ledger's events stay internal.
            outbox=bool(config.amqp_url) and spec["kind"] == "inventory",
        )
        self.relay: Any = None
        self._timer: asyncio.Task[None] | None = None
        self._watch: asyncio.Task[None] | None = None  # stage stats' loop-lag watcher
        self.gate = Gate(stream)  # closed by drain() before a move to another node
        settle()  # the restored state and Ray's own: never garbage, never walked again
        log.info(
            "restored stream=%s seq=%d events_replayed=%d",
            stream,
            inventory.seq,
            len(recovered.events),
        )

    def _start_background(self) -> None:
        # Started on the first call: __init__ runs before the actor's loop serves.
        # Never after a drain: the journal is closed and the next incarnation owns it.
        if self._timer is None and not self.gate.closed:
            self._timer = asyncio.create_task(self._expire_forever())
            if stagestats.ENABLED:
                stagestats.start("actor")
                self._watch = asyncio.create_task(stagestats.watch_loop())
            if self.core.outbox:
                from actors.outbox import OutboxRelay

                marks = self.core.marks
                self.relay = OutboxRelay(
                    self.core.journal,
                    self.stream,
                    self.event_id,
                    str(self.config.amqp_url),
                    trace_of=marks.of if marks is not None else None,
                )
                self.relay.start()

    def _journaled(self, seq: int, events: list[dict[str, Any]]) -> None:
        # In-process hand-off: the relay publishes what was just written, unread.
        if self.relay is not None:
            self.relay.notify(seq, events)

    async def _expire_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.expiry_interval_s)
            try:
                await self.core.expire()
            except Exception:  # the journal may be down: the next tick retries
                log.exception("expiry tick failed stream=%s", self.stream)

    async def execute(
        self, commands: list[Command], carriers: list[dict[str, str] | None] | None = None
    ) -> list[Answer]:
        """Answers, in order: a domain event, or the domain error refusing it.

        ``carriers``: each command's W3C trace context, when the caller traces.
        """
        self._start_background()
        with self.gate.admit():  # refused (retryable) once draining for a move
            if stagestats.ENABLED:
                began = time.perf_counter()
                try:
                    return await self.core.execute(commands, carriers)
                finally:
                    stagestats.observe("actor.execute", time.perf_counter() - began)
            return await self.core.execute(commands, carriers)

    async def describe(self) -> dict[str, Any]:
        """What routers need: the kind, venue and terms, and a sharded event's plan."""
        self._start_background()
        return self.spec

    async def availability(self) -> dict[str, Any]:
        self._start_background()
        return availability(self.core.inv)

    async def promo_uses(self) -> dict[str, int]:
        """Live or sold holds per promo code (a quota ledger counts none)."""
        return dict(getattr(self.core.inv, "promo_uses", {}))

    async def seats(self) -> dict[str, Any]:
        return seat_states(self.core.inv)

    async def hold(self, hold_id: int) -> dict[str, Any] | None:
        """A live hold's view, or a short record of how it ended; None if unknown.
        (Routers send ``ReadHold`` in a batch instead: one call fewer.)"""
        return ReadHold(hold_id).answer(self.core.inv)

    async def reads_in_batches(self) -> bool:
        """Never called: its presence on a handle tells a router this actor answers
        ``actors.queries`` in ``execute`` (an actor of an earlier version does not)."""
        return True

    async def status(self) -> dict[str, Any]:
        """What an operator needs: sequence numbers, batching and outbox lag."""
        import ray

        core = self.core
        return {
            "stream": self.stream,
            "event_id": self.event_id,
            "kind": self.spec["kind"],  # "inventory", or "limits" (a quota ledger)
            "draining": self.gate.closed,
            "seq": core.inv.seq,
            "durable_seq": core.durable_seq,
            "snapshot_seq": core.snapshot_seq,
            "ready": core.ready,
            "batches": core.batches,
            "mean_batch": core.committed_events / core.batches if core.batches else 0.0,
            "outbox_lag": self.relay.lag if self.relay is not None else None,
            # For Prometheus (contexts.shared.metrics): queue depth, journal writes, events by type.
            "inflight": core.inflight,
            "journal_pending": core.journal_pending,
            "events": dict(core.event_counts),
            "journal_batch_size": core.batch_sizes.to_dict(),
            "journal_write_seconds": core.write_seconds.to_dict(),
            "node_id": ray.get_runtime_context().get_node_id(),
        }

    async def snapshot(self) -> int:
        return await self.core.save_snapshot()

    async def shutdown(self) -> int:
        """Flush, snapshot and stop background work (before a planned stop)."""
        if self._timer is not None:
            self._timer.cancel()
        if self.relay is not None:
            await self.relay.stop()
        await self.core.close()
        return self.core.inv.seq

    async def placement_args(self) -> dict[str, Any]:
        """How to recreate this actor on another node (constructor args, resources)."""
        return placement_args(self.stream, self.event_id, self.spec, self.config)

    async def drain(self) -> int:
        """Before a move: refuse new commands (retryable), wait until those admitted are
        journaled and answered, snapshot and stop; the last seq. Reads still work."""
        await self.gate.close()
        return await self.shutdown()
