"""The local stack `make run` needs besides the API: an SMTP server and localstripe.

``python -m api`` wraps uvicorn in ``DevStack.from_settings(settings)``: each server
whose setting points at this machine (``SMTP_HOST``, ``STRIPE_API_BASE``) is started
as a child process (``api.devservers``), unless its port already answers (a previous
run's server, or the developer's own: used as is). Settings that point elsewhere start
nothing. Children run in their own process group, are stopped (SIGTERM, then SIGKILL)
when the API exits, and stop by themselves if the API is killed outright.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlparse

log = logging.getLogger("devstack")

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
ROOT = Path(__file__).resolve().parents[1]


def port_open(host: str, port: int, timeout: float = 0.3) -> bool:
    """Whether something accepts connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@dataclass
class Service:
    """One child server: ``python -m api.devservers <args>``, ready once its port answers."""

    name: str
    host: str
    port: int
    args: list[str]
    log_file: Path | None = None  # None: the API's stderr (the SMTP server's mail lines)
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)


class DevStack:
    """Starts and stops the local servers; a context manager around the API's life."""

    def __init__(self, services: list[Service], start_timeout: float = 30.0) -> None:
        self.services = services
        self.start_timeout = start_timeout

    @classmethod
    def from_settings(cls, settings: Any) -> DevStack:
        """The servers these settings call for (none when ``DEV_SERVERS`` is false)."""
        if not settings.dev_servers:
            return cls([])
        data = Path(settings.data_dir).resolve()
        services = []
        if settings.smtp_host in LOCAL_HOSTS:
            host, port = "127.0.0.1", settings.smtp_port
            services.append(Service("smtp", host, port, ["--mail-dir", str(data / "mail")]))
        stripe = urlparse(settings.stripe_api_base)
        if stripe.hostname in LOCAL_HOSTS:
            port = stripe.port or (443 if stripe.scheme == "https" else 80)
            state = ["--state", str(data / "localstripe.pickle")]
            log_file = data / "logs" / "localstripe.log"  # an access log line per request
            services.append(Service("localstripe", "127.0.0.1", port, state, log_file))
        return cls(services)

    def start(self) -> None:
        """Start every service whose port is free; a failure is logged, never fatal."""
        for service in self.services:
            if port_open(service.host, service.port):
                log.warning(
                    f"{service.name}: port {service.port} already in use (a previous run?): "
                    "not starting one, using whatever answers there",
                    extra={"service": service.name, "port": service.port},
                )
                continue
            try:
                self._spawn(service)
            except RuntimeError as exc:
                log.error(str(exc), extra={"service": service.name})
                self._stop(service)

    def _spawn(self, service: Service) -> None:
        command = [sys.executable, "-m", "api.devservers", service.name]
        command += ["--host", service.host, "--port", str(service.port)]
        command += [*service.args, "--parent", str(os.getpid())]
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        out = None
        if service.log_file is not None:
            service.log_file.parent.mkdir(parents=True, exist_ok=True)
            out = service.log_file.open("ab")
        try:
            # A session of its own: a terminal's Ctrl-C reaches the API only, which then
            # stops the children in order; killpg reaches anything a child started.
            service.proc = subprocess.Popen(
                command,
                stdout=out,
                stderr=out,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env={**os.environ, "PYTHONPATH": path},
            )
        finally:
            if out is not None:
                out.close()  # the child holds its own descriptor
        deadline = time.monotonic() + self.start_timeout
        while not port_open(service.host, service.port):
            if service.proc.poll() is not None:
                raise RuntimeError(f"{service.name} exited with {service.proc.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{service.name} did not listen within {self.start_timeout}s")
            time.sleep(0.05)
        where = f" (log: {service.log_file})" if service.log_file else ""
        log.info(
            f"{service.name} started on {service.host}:{service.port}{where}",
            extra={"service": service.name, "pid": service.proc.pid},
        )

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every child this stack started (SIGTERM, then SIGKILL after ``timeout``)."""
        for service in reversed(self.services):
            self._stop(service, timeout)

    @staticmethod
    def _stop(service: Service, timeout: float = 5.0) -> None:
        proc, service.proc = service.proc, None
        if proc is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)  # its group: the child and anything it started
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout)
                break
            except subprocess.TimeoutExpired:
                continue
        proc.poll()
        log.info(f"{service.name} stopped", extra={"service": service.name})

    def pids(self) -> list[int]:
        return [s.proc.pid for s in self.services if s.proc is not None]

    def __enter__(self) -> DevStack:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
