"""RabbitMQ helpers shared by the outbox relay and, later, the workers.

Routing keys of inventory events, the topology declared in code (so a fresh broker
needs no manual setup), connecting, and backoff. How journaled events become AMQP
messages (and back) is ``actors.facts``. Nothing connects at import time.
"""

from __future__ import annotations

import random

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange

DEFAULT_EXCHANGE = "ticketing.inventory"

ROUTING_KEYS: dict[str, str] = {
    "SeatsHeld": "inventory.hold.created",
    "HoldConfirmed": "inventory.hold.confirmed",
    "HoldExtended": "inventory.hold.extended",
    "HoldReleased": "inventory.hold.released",
    "HoldExpired": "inventory.hold.expired",
    "SaleReturned": "inventory.sale.returned",
}


def routing_key(event_type: str) -> str:
    """The routing key of a domain event type; ``ValueError`` for an unknown type."""
    try:
        return ROUTING_KEYS[event_type]
    except KeyError:
        raise ValueError(f"no routing key for event type {event_type!r}") from None


async def declare_topology(
    channel: AbstractChannel, exchange: str = DEFAULT_EXCHANGE
) -> AbstractExchange:
    """Declare the inventory exchange (durable topic) and return it.

    Idempotent: every publisher and consumer declares what it uses, so start-up
    order does not matter. Worker queues are declared by the workers' own steps.
    """
    return await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)


async def connect(url: str, name: str, timeout: float = 5.0) -> AbstractConnection:
    """A plain (non-robust) connection named ``name`` in the broker's connection list.

    Callers own reconnection: a robust connection restores channels behind our back
    but never replays a publish whose confirm was lost, and the relay must restart
    from its cursor after any drop anyway.
    """
    return await aio_pika.connect(url, timeout=timeout, client_properties={"connection_name": name})


class Backoff:
    """Exponential backoff with jitter: ``low``, ``2 low``, ... capped at ``high``.

    Each delay is drawn from [d/2, d] so relays of many inventories that lost the
    broker together do not reconnect in lockstep.
    """

    def __init__(self, low: float = 0.1, high: float = 5.0) -> None:
        self.low = low
        self.high = high
        self.failures = 0

    def next(self) -> float:
        delay = min(self.high, self.low * 2**self.failures)
        if delay < self.high:  # stop growing the exponent once capped (no float overflow)
            self.failures += 1
        return random.uniform(delay / 2, delay)

    def reset(self) -> None:
        self.failures = 0
