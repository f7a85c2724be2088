"""Starting the systems under test as real servers (uvicorn, one worker each) for
the HTTP benchmark, and stopping them cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from api.settings import DEV_SECRET

ADMIN = ("bench-admin@example.com", "bench-admin-password")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A child process serving HTTP on ``port``; ``url`` once ``wait`` returned."""

    def __init__(self, args: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self._file = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            env={**os.environ, **env},
            stdout=self._file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait(self, path: str = "/health", timeout: float = 90.0) -> Server:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
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


def start_ours(data_dir: Path) -> Server:
    """Our API on its embedded defaults, as `make run` starts it (workers off, quiet logs)."""
    port = free_port()
    env = {
        "PORT": str(port),
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
    return Server(["-m", "api"], env, port, data_dir / "api.log").wait("/ready")


def start_baseline(data_dir: Path) -> Server:
    port = free_port()
    env = {"BASELINE_JWT_SECRET": DEV_SECRET}
    return Server(
        ["-m", "bench.baseline", "--port", str(port)], env, port, data_dir / "baseline.log"
    ).wait("/health")
