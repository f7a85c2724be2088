"""Draining a node and rebalancing on a real multi-node Ray cluster (one machine),
while reservations flow: nothing acknowledged is lost, nothing is applied twice, and
callers see at most retryable errors."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import ray

from actors.config import ActorConfig, RouterConfig
from actors.errors import InventoryNotFoundError, InventoryUnavailableError
from actors.relocation import mark_moving, moving
from actors.router import InventoryRouter
from cluster import rebalance
from cluster.placement import finish_pending
from engine import HoldSeats
from tests.integration.cluster_support import (
    INVENTORY,
    TERMS,
    VENUE,
    Buyers,
    namespace,
    node_of,
    ray_cluster,
    retries_seen,
)
from tests.integration.ray_support import make_router, retrying, sqlite_url
from tests.waiting import eventually

__all__ = ["ray_cluster"]
pytestmark = pytest.mark.usefixtures("ray_cluster")
ON_WORKERS = {"resources": {"inventory": 1}}


async def test_drain_moves_actors_while_reservations_flow(tmp_path: Path) -> None:
    router = make_router(sqlite_url(tmp_path))
    await router.open("ev", VENUE, TERMS, **ON_WORKERS)
    source = await node_of(router, "ev")
    buyers = Buyers(router, "ev")
    retries_before = retries_seen()
    flow = buyers.start(30)
    await eventually(lambda: len(buyers.done_at) >= 30, 30, "reservations under way")
    started = time.monotonic()
    report = await rebalance.drain(namespace(router), source)
    drained_at, took = asyncio.get_running_loop().time(), time.monotonic() - started
    await eventually(  # and still flowing after the move
        lambda: sum(t > drained_at for t in buyers.done_at) >= 30, 30, "acks after the move"
    )
    buyers.stop()
    await flow  # any non-retryable error a buyer saw fails the test here

    assert [m.stream for m in report.moved] == ["ev"] and not report.failed
    (moved,) = report.moved
    assert moved.landed == moved.target != source and await node_of(router, "ev") == moved.target
    assert sum(t > drained_at for t in buyers.done_at) > 0, "no acknowledgement after the move"
    await buyers.audit()
    retried = retries_seen() - retries_before
    print(f"drain {took:.2f} s, {len(buyers.held)} holds acknowledged, {retried} retries")
    await router.close()


async def test_a_stream_missing_mid_move_is_unavailable_not_unknown(tmp_path: Path) -> None:
    router = make_router(sqlite_url(tmp_path))
    await router.open("gap", VENUE, TERMS, **ON_WORKERS)
    await router.hold("gap", HoldSeats("ann", ("A-1-1",)))
    ns = namespace(router)
    actor = await router.handle("gap")
    record = {**await actor.placement_args.remote(), "target": await node_of(router, "gap")}
    mark_moving(ns, "gap", record)  # a move interrupted between the kill and the re-creation
    await actor.drain.remote()
    ray.kill(actor, no_restart=True)
    # A router that knew the stream, and one that never saw it: both are told to retry.
    config = ActorConfig(journal_url=sqlite_url(tmp_path))
    fresh = InventoryRouter(RouterConfig(namespace=ns, actor=config))
    for r in (router, fresh):
        with pytest.raises(InventoryUnavailableError):
            await retrying(lambda r=r: r.hold("gap", HoldSeats("bob", ("A-1-2",))), attempts=3)
    with pytest.raises(InventoryNotFoundError):  # a stream nobody is moving is unknown
        await fresh.hold("never", HoldSeats("bob", ("A-1-2",)))

    assert await finish_pending(ns) == ["gap"] and moving(ns, "gap") is None
    held = await retrying(lambda: fresh.hold("gap", HoldSeats("bob", ("A-1-2",))))
    assert held.event.seq == 2  # the first hold survived the move; this one came next
    assert (await router.availability("gap"))["held"] == 2
    await router.close()


@pytest.mark.slow
async def test_drain_moves_a_sharded_event_and_its_quota_ledger(tmp_path: Path) -> None:
    router = make_router(sqlite_url(tmp_path))
    await router.open("big", VENUE, TERMS, shards=2, **ON_WORKERS)
    streams = ["big", "big#0", "big#1"]
    buyers = Buyers(router, "big")
    flow = buyers.start(12)
    await eventually(lambda: len(buyers.done_at) >= 12, 30, "reservations under way")
    for node in {await node_of(router, s) for s in streams}:
        report = await rebalance.drain(namespace(router), node)
        assert not report.failed
        assert node not in [await node_of(router, s) for s in streams]
    buyers.stop()
    await flow
    await buyers.audit()
    await router.close()


@pytest.mark.slow
async def test_rebalance_spreads_actors_onto_a_new_node(ray_cluster, tmp_path: Path) -> None:
    cluster, _ = ray_cluster
    # As the API creates them: no custom resources, so any node may host one (and Ray
    # ignores a soft node affinity for such actors: the move must still land right).
    router = make_router(sqlite_url(tmp_path))
    events = [f"e{k}" for k in range(4)]
    for event_id in events:
        await router.open(event_id, VENUE, TERMS)
    newcomer = cluster.add_node(num_cpus=1, resources=INVENTORY)
    cluster.wait_for_nodes()
    report = await rebalance.rebalance(namespace(router))
    assert not report.failed and report.moved
    assert all(m.landed == m.target for m in report.moved)
    placement = [await node_of(router, e) for e in events]
    assert newcomer.node_id in placement
    assert sorted(placement) == sorted(n["NodeID"] for n in ray.nodes() if n["Alive"])
    assert not (await rebalance.rebalance(namespace(router))).moved  # already even
    await router.close()
