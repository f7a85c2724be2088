"""The load tester's setup and audit calls: each checks its answer and says what the server said.

The buyers' own requests (cluster.loadtest.scenario) count every answer instead; the
calls here prepare and check a run, so an unexpected answer stops it with a message
(``LoadTestError``), never a traceback. A 429 is retried when the server's
``Retry-After`` is short and attempts remain; otherwise it stops with a hint.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

import aiohttp

LIMITS_HINT = (
    "For a load test, start the server without per-client limits "
    "(AUTH_RATE_PER_IP=0 RESERVE_RATE_PER_USER=0 RESERVE_RATE_PER_IP=0), or, on a test "
    "system, pass --mint-secret with its JWT_SECRET so that buyers need no login."
)


class LoadTestError(Exception):
    """A step of the load test failed; the message says which and what the server said."""


class RateLimitedError(LoadTestError):
    """The server answered 429 ``rate_limited`` for longer than the load tester waits."""


def describe(status: int, text: str) -> str:
    """``409 not_on_sale: This event is draft, not on sale.`` from a problem, else the text."""
    try:
        body = json.loads(text)
    except ValueError:
        return f"{status} {text[:200].strip()}"
    if isinstance(body, dict) and ("code" in body or "detail" in body):
        return f"{status} {body.get('code', '')}: {body.get('detail') or body.get('title', '')}"
    return f"{status} {text[:200].strip()}"


def retry_after(headers: Any) -> float | None:
    try:
        return float(headers.get("Retry-After", ""))
    except ValueError:
        return None


async def call(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    what: str,
    *,
    body: Any = None,
    expect: tuple[int, ...] = (200,),
    attempts: int = 1,
    max_wait_s: float = 10.0,
    on_wait: Any = None,
) -> Any:
    """``method url`` answered with one of ``expect``: its JSON (None for 204).

    Up to ``attempts`` tries while the server answers 429 with a ``Retry-After`` of at
    most ``max_wait_s`` (``on_wait(seconds)`` is told before each wait)."""
    path = urlsplit(url).path
    for attempt in range(1, attempts + 1):
        try:
            async with http.request(method, url, json=body) as response:
                text = await response.text()
                if response.status in expect:
                    return json.loads(text) if text and response.status != 204 else None
                wait = retry_after(response.headers) if response.status == 429 else None
        except (aiohttp.ClientError, TimeoutError) as exc:
            where = urlsplit(url)
            reason = str(exc) or type(exc).__name__
            message = f"{what}: cannot reach {where.scheme}://{where.netloc} ({reason})"
            raise LoadTestError(message) from None
        said = describe(response.status, text)
        if response.status != 429:
            raise LoadTestError(f"{what}: {method} {path} answered {said}")
        if wait is None or wait > max_wait_s or attempt == attempts:
            after = f" (Retry-After: {wait:g} s)" if wait is not None else ""
            raise RateLimitedError(
                f"{what}: {method} {path} answered {said}{after} after {attempt} "
                f"attempt{'s' if attempt > 1 else ''}. {LIMITS_HINT}"
            )
        if on_wait is not None:
            on_wait(wait)
        await asyncio.sleep(wait)  # the server said when: Retry-After, not a guess
    raise AssertionError("unreachable")


async def login(base_url: str, email: str, password: str, console: Any = None) -> str:
    """An access token for the admin; a short 429 is waited out (Retry-After), a few times."""

    def waiting(seconds: float) -> None:
        if console is not None:
            console.print(f"login rate-limited by the server: retrying in {seconds:g} s")

    async with aiohttp.ClientSession() as http:
        tokens = await call(
            http,
            "POST",
            f"{base_url}/v1/auth/login",
            f"logging in as {email}",
            body={"email": email, "password": password},
            attempts=4,
            max_wait_s=30.0,
            on_wait=waiting,
        )
    if not isinstance(tokens, dict) or "access_token" not in tokens:
        raise LoadTestError(f"logging in as {email}: the answer has no access_token")
    return tokens["access_token"]


async def available(base_url: str, event_id: str) -> int | None:
    """Seats left, or None when the server does not say (the run goes on to its deadline)."""
    url = f"{base_url}/v1/events/{event_id}/availability"
    try:
        async with aiohttp.ClientSession() as http, http.get(url) as r:
            return (await r.json()).get("available") if r.status == 200 else None
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None
