"""`python -m workers.notifications`: the notifications worker as a process of its own.

It builds the same composition root as the API (MongoDB, Ray for hold look-ups), without
the API's in-process workers, and consumes until SIGTERM or Ctrl-C. Set ``MONGODB_URL``
and ``RAY_ADDRESS`` to those of the API: an embedded MongoDB or local Ray of its own
would not see the API's users or holds.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from api import container as composition
from api.logging import configure_logging
from api.settings import get_settings
from workers.notifications.worker import start_worker

log = logging.getLogger("workers.notifications")


async def run() -> int:
    settings = get_settings().model_copy(update={"run_workers": False})
    configure_logging(settings.log_level)
    if not settings.mongodb_url:
        log.warning("MONGODB_URL is not set: using an embedded MongoDB the API does not share")
    container = await composition.start(settings)
    try:
        if not container.amqp_url:
            log.error("RabbitMQ is unreachable (AMQP_URL): the notifications worker cannot run")
            return 1
        worker = await start_worker(container)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("notifications worker running")
        await stop.wait()
        await worker.stop()
        return 0
    finally:
        await container.close()


if __name__ == "__main__":
    raise SystemExit(asyncio.run(run()))
