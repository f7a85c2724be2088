"""A publisher that returns only once RabbitMQ confirmed every message of a batch."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import cast

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange
from aiormq import spec
from aiormq.abc import ChannelFrame, FrameType
from pamqp.header import ContentHeader

from actors import telemetry
from actors.amqp import DEFAULT_EXCHANGE, connect, declare_topology
from actors.facts import OutboxMessage

Publishable = aio_pika.Message | OutboxMessage

log = logging.getLogger(__name__)


class BrokerError(Exception):
    """The broker did not positively confirm every message of a batch."""


class ConfirmedPublisher:
    """Publishes batches to one exchange and returns only once the broker confirmed all.

    Any failure (refused or lost connection, closed channel, nack, timeout) raises and
    drops the connection; the next batch reconnects. A plain connection, not a robust
    one: robust connections restore channels behind our back but never replay a
    publish whose confirm was lost, so the caller retries from its own cursor.
    """

    def __init__(
        self,
        url: str,
        exchange: str = DEFAULT_EXCHANGE,
        connection_name: str = "ticketing",
        connect_timeout: float = 5.0,
        confirm_timeout: float = 10.0,
    ) -> None:
        self.url, self.exchange, self.connection_name = url, exchange, connection_name
        self.connect_timeout, self.confirm_timeout = connect_timeout, confirm_timeout
        self._conn: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self.connections = 0  # successful connects so far: 1 + reconnects

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.is_closed

    async def publish(self, messages: Sequence[tuple[Publishable, str]]) -> None:
        """Publish (message, routing key) pairs in order; raise unless every one is acked."""
        try:
            async with asyncio.timeout(self.connect_timeout):
                exchange = await self._connected_exchange()
            async with asyncio.timeout(self.confirm_timeout):
                if telemetry.enabled() or not _batchable(exchange):
                    results = await self._publish_all(exchange, messages)
                else:
                    results = await _publish_batch(exchange, messages)
            for result, (message, _) in zip(results, messages, strict=True):
                if not isinstance(result, spec.Basic.Ack):
                    raise BrokerError(f"{message.message_id} was not confirmed: {result!r}")
        except BaseException:
            await self.close()  # whatever the channel's state, start the retry afresh
            raise

    @staticmethod
    async def _publish_all(
        exchange: AbstractExchange, messages: Sequence[tuple[Publishable, str]]
    ) -> list[object]:
        # Every publish is in flight at once: one confirm round trip per batch, not per
        # message. Wire order is kept: the tasks start in creation order and reach the
        # channel's FIFO lock without suspending first.
        try:
            async with asyncio.TaskGroup() as group:
                publish = exchange.publish
                tasks = [
                    group.create_task(publish(_message(m), key, mandatory=False))
                    for m, key in messages
                ]
        except ExceptionGroup as errors:  # one cause (a nack, a closed channel) is enough
            raise errors.exceptions[0] from None
        # A publish cancelled by a closing channel ends "cleanly" for the TaskGroup: the
        # caller accepts nothing but an explicit Basic.Ack.
        return [None if task.cancelled() else task.result() for task in tasks]

    async def close(self) -> None:
        """Close the connection, if any; never raises."""
        conn, self._conn, self._channel, self._exchange = self._conn, None, None, None
        if conn is not None:
            with contextlib.suppress(Exception):  # it is usually already dead
                # A stalled broker never answers Close: do not wait longer than for a connect.
                async with asyncio.timeout(self.connect_timeout):
                    await conn.close()

    async def _connected_exchange(self) -> AbstractExchange:
        channel, exchange = self._channel, self._exchange
        if not self.connected or channel is None or channel.is_closed or exchange is None:
            await self.close()
            self._conn = conn = await connect(self.url, self.connection_name, self.connect_timeout)
            self._channel = await conn.channel(publisher_confirms=True)
            self._exchange = exchange = await declare_topology(self._channel, self.exchange)
            self.connections += 1
            log.info("amqp connected", extra={"connection": self.connection_name})
        return exchange


# aiormq's publish costs, per message, a coroutine, a lock, a timeout scope, a socket
# write and a wait for it: tens of microseconds, the largest share of the actor's CPU
# per hold after Ray's per-call cost. A batch is all known at once, so it is framed
# under one lock and written in one piece; each message still gets its own delivery
# tag and confirmation future, registered where aiormq's own publish registers them
# (the broker acks them, often several per frame; a closing channel fails them all).
_CHANNEL_PARTS = ("lock", "confirmations", "write_queue", "create_future", "_split_body")


def _batchable(exchange: AbstractExchange) -> bool:
    """Whether the underlying aiormq channel has the parts a framed batch needs (an
    aiormq upgrade that moved them falls back to one publish per message)."""
    # Exchange.channel: the concrete class's (the abstract one does not declare it).
    channel = getattr(cast(aio_pika.Exchange, exchange).channel, "_channel", None)
    channel = getattr(channel, "channel", channel)
    return channel is not None and all(hasattr(channel, name) for name in _CHANNEL_PARTS)


def _message(message: Publishable) -> aio_pika.Message:
    return message.to_message() if isinstance(message, OutboxMessage) else message


async def _publish_batch(
    exchange: AbstractExchange, messages: Sequence[tuple[Publishable, str]]
) -> list[object]:
    """Publish ``messages`` in order as one write; each one's confirmation frame."""
    # The concrete aio_pika and aiormq classes: their internals, which ``_batchable``
    # checked are there, are not on the abstract types.
    underlay = await cast(aio_pika.Exchange, exchange).channel.get_underlay_channel()
    channel = cast(aiormq.Channel, underlay)
    if channel.is_closed:
        raise aiormq.exceptions.ChannelInvalidStateError(f"{channel!r} closed")
    frames: list[FrameType] = []
    confirmations: list[asyncio.Future[object]] = []
    async with channel.lock:  # delivery tags and wire order, as aiormq's own publish
        for message, key in messages:
            body = message.body
            channel.delivery_tag += 1
            confirmation = channel.create_future()
            channel.confirmations[channel.delivery_tag] = confirmation
            confirmations.append(confirmation)
            frames.append(spec.Basic.Publish(exchange=exchange.name, routing_key=key))
            frames.append(ContentHeader(properties=message.properties, body_size=len(body)))
            frames.extend(channel._split_body(body))
        await channel.write_queue.put(
            ChannelFrame.marshall(channel_number=channel.number, frames=frames)
        )
    # A nack fails its future with DeliveryError: raised here, the batch is retried.
    return list(await asyncio.gather(*confirmations))
