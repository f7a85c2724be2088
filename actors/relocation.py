"""The actor-side pieces of moving an inventory actor to another node.

A move (``cluster/placement.py``) drains the actor, kills it and creates it again,
under the same name, on another node. Three things here make that safe:

- ``Gate``: once closed, new commands get a retryable ``InventoryUnavailableError``
  and closing returns only when every command already admitted has been answered
  (so its events are journaled); nothing is lost, nothing is decided twice.
- ``placement_args``: everything needed to recreate the actor (its constructor
  arguments and the Ray resources it was given).
- "moving" markers in Ray's GCS key-value store, one per stream being moved, so a
  router that looks the actor up between the kill and the re-creation answers
  "unavailable, retry" instead of "no inventory". The marker also records how to
  recreate the actor, so an interrupted move can be finished later.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import pickle
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import ray

from actors.config import ActorConfig
from actors.errors import InventoryUnavailableError

MOVE_RETRY_AFTER_S = 0.2  # a move takes a fraction of a second: retry soon
# Resources Ray accounts for on its own; the rest (custom ones) must follow the actor.
_BUILTIN_RESOURCES = {"CPU", "GPU", "memory", "object_store_memory"}


class Gate:
    """Admits commands until closed; ``close`` waits for the admitted ones to finish."""

    def __init__(self, stream: str) -> None:
        self.stream = stream
        self.closed = False
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.contextmanager
    def admit(self) -> Iterator[None]:
        if self.closed:
            raise InventoryUnavailableError(
                f"{self.stream}: moving to another node, retry", MOVE_RETRY_AFTER_S
            )
        self._inflight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._inflight -= 1
            if self._inflight == 0:
                self._idle.set()

    async def close(self) -> None:
        """Refuse new commands, then wait until every admitted one has its answer."""
        self.closed = True
        await self._idle.wait()


def placement_args(
    stream: str, event_id: str, spec: dict[str, Any], config: ActorConfig
) -> dict[str, Any]:
    """How to recreate the calling actor: constructor arguments and Ray resources."""
    context = ray.get_runtime_context()
    assigned = context.get_assigned_resources()
    return {
        "stream": stream,
        "event_id": event_id,
        "spec": spec,
        # Pickled: the config nests dataclasses (tracing) and Ray ships it pickled anyway.
        "config": base64.b64encode(pickle.dumps(config)).decode(),
        "num_cpus": assigned.get("CPU", 0.0),
        "resources": {k: v for k, v in assigned.items() if k not in _BUILTIN_RESOURCES},
        "node_id": context.get_node_id(),
    }


def config_from(args: dict[str, Any]) -> ActorConfig:
    """The ``ActorConfig`` recorded by ``placement_args`` (kept JSON-safe there)."""
    config = pickle.loads(base64.b64decode(args["config"]))
    assert isinstance(config, ActorConfig)
    return config


# -- "moving" markers ------------------------------------------------------------------


def _kv_namespace(namespace: str) -> str:
    # No ':' in a KV namespace: Ray's key listing splits on it (returns "b:key" for "a:b").
    return f"ticketing-moves.{quote(namespace, safe='')}"


def mark_moving(namespace: str, stream: str, record: dict[str, Any]) -> None:
    """Record that ``stream`` is being moved (and how to recreate it)."""
    from ray.experimental import internal_kv

    internal_kv._internal_kv_put(
        stream.encode(), json.dumps(record).encode(), namespace=_kv_namespace(namespace)
    )


def clear_moving(namespace: str, stream: str) -> None:
    from ray.experimental import internal_kv

    internal_kv._internal_kv_del(stream.encode(), namespace=_kv_namespace(namespace))


def moving(namespace: str, stream: str) -> dict[str, Any] | None:
    """The move record of ``stream`` if a move is under way (or was interrupted)."""
    from ray.experimental import internal_kv

    value = internal_kv._internal_kv_get(stream.encode(), namespace=_kv_namespace(namespace))
    return json.loads(value) if value else None


def pending_moves(namespace: str) -> dict[str, dict[str, Any]]:
    """Every move record in ``namespace``: moves under way or interrupted."""
    from ray.experimental import internal_kv

    keys = internal_kv._internal_kv_list(b"", namespace=_kv_namespace(namespace))
    records = {key.decode(): moving(namespace, key.decode()) for key in keys}
    return {stream: record for stream, record in records.items() if record is not None}
