"""How the API reaches waiting-room actors: create, join, use, read, long-poll.

Queue actors are named ``queue:<event>`` (their journal stream too) and built from
``QueueActor``; everything else (cached handles, coalescing of joins and uses into
one actor call, retryable errors) is the inventory's ``ActorCalls``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import ray

from actors.batching import ActorCalls
from actors.config import RouterConfig
from actors.errors import InventoryNotFoundError
from actors.queue_actor import QueueActor
from engine.queue_messages import QueueCommand

RemoteQueue = ray.remote(QueueActor)


def queue_stream(event_id: str) -> str:
    """The actor name and journal stream of an event's waiting room."""
    return f"queue:{event_id}"


class QueueCalls(ActorCalls):
    """``ActorCalls`` for queue actors: their class and their names."""

    remote = RemoteQueue

    @staticmethod
    def name_of(stream: str) -> str:
        return stream  # already "queue:<event>"

    async def handle(self, stream: str) -> Any:
        handle = self._handles.get(stream)
        if handle is None:
            try:
                handle = await asyncio.to_thread(
                    ray.get_actor, stream, namespace=self.config.namespace
                )
            except ValueError as exc:
                raise InventoryNotFoundError(f"no waiting room {stream}") from exc
            self._handles[stream] = handle
        return handle


class QueueRouter:
    """The API's side of the waiting rooms (one per process)."""

    def __init__(self, config: RouterConfig) -> None:
        self.calls = QueueCalls(config)

    async def open(self, event_id: str, **options: Any) -> None:
        """Create the event's queue actor, or find it (idempotent); returns once restored."""
        spec = {"kind": "queue", "namespace": self.calls.config.namespace}
        await self.calls.create(queue_stream(event_id), event_id, spec, **options)

    async def execute(self, event_id: str, command: QueueCommand) -> Any:
        """The command's answer (a view, an event or None); raises its refusal."""
        return await self.calls.execute(queue_stream(event_id), command)

    async def views(
        self, event_id: str, accounts: list[str], since: int = -1, timeout: float = 0.0
    ) -> dict[str, Any]:
        """``{"seq", "views"}``; a long poll when ``since`` is the current ``seq``."""
        return await self.calls.call(queue_stream(event_id), "views", accounts, since, timeout)

    async def summary(self, event_id: str) -> dict[str, Any]:
        return await self.calls.call(queue_stream(event_id), "summary")

    async def handle(self, event_id: str) -> Any:
        return await self.calls.handle(queue_stream(event_id))

    async def close(self) -> None:
        await self.calls.close()
