"""Where drains and rebalances send actors (cluster.plan: pure, no Ray)."""

from __future__ import annotations

from collections import Counter

import pytest

from cluster.plan import NoHostError, plan_drain, plan_rebalance


def after(placement: dict[str, str | None], moves) -> Counter[str]:
    where = dict(placement)
    for move in moves:
        assert where[move.stream] == move.source
        where[move.stream] = move.target
    return Counter(n for n in where.values() if n is not None)


def test_a_drain_spreads_the_node_s_actors_over_the_least_loaded_hosts() -> None:
    placement = {"a": "n1", "b": "n1", "c": "n1", "d": "n2"}
    hosts = {s: {"n1", "n2", "n3"} for s in placement}
    moves = plan_drain(placement, hosts, "n1")
    assert {m.stream for m in moves} == {"a", "b", "c"}
    assert after(placement, moves) == Counter({"n3": 2, "n2": 2})


def test_a_drain_respects_which_nodes_can_host_an_actor() -> None:
    placement = {"a": "n1", "b": "n1"}
    hosts = {"a": {"n1", "n2"}, "b": {"n1", "n3"}}
    assert [(m.stream, m.target) for m in plan_drain(placement, hosts, "n1")] == [
        ("a", "n2"),
        ("b", "n3"),
    ]
    with pytest.raises(NoHostError, match="b"):
        plan_drain(placement, {"a": {"n2"}, "b": {"n1"}}, "n1")


def test_a_drain_of_a_node_without_actors_moves_nothing() -> None:
    assert plan_drain({"a": "n2"}, {"a": {"n1", "n2"}}, "n1") == []


def test_a_rebalance_evens_out_actors_with_few_moves() -> None:
    placement = {f"e{k}": "n1" for k in range(5)} | {"f": "n2"}
    hosts = {s: {"n1", "n2", "n3"} for s in placement}
    moves = plan_rebalance(placement, hosts)
    assert sorted(after(placement, moves).values()) == [2, 2, 2] and len(moves) == 3
    assert plan_rebalance({"a": "n1", "b": "n2"}, {"a": {"n1", "n2"}, "b": {"n1", "n2"}}) == []


def test_a_rebalance_leaves_actors_where_nothing_else_can_host_them() -> None:
    placement = {"a": "n1", "b": "n1", "c": "n1"}
    hosts = {"a": {"n1"}, "b": {"n1"}, "c": {"n1", "n2"}}
    assert [(m.stream, m.target) for m in plan_rebalance(placement, hosts)] == [("c", "n2")]


def test_labelled_inventory_nodes_host_actors_and_driver_nodes_never_do() -> None:
    from actors.config import ROLE_LABEL
    from actors.ray_nodes import Node, host_nodes

    def node(name: str, role: str | None, alive: bool = True) -> Node:
        return Node(name, "10.0.0.1", alive, {"CPU": 1}, {ROLE_LABEL: role} if role else {})

    labelled = [node("h", "head"), node("i1", "inventory"), node("i2", "inventory", False)]
    assert [n.node_id for n in host_nodes([*labelled, node("d", "driver")])] == ["i1"]
    unlabelled = [node("a", None), node("b", None), node("d", "driver")]
    assert [n.node_id for n in host_nodes(unlabelled)] == ["a", "b"]
