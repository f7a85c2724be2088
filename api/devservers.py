"""The local servers `make run` starts next to the API, each as a child process::

    python -m api.devservers smtp --port 8025 --mail-dir var/mail --parent PID
    python -m api.devservers localstripe --port 8420 --state var/localstripe.pickle --parent PID

``smtp`` is an aiosmtpd server that accepts every message, saves it as an ``.eml``
file and logs one line for it (developers read their mail there). ``localstripe`` is
the Stripe stand-in, bound to 127.0.0.1 and keeping its state in our data directory
(upstream writes a fixed /tmp file, which two runs would share), saved on a debounce
(``--save-interval``, and at shutdown) by a forked child (``api.localstripe_store``)
instead of upstream's whole-store pickle after every write, and its lists read one
type's objects, not the whole store (``api.localstripe_shims``);
``GET /_config/ticketing/stats`` counts its requests by endpoint (the Stripe calls a
benchmark makes) and its saves. Both exit when their parent does, even if it was
killed: ``--parent`` is polled (no orphans).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import logging
import os
import signal
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

log = logging.getLogger("devstack.smtp")


class MailSaver:
    """An aiosmtpd handler: accepts every message, saves it (``mail_dir``) and/or keeps it."""

    def __init__(self, mail_dir: Path | None = None, keep: bool = False) -> None:
        self.mail_dir = mail_dir
        self.keep = keep
        self.received: list[EmailMessage] = []
        self._counter = itertools.count(1)
        if mail_dir is not None:
            mail_dir.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(
        self, server: Any, session: Any, envelope: Any
    ) -> str:  # aiosmtpd names the hook so
        raw: bytes = envelope.original_content or envelope.content
        mail = message_from_bytes(raw, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        where = "-"
        if self.mail_dir is not None:
            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
            path = self.mail_dir / f"{stamp}-{os.getpid()}-{next(self._counter):05d}.eml"
            path.write_bytes(raw)
            where = str(path)
        if self.keep:
            self.received.append(mail)
        log.info(
            "mail received",
            extra={"to": ",".join(envelope.rcpt_tos), "subject": mail["Subject"], "file": where},
        )
        return "250 Message accepted for delivery"


def watch_parent(parent: int, on_gone: Any) -> None:
    """Call ``on_gone`` once the process that started us is gone (checked twice a second)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        on_gone()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def serve_smtp(host: str, port: int, mail_dir: Path, parent: int) -> None:
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP verb otherwise
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    watch_parent(parent, stop.set)
    controller = Controller(MailSaver(mail_dir), hostname=host, port=port)
    controller.start()
    log.info("smtp server listening", extra={"address": f"{host}:{port}", "mail_dir": mail_dir})
    try:
        while not stop.wait(1.0):
            pass
    finally:
        controller.stop()


def request_key(method: str, path: str) -> str:
    """``POST /v1/payment_intents/{id}/confirm``: a request's endpoint, ids folded."""
    parts = [("{id}" if i in (3, 5) else p) for i, p in enumerate(path.split("/"))]
    return f"{method} {'/'.join(parts)}"


def serve_localstripe(
    host: str, port: int, state: Path, parent: int, save_interval: float = 1.0
) -> None:
    import asyncio
    from collections import Counter

    from aiohttp import web
    from localstripe import resources, server

    from api.localstripe_shims import apply_list_index_shim
    from api.localstripe_store import DebouncedStore

    saver = DebouncedStore(state, save_interval)
    requests: Counter[str] = Counter()
    store = resources.store
    resources.Store.try_load_from_disk = lambda self: saver.load(self)
    resources.Store.dump_to_disk = lambda self: saver.mark(self)  # every write path calls it
    # Lists read one type's objects, not the whole store (api/localstripe_shims.py).
    apply_list_index_shim(resources)
    store.try_load_from_disk()

    @web.middleware
    async def count_requests(request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith("/_config/"):
            requests[request_key(request.method, request.path)] += 1
        return await handler(request)

    async def stats(request: web.Request) -> web.Response:
        # For benchmarks and tests: Stripe calls by endpoint, and how often we pickled.
        return web.json_response(
            {
                "requests": dict(requests),
                "dumps": saver.dumps,
                "dirty": saver.dirty or saver.saving,  # changes not yet on disk
                "last_save_s": saver.last_save_s,
            }
        )

    async def flusher(app: web.Application) -> Any:
        task = asyncio.create_task(saver.run(store))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    server.app.middlewares.insert(0, count_requests)
    server.app.router.add_get("/_config/ticketing/stats", stats)
    server.app.cleanup_ctx.append(flusher)
    # SIGTERM to ourselves: aiohttp's run_app turns it into a graceful exit.
    watch_parent(parent, lambda: os.kill(os.getpid(), signal.SIGTERM))
    web.run_app(server.app, host=host, port=port, print=None)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m api.devservers")
    parser.add_argument("server", choices=["smtp", "localstripe"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mail-dir", type=Path, default=Path("var/mail"))
    parser.add_argument("--state", type=Path, default=Path("var/localstripe.pickle"))
    parser.add_argument("--parent", type=int, default=os.getppid())
    parser.add_argument(
        "--save-interval",
        type=float,
        default=float(os.environ.get("LOCALSTRIPE_SAVE_INTERVAL", "1.0")),
        help="localstripe: seconds between saves (0: after every write, as upstream does)",
    )
    args = parser.parse_args()
    from contexts.shared.logging import configure_logging

    configure_logging(os.environ.get("LOG_LEVEL", "info"))
    if args.server == "smtp":
        serve_smtp(args.host, args.port, args.mail_dir, args.parent)
    else:
        args.state.parent.mkdir(parents=True, exist_ok=True)
        serve_localstripe(args.host, args.port, args.state, args.parent, args.save_interval)


if __name__ == "__main__":
    main()
