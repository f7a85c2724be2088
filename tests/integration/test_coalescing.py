"""Request coalescing adapts to load (actors.batching): group commit of actor calls.

A real Ray actor stands in for an inventory: it records the size of every call it
receives and holds the calls until the test opens its gate, so what the router does
while a call is in flight is observable without timing anything.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
import ray

from actors.batching import ActorCalls
from actors.config import RouterConfig
from tests.integration.ray_support import ray_local

__all__ = ["ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")


def _recording_calls() -> type[ActorCalls]:
    # Defined in a function so Ray pickles the class by value (test modules are not
    # importable by name in Ray's workers).
    class GatedRecorder:
        """Records each ``execute`` call's size; answers only once ``open`` was called."""

        def __init__(self, *_: Any) -> None:
            self.sizes: list[int] = []
            self.gate = asyncio.Event()

        async def describe(self) -> dict[str, Any]:
            return {}

        async def execute(self, commands: list[Any], carriers: Any = None) -> list[Any]:
            self.sizes.append(len(commands))
            await self.gate.wait()
            return list(commands)

        async def open(self) -> None:
            self.gate.set()

        async def calls(self) -> list[int]:
            return list(self.sizes)

    class RecordingCalls(ActorCalls):
        remote = ray.remote(GatedRecorder)

    return RecordingCalls


async def _calls(**config: Any) -> tuple[ActorCalls, Any]:
    calls = _recording_calls()(RouterConfig(namespace=f"test-{uuid.uuid4().hex[:8]}", **config))
    await calls.create("s", "s", {})
    return calls, await calls.handle("s")


async def _until(handle: Any, sizes: list[int], deadline_s: float = 10.0) -> None:
    async with asyncio.timeout(deadline_s):
        while await handle.calls.remote() != sizes:
            await asyncio.sleep(0.01)


async def test_what_arrives_during_a_call_is_the_next_batch() -> None:
    calls, handle = await _calls(pipeline=1)
    first = asyncio.ensure_future(calls.execute("s", 0))
    await _until(handle, [1])  # idle: the lone command went out on its own
    rest = [asyncio.ensure_future(calls.execute("s", i)) for i in range(1, 51)]
    # Two round trips to the actor later, nothing else was sent: the 50 wait for the call.
    for _ in range(2):
        assert await handle.calls.remote() == [1]
    assert len(calls._batches["s"].items) == 50
    await handle.open.remote()
    assert await asyncio.gather(first, *rest) == list(range(51))
    assert await handle.calls.remote() == [1, 50]
    await calls.close()


async def test_batches_are_bounded_and_full_ones_overlap() -> None:
    calls, handle = await _calls(max_batch=100, max_inflight=3, pipeline=1)
    first = asyncio.ensure_future(calls.execute("s", 0))
    await _until(handle, [1])
    rest = [asyncio.ensure_future(calls.execute("s", i)) for i in range(1, 351)]
    # Full batches do not wait (up to max_inflight calls at once); the rest does.
    await _until(handle, [1, 100, 100])
    assert len(calls._batches["s"].items) == 150
    await handle.open.remote()
    assert await asyncio.gather(first, *rest) == list(range(351))
    sizes = await handle.calls.remote()
    assert sizes[:3] == [1, 100, 100] and sum(sizes) == 351 and max(sizes) <= 100
    await calls.close()


async def test_a_deeper_pipeline_overlaps_partial_batches() -> None:
    calls, handle = await _calls(pipeline=2)
    first = asyncio.ensure_future(calls.execute("s", 0))
    await _until(handle, [1])
    second = asyncio.ensure_future(calls.execute("s", 1))
    await _until(handle, [1, 1])  # a second partial call while the first is in flight
    rest = [asyncio.ensure_future(calls.execute("s", i)) for i in range(2, 30)]
    for _ in range(2):
        assert await handle.calls.remote() == [1, 1]  # two in flight: the rest waits
    await handle.open.remote()
    assert await asyncio.gather(first, second, *rest) == list(range(30))
    sizes = await handle.calls.remote()
    assert sizes[:2] == [1, 1] and sum(sizes) == 30
    await calls.close()


async def test_patient_commands_wait_for_company_but_never_delay_others() -> None:
    calls, handle = await _calls(pipeline=1)
    await handle.open.remote()
    loop = asyncio.get_running_loop()
    began = loop.time()
    patient = [asyncio.ensure_future(calls.execute("s", i, linger=0.3)) for i in range(3)]
    await asyncio.sleep(0.1)
    assert await handle.calls.remote() == []  # idle, yet still lingering for company
    patient.append(asyncio.ensure_future(calls.execute("s", 3, linger=0.3)))
    assert await asyncio.gather(*patient) == [0, 1, 2, 3]
    assert loop.time() - began >= 0.29  # the first one's linger, not restarted by the last
    assert await handle.calls.remote() == [4]
    # An urgent command cuts a patient one's linger short: both go at once, together.
    began = loop.time()
    waiting = asyncio.ensure_future(calls.execute("s", 4, linger=5.0))
    await asyncio.sleep(0.05)
    assert await asyncio.gather(waiting, calls.execute("s", 5)) == [4, 5]
    assert loop.time() - began < 2.0
    assert await handle.calls.remote() == [4, 2]
    await calls.close()
