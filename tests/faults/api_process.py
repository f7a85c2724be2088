"""The API as a process of its own (``python -m api``, uvicorn), on the test's MongoDB,
Ray namespace, queues and localstripe, so a scenario can kill it and start it again."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx
import ray

from contexts.shared.settings import Settings
from tests.integration.payments_support import free_port

ROOT = Path(__file__).resolve().parents[2]


class ApiProcess:
    """``with ApiProcess(settings, log) as url``; ``kill()`` then ``start()`` to restart."""

    def __init__(self, settings: Settings, log: Path, **extra: str) -> None:
        self.settings, self.log, self.port = settings, log, free_port()
        self.extra = extra  # more environment (API_PROCESSES=2, RUN_WORKERS=true ...)
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        s = self.settings
        return {
            **os.environ,
            "PORT": str(self.port),
            "MONGODB_URL": str(s.mongodb_url),
            "MONGODB_DB_PREFIX": s.mongodb_db_prefix,
            "RAY_ADDRESS": ray.get_runtime_context().gcs_address,  # the test's Ray
            "RAY_NAMESPACE": s.ray_namespace,
            "AMQP_QUEUE_PREFIX": s.amqp_queue_prefix,
            "STRIPE_API_BASE": s.stripe_api_base,
            "DATA_DIR": str(s.data_dir),
            "JOURNAL_URL": s.effective_journal_url,
            "RUN_WORKERS": "false",  # the test's in-process worker pays
            "DEV_SERVERS": "false",
            "RESERVE_RATE_PER_USER": "0",
            "RESERVE_RATE_PER_IP": "0",
            "AUTH_RATE_PER_IP": "0",
            **self.extra,
        }

    def workers(self) -> list[int]:
        """The pids of the API processes under the supervisor (uvicorn's workers)."""
        assert self.proc is not None
        tasks = Path(f"/proc/{self.proc.pid}/task").glob("*/children")
        pids = [int(p) for task in tasks for p in task.read_text().split()]
        return [p for p in pids if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]

    def start(self, timeout: float = 120.0) -> float:
        """Start and wait until /health answers; the seconds it took."""
        started = time.monotonic()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "api"], cwd=ROOT, env=self.env(), stdout=out, stderr=out
            )
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() - started > timeout:
                self.kill()  # never leave a half-started system (and its Ray) behind
                raise RuntimeError(f"the API did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.2)

    def kill(self) -> None:
        """kill -9: no graceful shutdown, requests in flight are cut (its API processes
        see their parent gone and stop; the port is free once they have)."""
        if self.proc is not None and self.proc.poll() is None:
            workers = self.workers()
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)
            for pid in workers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)  # cut like their parent, not drained

    def stop(self, timeout: float = 60.0) -> None:
        """What Ctrl-C does: a graceful stop of everything it started."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout)

    def __enter__(self) -> str:
        self.start()
        return self.url

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
