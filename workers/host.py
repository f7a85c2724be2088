"""Runs the workers inside a process that has a composition root (the API, or a worker's
own ``python -m workers.<name>``).

Convention: a worker package ``workers.<name>`` exposes
``async def start_worker(container) -> Worker`` where the worker has ``async stop()``.
Packages that are not there (yet) are skipped, so the API runs whatever workers exist.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from contexts.shared.logging import redact_url

log = logging.getLogger(__name__)

WORKERS = ("notifications", "payments", "webhooks", "waitlist")
STEP_TIMEOUT_S = 30.0  # starting or stopping one worker


class Worker(Protocol):
    async def stop(self) -> None: ...


def queue_name(settings: Any, base: str) -> str:
    """A worker's queue name: ``<AMQP_QUEUE_PREFIX>.<base>``, or ``base`` without a prefix.

    A prefix isolates one deployment (or one test run) from another on a shared broker.
    """
    prefix = getattr(settings, "amqp_queue_prefix", "")
    return f"{prefix}.{base}" if prefix else base


def queue_expiry(settings: Any) -> float:
    """Seconds after which the broker deletes an unused worker queue (0: never)."""
    return float(getattr(settings, "amqp_queue_expires_s", 0.0))


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


async def start_workers(container: Any, names: Sequence[str] = WORKERS) -> WorkerHost:
    """Start every available worker; without RabbitMQ, say loudly that none runs."""
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
    for name in names:
        module_name = f"workers.{name}"
        if importlib.util.find_spec(module_name) is None:
            log.info("worker not available: skipped", extra={"worker": name})
            continue
        start = getattr(importlib.import_module(module_name), "start_worker", None)
        if start is None:
            log.warning("worker package has no start_worker(): skipped", extra={"worker": name})
            continue
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


async def run_standalone(name: str, start: Callable[[Any], Awaitable[Worker]]) -> int:
    """``python -m workers.<name>``: the composition root the API uses (MongoDB, Ray,
    RabbitMQ, Stripe...), without the API's in-process workers, then one worker that
    consumes until SIGTERM or Ctrl-C. It joins the running Ray cluster (``RAY_ADDRESS``,
    else ``auto``) rather than start its own: the inventory actors are there."""
    import bootstrap as composition  # late: the API imports this module
    from contexts.shared.logging import configure_logging
    from contexts.shared.settings import get_settings

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
