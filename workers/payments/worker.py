"""The payments worker: its queue, its consumer, and its assembly from a container.

The queue (``payments``, prefixed by ``AMQP_QUEUE_PREFIX``) is a quorum queue bound
to ``payment.requested`` on the events exchange; failures are retried through
``workers.bus``'s delayed retry queues, then dead-lettered to ``payments.dead``.
``start_worker(container)`` is the ``workers.host`` entry point (the API runs it
in-process); ``python -m workers.payments`` runs it as a process of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contexts.orders.charge import PaymentsHandler
from contexts.shared.messages import EVENT_CANCELLED, PAYMENT_REQUESTED
from contexts.shared.queues import queue_expiry, queue_name
from workers.bus import EVENTS_EXCHANGE, Consumer, QueueSpec

NAME = "payments"
# Charges run concurrently: aio-pika hands each delivered message to its own task, and
# the prefetch bounds how many this process holds unacked. Stripe answers in ~300 ms,
# so concurrency, not CPU, sets the rate: 32 in flight x ~3 calls/s each ~ 100 calls/s,
# above the account's rate, which the gateway's pacer (STRIPE_MAX_RPS, for all processes
# together) then enforces.
# Several processes may consume the queue: the order's recorded intent keeps it at one
# charge per order whichever process gets (or gets again) the message.
PREFETCH = 32


def queue_spec(settings: Any, retry_delays_s: Sequence[float] | None = None) -> QueueSpec:
    """The worker's queue; tests pass short ``retry_delays_s``."""
    delays = tuple(retry_delays_s) if retry_delays_s is not None else (1.0, 5.0, 30.0)
    return QueueSpec(
        queue_name(settings, NAME),
        ((EVENTS_EXCHANGE, PAYMENT_REQUESTED), (EVENTS_EXCHANGE, EVENT_CANCELLED)),
        delays,
        max(1, int(getattr(settings, "payments_concurrency", PREFETCH))),
        queue_expiry(settings),
    )


class PaymentsWorker:
    """One consumer of the payments queue, feeding the handler."""

    def __init__(self, amqp_url: str, spec: QueueSpec, handler: PaymentsHandler) -> None:
        self.handler = handler
        self.consumer = Consumer(amqp_url, spec, handler)

    async def start(self) -> None:
        await self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()


def build(container: Any, spec: QueueSpec | None = None) -> PaymentsWorker:
    """Assemble the worker from a composition root (its orders, Stripe, settlement)."""
    if not container.amqp_url:
        raise RuntimeError("the payments worker needs RabbitMQ (AMQP_URL)")
    handler = PaymentsHandler(container.orders, container.stripe, container.settlement)
    return PaymentsWorker(container.amqp_url, spec or queue_spec(container.settings), handler)


async def start_worker(container: Any, spec: QueueSpec | None = None) -> PaymentsWorker:
    """The ``workers.host`` entry point: build and start consuming."""
    worker = build(container, spec)
    await worker.start()
    return worker
