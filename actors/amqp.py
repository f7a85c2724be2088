"""RabbitMQ helpers shared by the outbox relay and, later, the workers.

Routing keys of inventory events, the topology declared in code (so a fresh broker
needs no manual setup), how a journaled event becomes an AMQP message, connecting,
and backoff. Nothing connects at import time.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange
from aiormq import spec

from actors.journal.base import EncodedEvent

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


def message_id(stream: str, seq: int) -> str:
    """The dedup key of one journaled event: unique per inventory stream and seq."""
    return f"{stream}:{seq}"


def event_message(event_id: str, stream: str, event: EncodedEvent) -> aio_pika.Message:
    """The persistent AMQP message carrying one encoded domain event.

    The body is the journaled event plus ``event_id`` and ``stream``, so it stands on
    its own (dead-lettered or logged messages lose their headers' context easily).
    """
    seq = event["seq"]
    body: dict[str, Any] = {"event_id": event_id, "stream": stream, **event}
    return aio_pika.Message(
        body=json.dumps(body, separators=(",", ":")).encode(),
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message_id(stream, seq),
        type=event["type"],
        app_id="ticketing.outbox",
        headers={"event_id": event_id, "stream": stream, "seq": seq, "type": event["type"]},
    )


@dataclass(slots=True)
class OutboxMessage:
    """``event_message``'s message as body and wire properties, without building an
    ``aio_pika.Message`` (its constructor and property conversion were half of the
    relay's CPU per event). The batched publisher frames it directly; ``to_message``
    gives the aio-pika message where one is needed (the per-message path)."""

    event_id: str
    stream: str
    event: EncodedEvent
    body: bytes
    properties: spec.Basic.Properties

    @property
    def message_id(self) -> str:
        return str(self.properties.message_id)

    def to_message(self) -> aio_pika.Message:
        return event_message(self.event_id, self.stream, self.event)


def outbox_message(event_id: str, stream: str, event: EncodedEvent) -> OutboxMessage:
    """The same message as ``event_message``, property for property (tested)."""
    seq, kind = event["seq"], event["type"]
    body: dict[str, Any] = {"event_id": event_id, "stream": stream, **event}
    properties = spec.Basic.Properties(
        content_type="application/json",
        headers={"event_id": event_id, "stream": stream, "seq": seq, "type": kind},
        delivery_mode=2,  # persistent
        priority=0,
        message_id=message_id(stream, seq),
        message_type=kind,
        app_id="ticketing.outbox",
        cluster_id="",
    )
    encoded = json.dumps(body, separators=(",", ":")).encode()
    return OutboxMessage(event_id, stream, event, encoded, properties)


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
