"""Structured logging (structlog): JSON lines or readable ones with the request and trace
ids, and no ``extra`` key can crash a log call.

``logging`` raises KeyError for an ``extra`` key that names a LogRecord attribute
("created", "name", ...), but only when the level is enabled: a latent crash that
tests at WARNING never see. So the source is scanned for such keys.
"""

from __future__ import annotations

import ast
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from contexts.shared.logging import configure_logging, redact_url, wants_json

ROOT = Path(__file__).resolve().parents[2]
RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def sources() -> list[Path]:
    return [
        p
        for d in ("api", "actors", "workers", "engine", "cluster", "bench", "contexts")
        for p in sorted((ROOT / d).rglob("*.py"))
    ]


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_log_extra_key_shadows_a_record_attribute(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "extra" and isinstance(kw.value, ast.Dict):
                    keys = {k.value for k in kw.value.keys if isinstance(k, ast.Constant)}
                    assert not keys & RESERVED, f"line {node.lineno}: {keys & RESERVED}"


TRACE_ID, SPAN_ID = 0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Logging configured into a buffer; the previous root handlers restored after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield io.StringIO()
    root.handlers[:] = handlers
    root.setLevel(level)


def log_in_request_and_span(stream: io.StringIO, fmt: str) -> list[str]:
    configure_logging("info", fmt, stream=stream)
    span = NonRecordingSpan(SpanContext(TRACE_ID, SPAN_ID, False, TraceFlags(1)))
    bound = structlog.contextvars.bind_contextvars(request_id="r1")
    try:
        with trace.use_span(span):
            # "event" is an event id in our extras: it must not replace the message.
            extra = {"event": "e1", "_ray_note": 1, "color_message": "x"}  # Ray adds _ray_*
            logging.getLogger("api.test").info("hello world", extra=extra)
    finally:
        structlog.contextvars.reset_contextvars(**bound)
    logging.getLogger("api.test").warning("outside")
    return stream.getvalue().splitlines()


def test_json_lines_carry_request_and_trace_ids(captured: io.StringIO) -> None:
    inside, outside = (json.loads(line) for line in log_in_request_and_span(captured, "json"))
    assert inside["msg"] == "hello world" and inside["event"] == "e1"
    assert inside["level"] == "info" and inside["logger"] == "api.test"
    assert inside["request_id"] == "r1"
    assert inside["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert not any(k.startswith("_ray") or k == "color_message" for k in inside)
    assert "request_id" not in outside and "trace_id" not in outside  # unbound after


def test_console_lines_are_readable(captured: io.StringIO) -> None:
    inside, _ = log_in_request_and_span(captured, "console")
    assert "hello world" in inside and "request_id=r1" in inside and "event=e1" in inside
    assert "trace_id=0af7651916cd43dd8448eb211c80319c" in inside
    assert not inside.startswith("{") and "_ray" not in inside


def test_json_in_production_or_when_asked() -> None:
    assert wants_json("auto", "production") and wants_json("json", "development")
    assert not wants_json("auto", "development") and not wants_json("console", "production")


HOSTILE = "/v1/payments/\x00\x01\x1b[31m\r\nforged=1\u2028\x7f\x85"


def lines_of(stream: io.StringIO, fmt: str, emit: Any) -> list[str]:
    configure_logging("info", fmt, stream=stream)
    emit()
    return stream.getvalue().splitlines()


def every_way_of_logging() -> None:
    """A user value as an extra, as a %-argument (uvicorn's access log), a structlog
    key, a key name and the message itself."""
    stdlib = logging.getLogger("api.test")
    stdlib.info("request", extra={"path": HOSTILE, "nested": {"k": [HOSTILE]}})
    stdlib.info('%s - "GET %s HTTP/1.1" %d', "1.2.3.4", HOSTILE, 404)
    structlog.get_logger("api.test").info("bound", path=HOSTILE, **{HOSTILE: 1})
    stdlib.info(HOSTILE)


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_control_characters_of_user_values_are_escaped(captured: io.StringIO, fmt: str) -> None:
    lines = lines_of(captured, fmt, every_way_of_logging)
    assert len(lines) == 4, lines  # a CR/LF in a value did not start a forged line
    text = captured.getvalue()
    assert not any(c in text for c in "\x00\x01\x1b\r\x7f\x85\u2028"), repr(text)
    assert "\\x00\\x01\\x1b[31m" in text.replace("\\\\", "\\")  # JSON doubles the backslash
    if fmt == "json":
        first = json.loads(lines[0])
        assert (
            first["path"] == "/v1/payments/\\x00\\x01\\x1b[31m\\x0d\\x0aforged=1\\u2028\\x7f\\x85"
        )
        assert first["nested"] == {"k": [first["path"]]}
        assert json.loads(lines[1])["msg"] == f'1.2.3.4 - "GET {first["path"]} HTTP/1.1" 404'


def test_tracebacks_keep_their_lines_and_numbers_keep_their_type(captured: io.StringIO) -> None:
    def emit() -> None:
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("api.test").exception("failed", extra={"n": 3, "ok": True})

    line = json.loads(lines_of(captured, "json", emit)[0])
    assert (line["n"], line["ok"]) == (3, True)
    assert "\n" in line["exception"] and "ValueError: boom" in line["exception"]


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_tracebacks_are_cleaned_too(captured: io.StringIO, fmt: str) -> None:
    """A connection error that quotes its URL (and a client's bytes) in its message."""

    def emit() -> None:
        try:
            raise ConnectionError("cannot reach amqp://app:hunter2@mq:5672/ for /p\x00\x1b[2J")
        except ConnectionError:
            logging.getLogger("api.test").exception("broker down")

    text = "\n".join(lines_of(captured, fmt, emit))
    assert "hunter2" not in text and "amqp://app:***@mq:5672/" in text
    assert "\x00" not in text and "\x1b" not in text and "\\u0000" not in text
    assert "Traceback" in text


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_passwords_in_logged_urls_are_redacted(captured: io.StringIO, fmt: str) -> None:
    urls = {
        "amqp://guest:s3cr%40t@rabbit:5672/": "amqp://guest:***@rabbit:5672/",
        "mongodb://app:p@ss@db1,db2/?replicaSet=rs": "mongodb://app:***@db1,db2/?replicaSet=rs",
        "redis://:onlypass@cache:6379/0": "redis://:***@cache:6379/0",
        "http://host:8080/a?next=x@y": "http://host:8080/a?next=x@y",  # no credentials
    }

    def emit() -> None:
        for url in urls:
            logging.getLogger("api.test").warning("unreachable", extra={"amqp_url": url})
            logging.getLogger("api.test").warning("cannot reach %s", url)

    text = "\n".join(lines_of(captured, fmt, emit))
    for secret in ("s3cr", "p@ss", "onlypass"):
        assert secret not in text
    for redacted in urls.values():
        assert text.count(redacted) == 2, (redacted, text)
    assert redact_url("amqp://guest:guest@127.0.0.1:5672/") == "amqp://guest:***@127.0.0.1:5672/"
