"""The embedded MongoDB: mongoeco's wire server over one SQLite file, in a subprocess.

Used when ``MONGODB_URL`` is not set (``make run``, tests). mongoeco ships the wire
server as a library class (``mongoeco.wire.AsyncMongoEcoProxyServer``) but no CLI, so
this module is also the server's entry point::

    python -m actors.mongo_embedded --db DATA_DIR/mongo.sqlite --port PORT

A subprocess rather than a thread: tests stop it to simulate an outage and restart it
on the same port and file, and its SQLite work never competes with our event loop.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

DB_FILE = "mongo.sqlite"
READY = b"mongoeco listening on"


class EmbeddedMongo:
    """One mongoeco server process on 127.0.0.1, its data in ``data_dir/mongo.sqlite``."""

    def __init__(self, data_dir: Path, port: int | None = None, start_timeout: float = 20.0):
        self.data_dir = Path(data_dir)
        self.port = port  # chosen on first start, then kept so restart() reuses it
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_start = 0

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the embedded MongoDB has not been started")
        return f"mongodb://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "mongo.log"

    def start(self) -> str:
        """Start the server (if not running) and return its URL once it answers a ping."""
        if self._proc is not None and self._proc.poll() is None:
            return self.url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.port is not None:
            self._spawn()
            return self.url
        for attempt in range(3):  # a port found free may be taken before the child binds
            self.port = _free_port()
            try:
                self._spawn()
                return self.url
            except RuntimeError:
                self.port = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _spawn(self) -> None:
        # The repo root on PYTHONPATH: `-m actors.mongo_embedded` works from any cwd.
        root = str(Path(__file__).resolve().parents[1])
        path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "actors.mongo_embedded"]
        command += ["--db", str(self.data_dir / DB_FILE), "--port", str(self.port)]
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        # A log file, not a pipe: nobody drains a pipe, and a full one would block the server.
        # A session of its own: a terminal's Ctrl-C reaches `python -m api`, which stops
        # the API processes before this server (they still use it while shutting down).
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                command,
                stdout=log,
                stderr=log,
                env={**os.environ, "PYTHONPATH": path},
                start_new_session=True,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while not self._answers():
            assert self._proc is not None
            if self._proc.poll() is not None:
                code, self._proc = self._proc.returncode, None
                raise RuntimeError(f"mongoeco exited with code {code}: {self._log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"mongoeco did not answer on {self.url} within {self.start_timeout}s: "
                    f"{self._log_tail()}"
                )
            time.sleep(0.05)

    def _answers(self) -> bool:
        # Our ready line first: a ping alone could be answered by another server on the port.
        if READY not in self.log_path.read_bytes()[self._log_start :]:
            return False
        from pymongo import MongoClient  # imported late: nothing connects at import time

        client: MongoClient = MongoClient(self.url, serverSelectionTimeoutMS=250)
        try:
            client.admin.command("ping")
            return True
        except Exception:
            return False
        finally:
            client.close()

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate (the server closes its SQLite file), then kill if it does not exit."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)

    def restart(self) -> str:
        """Stop and start again on the same port and file."""
        self.stop()
        return self.start()

    def _log_tail(self, size: int = 2000) -> str:
        try:
            return self.log_path.read_bytes()[-size:].decode(errors="replace").strip()
        except OSError:
            return "(no log)"

    def __enter__(self) -> EmbeddedMongo:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def mongodb_url(settings_url: str | None, data_dir: Path) -> tuple[str, EmbeddedMongo | None]:
    """``MONGODB_URL`` untouched when set; else a started embedded server (stop it on exit)."""
    if settings_url:
        return settings_url, None
    server = EmbeddedMongo(Path(data_dir))
    return server.start(), server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _serve(db: str, port: int) -> None:
    import asyncio
    import signal

    from mongoeco.engines.sqlite import SQLiteEngine
    from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

    from actors.mongoeco_shims import apply_insert_scan_shim

    # Before the engine exists; raises (the server does not start) on another mongoeco.
    # TICKETING_MONGOECO_SHIM=off runs mongoeco as shipped: only to measure its defect.
    if os.environ.get("TICKETING_MONGOECO_SHIM", "on") == "off":
        shim = "WARNING: mongoeco shims OFF (TICKETING_MONGOECO_SHIM=off): O(n) inserts"
    else:
        from actors.mongoeco_dispatch import apply_no_change_feed_shim
        from actors.mongoeco_inline import apply_inline_execution_shim
        from actors.mongoeco_readers import apply_reader_pool_shim

        shim = apply_insert_scan_shim()
        apply_no_change_feed_shim()  # this server only: nobody can watch over the wire
        apply_inline_execution_shim()  # this server only: its SQLite work was serial anyway
        apply_reader_pool_shim()  # this server only: cursors' connections reused
        shim += "; no change feed (the wire server opens no change stream); SQLite inline"
        shim += "; reader connections pooled"
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    parent = os.getppid()
    engine = SQLiteEngine(db, executor_workers=1)
    counts_file = os.environ.get(COUNTS_ENV)
    async with AsyncMongoEcoProxyServer(engine=engine, host="127.0.0.1", port=port) as server:
        counter = CommandCounter(server, Path(counts_file)) if counts_file else None
        print(shim, flush=True)
        print(f"mongoeco listening on 127.0.0.1:{port}, file {db}", flush=True)
        # Exit with our parent too: a crashed test run must not leave servers behind.
        while os.getppid() == parent and not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
            if counter is not None:
                counter.flush()


COUNTS_ENV = "MONGOECO_COMMAND_COUNTS"


class CommandCounter:
    """Counts the commands the server executes, by ``db.collection command``, and writes
    them as JSON to ``path`` (at most once a second, when they changed).

    Opt-in (``MONGOECO_COMMAND_COUNTS=path``, inherited from the API process): the
    purchase benchmark reads it for MongoDB operations per order. Counting here, on the
    server, sees every client at once (API processes, workers) whatever process layout
    runs them: the sum a pymongo CommandListener would see in each of them.
    """

    def __init__(self, server: Any, path: Path) -> None:
        self.path = path
        self.counts: dict[str, int] = {}
        self._written: dict[str, int] = {}
        executor = server._executor  # mongoeco 4.11.0, pinned with the shims
        execute = executor.execute_prepared

        async def counted(context: Any) -> Any:
            target = context.command_document.get(context.command_name)
            key = f"{context.db_name}.{target if isinstance(target, str) else ''} "
            key += context.command_name
            self.counts[key] = self.counts.get(key, 0) + 1
            return await execute(context)

        executor.execute_prepared = counted

    def flush(self) -> None:
        if self.counts == self._written:
            return
        self._written = dict(self.counts)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._written, sort_keys=True))
        os.replace(tmp, self.path)  # readers never see half a file


if __name__ == "__main__":
    import argparse
    import asyncio

    parser = argparse.ArgumentParser(description="mongoeco wire server on a SQLite file")
    parser.add_argument("--db", required=True, help="SQLite file")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(_serve(args.db, args.port))
