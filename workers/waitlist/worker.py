"""The waiting-list worker: its queue, its consumer, and its assembly from a container.

The queue (``waitlist``, prefixed by ``AMQP_QUEUE_PREFIX``) is a quorum queue bound to
the inventory exchange's returned seats (expired, released, refunded holds) and
confirmed holds. A failure (the inventory or the broker unavailable) retries the
message through ``workers.bus``'s delayed retry queues, then dead-letters it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aio_pika.abc import AbstractIncomingMessage

from actors.amqp import routing_key
from contexts.shared.messages import handle_facts
from contexts.shared.queues import queue_expiry, queue_name
from contexts.waiting_room.offers import CLAIMED, RETURNS, Offers
from workers.bus import INVENTORY_EXCHANGE, Consumer, QueueSpec

NAME = "waitlist"


def queue_spec(settings: Any, retry_delays_s: Sequence[float] | None = None) -> QueueSpec:
    """The worker's queue; tests pass short ``retry_delays_s``."""
    bindings = tuple((INVENTORY_EXCHANGE, routing_key(kind)) for kind in (*RETURNS, CLAIMED))
    delays = tuple(retry_delays_s) if retry_delays_s is not None else (1.0, 5.0, 30.0)
    # One at a time: offers for one event are made in the order buyers joined.
    return QueueSpec(
        queue_name(settings, NAME), bindings, delays, prefetch=1, expires_s=queue_expiry(settings)
    )


class WaitlistWorker:
    """One consumer of the waitlist queue, feeding the offers."""

    def __init__(self, amqp_url: str, spec: QueueSpec, offers: Offers) -> None:
        self.offers = offers
        self.consumer = Consumer(amqp_url, spec, self.on_message)

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        # One message, several facts (the outbox batches them): each handled by its id.
        await handle_facts(message, self.offers.handle)

    async def start(self) -> None:
        await self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()


async def build(container: Any, spec: QueueSpec | None = None) -> WaitlistWorker:
    """Assemble the worker from a composition root (its database, the router, the bus)."""
    if not container.amqp_url:
        raise RuntimeError("the waiting-list worker needs RabbitMQ (AMQP_URL)")
    # Asked for every returned or confirmed hold: cached, invalidated by every join.
    repo = container.waiting_list  # indexes: made by the composition root
    offers = Offers(repo, container.router, container.publisher)
    return WaitlistWorker(container.amqp_url, spec or queue_spec(container.settings), offers)


async def start_worker(container: Any, spec: QueueSpec | None = None) -> WaitlistWorker:
    """The ``workers.host`` entry point: build and start consuming."""
    worker = await build(container, spec)
    await worker.start()
    return worker
