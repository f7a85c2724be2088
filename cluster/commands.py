"""``ticketing cluster ...`` and ``ticketing snapshot``: thin commands over ``cluster.*``.

Each command connects as a Ray driver for its duration (``--address`` or
``RAY_ADDRESS``; namespace ``--namespace`` or ``RAY_NAMESPACE``). Any failure is one
line on stderr and a non-zero exit (``TICKETING_DEBUG=1`` re-raises, for bugs).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from actors import local_ray
from actors.local_ray import LocalRayError
from cluster import inspect, rebalance
from cluster.connect import CliError, one_line, ray_session
from cluster.status import collect, render

app = typer.Typer(help="Inspect and operate the Ray cluster of the inventory actors.")
out = Console()
err = Console(stderr=True)

Address = Annotated[
    str | None, typer.Option("--address", envvar="RAY_ADDRESS", help="Ray head, host:port.")
]
Namespace = Annotated[
    str, typer.Option("--namespace", envvar="RAY_NAMESPACE", help="The actors' Ray namespace.")
]


def one_line_errors[F: Callable[..., Any]](command: F) -> F:
    """Turn every failure into one line on stderr and exit code 1 (2: usage)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (CliError, LocalRayError) as exc:
            err.print(f"[red]error:[/red] {exc.message}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.code) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if os.environ.get("TICKETING_DEBUG"):
                raise
            err.print(
                f"[red]error:[/red] {type(exc).__name__}: {one_line(exc)}",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def settings() -> Any:
    from contexts.shared.settings import get_settings

    try:
        return get_settings()
    except Exception as exc:  # a bad environment variable: say which
        raise CliError(f"invalid settings: {one_line(exc)}", 2) from None


@app.command("status")
@one_line_errors
def status(
    address: Address = None,
    namespace: Namespace = "ticketing",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Nodes, inventory actors per node (state, seq, journal and outbox lag), queue depths."""
    config = settings()
    with ray_session(address, namespace):
        report = asyncio.run(collect(namespace, config))
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        render(report, out)


def _print_report(report: rebalance.Report, verb: str) -> None:
    for stream in report.finished:
        out.print(f"finished an interrupted move: {stream}")
    table = Table(title=f"{verb}: {len(report.moved)} actor(s) moved", title_justify="left")
    for column in ("stream", "from", "to", "seq at drain", "seconds"):
        table.add_column(column, overflow="fold")  # wraps in a narrow terminal, never cuts
    for m in report.moved:
        seq = "-" if m.seq is None else str(m.seq)
        table.add_row(m.stream, m.source or "-", m.landed, seq, f"{m.seconds:.2f}")
    out.print(table)
    if report.failed:
        for stream, why in sorted(report.failed.items()):
            err.print(f"not moved: {stream}: {why}", highlight=False, soft_wrap=True)
        raise CliError(f"{len(report.failed)} actor(s) not moved (see above); run it again")


@app.command("drain")
@one_line_errors
def drain(
    node: Annotated[str, typer.Argument(help="Node id, or a unique prefix of one.")],
    address: Address = None,
    namespace: Namespace = "ticketing",
) -> None:
    """Move every inventory and quota-ledger actor off NODE, losing no command."""
    with ray_session(address, namespace):
        target = inspect.find_node(node, inspect.nodes())
        if not target.alive:
            raise CliError(f"node {target.node_id} is dead: Ray restarts its actors elsewhere")
        report = asyncio.run(rebalance.drain(namespace, target.node_id))
    _print_report(report, f"drained {target.node_id[:12]}")


@app.command("rebalance")
@one_line_errors
def rebalance_cmd(address: Address = None, namespace: Namespace = "ticketing") -> None:
    """Spread inventory actors evenly over the alive nodes (after nodes join)."""
    with ray_session(address, namespace):
        report = asyncio.run(rebalance.rebalance(namespace))
    _print_report(report, "rebalanced")


def _local_dir(directory: Path | None) -> Path:
    return directory or settings().data_dir / "ray-local"


LocalDir = Annotated[
    Path | None, typer.Option("--dir", help="State directory (default: DATA_DIR/ray-local).")
]


@app.command("start-local")
@one_line_errors
def start_local(
    nodes: Annotated[int, typer.Option(min=1, max=16, help="Nodes, head included.")] = 3,
    cpus: Annotated[int, typer.Option(min=1, help="CPUs each node offers.")] = 1,
    directory: LocalDir = None,
) -> None:
    """A multi-node Ray cluster on this machine; prints the environment to use it."""
    state = local_ray.start(_local_dir(directory), nodes, cpus)
    err.print(f"{nodes} node(s) up at {state['address']} (token auth on). Use it with:")
    for key, value in local_ray.driver_env(state).items():
        print(f"export {key}={value}")  # stdout: eval "$(ticketing cluster start-local)"


@app.command("stop-local")
@one_line_errors
def stop_local(directory: LocalDir = None) -> None:
    """Stop the cluster that start-local started (and only it)."""
    stopped = local_ray.stop(_local_dir(directory))
    out.print(f"stopped {stopped} node(s)")


@one_line_errors
def snapshot(
    event: Annotated[str, typer.Argument(help="The event id.")],
    address: Address = None,
    namespace: Namespace = "ticketing",
) -> None:
    """Snapshot every actor of EVENT (its inventory, or its shards and quota ledger)."""
    with ray_session(address, namespace):
        streams = [
            r.stream
            for r in inspect.inventory_actors(namespace)
            if r.state != "DEAD" and (r.stream == event or r.stream.startswith(f"{event}#"))
        ]
        if not streams:
            raise CliError(f"unknown event {event!r}: no inventory actor in {namespace!r}")
        answers = asyncio.run(inspect.ask_all(namespace, streams, "snapshot"))
    failed = {s: a for s, a in answers.items() if isinstance(a, BaseException)}
    for stream, seq in answers.items():
        if stream not in failed:
            out.print(f"{stream}: snapshot at seq {seq}")
    if failed:
        stream, exc = next(iter(failed.items()))
        raise CliError(f"snapshot of {stream} failed: {type(exc).__name__}: {one_line(exc)}")
