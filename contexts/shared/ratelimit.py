"""Per-key rate limits (token buckets) that hold across API processes and machines.

`make run` serves from N processes, a deployment from N processes on M machines: a
bucket per process would let a client make N x M times the limit (30 logins a
minute per IP becomes 60 with two processes). So the buckets live in ONE place, a
named Ray actor (``ratelimits`` in the deployment's namespace: ``contexts.shared.buckets``, which
also coalesces the calls to it into batches), and each process takes *leases* from it:
a lease is a few tokens for one key, spent locally with no round trip; the actor never
grants more tokens than the bucket holds, so the sum over all processes never exceeds
the limit (unspent leased tokens lapse: the error is only ever on the side of refusing
early, and leases are sized to what the key used in its last lease, at most one second
of its rate, so little lapses). If the actor cannot be reached, each process falls back
to its own buckets (logged): limits keep working, per process, rather than failing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from contexts.shared.buckets import Buckets, Key, SharedBuckets
from contexts.shared.errors import RateLimited

__all__ = ["ACTOR_NAME", "Buckets", "RateLimiter"]
ACTOR_NAME = "ratelimits"
LEASE_S = 1.0  # a lease lapses after this long: tokens never wait unspent for long


@dataclass
class _Lease:
    tokens: int
    expires: float
    used: int = 1


class RateLimiter:
    """``await limiter.check(scope, key, per_minute)``: ``RateLimited`` when over.

    ``namespace``: the Ray namespace of the shared actor; None keeps the buckets in
    this process (tools and tests that run one process).
    """

    def __init__(
        self, namespace: str | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.namespace = namespace
        self.clock = clock
        # Through self.clock, read at each batch: tests replace it on a running limiter.
        self.shared = SharedBuckets(ACTOR_NAME, namespace, lambda: self.clock())
        self._leases: dict[Key, _Lease] = {}

    async def check(self, scope: str, key: str, per_minute: int) -> None:
        """Take one token from the bucket of ``key``; ``RateLimited`` (with
        ``retry_after_s``) if none is left."""
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
        granted, wait_s = await self.shared.take(k, per_minute, per_minute / 60.0, want)
        if granted < 1:
            self._leases.pop(k, None)
            retry = max(1, math.ceil(wait_s))
            raise RateLimited(f"Too many requests; retry in {retry} s.", retry)
        self._leases[k] = _Lease(granted - 1, now + LEASE_S)
        if len(self._leases) > 100_000:
            self._leases = {k: v for k, v in self._leases.items() if v.expires > now}

    def reset(self) -> None:
        """Every bucket full again, shared ones included (after a change of limits).
        Blocking: call it from a thread of its own, not from a running event loop."""
        self._leases.clear()
        self.shared.reset()
