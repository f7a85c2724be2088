"""The "serving" line is logged once the port answers, not when the process starts (it
used to be logged seconds before: Ray, MongoDB and N processes start first)."""

from __future__ import annotations

import http.server
import logging
import socket
import threading
import time

import pytest

from api.serve import announce_when_serving, processes


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_serving_is_logged_only_once_health_answers(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    caplog.set_level(logging.INFO, logger="api")
    announce_when_serving(url, {"processes": 2}, timeout=60)
    # Nothing listens yet: a few polls come and go without a "serving" line.
    polls_until = time.monotonic() + 0.5
    while time.monotonic() < polls_until:
        assert not [r for r in caplog.records if r.getMessage() == "serving"]
        time.sleep(0.05)
    server = http.server.HTTPServer(("127.0.0.1", port), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        deadline = time.monotonic() + 30
        while not [r for r in caplog.records if r.getMessage() == "serving"]:
            assert time.monotonic() < deadline, "never announced"
            time.sleep(0.05)
        (record,) = [r for r in caplog.records if r.getMessage() == "serving"]
        assert record.url == url and record.processes == 2  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def test_api_processes_zero_means_one_per_core() -> None:
    assert processes(3) == 3
    assert processes(0) >= 1
