"""ASGI middleware: request ids, access logs, request metrics and the body size limit.

Pure ASGI (not BaseHTTPMiddleware) so streaming bodies are counted as they arrive
and nothing is buffered twice.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

import structlog
from prometheus_client import Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("api.access")

REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


# Metric children by labels: ``labels()`` takes a lock and builds a key per call, which
# profiled at a few percent of a reserve. Routes are templates, so this stays small.
_CHILDREN: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _children(method: str, route: str, status: int) -> tuple[Any, Any]:
    key = (method, route, status)
    found = _CHILDREN.get(key)
    if found is None:
        found = (REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route))
        if len(_CHILDREN) < 10_000:  # bounded, whatever the status codes seen
            _CHILDREN[key] = found
    return found


def _header(scope: Scope, name: bytes, default: Any = b"") -> Any:
    """The last value of header ``name`` (lower case; the last, as ``dict(headers)`` gave
    before), without building a dict per request."""
    found = default
    for key, value in scope.get("headers") or ():
        if key == name:
            found = value
    return found


class RequestContextMiddleware:
    """Gives every request an id (kept from ``X-Request-ID`` if sane), logs and counts it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id").decode("latin-1")
        request_id = given if 0 < len(given) <= 64 and given.isprintable() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        # Every log line of this request carries its id (contexts.shared.logging merges
        # contextvars).
        bound = structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            counted, timed = _children(scope["method"], route, status)
            counted.inc()
            timed.observe(elapsed)
            if log.isEnabledFor(logging.INFO):  # the access log is off under LOG_LEVEL=warning
                log.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "ms": round(elapsed * 1000, 2),
                    },
                )
            structlog.contextvars.reset_contextvars(**bound)


class BodyLimitMiddleware:
    """Refuses bodies over ``max_bytes`` with a 413 problem, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length", None)
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge(self.max_bytes)
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": "Content Too Large",
            "status": 413,
            "detail": f"The request body is over {self.max_bytes} bytes.",
            "code": "payload_too_large",
            "instance": scope["path"],
        }
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


class _TooLarge(HTTPException):
    """A streamed body went over the limit. An ``HTTPException`` because FastAPI turns any
    other exception raised while it reads a body into a 400 ("error parsing the body"):
    this one it re-raises, and the app's problem handler renders it (with this ``code``,
    the same as a declared oversized body's). Bodies read outside FastAPI's parsing
    propagate it here, to ``BodyLimitMiddleware``."""

    code = "payload_too_large"

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The request body is over {max_bytes} bytes.")
