"""A Ray worker node hosting the event's inventory actor removed (its raylet and workers
killed) while buyers reserve and pay: the actor comes back on the other inventory node
from its journal. A real multi-node cluster on this machine (``ray.cluster_utils``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import ray
from ray.cluster_utils import Cluster

from actors.config import ROLE_LABEL
from actors.local_ray import free_port
from tests.faults.audit import audit
from tests.faults.conftest import CHECKED, Rig, seat_pool
from tests.faults.load import Ledger, run_buyers
from tests.integration import payments_support
from tests.integration.ray_support import retrying, stop_local_ray
from tests.integration.test_reservations_api import on_sale_event
from tests.waiting import eventually

pytestmark = pytest.mark.slow
INVENTORY = {ROLE_LABEL: "inventory"}


@pytest.fixture(scope="module")
def labelled_cluster() -> Iterator[tuple[Cluster, list[Any]]]:
    """A head (the test process drives it) and two worker nodes labelled for inventory."""
    stop_local_ray()  # the session's private Ray (tests/integration/ray_support.py)
    cluster = Cluster(
        initialize_head=True,
        connect=True,  # the app's container finds Ray initialised and joins this cluster
        head_node_args={"num_cpus": 1, "gcs_server_port": free_port(), "include_dashboard": False},
    )
    workers = [cluster.add_node(num_cpus=1, labels=INVENTORY) for _ in range(2)]
    cluster.wait_for_nodes()
    yield cluster, workers
    ray.shutdown()
    cluster.shutdown()


@pytest.fixture(autouse=True)
def inventory_on_labelled_nodes(labelled_cluster: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The `shop` app places actors on the inventory nodes (INVENTORY_NODE_LABELS)."""
    original = payments_support.api_settings
    monkeypatch.setattr(
        payments_support,
        "api_settings",
        lambda *a, **kw: original(*a, inventory_node_labels=INVENTORY, **kw),
    )


async def test_ray_node_hosting_the_actor_removed_under_load(
    rig: Rig, labelled_cluster: tuple[Cluster, list[Any]], scenario
) -> None:
    row = scenario(
        "fault",
        "Ray worker node hosting the actor lost",
        "30 buyers over 6 s, 1-2 seats each from 40, reserve+pay over ASGI; 3-node cluster",
        "the actor's node removed (raylet and its workers killed) once 2 payments were acked",
        CHECKED,
        "",
    )
    cluster, workers = labelled_cluster
    api, router = rig.shop.api, rig.shop.container.router
    event_id = await on_sale_event(api, await api.user("event_creator"))
    await rig.shop.start_worker()
    host = (await router.call(event_id, "status"))["node_id"]
    doomed = next(node for node in workers if node.node_id == host)  # never the head

    ledger = Ledger()

    async def lose_node() -> None:
        await eventually(lambda: len(ledger.payments) >= 2, 60, "the load under way")
        await asyncio.to_thread(cluster.remove_node, doomed)

    ledger, _ = await asyncio.gather(
        run_buyers(
            api.client, event_id, rig.token, seat_pool(), buyers=30, spread_s=6.0, ledger=ledger
        ),
        lose_node(),
    )
    status = await retrying(lambda: router.call(event_id, "status"), attempts=600)
    assert status["node_id"] != host, "the actor did not move"
    assert ledger.holds and ledger.payments, ledger.outcomes
    found = await audit(
        api.client,
        event_id,
        40,
        ledger,
        rig.token,
        rig.stripe,
        wait_s=180,
        confirmed_messages=rig.confirmed_messages(),
    )
    row.inputs = ledger.requests  # HTTP requests the buyers sent
    row.result = f"{found.line()}; {ledger.summary()}; actor moved to another node"
