"""Sending one signed webhook request: the ``Sender`` port and its httpx adapter.

The adapter never follows redirects (a redirect could point a delivery at an
internal address the subscription check refused) and bounds every request, so a
slow receiver costs one timeout, not a stuck consumer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

import httpx


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
    """Webhook requests over one pooled httpx client."""

    def __init__(self, timeout_s: float = 10.0) -> None:
        self._client = httpx.AsyncClient(
            timeout=timeout_s,
            follow_redirects=False,
            headers={"User-Agent": "ticketing-webhooks/1"},
        )

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Response:
        started = time.perf_counter()
        try:
            answer = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            elapsed = (time.perf_counter() - started) * 1000
            return Response(None, round(elapsed, 3), f"{type(exc).__name__}: {exc}"[:300])
        elapsed = (time.perf_counter() - started) * 1000
        return Response(answer.status_code, round(elapsed, 3))

    async def close(self) -> None:
        await self._client.aclose()
