"""Per-key rate limits (token buckets) that hold across API processes and machines.

`make run` serves from N processes, a deployment from N processes on M machines: a
bucket per process would let a client make N x M times the limit (30 logins a
minute per IP becomes 60 with two processes). So the buckets live in ONE place, a
named Ray actor (``ratelimits`` in the deployment's namespace, created by whoever
asks first, ``get_if_exists``), and each process takes *leases* from it:

- a lease is a few tokens for one key, spent locally with no round trip; the actor
  never grants more tokens than the bucket holds, so the sum over all processes
  never exceeds the limit (unspent leased tokens lapse: the error is only ever on
  the side of refusing early, and leases are sized to what the key used in its last
  lease, at most one second of its rate, so little lapses);
- the requests that need a lease are coalesced: while one call to the actor is in
  flight, the next ones queue and go together in the following call (one actor call
  per batch, not per request), which keeps the hot reserve path cheap.

The client's wall clock stamps each batch (API hosts keep NTP time; each bucket's
time only moves forward). If the actor cannot be reached, each process falls back to
its own buckets (logged): limits keep working, per process, rather than failing.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api.errors import RateLimited

log = logging.getLogger(__name__)

ACTOR_NAME = "ratelimits"
LEASE_S = 1.0  # a lease lapses after this long: tokens never wait unspent for long
Key = tuple[str, str]


class Buckets:
    """Token buckets keyed by (scope, key): the actor's state, and the local fallback."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self._buckets: dict[Key, tuple[float, float]] = {}

    def take(self, key: Key, per_minute: int, want: int, now: float) -> tuple[int, int]:
        """Up to ``want`` tokens of ``key``'s bucket: (granted, seconds until one is back)."""
        rate = per_minute / 60.0
        tokens, stamp = self._buckets.get(key, (float(per_minute), now))
        now = max(now, stamp)  # clocks of several hosts: a bucket's time only moves on
        tokens = min(float(per_minute), tokens + (now - stamp) * rate)
        granted = min(want, int(tokens))
        if key not in self._buckets and len(self._buckets) >= self.max_keys:
            self._buckets.clear()  # bounded memory under a flood of distinct keys
        self._buckets[key] = (tokens - granted, now)
        retry = 0 if granted else max(1, math.ceil((1.0 - (tokens - granted)) / rate))
        return granted, retry

    def clear(self) -> None:
        """Every bucket full again."""
        self._buckets.clear()


class RateLimitActor:
    """The one shared set of buckets (``ray.remote``'d when first needed)."""

    def __init__(self) -> None:
        self.buckets = Buckets()

    def take(self, asks: list[tuple[Key, int, int]], now: float) -> list[tuple[int, int]]:
        return [self.buckets.take(key, per_minute, want, now) for key, per_minute, want in asks]

    def reset(self) -> None:
        self.buckets.clear()


@dataclass
class _Lease:
    tokens: int
    expires: float
    used: int = 1


class RateLimiter:
    """``await limiter.check(scope, key, per_minute)``: RateLimited (429) when over.

    ``namespace``: the Ray namespace of the shared actor; None keeps the buckets in
    this process (tools and tests that run one process).
    """

    def __init__(
        self, namespace: str | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.namespace = namespace
        self.clock = clock
        self.local = Buckets()  # no Ray (namespace None), or the actor unreachable
        self._leases: dict[Key, _Lease] = {}
        self._queue: list[tuple[Key, int, int, asyncio.Future[tuple[int, int]]]] = []
        self._sender: asyncio.Task[None] | None = None
        self._actor: Any = None

    async def check(self, scope: str, key: str, per_minute: int) -> None:
        """Take one token from the bucket of ``key``; 429 with Retry-After if none is left."""
        if per_minute <= 0:
            return
        k, now = (scope, key), self.clock()
        lease = self._leases.get(k)
        if lease is not None and lease.expires > now and lease.tokens > 0:
            lease.tokens -= 1
            lease.used += 1
            return
        # As many as the key used in its last lease, plus one (at most a second's worth).
        used = lease.used if lease is not None else 0
        want = max(1, min(used + 1, per_minute // 60))
        if self.namespace is None:
            granted, retry = self.local.take(k, per_minute, want, now)
        else:
            granted, retry = await self._ask(k, per_minute, want)
        if granted < 1:
            self._leases.pop(k, None)
            raise RateLimited(f"Too many requests; retry in {retry} s.", retry)
        self._leases[k] = _Lease(granted - 1, now + LEASE_S)
        if len(self._leases) > 100_000:
            self._leases = {k: v for k, v in self._leases.items() if v.expires > now}

    def reset(self) -> None:
        """Every bucket full again, shared ones included (after a change of limits).
        Blocking: call it from a thread of its own, not from a running event loop."""
        self._leases.clear()
        self.local.clear()
        if self.namespace is not None:
            import ray

            ray.get(self._get_or_create().reset.remote())

    async def _ask(self, key: Key, per_minute: int, want: int) -> tuple[int, int]:
        future: asyncio.Future[tuple[int, int]] = asyncio.get_running_loop().create_future()
        self._queue.append((key, per_minute, want, future))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send())
        return await future

    async def _send(self) -> None:
        # Group commit: what queued while a call was in flight goes in the next one.
        while self._queue:
            batch, self._queue = self._queue, []
            now = self.clock()
            asks = [(key, per_minute, want) for key, per_minute, want, _ in batch]
            try:
                answers = await (await self._handle()).take.remote(asks, now)
            except Exception as exc:  # Ray down or the actor lost: this process's buckets
                log.warning("shared rate limits unreachable, limiting per process: %r", exc)
                self._actor = None
                answers = [self.local.take(*ask, now) for ask in asks]
            for (_, _, _, future), answer in zip(batch, answers, strict=True):
                if not future.done():
                    future.set_result(tuple(answer))

    async def _handle(self) -> Any:
        if self._actor is None:
            self._actor = await asyncio.to_thread(self._get_or_create)
        return self._actor

    def _get_or_create(self) -> Any:
        import ray  # late: only processes that share limits need Ray here

        remote = ray.remote(RateLimitActor)
        return remote.options(
            name=ACTOR_NAME,
            namespace=self.namespace,
            lifetime="detached",  # outlives the process that happened to create it
            get_if_exists=True,  # N processes asking at once end with one actor
            max_restarts=-1,  # a restart forgets the buckets: full again, never stuck
            num_cpus=0,
        ).remote()
