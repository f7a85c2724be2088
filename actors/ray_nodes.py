"""The Ray nodes of the cluster this process is a driver of, and which may host actors.

Read by the operators' CLI (``ticketing cluster status``, drain, rebalance) and by the
admin's placement view in the API: both ask Ray the same way, so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ray

from actors.config import ROLE_LABEL


@dataclass(frozen=True, slots=True)
class Node:
    node_id: str
    address: str
    alive: bool
    resources: dict[str, float] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def role(self) -> str | None:
        """``ticketing.io/role``: head, inventory or driver (ray-cluster.yaml, KubeRay)."""
        return self.labels.get(ROLE_LABEL)

    def can_host(self, needs: dict[str, float]) -> bool:
        """Whether this node offers the custom resources an actor was created with."""
        return self.alive and all(self.resources.get(k, 0.0) >= v for k, v in needs.items())


def nodes() -> list[Node]:
    """Every node Ray knows of, alive or dead (a dead one stays listed for a while)."""
    found = {}
    for n in ray.nodes():
        node = Node(
            n["NodeID"],
            n["NodeManagerAddress"],
            bool(n["Alive"]),
            dict(n["Resources"]),
            dict(n.get("Labels") or {}),
        )
        if node.node_id not in found or node.alive:
            found[node.node_id] = node
    return sorted(found.values(), key=lambda n: (not n.alive, n.node_id))


def host_nodes(known: list[Node]) -> list[Node]:
    """Alive nodes that should host inventory actors: those labelled for it when the
    cluster has any (ray-cluster.yaml, KubeRay); else any but drivers' nodes, which
    come and go with API replicas."""
    alive = [n for n in known if n.alive]
    return [n for n in alive if n.role == "inventory"] or [n for n in alive if n.role != "driver"]
