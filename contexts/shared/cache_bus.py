"""Cache invalidations broadcast to every API process (RabbitMQ fanout).

Some in-process caches decide what a request may do: an event's sale state (a
cancelled event must stop selling), its waiting room (on: buyers must queue), a
promo code's definition (disabled: refused). With N processes (on M machines), the
process that writes invalidates its own copy at once, but the others served their
copy for up to the TTL (2 s): a cancelled event kept selling there. So a named
cache (``TtlCache(..., name=...)``) also broadcasts each invalidation on a fanout
exchange; every process has an exclusive queue bound to it and drops the key from
its caches of that name as the message arrives (milliseconds after the write, not
seconds). The TTL stays as the bound when the broker is unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
import weakref
from typing import Any

import aio_pika

log = logging.getLogger(__name__)

EXCHANGE = "ticketing.cache"
# Caches by name in this process (several apps in one test process share it).
CACHES: dict[str, weakref.WeakSet[Any]] = {}
_BUSES: list[CacheBus] = []  # the started buses of this process (usually one)


def register(name: str, cache: Any) -> None:
    CACHES.setdefault(name, weakref.WeakSet()).add(cache)


def broadcast(name: str, key: Any) -> None:
    """Tell the other processes (fire and forget; no loop or no bus: nothing to do)."""
    for bus in _BUSES:
        bus.publish(name, key)


def _key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value  # JSON has no tuples


class CacheBus:
    """This process's end of the invalidation broadcast."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        # Per deployment (AMQP_QUEUE_PREFIX): tests and runs on one broker stay apart.
        self.exchange_name = f"{prefix}.{EXCHANGE}" if prefix else EXCHANGE
        self.origin = uuid.uuid4().hex  # our own messages are already applied
        self._connection: Any = None
        self._exchange: Any = None
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    async def start(cls, url: str | None, prefix: str) -> CacheBus | None:
        if not url:
            return None
        bus = cls(url, prefix)
        try:
            bus._connection = await aio_pika.connect_robust(url, timeout=5)
            channel = await bus._connection.channel()
            bus._exchange = await channel.declare_exchange(
                bus.exchange_name, aio_pika.ExchangeType.FANOUT, auto_delete=True
            )
            queue = await channel.declare_queue(exclusive=True, auto_delete=True)
            await queue.bind(bus._exchange)
            await queue.consume(bus._on_message, no_ack=True)
        except Exception:
            log.warning("cache invalidations not shared (RabbitMQ): TTLs bound staleness")
            await bus.close()
            return None
        _BUSES.append(bus)
        return bus

    def publish(self, name: str, key: Any) -> None:
        if self._exchange is None:
            return
        body = json.dumps({"cache": name, "key": key, "origin": self.origin}).encode()
        with contextlib.suppress(RuntimeError):  # no running loop: nobody to tell
            task = asyncio.get_running_loop().create_task(self._send(body))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send(self, body: bytes) -> None:
        try:
            await self._exchange.publish(aio_pika.Message(body), routing_key="")
        except Exception as exc:  # the TTL still bounds the staleness
            log.warning("cache invalidation not broadcast: %r", exc)

    async def _on_message(self, message: Any) -> None:
        try:
            data = json.loads(message.body)
            if data.get("origin") == self.origin:
                return
            for cache in list(CACHES.get(str(data["cache"]), ())):
                cache.drop(_key(data["key"]))
        except (ValueError, KeyError, TypeError):
            log.warning("malformed cache invalidation dropped")

    async def close(self) -> None:
        with contextlib.suppress(ValueError):
            _BUSES.remove(self)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
