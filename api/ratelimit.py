"""Per-key rate limits (token buckets) for reserve and auth endpoints.

In-process: each API replica limits what it sees. Behind a load balancer that
spreads a client over N replicas the effective limit is up to N times higher;
operators size the limits for that (a shared store would cost a round trip on
the hot path, which is what the actors exist to avoid).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from api.errors import RateLimited


class RateLimiter:
    """Token buckets keyed by (scope, key); ``check`` raises RateLimited when empty."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def check(self, scope: str, key: str, per_minute: int) -> None:
        """Take one token from the bucket of ``key``; 429 with Retry-After if none is left."""
        if per_minute <= 0:
            return
        now = self.clock()
        rate = per_minute / 60.0
        tokens, stamp = self._buckets.get((scope, key), (float(per_minute), now))
        tokens = min(float(per_minute), tokens + (now - stamp) * rate)
        if tokens < 1.0:
            self._buckets[(scope, key)] = (tokens, now)
            retry = max(1, math.ceil((1.0 - tokens) / rate))
            raise RateLimited(f"Too many requests; retry in {retry} s.", retry)
        if len(self._buckets) >= self.max_keys:
            self._buckets.clear()  # bounded memory under a flood of distinct keys
        self._buckets[(scope, key)] = (tokens - 1.0, now)
