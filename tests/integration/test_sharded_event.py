"""A very large event split into shard actors: routing, merged views, limits across shards."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import (
    HoldArea,
    HoldBestAvailable,
    HoldSeats,
    InvalidAreaError,
    InvalidSeatError,
    LimitExceededError,
    SoldOutError,
)
from tests.integration.ray_support import make_router, ray_local, sqlite_url
from tests.unit.engine_helpers import terms_for, venue

__all__ = ["ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")


@pytest.fixture
async def sharded(tmp_path: Path):
    router = make_router(sqlite_url(tmp_path))
    v = venue({"A": [10], "B": [10], "C": [10]}, {"FLOOR": 9})
    await router.open("big", v, terms_for(v, limit=4), shards=3)
    yield router
    await router.close()


async def test_holds_route_to_the_owning_shard_and_views_merge(sharded) -> None:
    router = sharded
    a = await router.hold("big", HoldSeats("ann", ("A-1-1", "A-1-2")))
    b = await router.hold("big", HoldBestAvailable("bob", "B", 3))
    assert a.seat_ids == ["A-1-1", "A-1-2"] and b.seat_ids == ["B-1-1", "B-1-2", "B-1-3"]
    assert a.ref.shard != b.ref.shard
    await router.confirm(a.ref, "pi_a", customer="ann")
    view = await router.availability("big")
    assert (view["capacity"], view["sold"], view["held"]) == (39, 2, 3)
    assert view["sections"]["B"]["held"] == 3 and view["areas"]["FLOOR"]["capacity"] == 9
    seats = await router.seats("big")
    assert [s["name"] for s in seats["sections"]] == ["A", "B", "C"]
    assert seats["sections"][0]["rows"][0]["states"].startswith("SSA")
    statuses = await router.status("big")
    assert len(statuses) == 4  # the ledger and three shards


async def test_per_customer_limit_holds_across_shards(sharded) -> None:
    router = sharded
    first = await router.hold("big", HoldSeats("ann", ("A-1-1", "A-1-2")))
    await router.hold("big", HoldSeats("ann", ("B-1-1",)))
    await router.hold("big", HoldArea("ann", "FLOOR", 1))
    with pytest.raises(LimitExceededError):
        await router.hold("big", HoldSeats("ann", ("C-1-1",)))
    await router.release(first.ref, customer="ann")
    await router.hold("big", HoldSeats("ann", ("C-1-1", "C-1-2")))  # quota came back
    with pytest.raises(LimitExceededError):
        await router.hold("big", HoldBestAvailable("ann", "C", 1))


async def test_refused_shard_hold_returns_its_quota(sharded) -> None:
    router = sharded
    await router.hold("big", HoldSeats("bob", ("A-1-1",)))
    for _ in range(6):  # more refusals than ann's limit: each returned its grant
        with pytest.raises(Exception):  # noqa: B017 - seat taken
            await router.hold("big", HoldSeats("ann", ("A-1-1",)))
    await router.hold("big", HoldSeats("ann", ("A-1-2", "A-1-3", "A-1-4", "A-1-5")))


async def test_area_quantities_use_any_shard_with_room(sharded) -> None:
    router = sharded
    held = [await router.hold("big", HoldArea(f"c{i}", "FLOOR", 1)) for i in range(9)]
    assert len({h.ref.shard for h in held}) == 3
    with pytest.raises(SoldOutError):
        await router.hold("big", HoldArea("late", "FLOOR", 1))
    assert (await router.availability("big"))["areas"]["FLOOR"]["available"] == 0


async def test_one_reservation_cannot_span_shards(sharded) -> None:
    with pytest.raises(InvalidSeatError, match="same part"):
        await sharded.hold("big", HoldSeats("ann", ("A-1-1", "B-1-1")))


async def test_a_hold_naming_nothing_is_invalid_before_the_limit_is_counted(sharded) -> None:
    # Over ann's limit of 4 and naming nothing: a 422, and no quota grant was taken.
    with pytest.raises(InvalidAreaError):
        await sharded.hold("big", HoldBestAvailable("ann", "Z", 5))
    with pytest.raises(InvalidAreaError):
        await sharded.hold("big", HoldArea("ann", "NOPE", 5))
    with pytest.raises(InvalidSeatError):
        await sharded.hold("big", HoldSeats("ann", ("Z-1-1", "Z-1-2", "Z-1-3", "Z-1-4", "Z-1-5")))
    ledger = await sharded.calls.call("big", "status")
    assert ledger["kind"] == "limits" and ledger["seq"] == 0  # no grant was journaled
