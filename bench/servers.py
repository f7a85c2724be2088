"""Starting the systems under test as real servers, all served the same way, and
stopping them cleanly.

Our API, the bare ceiling app and the PostgreSQL baseline all run under uvicorn with
the same number of processes (``processes``: API_PROCESSES, default one per core),
log level warning and no access log, so their figures compare like for like.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from contexts.shared.settings import DEV_SECRET

ADMIN = ("bench-admin@example.com", "bench-admin-password")


def api_serves_processes() -> bool:
    """Whether `python -m api` runs API_PROCESSES processes (else it serves one)."""
    from contexts.shared.settings import Settings

    return "api_processes" in Settings.model_fields


def api_processes() -> int:
    """How many processes every server under test gets: API_PROCESSES (0 or unset: one
    per core), or 1 where `python -m api` serves a single process, so all sides match."""
    if not api_serves_processes():
        return 1
    return int(os.environ.get("API_PROCESSES") or 0) or os.cpu_count() or 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A child process (its own session) serving HTTP on ``port``; ready once ``wait`` returned."""

    def __init__(
        self, args: list[str], env: dict[str, str], port: int, log: Path, processes: int = 1
    ) -> None:
        self.port = port
        self.processes = processes
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self._file = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            env={**os.environ, **env},
            stdout=self._file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its session id names every process it starts (bench.cpu)
        )

    def wait(self, path: str = "/health", timeout: float = 120.0) -> Server:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)  # polling a port that is not open yet; bounded by the deadline
        raise RuntimeError(f"server not ready after {timeout} s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the group: uvicorn and its children
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._file.close()


def start_ours(data_dir: Path, processes: int) -> Server:
    """Our API on its embedded defaults, as `make run` starts it (workers off, quiet logs).

    Buyers' tokens are minted with JWT_SECRET (cluster.loadtest.setup.mint_tokens), so no
    buyer logs in and the login limit (AUTH_RATE_PER_IP, 30/min) is never reached; the
    reserve rate limits are off (0) so the sale itself decides every answer.
    """
    port = free_port()
    env = {
        "PORT": str(port),
        "API_PROCESSES": str(processes),
        "DATA_DIR": str(data_dir),
        "LOG_LEVEL": "warning",
        "RUN_WORKERS": "false",
        "RESERVE_RATE_PER_USER": "0",
        "RESERVE_RATE_PER_IP": "0",
        "BOOTSTRAP_ADMIN_EMAIL": ADMIN[0],
        "BOOTSTRAP_ADMIN_PASSWORD": ADMIN[1],
        "JWT_SECRET": DEV_SECRET,
        "RAY_NAMESPACE": f"bench{port}",
    }
    log = data_dir / f"api-{port}.log"
    return Server(["-m", "api"], env, port, log, processes).wait("/ready")


def start_baseline(data_dir: Path, processes: int) -> Server:
    port = free_port()
    env = {"BASELINE_JWT_SECRET": DEV_SECRET}
    args = ["-m", "bench.baseline", "--port", str(port), "--workers", str(processes)]
    return Server(args, env, port, data_dir / "baseline.log", processes).wait("/health")


def start_ceiling(data_dir: Path, processes: int) -> Server:
    port = free_port()
    env = {"CEILING_JWT_SECRET": DEV_SECRET}
    args = ["-m", "bench.ceiling", "--port", str(port), "--workers", str(processes)]
    return Server(args, env, port, data_dir / "ceiling.log", processes).wait("/health")
