"""`python -m workers.payments`: the payments worker as a process of its own.

It builds the same composition root as the API from ``api.settings.Settings`` (MongoDB,
Ray for the inventory actors, RabbitMQ, Stripe, the ticket signing key), without the
API's in-process workers, and consumes until SIGTERM or Ctrl-C. Point it at the API's
``MONGODB_URL`` (an embedded MongoDB of its own would not see the API's orders) and at
its Ray cluster: ``RAY_ADDRESS``, or unset to join the local cluster (``auto``). The
ticket signing key comes from ``TICKET_SIGNING_KEY``, or the file under ``DATA_DIR``.

Fault injection (tests): ``PAYMENTS_CRASH_AFTER_STRIPE=1`` makes the process exit
with code 9 right after Stripe answered a charge, before any effect and the ack.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from api import container as composition
from api.logging import configure_logging
from api.settings import get_settings
from workers.payments.worker import start_worker

log = logging.getLogger("workers.payments")


async def run() -> int:
    settings = get_settings()
    # Join the running cluster rather than start a Ray of our own: the actors are there.
    update = {"run_workers": False, "ray_address": settings.ray_address or "auto"}
    settings = settings.model_copy(update=update)
    configure_logging(settings.log_level)
    if not settings.mongodb_url:
        log.warning("MONGODB_URL is not set: using an embedded MongoDB the API does not share")
    container = await composition.start(settings)
    try:
        if not container.amqp_url:
            log.error("RabbitMQ is unreachable (AMQP_URL): the payments worker cannot run")
            return 1
        worker = await start_worker(container)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("payments worker running", extra={"queue": worker.consumer.spec.name})
        await stop.wait()
        await worker.stop()
        return 0
    finally:
        await container.close()


if __name__ == "__main__":
    raise SystemExit(asyncio.run(run()))
