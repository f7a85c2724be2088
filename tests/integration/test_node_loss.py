"""Node loss on a real multi-node Ray cluster (``ray.cluster_utils.Cluster``, one machine)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ray
from ray.cluster_utils import Cluster

from engine import ConfirmHold, HoldSeats
from tests.integration.ray_support import make_router, retrying, sqlite_url, stop_local_ray
from tests.unit.engine_helpers import terms_for, venue


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[Cluster, list[Any]]]:
    # The head's GCS port must not be Ray's default 6379: Redis listens there.
    stop_local_ray()  # the session's private Ray (tests/integration/ray_support.py)
    cluster = Cluster(
        initialize_head=True,
        connect=True,
        head_node_args={"num_cpus": 1, "gcs_server_port": free_port(), "include_dashboard": False},
    )
    # Only the workers offer "inventory": actors land on one, never on the head.
    workers = [cluster.add_node(num_cpus=1, resources={"inventory": 10}) for _ in range(2)]
    cluster.wait_for_nodes()
    yield cluster, workers
    ray.shutdown()
    cluster.shutdown()


async def test_actor_comes_back_on_another_node_with_its_state(cluster, tmp_path: Path) -> None:
    ray_cluster, workers = cluster
    router = make_router(sqlite_url(tmp_path))
    v = venue({"A": [10, 10]})
    await router.open("ev", v, terms_for(v), resources={"inventory": 1})
    host = (await router.call("ev", "status"))["node_id"]
    doomed = next(node for node in workers if node.node_id == host)
    held = await router.execute("ev", HoldSeats("ann", ("A-1-1", "A-1-2")))
    await router.execute("ev", ConfirmHold(held.hold_id, "pi_1"))
    await router.execute("ev", HoldSeats("bob", ("A-2-5",)))

    ray_cluster.remove_node(doomed)

    status = await retrying(lambda: router.call("ev", "status"), attempts=600)
    assert status["node_id"] != doomed.node_id
    view = await router.call("ev", "availability")
    assert (view["sold"], view["held"], view["available"]) == (2, 1, 17)
    again = await retrying(lambda: router.execute("ev", HoldSeats("cid", ("A-1-3",))))
    assert again.seq == status["seq"] + 1
