"""Waiting for a condition with a deadline: the tests' only way to synchronise.

A fixed sleep guesses how long something takes: too short on a busy machine (a flaky
test), too long everywhere else (a slow suite), and it proves nothing happened. These
poll a condition until it holds and fail at the deadline, saying what was last seen.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

POLL_S = 0.05


async def eventually[T](
    probe: Callable[[], T | Awaitable[T]], timeout: float = 30.0, what: str = ""
) -> T:
    """The first truthy result of ``probe`` (a function or a coroutine function), polled
    until ``timeout``. A probe that hangs (a stalled broker or database) fails the test at
    the deadline instead of stalling it."""
    result: T | None = None
    try:
        async with asyncio.timeout(timeout):
            while True:
                value = probe()
                result = await value if inspect.isawaitable(value) else value
                if result:
                    return result
                await asyncio.sleep(POLL_S)
    except TimeoutError:
        label = f" {what}" if what else ""
        raise AssertionError(f"not true within {timeout}s{label} (last: {result!r})") from None


def eventually_sync[T](probe: Callable[[], T], timeout: float = 30.0, what: str = "") -> T:
    """``eventually`` for synchronous tests (a browser, a thread, a subprocess)."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() >= deadline:
            label = f" {what}" if what else ""
            raise AssertionError(f"not true within {timeout}s{label} (last: {result!r})")
        time.sleep(POLL_S)
