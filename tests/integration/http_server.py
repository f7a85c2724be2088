"""The app served over real HTTP: uvicorn on a free port, in a thread of the test process.

For what an in-process ASGI client cannot do: a browser (tests/e2e) and streamed
responses read as they come (httpx's ASGI transport buffers a response whole). The
app's lifespan runs in the server's own event loop; Ray, started by the test process,
is shared with it.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

START_TIMEOUT_S = 120.0


class ServerThread:
    """uvicorn serving ``app`` on a pre-bound socket, in a daemon thread; the context
    manager yields the base URL and stops the server (lifespan shutdown) on exit."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            lifespan="on",
            log_level="warning",
            access_log=False,
            # Open event streams must not hold the shutdown for their whole lifetime.
            timeout_graceful_shutdown=5,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the API server stopped during startup (see its logs)")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the API server did not start in {START_TIMEOUT_S:.0f} s")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(60)
        self.sock.close()
