"""The `make run` supervisor: local SMTP and localstripe as child processes, no orphans."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import stripe

from api.devstack import ROOT, DevStack, port_open
from contexts.shared.settings import Settings
from tests.integration.api_support import delete_worker_queues
from tests.integration.notify_support import free_port


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie left for a non-reaping init counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False


def wait_gone(pids: list[int], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids):
        assert time.monotonic() < deadline, f"still running: {[p for p in pids if alive(p)]}"
        time.sleep(0.1)


def local_settings(tmp_path: Path, **overrides: object) -> Settings:
    values = {
        "data_dir": tmp_path,
        "smtp_port": free_port(),
        "stripe_api_base": f"http://127.0.0.1:{free_port()}",
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[DevStack]:
    devstack = DevStack.from_settings(local_settings(tmp_path))
    try:
        yield devstack
    finally:
        devstack.stop()


def test_starts_smtp_and_localstripe_then_stops_them(stack: DevStack, tmp_path: Path) -> None:
    stack.start()
    pids = stack.pids()
    smtp, stripe_server = stack.services
    assert len(pids) == 2 and all(alive(p) for p in pids)
    with smtplib.SMTP(smtp.host, smtp.port) as client:
        client.sendmail("shop@example.com", ["ann@example.com"], "Subject: Hi\r\n\r\nHello")
    [saved] = list((tmp_path / "mail").glob("*.eml"))
    assert b"Subject: Hi" in saved.read_bytes()
    # The real Stripe SDK against it, as the payments worker uses it.
    client = stripe.StripeClient(
        "sk_test_devstack", base_addresses={"api": f"http://127.0.0.1:{stripe_server.port}"}
    )
    customer = client.v1.customers.create({"email": "ann@example.com"})
    assert customer.id.startswith("cus_")
    stack.stop()
    wait_gone(pids, timeout=1.0)  # stop() waited for them
    # Its state, in our data directory: saved on a debounce, and at the latest on stop.
    assert (tmp_path / "localstripe.pickle").exists()
    assert not port_open(smtp.host, smtp.port) and not port_open("127.0.0.1", stripe_server.port)


def test_a_taken_port_is_skipped_with_a_clear_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stack = DevStack.from_settings(local_settings(tmp_path, smtp_port=port))
        with caplog.at_level(logging.INFO, logger="devstack"), stack:
            assert [s.name for s in stack.services if s.proc] == ["localstripe"]
        assert f"smtp: port {port} already in use" in caplog.text


def test_settings_pointing_elsewhere_start_nothing(tmp_path: Path) -> None:
    remote = local_settings(
        tmp_path, smtp_host="smtp.example.com", stripe_api_base="https://api.stripe.com"
    )
    assert DevStack.from_settings(remote).services == []
    assert DevStack.from_settings(local_settings(tmp_path, dev_servers=False)).services == []


SUPERVISOR = """
import sys, time
from api.devstack import DevStack
from contexts.shared.settings import Settings
s = Settings(data_dir=sys.argv[1], smtp_port=int(sys.argv[2]), stripe_api_base=sys.argv[3])
stack = DevStack.from_settings(s)
stack.start()
print(*stack.pids(), flush=True)
time.sleep(300)
"""


def test_children_exit_when_their_parent_is_killed(tmp_path: Path) -> None:
    settings = local_settings(tmp_path)
    args = [str(tmp_path), str(settings.smtp_port), settings.stripe_api_base]
    parent = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(alive(p) for p in pids)
        parent.kill()  # SIGKILL: no cleanup code runs in the parent
        parent.wait()
        wait_gone(pids, timeout=10.0)  # each child notices within a second
    finally:
        parent.kill()


def test_python_m_api_runs_the_whole_stack_and_leaves_nothing(tmp_path: Path) -> None:
    """What `make run` starts: the API, SMTP, localstripe and the in-process workers."""
    settings = local_settings(tmp_path, port=free_port())
    prefix = f"devstack-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "PORT": str(settings.port),
        "DATA_DIR": str(tmp_path),
        "SMTP_PORT": str(settings.smtp_port),
        "STRIPE_API_BASE": settings.stripe_api_base,
        "AMQP_QUEUE_PREFIX": prefix,
        "MONGODB_DB_PREFIX": prefix.replace("-", "_"),
    }
    log_path = tmp_path / "api.log"
    with log_path.open("wb") as log:
        api = subprocess.Popen(
            [sys.executable, "-m", "api"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    try:
        # A Ray head, MongoDB, the dev servers, then N API processes: minutes on a
        # saturated 2-core machine (about 20 s on a quiet one).
        deadline = time.monotonic() + 300
        while not _healthy(settings.port):
            assert api.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.3)
        children = [int(p) for p in subprocess.check_output(["pgrep", "-P", str(api.pid)]).split()]
        assert port_open("127.0.0.1", settings.smtp_port)
        assert "workers running" in log_path.read_text()
        api.send_signal(signal.SIGINT)  # Ctrl-C
        assert api.wait(120) == 0
        wait_gone(children, timeout=10.0)
    finally:
        api.kill()
        asyncio.run(delete_worker_queues(Settings(amqp_queue_prefix=prefix)))


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
