"""Where actors should go: pure planning of drains and rebalances (no Ray calls).

Inputs are plain maps so the rules are testable on their own: where each actor is
(``placement``: stream -> node id), which nodes may host it (``hosts``: stream ->
eligible node ids, alive and offering the actor's custom resources), and the result
is a list of moves ``(stream, source, target)``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PlannedMove:
    stream: str
    source: str | None
    target: str


class NoHostError(Exception):
    """No alive node other than the drained one can host an actor."""


def _loads(placement: dict[str, str | None], nodes: set[str]) -> Counter[str]:
    load: Counter[str] = Counter({node: 0 for node in nodes})
    load.update(node for node in placement.values() if node in nodes)
    return load


def plan_drain(
    placement: dict[str, str | None], hosts: dict[str, set[str]], node: str
) -> list[PlannedMove]:
    """Move every actor off ``node``, each to its least loaded eligible node."""
    everywhere = set().union(*hosts.values()) if hosts else set()
    load = _loads(placement, everywhere - {node})
    moves = []
    for stream in sorted(s for s, where in placement.items() if where == node):
        candidates = sorted(hosts.get(stream, set()) - {node})
        if not candidates:
            raise NoHostError(f"no other alive node can host {stream}")
        target = min(candidates, key=lambda n: (load[n], n))
        load[target] += 1
        moves.append(PlannedMove(stream, node, target))
    return moves


def plan_rebalance(
    placement: dict[str, str | None], hosts: dict[str, set[str]]
) -> list[PlannedMove]:
    """Moves that even out actors across eligible nodes (at most one apart, where the
    actors' resource needs allow), moving as few as possible."""
    everywhere = set().union(*hosts.values()) if hosts else set()
    load = _loads(placement, everywhere)
    where = dict(placement)
    moves: list[PlannedMove] = []
    for _ in range(len(placement)):  # each move lowers the spread: bounded
        move = _best_move(where, hosts, load)
        if move is None:
            break
        moves.append(move)
        where[move.stream] = move.target
        load[move.target] += 1
        if move.source in load:
            load[move.source] -= 1
    return moves


def _best_move(
    where: dict[str, str | None], hosts: dict[str, set[str]], load: Counter[str]
) -> PlannedMove | None:
    """One move from the most loaded node to a node at least two lighter."""
    for source in sorted(load, key=lambda n: (-load[n], n)):
        for stream in sorted(s for s, n in where.items() if n == source):
            options = [n for n in hosts.get(stream, set()) if load[n] <= load[source] - 2]
            if options:
                target = min(options, key=lambda n: (load[n], n))
                return PlannedMove(stream, source, target)
    return None
