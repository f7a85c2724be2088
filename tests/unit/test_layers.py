"""Dependencies point one way, and no module imports itself in a circle.

The layers, lowest first (docs/architecture.md draws them)::

    engine <- actors <- contexts.shared <- contexts.<context> <- bootstrap
           <- api | workers | cluster <- bench

A module may import its own layer and any layer below it, never one above it nor a
sibling face (``api`` and ``workers`` never import each other; ``cluster`` imports
neither ``api`` nor ``bench``). A context imports ``contexts.shared`` and itself, plus the
few ports of another context listed in ``PORTS``. Every import counts: at module level,
inside a function and under ``TYPE_CHECKING`` (a type-only import is still a
dependency a reader follows). The same walk finds import cycles.

Like ``test_engine_purity.py`` for the engine: the rules are read off the source's
syntax tree, so a new module is checked the day it is added.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "actors", "contexts", "api", "workers", "cluster", "bench")
TOP_MODULES = ("bootstrap",)

# Rank of each layer; a module may import ranks <= its own, except the faces (rank 5),
# which may not import each other.
RANK = {
    "engine": 0,
    "actors": 1,
    "contexts.shared": 2,
    "contexts": 3,  # one context (contexts.<name>)
    "bootstrap": 4,
    "api": 5,
    "workers": 5,
    "cluster": 5,
    "bench": 6,
}

# Ports one context offers another: (importer context, imported module). Each is a
# read the importer needs and the owner keeps the rules of.
PORTS: frozenset[tuple[str, str]] = frozenset(
    {
        ("auth", "contexts.orders.history"),
        ("auth", "contexts.organisers.audit"),
        ("catalog", "contexts.organisers.access"),
        ("catalog", "contexts.organisers.audit"),
        ("catalog", "contexts.organisers.schemas"),
        ("catalog", "contexts.tickets.transfer_schemas"),
        ("orders", "contexts.organisers.access"),
        ("orders", "contexts.organisers.audit"),
        ("orders", "contexts.reservations.schemas"),
        ("orders", "contexts.tickets.issue"),
        ("orders", "contexts.tickets.signer"),
        ("organisers", "contexts.auth.schemas"),
        ("organisers", "contexts.catalog.docs"),
        ("organisers", "contexts.catalog.errors"),
        ("organisers", "contexts.catalog.rules"),
        ("reservations", "contexts.catalog.rules"),
        ("tickets", "contexts.auth.schemas"),
        ("tickets", "contexts.catalog.rules"),
        ("tickets", "contexts.organisers.access"),
        ("waiting_room", "contexts.auth.tokens"),
        ("waiting_room", "contexts.catalog.context"),
        ("waiting_room", "contexts.catalog.rules"),
        ("webhooks", "contexts.catalog.rules"),
    }
)


def modules() -> dict[str, Path]:
    """Every project module by dotted name."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    for name in TOP_MODULES:
        if (ROOT / f"{name}.py").exists():
            found[name] = ROOT / f"{name}.py"
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The project modules ``name`` imports (anywhere in its file)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from a import b`` names module a.b when there is one, else a's attribute.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:  # ``import a.b.c`` of a module a.b.c
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def layer(module: str) -> str:
    """The layer a module belongs to (a key of ``RANK``)."""
    if module.startswith("contexts.shared") or module == "contexts":
        return "contexts.shared"
    if module.startswith("contexts."):
        return "contexts"
    return module.split(".")[0]


def context_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "contexts" and len(parts) > 1 and parts[1] != "shared" else None


def allowed(importer: str, imported: str) -> bool:
    mine, theirs = layer(importer), layer(imported)
    if mine == "bench" or (theirs == mine and mine != "contexts"):
        return True
    if mine == "contexts" and theirs == "contexts":
        own = context_of(importer) == context_of(imported)
        return own or (context_of(importer), imported) in PORTS
    if RANK[mine] == RANK[theirs] == 5:
        return False  # api, workers and cluster never import each other
    return RANK[theirs] < RANK[mine]


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: set(imports(name, path, known)) for name, path in known.items()}


def test_every_import_points_down_the_layers() -> None:
    wrong = sorted(
        (importer, imported)
        for importer, targets in graph().items()
        for imported in targets
        if not allowed(importer, imported)
    )
    assert not wrong, "imports against the direction:\n" + "\n".join(
        f"  {a} -> {b}" for a, b in wrong
    )


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_no_import_cycle() -> None:
    found = cycles(graph())
    assert not found, "import cycles:\n" + "\n".join("  " + " <-> ".join(c) for c in found)


@pytest.mark.parametrize(
    ("importer", "imported", "ok"),
    [
        ("actors.core", "engine.inventory", True),
        ("engine.inventory", "actors.core", False),
        ("contexts.orders.payments", "contexts.shared.errors", True),
        ("contexts.orders.payments", "contexts.catalog.events", False),
        ("contexts.shared.errors", "contexts.orders.payments", False),
        ("api.routes.orders", "bootstrap", True),
        ("workers.host", "api.main", False),
        ("api.main", "workers.host", False),
        ("bootstrap", "workers.host", False),
        ("contexts.orders.context", "bootstrap", False),
        ("cluster.queues", "workers.host", False),
        ("bench.http_bench", "api.main", True),
    ],
)
def test_the_rule_itself(importer: str, imported: str, ok: bool) -> None:
    assert allowed(importer, imported) is ok


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
