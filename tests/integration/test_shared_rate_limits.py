"""Rate limits hold across API processes: one shared set of buckets, leased locally.

A per-process bucket let N processes allow N times the limit. Here two processes (this
one and a Ray task, a separate OS process) hammer the same key at once: together they
get exactly the limit, never more.
"""

from __future__ import annotations

import asyncio
import sys
import uuid

import pytest
import ray

from contexts.shared.errors import RateLimited
from contexts.shared.ratelimit import Buckets, RateLimiter
from tests.integration.ray_support import ray_local

__all__ = ["ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")
FROZEN = 1_000_000.0  # both processes stamp the same instant: no refill during the test
# The task below runs in a Ray worker, which cannot import a test module by its name.
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])


async def _count(limiter: RateLimiter, key: str, attempts: int, limit: int) -> int:
    async def one() -> bool:
        try:
            await limiter.check("auth", key, limit)
            return True
        except RateLimited:
            return False

    return sum(await asyncio.gather(*(one() for _ in range(attempts))))


@ray.remote(num_cpus=0)
def _other_process(namespace: str, key: str, attempts: int, limit: int) -> tuple[int, int]:
    import os

    limiter = RateLimiter(namespace, clock=lambda: FROZEN)
    return os.getpid(), asyncio.run(_count(limiter, key, attempts, limit))


async def test_two_processes_together_get_the_limit_not_twice_it() -> None:
    import os

    namespace, key, limit = f"t{uuid.uuid4().hex[:8]}", "198.51.100.9", 30
    here = RateLimiter(namespace, clock=lambda: FROZEN)
    await here.check("warm-up", "x", 1)  # the actor exists before the race starts
    there = _other_process.remote(namespace, key, 25, limit)
    mine = await _count(here, key, 25, limit)
    pid, theirs = await there
    assert pid != os.getpid()
    assert mine + theirs == limit, (mine, theirs)
    with pytest.raises(RateLimited) as refused:
        await here.check("auth", key, limit)
    assert refused.value.retry_after_s >= 1  # api/problems.py renders it as Retry-After


async def test_leases_serve_a_busy_key_locally_without_overrunning() -> None:
    """600/min: a process leases up to 10 tokens at a time; two of them never exceed 600."""
    namespace, limit = f"t{uuid.uuid4().hex[:8]}", 600
    one = RateLimiter(namespace, clock=lambda: FROZEN)
    two = RateLimiter(namespace, clock=lambda: FROZEN)
    counts = await asyncio.gather(*(_count(r, "k", 400, limit) for r in (one, two)))
    assert sum(counts) <= limit
    assert sum(counts) >= limit * 0.9, counts  # leases lapse unspent only at the edges


def test_buckets_refill_at_the_rate_and_never_beyond_capacity() -> None:
    buckets = Buckets()
    assert buckets.take(("s", "k"), 60, 1.0, 100, 0.0) == (60, 0)
    assert buckets.take(("s", "k"), 60, 1.0, 1, 0.0) == (0, 1)
    assert buckets.take(("s", "k"), 60, 1.0, 5, 2.0) == (2, 0)  # 1 token a second came back
    assert buckets.take(("s", "k"), 60, 1.0, 1, 1.0) == (0, 1)  # an older clock adds nothing
    assert buckets.take(("s", "k"), 60, 1.0, 100, 1_000.0) == (60, 0)


def test_a_horizon_books_ahead_on_one_timeline_and_no_further() -> None:
    """Pacing: takers accept to wait, the bucket goes into debt and says for how long."""
    buckets, key = Buckets(), ("stripe", "account")
    assert buckets.take(key, 2, 10.0, 2, 0.0, horizon_s=1.0) == (2, 0)  # the burst, now
    granted, last = buckets.take(key, 2, 10.0, 3, 0.0, horizon_s=1.0)
    assert (granted, round(last, 9)) == (3, 0.3)  # due 0.1 s apart after the burst
    granted, last = buckets.take(key, 2, 10.0, 5, 0.0, horizon_s=1.0)
    assert (granted, round(last, 9)) == (5, 0.8)
    granted, last = buckets.take(key, 2, 10.0, 5, 0.0, horizon_s=1.0)
    assert (granted, round(last, 9)) == (2, 1.0)  # no further ahead than the horizon
    granted, wait = buckets.take(key, 2, 10.0, 1, 0.0, horizon_s=1.0)
    assert (granted, round(wait, 9)) == (0, 0.1)  # ask again when one can be had
