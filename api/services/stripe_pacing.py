"""Stripe's own rate limit, as part of the design: pace our calls, back off on 429.

A Stripe account takes a fixed rate (live: 100 requests/s in all, 25/s per endpoint;
test mode: 25/s in all; raising it takes weeks of notice). The payments worker runs
many charges at once (Stripe answers in ~300 ms, so concurrency sets its rate), so
without pacing a payment spike would be answered with 429s. ``Pacer`` spaces every
call of this process to ``STRIPE_MAX_RPS``; ``paced`` also retries a 429 with capped
exponential backoff and jitter for as long as ``max_wait_s``, so a payment is never
failed for Stripe's limit (after that the caller's message is retried by the bus).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable

import stripe
from prometheus_client import Counter

log = logging.getLogger(__name__)

CALLS = Counter("ticketing_stripe_calls_total", "Stripe API calls, by operation", ["operation"])
THROTTLED = Counter("ticketing_stripe_throttled_total", "Stripe 429 answers, retried later")


class Pacer:
    """Spaces calls ``1 / rate`` seconds apart, shared by every coroutine of the process.

    A virtual clock, not a bucket of tokens: each caller takes the next free slot and
    sleeps until it, so N concurrent handlers together never exceed ``rate`` per second
    (a burst of ``burst`` calls is allowed after an idle spell). ``rate <= 0``: unpaced.
    """

    def __init__(self, rate: float, burst: int = 1, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, max(1, burst), clock
        self._next = 0.0

    def reserve(self) -> float:
        """Take the next slot; how long to wait for it (no await: no race between callers)."""
        if self.rate <= 0:
            return 0.0
        now, spacing = self.clock(), 1.0 / self.rate
        # After an idle spell the clock may be far ahead of _next: allow `burst` at once.
        slot = max(self._next, now - (self.burst - 1) * spacing)
        self._next = slot + spacing
        return max(0.0, slot - now)

    async def wait(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)


async def paced[T](
    pacer: Pacer,
    operation: str,
    call: Callable[[], Awaitable[T]],
    max_wait_s: float = 120.0,
    first_backoff_s: float = 0.5,
) -> T:
    """Run ``call`` in a paced slot; on Stripe's 429, back off and try again."""
    deadline, backoff = time.monotonic() + max_wait_s, first_backoff_s
    while True:
        await pacer.wait()
        CALLS.labels(operation).inc()
        try:
            return await call()
        except stripe.RateLimitError:
            THROTTLED.inc()
            if time.monotonic() + backoff > deadline:
                raise  # transient for the caller: its message is retried later, not failed
            # Jitter: concurrent handlers throttled together must not come back together.
            delay = backoff * (0.5 + random.random())
            log.warning("stripe rate limit: backing off", extra={"op": operation, "s": delay})
            await asyncio.sleep(delay)
            backoff = min(backoff * 2, 8.0)
