"""How `python -m api` serves: N uvicorn worker processes behind one port.

``uvicorn.run(APP_FACTORY, factory=True, workers=N)`` binds the port once in the
supervising process and starts N processes that accept on it (the kernel spreads
connections); each builds its own app and composition root (its own coalescing
router, MongoDB client and RabbitMQ consumers). The benchmark serves the bare
ceiling app and the PostgreSQL baseline with the same ``serve`` call, so the
figures compare like with like.

A worker started by a supervisor watches it: uvicorn does not stop its workers when
it is killed outright (kill -9), so each worker ends itself (SIGTERM: a clean
shutdown) once its parent is gone.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import urllib.request
from typing import Any

import uvicorn

log = logging.getLogger("api")

APP_FACTORY = "api.serve:create_worker_app"
SUPERVISOR_ENV = "TICKETING_SUPERVISOR_PID"


def processes(configured: int) -> int:
    """API_PROCESSES, 0 meaning one per core."""
    return configured if configured > 0 else (os.cpu_count() or 1)


def create_worker_app() -> Any:
    """The app of one worker process (uvicorn's factory), watching its supervisor."""
    from api.main import create_app  # late: the supervisor never builds an app
    from contexts.shared.logging import configure_logging
    from contexts.shared.settings import get_settings

    settings = get_settings()  # a fresh interpreter (spawned): its logging is unset
    configure_logging(settings.log_level, settings.log_format, settings.env)
    supervisor = int(os.environ.get(SUPERVISOR_ENV) or 0)
    if supervisor and supervisor != os.getpid():
        threading.Thread(target=_watch, args=(supervisor,), daemon=True).start()
    app = create_app()
    app.state.settle_heap = True  # a long-running worker: freeze its start-up heap
    return app


def _watch(supervisor: int) -> None:
    while os.getppid() == supervisor:
        time.sleep(0.5)
    log.warning("the supervising process is gone: stopping", extra={"supervisor": supervisor})
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's graceful shutdown (lifespan closes)
    time.sleep(15.0)
    os._exit(1)  # a shutdown stuck on a dead dependency


def announce_when_serving(url: str, extra: dict[str, Any], timeout: float = 300.0) -> None:
    """Log "serving" once ``url``/health answers (the port accepts and an app serves)."""

    def wait() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1.0) as answer:
                    if answer.status == 200:
                        log.info("serving", extra={"url": url, "docs": f"{url}/docs", **extra})
                        return
            except OSError:
                pass
            time.sleep(0.1)
        log.error(f"not serving after {timeout:.0f} s", extra={"url": url})

    threading.Thread(target=wait, daemon=True, name="announce-serving").start()


def serve(factory: str, host: str, port: int, workers: int, log_level: str, **options: Any) -> None:
    """Serve ``factory`` (a ``module:function`` building the app) with ``workers`` processes."""
    os.environ[SUPERVISOR_ENV] = str(os.getpid())  # inherited by the workers
    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,  # api.middleware logs each request once, with its request id
        log_level=log_level,
        # A worker that misses the supervisor's ping this long is killed and replaced:
        # uvicorn's 5 s would replace healthy workers on a saturated 2-core machine.
        **{"timeout_worker_healthcheck": 30, **options},
    )
