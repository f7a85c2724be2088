"""A publisher that returns only once RabbitMQ confirmed every message of a batch."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange
from aiormq import spec

from actors.amqp import DEFAULT_EXCHANGE, connect, declare_topology

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

    async def publish(self, messages: Sequence[tuple[aio_pika.Message, str]]) -> None:
        """Publish (message, routing key) pairs in order; raise unless every one is acked."""
        try:
            async with asyncio.timeout(self.connect_timeout):
                exchange = await self._connected_exchange()
            async with asyncio.timeout(self.confirm_timeout):
                results = await self._publish_all(exchange, messages)
            for result, (message, _) in zip(results, messages, strict=True):
                if not isinstance(result, spec.Basic.Ack):
                    raise BrokerError(f"{message.message_id} was not confirmed: {result!r}")
        except BaseException:
            await self.close()  # whatever the channel's state, start the retry afresh
            raise

    @staticmethod
    async def _publish_all(
        exchange: AbstractExchange, messages: Sequence[tuple[aio_pika.Message, str]]
    ) -> list[object]:
        # Every publish is in flight at once: one confirm round trip per batch, not per
        # message. Wire order is kept: the tasks start in creation order and reach the
        # channel's FIFO lock without suspending first.
        try:
            async with asyncio.TaskGroup() as group:
                publish = exchange.publish
                tasks = [group.create_task(publish(m, key, mandatory=False)) for m, key in messages]
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
