"""Sending one signed webhook request: the ``Sender`` port and its httpcore adapter.

The adapter connects only to addresses the SSRF guard allows, checked at connection
time (``contexts.webhooks.pinned``); it never follows redirects (a redirect could
point a delivery elsewhere) and bounds every request, so a slow receiver costs one
timeout, not a stuck consumer. What went wrong is logged here in detail, but the
organiser reads only a generic reason in the delivery log: otherwise "connection
refused" vs "timed out" per host and port would make webhooks a port scanner.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import httpcore

from contexts.webhooks.pinned import GuardedBackend, Resolver, UnsafeAddress

log = logging.getLogger(__name__)
USER_AGENT = "ticketing-webhooks/1"
NOT_PUBLIC = "refused: the receiver's host does not resolve to a public address"
NO_ANSWER = "no answer from the receiver (connection failed or timed out)"


@dataclass(frozen=True, slots=True)
class Response:
    """What a receiver answered (``status_code`` None: no answer) and how fast."""

    status_code: int | None
    latency_ms: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Sender(Protocol):
    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Response:
        """POST ``body``; never raises for a receiver's failure (it is in the Response)."""
        ...

    async def close(self) -> None: ...


class HttpxSender:
    """Webhook requests over one pooled httpcore connection pool (httpx's own
    transport layer, used directly: its network backend is where the guard sits).

    ``allow_internal`` (development and tests) lets loopback and private receivers
    through; ``resolver`` and ``ssl_context`` are injection points for tests."""

    def __init__(
        self,
        timeout_s: float = 10.0,
        allow_internal: bool = False,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.timeout_s = timeout_s
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or ssl.create_default_context(),
            network_backend=GuardedBackend(resolver, allow_internal),
            max_connections=100,
            keepalive_expiry=5.0,
        )

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Response:
        started = time.perf_counter()
        all_headers = {"User-Agent": USER_AGENT, **headers}
        timeouts = dict.fromkeys(("connect", "read", "write", "pool"), self.timeout_s)
        error: str | None = None
        status: int | None = None
        try:
            async with asyncio.timeout(self.timeout_s):  # the whole request, not each step
                async with self._pool.stream(
                    "POST",
                    url,
                    headers=list(all_headers.items()),
                    content=body,
                    extensions={"timeout": timeouts},
                ) as answer:
                    status = answer.status  # the body is not read: only the status counts
        except UnsafeAddress as exc:
            error = NOT_PUBLIC
            detail = str(exc)
        except (httpcore.UnsupportedProtocol, httpcore.LocalProtocolError) as exc:
            error, detail = "the URL cannot be requested", repr(exc)
        except (httpcore.NetworkError, httpcore.TimeoutException, TimeoutError) as exc:
            error, detail = NO_ANSWER, repr(exc)
        except httpcore.ProtocolError as exc:
            error, detail = "the receiver's answer is not valid HTTP", repr(exc)
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        if error is not None:
            log.info("webhook not sent", extra={"host": urlsplit(url).hostname, "detail": detail})
        return Response(status, elapsed, error)

    async def close(self) -> None:
        await self._pool.aclose()
