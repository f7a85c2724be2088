"""Stripe's rate holds for the account, not per process: one shared bucket, leased.

A pacer per process let N payments processes make N times ``STRIPE_MAX_RPS``. Here three
processes (this one and two Ray actors, separate OS processes) each run many callers
through their own ``SharedPacer`` for the same few seconds of wall-clock time: together
they make the rate's worth of calls (plus the burst and a lease each), never 3x it.
The count is of calls, whatever the machine's load: a late wake-up only moves a call
later, and the bucket books every call on one timeline.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid

import pytest
import ray

from contexts.orders.stripe_pacing import SharedPacer
from tests.integration.ray_support import ray_local

__all__ = ["ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")
RATE, BURST, SPAN_S, CALLERS = 20.0, 4, 4.0, 16
# The actors below run in Ray workers, which cannot import a test module by its name.
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])


async def _calls_within(pacer: SharedPacer, start: float, end: float) -> int:
    """Calls the pacer let through between ``start`` and ``end`` (wall clock), with
    ``CALLERS`` concurrent callers asking all the time."""
    await asyncio.sleep(max(0.0, start - time.time()))
    done = 0

    async def caller() -> None:
        nonlocal done
        while True:
            await pacer.wait()
            if time.time() >= end:
                return
            done += 1

    await asyncio.gather(*(caller() for _ in range(CALLERS)))
    return done


@ray.remote(num_cpus=0)
class _PaymentsProcess:
    """Another process with its own pacer, as an API or worker process has."""

    def __init__(self, namespace: str) -> None:
        self.pacer = SharedPacer(RATE, BURST, namespace)

    async def pid(self) -> int:
        return os.getpid()

    async def calls_within(self, start: float, end: float) -> int:
        return await _calls_within(self.pacer, start, end)


async def test_processes_together_keep_to_the_accounts_rate() -> None:
    namespace = f"t{uuid.uuid4().hex[:8]}"
    here = SharedPacer(RATE, BURST, namespace)
    await here.wait()  # the bucket's actor exists before the span starts
    others = [_PaymentsProcess.remote(namespace) for _ in range(2)]
    pids = [await other.pid.remote() for other in others]  # both up and running
    assert len({os.getpid(), *pids}) == 3
    start = time.time() + 1.5  # the bucket is full again by then
    end = start + SPAN_S
    theirs = [other.calls_within.remote(start, end) for other in others]
    mine = await _calls_within(here, start, end)
    counts = [mine, *[await t for t in theirs]]
    total = sum(counts)
    # The bound of SharedPacer: rate x span + burst, + one lease per process (+1: a token
    # due exactly at the end). A pacer per process would allow 3 x 80 here.
    assert total <= RATE * SPAN_S + BURST + 3 * here.lease + 1, counts
    assert all(c > 0 for c in counts), counts  # every process got its share, none starved
    assert total >= RATE * SPAN_S * 0.75, counts  # and the rate is used, not wasted
