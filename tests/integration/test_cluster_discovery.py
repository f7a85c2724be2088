"""`ticketing cluster ...` finds the Ray that `make run` recorded, and its tables wrap ids.

`make run` writes DATA_DIR/ray/cluster.json (address, token file); the CLI reads it
when no --address/RAY_ADDRESS is given, and says at once when there is nothing to join.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import ray
from rich.console import Console

from cluster.connect import CliError, resolve
from cluster.status import render
from tests.integration.ray_support import ray_local

__all__ = ["ray_local"]


def test_no_recorded_ray_and_no_address_fails_at_once(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    with pytest.raises(CliError) as refused:
        resolve(None)
    assert "RAY_ADDRESS is not set" in refused.value.message
    assert str(tmp_path / "ray" / "cluster.json") in refused.value.message


@pytest.mark.usefixtures("ray_local")
def test_the_recorded_head_and_its_token_are_used(tmp_path: Path, monkeypatch) -> None:
    address = ray.get_runtime_context().gcs_address
    token = tmp_path / "ray" / "auth_token"
    token.parent.mkdir()
    token.write_text("t" * 64)
    record = {"address": address, "token_path": str(token), "owner_pid": 1, "pids": []}
    (tmp_path / "ray" / "cluster.json").write_text(json.dumps(record))
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    for name in ("RAY_ADDRESS", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_AUTH_MODE"):
        # Set, then deleted: monkeypatch then restores the original state, which also
        # undoes what resolve() sets below (later tests must not see this fake token).
        monkeypatch.setenv(name, "unset")
        monkeypatch.delenv(name)
    assert resolve(None) == address
    assert (os.environ["RAY_AUTH_TOKEN_PATH"], os.environ["RAY_AUTH_MODE"]) == (
        str(token),
        "token",
    )


def test_tables_wrap_long_ids_in_a_narrow_terminal_without_cutting_them() -> None:
    node = "f" * 20 + "0123456789abcdef" * 2 + "e" * 4  # 56 characters, as Ray's
    stream = "6b1311f0a7c2e4d5b6a7f8e9#12"
    report = {
        "namespace": "ticketing",
        "nodes": [
            {"node_id": node, "address": "127.0.0.1", "alive": True, "actors": 1,
             "resources": {"CPU": 2.0}}
        ],
        "actors": [
            {"stream": stream, "kind": "inventory", "state": "ALIVE", "node_id": node,
             "seq": 3, "durable_seq": 3, "snapshot_seq": 0, "journal_lag": 0, "outbox_lag": 0}
        ],
        "pending_moves": [],
        "rabbitmq": {"reachable": False, "error": "off", "queues": {}},
    }  # fmt: skip
    console = Console(width=60, record=True, color_system=None)
    render(report, console)
    text = console.export_text()
    assert "…" not in text
    assert all(len(line) <= 60 for line in text.splitlines())
    # Each table's rows, column by column, with the wrapped lines of a cell joined again.
    rows = [line.split("│") for line in text.splitlines() if line.startswith("│")]
    column = ["".join(r[i].strip() for r in rows if len(r) > i) for i in range(1, 6)]
    assert node in column[0]  # the nodes table's first column (then the actors')
    assert stream in column[0]
    assert node in column[3]  # the actors table's node column
