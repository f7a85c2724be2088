"""RabbitMQ topology and the consumer loop every worker runs, declared in code.

Each worker owns a quorum queue bound to the topics it handles, a dead-letter queue
(``<name>.dead``) for messages that failed every retry or cannot be processed, and
delayed-retry queues (``<name>.retry.<n>``: classic queues whose message TTL hands
the message back to the worker queue when it expires), one per backoff step.
Consumers acknowledge only after their side effects, and drop duplicates by
message id (a bounded memory of recent ids here; the durable guard is that every
handler's effect is idempotent).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection
from prometheus_client import Counter

from actors import spans, telemetry
from contexts.shared.bus_codec import EVENTS_EXCHANGE, INVENTORY_EXCHANGE, PermanentError

log = logging.getLogger(__name__)

OUTCOMES = Counter(
    "ticketing_worker_messages_total",
    "Messages handled by the workers, by outcome: ok, duplicate, retried, requeued, dead_lettered",
    ["worker", "outcome"],
)

# The exchanges' names and PermanentError live with the wire codec (contexts.shared.bus_codec),
# which the core uses without importing this face.
RETRY_EXCHANGE = "ticketing.retry"
DEAD_EXCHANGE = "ticketing.dead"
ATTEMPT_HEADER = "x-attempt"


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """One worker's queue: what it is bound to, its retry delays and prefetch."""

    name: str
    bindings: tuple[tuple[str, str], ...]  # (exchange, routing key pattern)
    retry_delays_s: tuple[float, ...] = (1.0, 5.0, 30.0)
    prefetch: int = 16
    expires_s: float = 0.0  # > 0: the broker deletes the queues this long after last use


async def declare(channel: AbstractChannel, spec: QueueSpec) -> aio_pika.abc.AbstractQueue:
    """Declare the exchanges, the worker queue, its dead-letter and retry queues."""
    for name in (EVENTS_EXCHANGE, INVENTORY_EXCHANGE):
        await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
    retry = await channel.declare_exchange(
        RETRY_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True
    )
    dead = await channel.declare_exchange(DEAD_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True)
    # x-expires only for throwaway runs (AMQP_QUEUE_EXPIRES_S): a deployment's queues must
    # keep their messages however long their workers are down.
    expiry = {"x-expires": int(spec.expires_s * 1000)} if spec.expires_s > 0 else {}
    dead_queue = await channel.declare_queue(
        f"{spec.name}.dead", durable=True, arguments={"x-queue-type": "quorum", **expiry}
    )
    await dead_queue.bind(dead, spec.name)
    queue = await channel.declare_queue(
        spec.name,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": DEAD_EXCHANGE,
            "x-dead-letter-routing-key": spec.name,
            **expiry,
        },
    )
    for exchange, pattern in spec.bindings:
        await queue.bind(exchange, pattern)
    for step, delay in enumerate(spec.retry_delays_s):
        waiting = await channel.declare_queue(
            f"{spec.name}.retry.{step}",
            durable=True,
            arguments={
                "x-message-ttl": int(delay * 1000),
                "x-dead-letter-exchange": "",  # the default exchange: straight to the worker queue
                "x-dead-letter-routing-key": spec.name,
                **expiry,
            },
        )
        await waiting.bind(retry, f"{spec.name}.retry.{step}")
    return queue


Handler = Callable[[AbstractIncomingMessage], Awaitable[None]]


class Consumer:
    """Consumes one worker queue: ack after the handler, retry with delay, dead-letter."""

    def __init__(self, url: str, spec: QueueSpec, handler: Handler, remember: int = 50_000):
        self.url, self.spec, self.handler = url, spec, handler
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._remember = remember
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self.handled = 0
        self.worker = spec.name.rsplit(".", 1)[-1]  # without AMQP_QUEUE_PREFIX: a stable label

    async def start(self) -> None:
        # Robust: a consumer only needs its subscription back after a broker restart.
        self._connection = await aio_pika.connect_robust(
            self.url, client_properties={"connection_name": f"worker:{self.spec.name}"}
        )
        self._channel = await self._connection.channel(publisher_confirms=True)
        await self._channel.set_qos(prefetch_count=self.spec.prefetch)
        queue = await declare(self._channel, self.spec)
        await queue.consume(self._on_message)
        log.info("consuming", extra={"queue": self.spec.name})

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        if not telemetry.enabled():
            await self._handle(message)
            return
        # The handler runs in a span of the publisher's trace (its context is in the headers).
        attributes = {"worker": self.worker, "type": message.type or "", "id": message.message_id}
        with spans.consumer_span(f"worker.{self.worker}", message.headers, attributes):
            await self._handle(message)

    def _outcome(self, outcome: str) -> None:
        OUTCOMES.labels(self.worker, outcome).inc()

    async def _handle(self, message: AbstractIncomingMessage) -> None:
        message_id = message.message_id or ""
        if message_id and message_id in self._seen:
            await message.ack()  # a redelivery we already handled
            self._outcome("duplicate")
            return
        try:
            await self.handler(message)
        except PermanentError as exc:
            log.error(
                "dead-lettered",
                extra={"queue": self.spec.name, "id": message_id, "error": repr(exc)},
            )
            await message.reject(requeue=False)
            self._outcome("dead_lettered")
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self._retry_later(message, exc)
            return
        await message.ack()
        self._outcome("ok")
        self.handled += 1
        if message_id:
            self._seen[message_id] = None
            if len(self._seen) > self._remember:
                self._seen.popitem(last=False)

    async def _retry_later(self, message: AbstractIncomingMessage, exc: Exception) -> None:
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 0))
        if attempt >= len(self.spec.retry_delays_s) or self._channel is None:
            log.error(
                "retries exhausted: dead-lettered",
                extra={"queue": self.spec.name, "id": message.message_id, "error": repr(exc)},
            )
            await message.reject(requeue=False)
            self._outcome("dead_lettered")
            return
        log.warning(
            "retrying later",
            extra={
                "queue": self.spec.name,
                "id": message.message_id,
                "attempt": attempt + 1,
                "error": repr(exc),
            },
        )
        copy = aio_pika.Message(
            body=message.body,
            headers={**(message.headers or {}), ATTEMPT_HEADER: attempt + 1},
            message_id=message.message_id,
            content_type=message.content_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            type=message.type,
        )
        exchange = await self._channel.get_exchange(RETRY_EXCHANGE)
        # Confirmed before the ack: a crash in between redelivers, never loses.
        retry_key = f"{self.spec.name}.retry.{attempt}"
        try:
            await exchange.publish(copy, routing_key=retry_key, timeout=30)
        except Exception as failed:  # nacked or timed out: never leave the message unacked
            log.warning("retry publish failed: requeued", extra={"error": repr(failed)})
            await asyncio.sleep(1.0)  # the broker is struggling: do not spin on it
            await message.nack(requeue=True)
            self._outcome("requeued")
            return
        await message.ack()
        self._outcome("retried")
