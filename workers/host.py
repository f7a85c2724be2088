"""Runs the workers inside a process that has a composition root (the API, or a worker's
own ``python -m workers.<name>``).

``WORKERS`` is the explicit list: each worker module exposes
``async def start_worker(container) -> Worker`` where the worker has ``async stop()``.
The API reaches this module only through the ``ticketing.services`` entry point
(pyproject; ``services``): the faces never import each other, and the composition root
imports no face, so the process hands these factories to ``bootstrap.start``.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import aio_pika

import bootstrap as composition
from bootstrap import Container, ServiceFactory
from contexts.shared.logging import configure_logging, redact_url
from contexts.shared.queues import queue_expiry, queue_name
from contexts.shared.settings import Settings, get_settings
from workers.bus import declare
from workers.notifications.worker import start_worker as start_notifications
from workers.payments.worker import queue_spec as payments_queue
from workers.payments.worker import start_worker as start_payments
from workers.waitlist.worker import start_worker as start_waitlist
from workers.webhooks.worker import start_worker as start_webhooks

__all__ = ["WORKERS", "queue_expiry", "queue_name", "services", "start_workers"]

log = logging.getLogger(__name__)

STEP_TIMEOUT_S = 30.0  # starting or stopping one worker


class Worker(Protocol):
    async def stop(self) -> None: ...


type StartWorker = Callable[[Container], Awaitable[Worker]]

# In start order; contexts.shared.queues.WORKER_QUEUES names their queues (a unit test
# checks the two agree).
WORKERS: Mapping[str, StartWorker] = {
    "notifications": start_notifications,
    "payments": start_payments,
    "webhooks": start_webhooks,
    "waitlist": start_waitlist,
}


@dataclass
class WorkerHost:
    """The workers running in this process, stopped together."""

    workers: dict[str, Worker] = field(default_factory=dict)

    async def stop(self) -> None:
        for name, worker in reversed(list(self.workers.items())):
            try:
                async with asyncio.timeout(STEP_TIMEOUT_S):  # a stalled broker: give up
                    await worker.stop()
            except Exception:  # stopping the others matters more than this one's error
                log.exception("worker did not stop cleanly", extra={"worker": name})
        self.workers.clear()


def services(settings: Settings) -> list[ServiceFactory]:
    """The ``ticketing.services`` entry point: what an API process adds to its root, the
    payments queue always and the workers when ``RUN_WORKERS``."""
    return [declare_payments_queue, *([start_workers] if settings.run_workers else [])]


async def start_workers(container: Container) -> WorkerHost:
    """Start every worker; without RabbitMQ, say loudly that none runs."""
    host = WorkerHost()
    if not container.amqp_url:
        # No in-process fallback bus (DESIGN.md allows one): the publishers (API, payments,
        # outbox) all speak AMQP, and a non-durable stand-in would need a second path in
        # each. Be loud instead: nothing downstream of a reservation happens.
        log.error(
            "WORKERS OFF: RabbitMQ is unreachable, so payments are not processed and no "
            "email is sent; start RabbitMQ (AMQP_URL) and restart",
            extra={"amqp_url": redact_url(container.settings.amqp_url or "")},
        )
        return host
    for name, start in WORKERS.items():
        try:
            # Bounded: a broker that accepts the connection but stalls must not hold up
            # the API's start (it serves reservations without the workers).
            async with asyncio.timeout(STEP_TIMEOUT_S):
                host.workers[name] = await start(container)
        except Exception:
            # The API still serves (browsing, reservations); this worker's absence is logged.
            log.exception("WORKER FAILED TO START", extra={"worker": name})
    log.info("workers running", extra={"workers": ",".join(host.workers) or "none"})
    return host


async def declare_payments_queue(container: Container) -> WorkerHost:
    """Declare the payments worker's queue now: a payment requested while no worker
    runs then waits in it, instead of being dropped as unroutable."""
    if container.amqp_url:
        try:
            connection = await aio_pika.connect(container.amqp_url, timeout=5)
            async with connection:
                spec = payments_queue(container.settings)
                await declare(await connection.channel(), spec)
        except Exception:  # the API still serves; payments answer 503 until the broker is back
            log.exception("could not declare the payments queue")
    return WorkerHost()  # nothing to stop


async def run_standalone(name: str, start: StartWorker) -> int:
    """``python -m workers.<name>``: the composition root the API uses (MongoDB, Ray,
    RabbitMQ, Stripe...), without the API's in-process workers, then one worker that
    consumes until SIGTERM or Ctrl-C. It joins the running Ray cluster (``RAY_ADDRESS``,
    else ``auto``) rather than start its own: the inventory actors are there."""
    settings = get_settings()
    update = {"run_workers": False, "ray_address": settings.ray_address or "auto"}
    settings = settings.model_copy(update=update)
    configure_logging(settings.log_level, settings.log_format, settings.env)
    if settings.metrics_port:  # no HTTP server here: Prometheus scrapes this port instead
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port)
    if not settings.mongodb_url:
        log.warning("MONGODB_URL is not set: using an embedded MongoDB the API does not share")
    container = await composition.start(settings)
    try:
        if not container.amqp_url:
            log.error("RabbitMQ is unreachable (AMQP_URL): the worker cannot run")
            return 1
        worker = await start(container)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("worker running", extra={"worker": name})
        await stop.wait()
        await worker.stop()
        return 0
    finally:
        await container.close()
