"""Stripe's own rate limit, as part of the design: pace our calls, back off on 429.

A Stripe account takes a fixed rate (live: 100 requests/s in all, 25/s per endpoint;
test mode: 25/s in all; raising it takes weeks of notice). The payments workers run
many charges at once (Stripe answers in ~300 ms, so concurrency sets their rate), in
every API process and in standalone ``python -m workers.payments`` processes, so
without pacing a payment spike would be answered with 429s. ``SharedPacer`` holds
every process of the Ray cluster together to ``STRIPE_MAX_RPS`` (one bucket in a Ray
actor, ``contexts.shared.buckets``); ``Pacer`` is the same pacing for one process (no Ray, or the
actor unreachable). ``paced`` also retries a 429 with capped exponential backoff and
jitter for as long as ``max_wait_s``, so a payment is never failed for Stripe's limit
(after that the caller's message is retried by the bus).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

import stripe
from prometheus_client import Counter

from contexts.shared.buckets import SharedBuckets

log = logging.getLogger(__name__)

CALLS = Counter("ticketing_stripe_calls_total", "Stripe API calls, by operation", ["operation"])
THROTTLED = Counter("ticketing_stripe_throttled_total", "Stripe 429 answers, retried later")


class Waits(Protocol):
    """What ``paced`` needs of a pacer."""

    async def wait(self) -> None: ...


class Pacer:
    """Spaces calls ``1 / rate`` seconds apart, shared by every coroutine of one process.

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


ACTOR_NAME = "stripe-pacer"  # the bucket of the account, in the deployment's namespace
ACCOUNT = ("stripe", "account")
LEASE_SHARE = 0.1  # a lease is at most a tenth of a second's worth of the rate
HORIZON_S = 30.0  # how far ahead the shared timeline is booked before askers retry
LAPSE_S = 1.0  # a leased slot nobody took (its caller was cancelled) is dropped after


class SharedPacer:
    """Paces the calls of every process that shares the Ray cluster to ``rate`` in all.

    One token bucket (``burst`` deep, refilled at ``rate``) in the actor ``stripe-pacer``:
    a process leases up to ``lease`` tokens in one actor call, for callers that are
    waiting (coalesced: one call in flight per process), and the bucket books them on
    one timeline shared by all processes (in debt when busy: each token comes with the
    time it is due, and its caller sleeps until then). So over any T seconds all
    processes together make at most ``rate x T + burst`` calls, plus at most one lease
    (``lease`` tokens, a tenth of a second's worth) per process left over from before
    the span, which only a cancelled caller leaves and which lapses within ``LAPSE_S``.
    A process killed with tokens booked only leaves a gap: never more than the rate.

    ``namespace`` None, Ray not running, or the actor unreachable: this process's own
    bucket (``contexts.shared.buckets`` logs it), the same pacing per process.
    ``rate <= 0``: unpaced.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        namespace: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.rate, self.burst = rate, max(1, burst)
        self.lease = max(1, min(self.burst, int(rate * LEASE_SHARE)))
        self.buckets = SharedBuckets(ACTOR_NAME, namespace, clock)
        self._slots: deque[float] = deque()  # monotonic times of leased tokens, in order
        self._waiting = 0  # callers without a slot yet
        self._refill: asyncio.Future[None] | None = None

    async def wait(self) -> None:
        if self.rate <= 0:
            return
        self._waiting += 1
        try:
            while (slot := self._take_slot()) is None:
                if self._refill is None or self._refill.done():
                    self._refill = asyncio.ensure_future(self._lease())
                # Shielded: a cancelled caller must not cancel the lease of the others.
                await asyncio.shield(self._refill)
        finally:
            self._waiting -= 1
        delay = slot - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def _take_slot(self) -> float | None:
        now = time.monotonic()
        while self._slots and self._slots[0] < now - LAPSE_S:
            self._slots.popleft()  # left by a cancelled caller: late now, never bunched
        return self._slots.popleft() if self._slots else None

    async def _lease(self) -> None:
        want = max(1, min(self._waiting, self.lease))
        granted, last_s = await self.buckets.take(ACCOUNT, self.burst, self.rate, want, HORIZON_S)
        now = time.monotonic()
        if not granted:  # booked HORIZON_S ahead: ask again when a token can be had
            await asyncio.sleep(last_s)
            return
        # The tokens come due 1 / rate apart, the last one ``last_s`` from now.
        for i in range(granted):
            self._slots.append(now + max(0.0, last_s - (granted - 1 - i) / self.rate))


async def paced[T](
    pacer: Waits,
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
