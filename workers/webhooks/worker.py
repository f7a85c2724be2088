"""The webhooks worker: its queue, its consumer, and its assembly from a container.

The queue (``webhooks``, prefixed by ``AMQP_QUEUE_PREFIX``) is a quorum queue bound to
the order and ticket messages of the events exchange. A receiver's failure retries
the message through ``workers.bus``'s delayed retry queues, with growing delays
(receivers go down for minutes, not seconds), then dead-letters it to
``webhooks.dead``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aio_pika.abc import AbstractIncomingMessage

from contexts.shared.messages import (
    ORDER_CONFIRMED,
    ORDER_FAILED,
    ORDER_REFUNDED,
    TICKET_CHECKED_IN,
    decode,
)
from contexts.shared.principal import Principal
from contexts.shared.queues import queue_expiry, queue_name
from contexts.webhooks.dispatch import Dispatcher
from contexts.webhooks.sender import HttpxSender, Sender
from workers.bus import EVENTS_EXCHANGE, Consumer, QueueSpec

NAME = "webhooks"
KINDS = (ORDER_CONFIRMED, ORDER_FAILED, ORDER_REFUNDED, TICKET_CHECKED_IN)
RETRY_DELAYS_S = (5.0, 30.0, 120.0, 600.0, 1800.0)  # about forty minutes in all


def queue_spec(settings: Any, retry_delays_s: Sequence[float] | None = None) -> QueueSpec:
    """The worker's queue; tests pass short ``retry_delays_s``."""
    delays = tuple(retry_delays_s) if retry_delays_s is not None else RETRY_DELAYS_S
    bindings = tuple((EVENTS_EXCHANGE, kind) for kind in KINDS)
    return QueueSpec(
        queue_name(settings, NAME), bindings, delays, prefetch=8, expires_s=queue_expiry(settings)
    )


class CatalogManagers:
    """Who manages an event: the organisers' permission check where the container has
    one (team members with ``manage_events``), else the event's owner."""

    def __init__(self, catalog: Any, access: Any = None) -> None:
        self.catalog, self.access = catalog, access

    async def manages(self, user_id: str, event_id: str) -> bool:
        event = await self.catalog.get_for_sale(event_id) if self.catalog else None
        if event is None:
            return False
        if self.access is not None:
            who = Principal(user_id, frozenset())  # roles unknown here: membership decides
            return bool(await self.access.can(who, event, "manage_events"))
        return bool(event.owner_id == user_id)


class WebhooksWorker:
    """One consumer of the webhooks queue, feeding the dispatcher."""

    def __init__(self, amqp_url: str, spec: QueueSpec, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.consumer = Consumer(amqp_url, spec, self.on_message)

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        kind, body, message_id = decode(message)
        await self.dispatcher.handle(kind, body, message_id)

    async def start(self) -> None:
        await self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()
        await self.dispatcher.sender.close()


async def build(
    container: Any, spec: QueueSpec | None = None, sender: Sender | None = None
) -> WebhooksWorker:
    """Assemble the worker from a composition root (its database, the catalog)."""
    if not container.amqp_url:
        raise RuntimeError("the webhooks worker needs RabbitMQ (AMQP_URL)")
    # Read per message (every confirmed order): cached, invalidated on every change.
    repo = container.webhooks  # indexes: made by the composition root
    dispatcher = Dispatcher(
        repo,
        # Outside production receivers may be local (tests, a developer's machine).
        sender or HttpxSender(allow_internal=container.settings.env != "production"),
        CatalogManagers(container.catalog, container.organisers),
    )
    return WebhooksWorker(container.amqp_url, spec or queue_spec(container.settings), dispatcher)


async def start_worker(container: Any, spec: QueueSpec | None = None) -> WebhooksWorker:
    """The ``workers.host`` entry point: build and start consuming."""
    worker = await build(container, spec)
    await worker.start()
    return worker
