"""Waiting-room actors on a real local Ray, journaling to SQLite: fairness at the
opening, the admission rate in real time, and positions that survive a kill."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest
import ray

from actors.config import ActorConfig, RouterConfig
from actors.queue_actor import TICK_S
from actors.queue_router import QueueRouter
from engine.queue_messages import ConfigureQueue, JoinQueue
from tests.integration.ray_support import ray_local, retrying, sqlite_url
from tests.unit.test_waiting_room import spearman

__all__ = ["ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")
LATER = time.time() + 3600  # an opening far enough away that nobody is admitted yet


def queue_router(tmp_path: Path) -> QueueRouter:
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    return QueueRouter(
        RouterConfig(namespace=namespace, actor=ActorConfig(journal_url=sqlite_url(tmp_path)))
    )


async def open_queue(router: QueueRouter, rate: float, opens_at: float = LATER) -> str:
    event_id = uuid.uuid4().hex[:24]
    await router.open(event_id)
    await router.execute(event_id, ConfigureQueue(opens_at, rate, None, 300.0))
    return event_id


async def open_now(router: QueueRouter, event_id: str, rate: float) -> None:
    """The organiser moves the opening to now; the next tick opens the queue."""
    await router.execute(event_id, ConfigureQueue(time.time(), rate, None, 300.0))
    for _ in range(100):
        if (await router.summary(event_id))["opened_at"] is not None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the queue did not open")


async def test_10000_presale_joiners_get_random_places_and_later_joiners_queue_fifo(
    tmp_path: Path,
) -> None:
    router = queue_router(tmp_path)
    rate = 0.001  # per minute: nobody is admitted during the test, positions stay put
    event_id = await open_queue(router, rate)
    early = [f"early{i:05d}" for i in range(10_000)]
    started = time.perf_counter()
    views = await asyncio.gather(*(router.execute(event_id, JoinQueue(a)) for a in early))
    joined_s = time.perf_counter() - started
    assert {v["status"] for v in views} == {"pre_sale"}
    await open_now(router, event_id, rate)
    late = [f"late{i:03d}" for i in range(100)]
    for account in late:  # one at a time: arrival order is well defined
        await router.execute(event_id, JoinQueue(account))
    places = (await router.views(event_id, early + late))["views"]
    positions = [v["position"] for v in places]
    assert sorted(positions[:10_000]) == list(range(1, 10_001)), "not a permutation"
    rho = spearman(list(range(10_000)), positions[:10_000])
    # rho of a random permutation: N(0, 0.01); FIFO gives 1, any arrival bias far more.
    assert abs(rho) < 0.05, rho
    assert positions[10_000:] == list(range(10_001, 10_101)), "later joiners are not FIFO"
    again = await router.execute(event_id, JoinQueue(early[0]))
    assert again["position"] == positions[0], "a second join moved the buyer"
    print(f"10,000 joins in {joined_s:.2f} s; spearman rho = {rho:+.4f}")
    await router.close()


async def test_a_killed_queue_actor_comes_back_with_every_position(tmp_path: Path) -> None:
    router = queue_router(tmp_path)
    event_id = await open_queue(router, rate=0.001)
    accounts = [f"buyer{i}" for i in range(600)]
    await asyncio.gather(*(router.execute(event_id, JoinQueue(a)) for a in accounts[:300]))
    await open_now(router, event_id, 0.001)
    await router.calls.call(f"queue:{event_id}", "snapshot")  # recovery: snapshot + tail
    await asyncio.gather(*(router.execute(event_id, JoinQueue(a)) for a in accounts[300:]))
    before = await router.views(event_id, accounts)
    ray.kill(await router.handle(event_id), no_restart=False)
    after = await retrying(lambda: router.views(event_id, accounts))
    assert after == before
    assert [v["position"] for v in after["views"]][300:] == list(range(301, 601))
    await router.close()


async def test_admission_follows_the_rate_in_real_time(tmp_path: Path) -> None:
    router = queue_router(tmp_path)
    rate = 1_200.0  # per minute: 20 a second
    event_id = await open_queue(router, rate)
    accounts = [f"fan{i}" for i in range(500)]
    await asyncio.gather(*(router.execute(event_id, JoinQueue(a)) for a in accounts))
    await open_now(router, event_id, rate)
    await asyncio.sleep(5.0)
    summary = await router.summary(event_id)
    now = time.time()
    admitted = summary["admitted"] + summary["used"] + summary["expired"]
    expected = rate * (now - summary["opened_at"]) / 60
    # The bucket starts empty, so never above; at most a couple of ticks behind.
    assert expected - rate * 2 * TICK_S / 60 - 1 <= admitted <= expected + 1, (admitted, expected)
    views = (await router.views(event_id, accounts))["views"]
    # The timer keeps admitting between the two reads: the places agree with the summary
    # at least, and with the rate at the later moment at most.
    ceiling = rate * (time.time() - summary["opened_at"]) / 60 + 1
    assert admitted <= sum(v["status"] == "admitted" for v in views) <= ceiling
    await router.close()
