"""The notifications worker: its queue, its consumer, and its assembly from a container.

The queue (``notifications``, prefixed by ``AMQP_QUEUE_PREFIX``) is bound to the
order and event messages on the events exchange and to expired holds on the
inventory exchange. Failures are retried through ``workers.bus``'s delayed retry
queues, then dead-lettered to ``notifications.dead``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from aio_pika.abc import AbstractIncomingMessage

from contexts.shared.messages import (
    EVENT_CANCELLED,
    HOLD_EXPIRED,
    ORDER_CONFIRMED,
    ORDER_FAILED,
    ORDER_REFUNDED,
    TICKET_TRANSFERRED,
    WAITLIST_OFFERED,
    handle_facts,
)
from contexts.shared.queues import queue_expiry, queue_name
from workers.bus import EVENTS_EXCHANGE, INVENTORY_EXCHANGE, Consumer, QueueSpec
from workers.notifications.channels import Channel, EmailChannel, LoggingSms, SmtpConfig
from workers.notifications.directory import ContainerSources, MongoUserDirectory
from workers.notifications.records import NotificationLog
from workers.notifications.service import Notifier
from workers.notifications.templates import Renderer, TemplateStore

log = logging.getLogger(__name__)

NAME = "notifications"
BINDINGS = (
    *((EVENTS_EXCHANGE, kind) for kind in (ORDER_CONFIRMED, ORDER_FAILED, ORDER_REFUNDED)),
    (EVENTS_EXCHANGE, EVENT_CANCELLED),
    (EVENTS_EXCHANGE, WAITLIST_OFFERED),
    (EVENTS_EXCHANGE, TICKET_TRANSFERRED),
    (INVENTORY_EXCHANGE, HOLD_EXPIRED),
)


def queue_spec(settings: Any, retry_delays_s: Sequence[float] | None = None) -> QueueSpec:
    """The worker's queue; tests pass short ``retry_delays_s``."""
    spec = QueueSpec(queue_name(settings, NAME), BINDINGS, expires_s=queue_expiry(settings))
    if retry_delays_s is not None:
        spec = replace(spec, retry_delays_s=tuple(retry_delays_s))
    return spec


def smtp_config(settings: Any) -> SmtpConfig:
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
        timeout_s=settings.smtp_timeout_s,
    )


class NotificationsWorker:
    """One consumer of the notifications queue, feeding the notifier."""

    def __init__(self, amqp_url: str, spec: QueueSpec, notifier: Notifier) -> None:
        self.notifier = notifier
        self.consumer = Consumer(amqp_url, spec, self.on_message)

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        # One message, several facts (the outbox batches them): each handled by its id.
        await handle_facts(message, self.notifier.handle)

    async def start(self) -> None:
        await self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()


async def build(
    container: Any,
    spec: QueueSpec | None = None,
    channels: Sequence[Channel] | None = None,
) -> NotificationsWorker:
    """Assemble the worker from a composition root: its database, users, sources."""
    settings = container.settings
    if not container.amqp_url:
        raise RuntimeError("the notifications worker needs RabbitMQ (AMQP_URL)")
    db = container.db("notifications")
    store = TemplateStore(db)
    await store.seed()
    records = NotificationLog(db)
    await records.ensure_indexes()
    if channels is None:
        channels = [EmailChannel(smtp_config(settings)), LoggingSms()]
    notifier = Notifier(
        users=MongoUserDirectory(container.db("auth")),
        sources=ContainerSources(container),
        renderer=Renderer(store),
        records=records,
        channels=channels,
        base_url=settings.public_base_url,
    )
    return NotificationsWorker(container.amqp_url, spec or queue_spec(settings), notifier)


async def start_worker(container: Any) -> NotificationsWorker:
    """The ``workers.host`` entry point: build and start consuming."""
    worker = await build(container)
    await worker.start()
    return worker
