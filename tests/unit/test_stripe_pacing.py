"""The Stripe pacer's arithmetic, on a clock the test moves (no sleeping), and the
shared pacer's fallback when there is no Ray to share it through."""

from __future__ import annotations

import asyncio
import time
from itertools import pairwise

from contexts.orders.stripe_pacing import Pacer, SharedPacer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_concurrent_callers_are_spaced_to_the_rate() -> None:
    clock = Clock()
    pacer = Pacer(25, clock=clock)
    delays = [pacer.reserve() for _ in range(50)]  # 50 handlers asking at one instant
    assert delays[0] == 0
    assert all(abs((b - a) - 0.04) < 1e-9 for a, b in pairwise(delays))
    # However many callers, no 1-second window holds more than the rate (+ the first).
    starts = [clock.now + d for d in delays]
    assert max(sum(s <= t < s + 1 - 1e-6 for t in starts) for s in starts) == 25


def test_a_burst_is_allowed_after_an_idle_spell_and_no_more() -> None:
    clock = Clock()
    pacer = Pacer(10, burst=3, clock=clock)
    assert [pacer.reserve() for _ in range(3)] == [0, 0, 0]
    assert round(pacer.reserve(), 9) == 0.1  # the burst is used up: paced again
    clock.now += 60  # idle: the unused past does not pile up beyond the burst
    assert [round(pacer.reserve(), 9) for _ in range(4)] == [0, 0, 0, 0.1]


def test_an_unpaced_gateway_never_waits() -> None:
    pacer = Pacer(0, clock=Clock())
    assert {pacer.reserve() for _ in range(100)} == {0.0}


async def test_without_ray_the_shared_pacer_paces_this_process_alone() -> None:
    """A namespace but no Ray running (a unit test, a tool): the process's own bucket,
    the same pacing per process, and no Ray started just for it."""
    import ray

    # The suite's Ray lives for the whole session (tests/integration/ray_support.py):
    # stopped here so this process really has none; the next module that needs it
    # starts it again.
    if ray.is_initialized():
        ray.shutdown()
    pacer = SharedPacer(50, burst=1, namespace="no-ray-here")
    started = time.monotonic()
    await asyncio.gather(*(pacer.wait() for _ in range(6)))  # 6 calls at once
    # A lower bound only (a sleep is never shorter): 5 spacings of 1/50 s after the first.
    assert time.monotonic() - started >= 5 / 50 - 0.005
    assert not ray.is_initialized() and pacer.buckets._degraded


async def test_an_unpaced_shared_pacer_never_asks_anyone() -> None:
    pacer = SharedPacer(0, namespace="no-ray-here")
    await asyncio.gather(*(pacer.wait() for _ in range(100)))
    assert pacer.buckets._sender is None
