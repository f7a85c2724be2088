"""`python -m api` (what `make run` does): the whole local system, stopped together.

Started once, in this (supervising) process, before any API process:
- the embedded MongoDB (unless MONGODB_URL), one server all processes share;
- one local Ray head (unless RAY_ADDRESS), token auth on, recorded in DATA_DIR/ray
  (api.localray) where `ticketing cluster ...` finds it;
- the local SMTP server and localstripe (api.devstack, DEV_SERVERS);
- the one-time start-up of the composition root (indexes, the bootstrap admin), so
  N processes never race to create them.
Then API_PROCESSES uvicorn workers (default one per core) behind one port
(api.serve), each with its own router and RabbitMQ consumers (idempotent consumers on
shared queues: N of them share the work). Ctrl-C or SIGTERM stops the workers, then
the servers above, in reverse order; a kill -9 of this process stops them too (each
child watches its parent). "serving" is logged once the port answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys

from api.devstack import DevStack
from api.serve import APP_FACTORY, announce_when_serving, processes, serve
from contexts.shared.logging import configure_logging
from contexts.shared.settings import Settings, get_settings

log = logging.getLogger("api")


async def _start_once(settings: Settings) -> None:
    """Indexes and the bootstrap admin, once; also fails fast on a refused start."""
    import bootstrap as composition  # late: Ray reads its token env on import

    container = await composition.start(settings.model_copy(update={"run_workers": False}))
    await container.close()


def _start_servers(stack: contextlib.ExitStack, settings: Settings) -> None:
    """MongoDB and Ray for every process: their addresses go into the environment the
    API processes inherit (MONGODB_URL, RAY_ADDRESS and Ray's token variables)."""
    data = settings.data_dir.resolve()
    data.mkdir(parents=True, exist_ok=True)
    if not settings.mongodb_url:
        from actors.mongo_embedded import EmbeddedMongo

        mongo = EmbeddedMongo(data / "mongo")
        os.environ["MONGODB_URL"] = mongo.start()
        stack.callback(mongo.stop)  # last: the API processes use it until they exit
        log.info("embedded mongodb started", extra={"url": os.environ["MONGODB_URL"]})
    if not settings.ray_address:
        from api.localray import LocalRay

        ray_head = LocalRay(data / "ray", cpus=os.cpu_count() or 1)
        stack.callback(ray_head.stop)
        os.environ.update(ray_head.start())


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format, settings.env)
    workers = processes(settings.api_processes)
    with contextlib.ExitStack() as stack:
        try:
            _start_servers(stack, settings)
        except Exception as exc:  # actors.local_ray's LocalRayError and friends: one line
            log.error(f"could not start: {exc}")
            sys.exit(1)
        get_settings.cache_clear()
        settings = get_settings()  # with the URLs just set
        stack.enter_context(DevStack.from_settings(settings))
        asyncio.run(_start_once(settings))
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        url = f"http://{host}:{settings.port}"
        announce_when_serving(url, {"env": settings.env, "processes": workers})
        serve(APP_FACTORY, settings.host, settings.port, workers, settings.log_level)


if __name__ == "__main__":
    main()
