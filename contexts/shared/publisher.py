"""Publishes application messages (``contexts.shared.messages``) with publisher confirms.

Used by the API (``payment.requested``, ``event.cancelled``, ``ticket.*``), the payments
worker (``order.*``) and the waiting list (``waitlist.offered``). Callers build a message
object and ``send`` it: its ``KIND`` is the routing key, its ``to_body()`` the JSON. A
publish returns only once RabbitMQ confirmed the message, so a caller that moves on
(answers 202, acks a message, marks an order announced) knows it is durable.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from actors import telemetry
from actors.publisher import ConfirmedPublisher
from contexts.shared.bus_codec import EVENTS_EXCHANGE, app_message
from contexts.shared.errors import Unavailable
from contexts.shared.messages import Message


class Publisher(Protocol):
    """Where messages go (``MessagePublisher``; tests pass fakes): returns once durable."""

    async def publish(self, kind: str, body: dict[str, Any], message_id: str) -> None: ...


async def send(publisher: Publisher, message: Message, message_id: str) -> None:
    """Publish ``message`` under its routing key, as its contract's body."""
    await publisher.publish(message.KIND, message.to_body(), message_id)


class BrokerUnavailable(Unavailable):
    """RabbitMQ is unreachable (or refused the message): the caller should retry."""

    code = "broker_unavailable"

    def __init__(self, detail: str = "The message broker is unavailable; retry shortly.") -> None:
        super().__init__(detail, retry_after_s=2)


class MessagePublisher:
    """Confirmed publishes to the events exchange; one connection, reused."""

    def __init__(
        self, amqp_url: str | None, exchange: str = EVENTS_EXCHANGE, name: str = "ticketing.api"
    ) -> None:
        self.exchange = exchange
        self._publisher = ConfirmedPublisher(amqp_url, exchange, name) if amqp_url else None
        # ConfirmedPublisher (re)connects lazily: two concurrent first publishes would
        # open two connections and leak one. Serialising costs one confirm round trip
        # per message, far below what payment requests need.
        self._lock = asyncio.Lock()

    async def publish(self, kind: str, body: dict[str, Any], message_id: str) -> None:
        """Publish ``body`` as a ``kind`` message; ``BrokerUnavailable`` unless confirmed."""
        if self._publisher is None:
            raise BrokerUnavailable("RabbitMQ is not configured or was unreachable at start.")
        message = app_message(kind, body, message_id)
        # The request's trace goes along (W3C headers), so the worker's span joins it.
        telemetry.inject(message.headers)
        async with self._lock:
            try:
                await self._publisher.publish([(message, kind)])
            except Exception as exc:
                raise BrokerUnavailable() from exc

    async def close(self) -> None:
        if self._publisher is not None:
            await self._publisher.close()
