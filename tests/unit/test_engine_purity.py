"""The engine stays pure: no I/O libraries, no clock, no randomness of its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "engine"
FORBIDDEN = {
    # Infrastructure the engine must never know about.
    "ray",
    "fastapi",
    "starlette",
    "pymongo",
    "motor",
    "aio_pika",
    "stripe",
    "httpx",
    "opentelemetry",
    # I/O, clocks and randomness: time and chance are arguments, effects belong outside.
    "asyncio",
    "datetime",
    "io",
    "os",
    "random",
    "secrets",
    "socket",
    "sqlite3",
    "subprocess",
    "threading",
    "time",
    "uuid",
}
FORBIDDEN_CALLS = {"open", "input", "print", "exec", "eval", "__import__"}


def engine_modules() -> list[Path]:
    modules = sorted(ENGINE.rglob("*.py"))
    assert len(modules) >= 5, "engine modules not found"
    return modules


def imported_roots(tree: ast.AST) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", engine_modules(), ids=lambda p: p.name)
def test_engine_module_imports_nothing_impure(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    assert not imported_roots(tree) & FORBIDDEN
    calls = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not calls & FORBIDDEN_CALLS


def test_the_check_would_catch_a_forbidden_import() -> None:
    tree = ast.parse("import ray.util\nfrom pymongo import AsyncMongoClient\nimport time")
    assert imported_roots(tree) & FORBIDDEN == {"ray", "pymongo", "time"}
