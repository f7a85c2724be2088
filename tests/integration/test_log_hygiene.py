"""What a client sends does not reach the log raw: a request path with NUL bytes and
control characters is escaped in the line the request writes (real app over ASGI)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from contexts.shared.logging import configure_logging
from tests.integration.api_support import Api, api
from tests.integration.ray_support import ray_local

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")


async def test_control_characters_in_a_request_path_are_escaped_in_the_log(api: Api) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("info", "json", stream=stream)
    try:
        answer = await api.client.get("/v1/payments/%00%01%1b%0d%0aforged")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert answer.status_code in (401, 404), answer.text
    text = stream.getvalue()
    assert "\\u0000" not in text and "\x00" not in text  # no NUL, raw or JSON-escaped
    requests = [json.loads(line) for line in text.splitlines() if '"msg": "request"' in line]
    assert [r["path"] for r in requests] == ["/v1/payments/\\x00\\x01\\x1b\\x0d\\x0aforged"]
