"""The ``ticketing`` CLI against a real local Ray: status, snapshot, and its errors
(one line on stderr, a non-zero exit, never a traceback)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray
from typer.testing import CliRunner

from cluster.cli import app
from engine import HoldSeats
from tests.integration.ray_support import make_router, ray_local, sqlite_url
from tests.unit.engine_helpers import terms_for, venue

__all__ = ["ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")
runner = CliRunner()


@pytest.fixture(scope="module")
def event(ray_local, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """An event with one hold, in a namespace of its own: (namespace, address)."""

    async def open_event() -> str:
        router = make_router(sqlite_url(tmp_path_factory.mktemp("journal")))
        v = venue({"A": [10]})
        await router.open("cli", v, terms_for(v))
        await router.hold("cli", HoldSeats("ann", ("A-1-1",)))
        return router.calls.config.namespace

    return asyncio.run(open_event()), ray.get_runtime_context().gcs_address


def ticketing(*args: str, **env: str | None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_status_json_shows_nodes_actors_and_queues(event) -> None:
    namespace, address = event
    code, out, _ = ticketing(
        "cluster", "status", "--json", "--address", address, "--namespace", namespace
    )
    assert code == 0
    report = json.loads(out)
    (node,) = report["nodes"]
    assert node["alive"] and node["actors"] == 1 and node["resources"]["CPU"] == 2
    (actor,) = report["actors"]
    assert actor["stream"] == "cli" and actor["kind"] == "inventory" and actor["state"] == "ALIVE"
    assert actor["node_id"] == node["node_id"]
    assert (actor["seq"], actor["durable_seq"], actor["journal_lag"]) == (1, 1, 0)
    assert set(report["rabbitmq"]) == {"reachable", "error", "queues"}
    if report["rabbitmq"]["reachable"]:  # the workers' queues, by their names in workers/
        assert "payments" in report["rabbitmq"]["queues"]


def test_snapshot_prints_the_seq_of_each_actor(event) -> None:
    namespace, address = event
    code, out, _ = ticketing("snapshot", "cli", "--address", address, "--namespace", namespace)
    assert code == 0 and out.strip() == "cli: snapshot at seq 1"
    _, out, _ = ticketing(
        "cluster", "status", "--json", "--address", address, "--namespace", namespace
    )
    assert json.loads(out)["actors"][0]["snapshot_seq"] == 1


@pytest.fixture
def not_ray() -> Iterator[str]:
    """A TCP server that is not a Ray head (as Redis on 6379 is not)."""
    server = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        with server, server.accept()[0] as conn:
            conn.sendall(b"-ERR unknown command\r\n")

    threading.Thread(target=answer, daemon=True).start()
    yield f"127.0.0.1:{server.getsockname()[1]}"


def test_errors_are_one_line_and_exit_non_zero(event, not_ray: str, tmp_path: Path) -> None:
    namespace, address = event
    at = ("--address", address, "--namespace", namespace)
    node = ray.nodes()[0]["NodeID"]
    cases = [
        (("cluster", "drain", "nosuch", *at), "unknown node 'nosuch'"),
        (("snapshot", "nope", *at), "unknown event 'nope'"),
        (("cluster", "drain", node, *at), "no other alive node can host cli"),
        (("cluster", "status", "--address", "127.0.0.1:1"), "cannot reach Ray at 127.0.0.1:1"),
        (("cluster", "status", "--address", not_ray), "is not a Ray head"),
        (("cluster", "stop-local", "--dir", str(tmp_path)), "no local cluster recorded"),
    ]
    for args, message in cases:
        code, _, err = ticketing(*args)
        assert code != 0 and err.startswith("error: ") and message in err, (args, err)
        assert len(err.strip().splitlines()) == 1, err
    code, _, err = ticketing("cluster", "status", RAY_ADDRESS=None)
    assert code == 2 and "RAY_ADDRESS is not set" in err


@pytest.mark.slow
def test_start_local_runs_a_token_protected_cluster(tmp_path: Path) -> None:
    """Real processes: start-local's printed environment is all a driver needs."""
    cli = [sys.executable, "-m", "cluster.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    started = subprocess.run(
        [*cli, "cluster", "start-local", "--nodes", "2", "--dir", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    try:
        assert started.returncode == 0, started.stderr
        exports = dict(
            line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines()
        )
        assert exports["RAY_AUTH_MODE"] == "token"
        assert Path(exports["RAY_AUTH_TOKEN_PATH"]).stat().st_mode & 0o077 == 0
        status = subprocess.run(
            [*cli, "cluster", "status", "--json"],
            env=env | exports, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert status.returncode == 0, status.stderr
        assert sum(n["alive"] for n in json.loads(status.stdout)["nodes"]) == 2
    finally:
        stopped = subprocess.run(
            [*cli, "cluster", "stop-local", "--dir", str(tmp_path)],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert stopped.returncode == 0 and "stopped 2 node(s)" in stopped.stdout
