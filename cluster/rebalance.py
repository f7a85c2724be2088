"""Drain and rebalance: plan where actors go (``cluster.plan``), then move them
(``cluster.placement.move``), a few at a time, and report what moved and what not.

Both first finish any move a previous run left half done (a killed actor not yet
recreated, or a drained one not yet killed).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from cluster import inspect
from cluster.connect import CliError, one_line
from cluster.placement import Moved, finish_pending, move
from cluster.plan import NoHostError, PlannedMove, plan_drain, plan_rebalance

PARALLEL_MOVES = 4


@dataclass
class Report:
    """What a drain or rebalance did: the moves, and the streams it could not move."""

    moved: list[Moved] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # stream -> why
    finished: list[str] = field(default_factory=list)  # interrupted moves completed first


async def _layout(namespace: str, report: Report) -> tuple[dict, dict[str, set[str]]]:
    """Where each live actor is, and which alive nodes could host it."""
    rows = [r for r in inspect.inventory_actors(namespace) if r.state != "DEAD"]
    args = await inspect.ask_all(namespace, [r.stream for r in rows], "placement_args")
    nodes = inspect.host_nodes(inspect.nodes())
    placement = {row.stream: row.node_id for row in rows}
    hosts = {}
    for row in rows:
        needs = args[row.stream]
        if isinstance(needs, BaseException):  # e.g. restarting: Ray is placing it anyway
            report.failed[row.stream] = f"unresponsive: {type(needs).__name__}"
            continue
        hosts[row.stream] = {n.node_id for n in nodes if n.can_host(needs["resources"])}
    return placement, hosts


async def run_moves(namespace: str, planned: list[PlannedMove], report: Report) -> Report:
    """Carry out planned moves, a few at a time (each is mostly waiting)."""
    gate = asyncio.Semaphore(PARALLEL_MOVES)

    async def one(p: PlannedMove) -> Moved:
        async with gate:
            return await move(namespace, p.stream, p.target)

    results = await asyncio.gather(*(one(p) for p in planned), return_exceptions=True)
    for planned_move, result in zip(planned, results, strict=True):
        if isinstance(result, BaseException):
            # The marker stays: the next drain or rebalance finishes this move.
            report.failed[planned_move.stream] = f"{type(result).__name__}: {one_line(result)}"
        else:
            report.moved.append(result)
    return report


async def drain(namespace: str, node_id: str) -> Report:
    """Move every inventory and quota-ledger actor off ``node_id``."""
    report = Report(finished=await finish_pending(namespace))
    placement, hosts = await _layout(namespace, report)
    movable = {s: n for s, n in placement.items() if s in hosts}  # all: each node's load
    try:
        planned = plan_drain(movable, hosts, node_id)
    except NoHostError as exc:
        raise CliError(f"cannot drain {node_id}: {exc}") from None
    report.failed = {s: why for s, why in report.failed.items() if placement[s] == node_id}
    return await run_moves(namespace, planned, report)


async def rebalance(namespace: str) -> Report:
    """Spread the actors evenly over the alive nodes that can host them."""
    report = Report(finished=await finish_pending(namespace))
    placement, hosts = await _layout(namespace, report)
    movable = {s: n for s, n in placement.items() if s in hosts}
    return await run_moves(namespace, plan_rebalance(movable, hosts), report)
