"""A real multi-node Ray cluster on this machine, and reservations flowing through it.

``ray_cluster``: a head that hosts no inventory and two worker nodes that offer the
``inventory`` resource, so actors created with ``resources={"inventory": 1}`` land
on a worker and a drain has somewhere to go. ``Buyers`` keep holds and confirms
(each with an idempotency key, retrying retryable errors as a client should) flowing
through a router, and record every acknowledged answer for the audit.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import ray
from ray.cluster_utils import Cluster

from actors.local_ray import free_port
from actors.router import InventoryRouter
from engine import HoldArea, HoldSeats
from tests.integration import ray_support
from tests.integration.ray_support import retrying, stop_local_ray
from tests.unit.engine_helpers import terms_for, venue

INVENTORY = {"inventory": 10}  # what worker nodes offer; each actor asks for 1
VENUE = venue({"A": [20] * 10}, {"FLOOR": 10_000})  # 200 seats, 10,000 standing
TERMS = terms_for(VENUE, limit=1_000)


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[tuple[Cluster, list[Any]]]:
    # The head's GCS port must not be Ray's default 6379: Redis listens there.
    stop_local_ray()  # the session's private Ray (tests/integration/ray_support.py)
    cluster = Cluster(
        initialize_head=True,
        connect=True,
        head_node_args={"num_cpus": 1, "gcs_server_port": free_port(), "include_dashboard": False},
    )
    workers = [cluster.add_node(num_cpus=1, resources=INVENTORY) for _ in range(2)]
    cluster.wait_for_nodes()
    yield cluster, workers
    ray.shutdown()
    cluster.shutdown()


def namespace(router: InventoryRouter) -> str:
    return router.calls.config.namespace


async def node_of(router: InventoryRouter, stream: str) -> str:
    """The node the stream's actor runs on (a moved actor's old handle: retried)."""
    return (await retrying(lambda: router.call(stream, "status")))["node_id"]


@dataclass
class Buyers:
    """Concurrent buyers of one event: holds of one seat or one standing place, half
    of them confirmed, each call with an idempotency key and retried while retryable."""

    router: InventoryRouter
    event_id: str
    held: dict[str, str | None] = field(default_factory=dict)  # reservation -> seat | None
    sold: set[str] = field(default_factory=set)
    done_at: list[float] = field(default_factory=list)  # loop time of each acknowledgement
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def buyer(self, name: str, seats: list[str]) -> None:
        for i, seat in enumerate(itertools.chain(seats, itertools.repeat(None))):
            if self._stop.is_set():
                return
            key = f"{name}-{i}"
            command = (
                HoldSeats(name, (seat,), f"hold:{key}")
                if seat is not None
                else HoldArea(name, "FLOOR", 1, f"hold:{key}")
            )
            held = await retrying(lambda c=command: self.router.hold(self.event_id, c))
            self.held[held.ref.token()] = seat
            self._ack()
            if i % 2 == 0:
                confirm = functools.partial(
                    self.router.confirm, held.ref, f"pi_{key}", name, f"confirm:{key}"
                )
                await retrying(confirm)
                self.sold.add(held.ref.token())
                self._ack()
            await asyncio.sleep(0.05)

    def _ack(self) -> None:
        self.done_at.append(asyncio.get_running_loop().time())

    def start(self, count: int) -> asyncio.Future[list[None]]:
        """``count`` buyers, each with a row's worth of seats of its own, then the floor."""
        rows = [[f"A-{r}-{n}" for n in range(1, 21)] for r in range(1, 11)]
        tasks = [self.buyer(f"b{k}", rows[k] if k < len(rows) else []) for k in range(count)]
        return asyncio.gather(*tasks)

    def stop(self) -> None:
        self._stop.set()

    async def audit(self) -> None:
        """Every acknowledged hold and confirm is there, once; the counts add up."""
        view = await self.router.availability(self.event_id)
        assert view["available"] + view["held"] + view["sold"] == view["capacity"]
        assert view["sold"] == len(self.sold)
        assert view["held"] == len(self.held) - len(self.sold)
        rows = (await self.router.seats(self.event_id))["sections"][0]["rows"]
        states = {
            f"A-{r + 1}-{n + 1}": state
            for r, row in enumerate(rows)
            for n, state in enumerate(row["states"])
        }
        for token, seat in self.held.items():
            if seat is not None:
                assert states[seat] == ("S" if token in self.sold else "H"), seat


def retries_seen() -> int:
    return len(ray_support.RETRIES)
