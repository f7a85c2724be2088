"""``ticketing cluster status``: nodes, inventory actors per node, queue depths.

``collect`` builds one JSON-ready report (``--json`` prints it as is); ``render``
draws it as rich tables that fit the terminal: a cell too wide for its column wraps
(``overflow="fold"``), so ids are shown whole, never cut or ellipsised. Journal lag
is what an actor decided but has not yet made durable (``seq - durable_seq``),
snapshot lag what a restart would replay (``seq - snapshot_seq``), outbox lag what
is journaled but not yet published.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from actors.relocation import pending_moves
from cluster import inspect
from cluster.connect import one_line
from cluster.queues import queue_depths, worker_queue_names

ACTOR_COLUMNS = ("stream", "kind", "state", "node", "seq", "durable", "snapshot")
ACTOR_COLUMNS += ("journal lag", "outbox lag")


def _resources(node: inspect.Node) -> dict[str, float]:
    """CPUs, GPUs and custom resources: what placement looks at (not memory, nor the
    per-node ``node:<ip>`` markers)."""
    skip = ("memory", "object_store_memory")
    return {k: v for k, v in node.resources.items() if k not in skip and not k.startswith("node:")}


async def collect(namespace: str, settings: Any) -> dict[str, Any]:
    nodes = inspect.nodes()
    rows = inspect.inventory_actors(namespace)
    live = [r.stream for r in rows if r.state != "DEAD"]
    statuses = await inspect.ask_all(namespace, live, "status")
    actors = []
    for row in rows:
        status = statuses.get(row.stream)
        entry: dict[str, Any] = {"stream": row.stream, "state": row.state, "node_id": row.node_id}
        if isinstance(status, dict):
            entry |= {k: status[k] for k in ("event_id", "kind", "seq", "durable_seq")}
            entry |= {
                "snapshot_seq": status["snapshot_seq"],
                "journal_lag": status["seq"] - status["durable_seq"],
                "snapshot_lag": status["seq"] - status["snapshot_seq"],
                "outbox_lag": status["outbox_lag"],
                "draining": status.get("draining", False),
                "node_id": status["node_id"],  # the actor's own word beats a stale table
            }
        elif status is not None:
            entry["error"] = f"{type(status).__name__}: {one_line(status)}"
        actors.append(entry)
    per_node = {n.node_id: 0 for n in nodes}
    for entry in actors:
        if entry["state"] != "DEAD" and entry["node_id"] in per_node:
            per_node[entry["node_id"]] += 1
    queues: dict[str, Any] = {"reachable": False, "error": "AMQP_URL not set", "queues": {}}
    if settings.amqp_url:
        queues = await queue_depths(settings.amqp_url, worker_queue_names(settings))
    return {
        "namespace": namespace,
        "nodes": [
            {
                "node_id": n.node_id,
                "address": n.address,
                "alive": n.alive,
                "resources": _resources(n),
                "actors": per_node[n.node_id],
            }
            for n in nodes
        ],
        "actors": actors,
        "pending_moves": sorted(pending_moves(namespace)),
        "rabbitmq": queues,
    }


def _num(value: Any) -> str:
    return "-" if value is None else str(value)


def render(report: dict[str, Any], console: Console) -> None:
    nodes = Table(title=f"Nodes ({len(report['nodes'])})", title_justify="left")
    for column in ("node id", "address", "alive", "actors", "resources"):
        nodes.add_column(column, overflow="fold")
    for n in report["nodes"]:
        alive = "yes" if n["alive"] else "[red]dead[/red]"
        resources = ", ".join(f"{k}={v:g}" for k, v in sorted(n["resources"].items()))
        nodes.add_row(n["node_id"], n["address"], alive, str(n["actors"]), resources)
    console.print(nodes)

    actors = Table(title=f"Inventory actors in {report['namespace']!r}", title_justify="left")
    for column in ACTOR_COLUMNS:
        actors.add_column(column, overflow="fold")
    for a in report["actors"]:
        state = a["state"] + (" (draining)" if a.get("draining") else "")
        if "error" in a:
            state += f" [red]{a['error']}[/red]"
        actors.add_row(
            a["stream"], a.get("kind", "?"), state, a["node_id"] or "-",
            _num(a.get("seq")), _num(a.get("durable_seq")), _num(a.get("snapshot_seq")),
            _num(a.get("journal_lag")), _num(a.get("outbox_lag")),
        )  # fmt: skip
    console.print(actors)
    if report["pending_moves"]:
        console.print(f"[yellow]moves not finished:[/yellow] {', '.join(report['pending_moves'])}"
                      " (`ticketing cluster rebalance` finishes them)")  # fmt: skip

    mq = report["rabbitmq"]
    if not mq["reachable"]:
        console.print(f"RabbitMQ: [red]unreachable[/red] ({mq['error']})")
        return
    queues = Table(title="RabbitMQ queues", title_justify="left")
    for column in ("queue", "ready messages", "consumers"):
        queues.add_column(column, overflow="fold")
    for name, depth in mq["queues"].items():
        if depth is None:
            queues.add_row(name, "absent", "-")
        else:
            queues.add_row(name, str(depth["messages"]), str(depth["consumers"]))
    console.print(queues)
