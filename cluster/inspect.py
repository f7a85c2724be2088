"""What is where: the cluster's nodes (``actors.ray_nodes``) and the inventory actors
of one namespace.

Placement and state come from Ray's state API (``ray.util.state.list_actors``),
which needs the dashboard; without one (``--include-dashboard=false``) they come
from the GCS actor table, matched to the namespace through the named actors.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import ray

from actors.config import actor_name
from actors.ray_nodes import Node
from actors.ray_nodes import host_nodes as host_nodes  # the CLI's modules read them here
from actors.ray_nodes import nodes as nodes
from cluster.connect import CliError

log = logging.getLogger(__name__)

PREFIX = actor_name("")  # every inventory and quota-ledger actor is "inventory:<stream>"
CALL_TIMEOUT_S = 10.0
_LIVE_FIRST = {"ALIVE": 0, "RESTARTING": 1, "PENDING_CREATION": 2, "DEPENDENCIES_UNREADY": 3}


@dataclass(frozen=True, slots=True)
class ActorRow:
    stream: str
    actor_id: str
    state: str  # ALIVE, RESTARTING, PENDING_CREATION, DEAD, ...
    node_id: str | None


def find_node(query: str, known: list[Node]) -> Node:
    """The node a query names: its id or a unique id prefix (4+ characters)."""
    matches = [n for n in known if n.node_id == query]
    if not matches and len(query) >= 4:
        matches = [n for n in known if n.node_id.startswith(query)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise CliError(f"node {query!r} is ambiguous: {len(matches)} node ids start with it")
    raise CliError(f"unknown node {query!r} (see `ticketing cluster status` for node ids)")


def inventory_actors(namespace: str) -> list[ActorRow]:
    """One row per stream: its live incarnation, else its last dead one."""
    try:
        rows = _from_state_api(namespace)
    except Exception as exc:  # no dashboard: the GCS table is always there
        log.debug("state API unavailable (%s): reading the GCS actor table", exc)
        rows = _from_gcs(namespace)
    best: dict[str, ActorRow] = {}
    for row in rows:
        current = best.get(row.stream)
        if current is None or _LIVE_FIRST.get(row.state, 9) < _LIVE_FIRST.get(current.state, 9):
            best[row.stream] = row
    return sorted(best.values(), key=lambda r: r.stream)


def _from_state_api(namespace: str) -> list[ActorRow]:
    from ray.util.state import list_actors

    listed = list_actors(
        address=ray.get_runtime_context().gcs_address,
        filters=[("ray_namespace", "=", namespace)],
        limit=10_000,  # the API server's own maximum
        timeout=int(CALL_TIMEOUT_S),
        raise_on_missing_output=False,
    )
    return [
        ActorRow(a.name[len(PREFIX) :], a.actor_id, a.state, a.node_id)
        for a in listed
        if a.name and a.name.startswith(PREFIX)
    ]


def _from_gcs(namespace: str) -> list[ActorRow]:
    from ray._private import state  # private, but the state API's own source without a dashboard

    rows = []
    for entry in ray.util.list_named_actors(all_namespaces=True):
        if entry["namespace"] != namespace or not entry["name"].startswith(PREFIX):
            continue
        try:
            actor_id = ray.get_actor(entry["name"], namespace=namespace)._actor_id.hex()
        except ValueError:  # gone since it was listed
            continue
        info = state.actors(actor_id)
        node = info.get("Address", {}).get("NodeID") or None
        rows.append(ActorRow(entry["name"][len(PREFIX) :], actor_id, info.get("State", "?"), node))
    return rows


def handle(namespace: str, stream: str) -> Any:
    try:
        return ray.get_actor(actor_name(stream), namespace=namespace)
    except ValueError:
        raise CliError(f"no inventory actor {actor_name(stream)!r} in {namespace!r}") from None


async def ask_all(
    namespace: str, streams: list[str], method: str, timeout: float = CALL_TIMEOUT_S
) -> dict[str, Any]:
    """``method()`` of each stream's actor, concurrently; an exception where one failed."""

    async def ask(stream: str) -> Any:
        try:
            actor = await asyncio.to_thread(handle, namespace, stream)
            return await asyncio.wait_for(getattr(actor, method).remote(), timeout)
        except Exception as exc:  # reported per actor: one stuck actor must not hide others
            return exc

    answers = await asyncio.gather(*(ask(s) for s in streams))
    return dict(zip(streams, answers, strict=True))
