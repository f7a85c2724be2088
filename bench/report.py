"""Benchmark figures: the `Figure` record, the rich table and the JSON results file."""

import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "latest.json"


@dataclass
class Figure:
    """One measured figure, e.g. `engine_hold_confirm_per_s`."""

    name: str
    value: float
    unit: str
    goal: str | None = None
    baseline: float | None = None
    note: str = ""


def format_value(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.2f}"


def render_table(figures: Sequence[Figure], title: str = "Benchmark") -> Table:
    table = Table(title=title)
    table.add_column("figure", style="bold")
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("baseline", justify="right")
    table.add_column("goal")
    table.add_column("note")
    for fig in figures:
        table.add_row(
            fig.name,
            format_value(fig.value),
            fig.unit,
            format_value(fig.baseline),
            fig.goal or "-",
            fig.note,
        )
    return table


def print_figures(
    figures: Sequence[Figure], console: Console | None = None, title: str = "Benchmark"
) -> None:
    (console or Console()).print(render_table(figures, title=title))


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _versions(*packages: str) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in packages:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def collect_metadata() -> dict[str, Any]:
    return {
        "timestamp": datetime.now(UTC).isoformat(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "ray_version": _versions("ray")["ray"],
        "versions": _versions("fastapi", "uvicorn", "pymongo", "psycopg", "aiohttp"),
        "git_commit": git_commit(),
    }


def write_json(
    figures: Sequence[Figure],
    path: Path = DEFAULT_OUT,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write `{"metadata": ..., "figures": [...]}` to `path`, creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "metadata": metadata if metadata is not None else collect_metadata(),
        "figures": [asdict(fig) for fig in figures],
    }
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return path
