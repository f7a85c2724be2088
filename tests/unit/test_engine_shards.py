"""Shard planning: every place lands in exactly one shard, balanced, priced as before."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import InvalidSeatError, Inventory
from engine.shards import ShardPlan, plan_shards
from tests.unit.engine_helpers import terms_for, venue


@given(
    sections=st.lists(st.integers(1, 30), min_size=0, max_size=8),
    area=st.integers(0, 50),
    count=st.integers(1, 6),
)
def test_every_place_lands_in_exactly_one_shard(sections: list[int], area: int, count: int) -> None:
    rows = {f"S{i}": [n] for i, n in enumerate(sections)}
    areas = {"FLOOR": area} if area else {}
    if not rows and not areas:
        return
    v = venue(rows, areas)
    plan = plan_shards(v, terms_for(v), count)
    assert 1 <= len(plan.shards) <= count
    assert sum(sub.capacity for sub, _ in plan.shards) == v.capacity
    assert sorted(plan.section_shard) == sorted(rows)
    loads = [sum(s.capacity for s in sub.sections) for sub, _ in plan.shards]
    if sections:
        assert max(loads) - min(loads) <= max(sections)
    for sub, terms in plan.shards:
        Inventory(sub, terms)  # each shard is a valid inventory with prices for all it owns
    assert ShardPlan.from_dict(plan.to_dict()) == plan


def test_seats_route_to_their_section_shard() -> None:
    v = venue({"A": [5], "B": [5], "C-1": [5]})
    plan = plan_shards(v, terms_for(v), 3)
    assert plan.shard_of_seats(("C-1-1-2", "C-1-1-3")) == plan.section_shard["C-1"]
    with pytest.raises(InvalidSeatError, match="same part"):
        plan.shard_of_seats(("A-1-1", "B-1-1"))
    with pytest.raises(InvalidSeatError):
        plan.shard_of_seats(("Z-1-1",))
