"""The benchmark report: JSON results file, rich table, and the runner's module handling."""

import json
import sys
import types

import pytest
from rich.console import Console

import bench.__main__ as runner
from bench.report import Figure, print_figures, render_table, write_json

FIGURES = [
    Figure("engine_hold_confirm_per_s", 251_234.5, "ops/s", goal=">= 200,000", baseline=None),
    Figure("engine_inventory_mb_100k", 12.5, "MB", goal="<= 30", baseline=14.0, note="100k seats"),
]


def test_write_json(tmp_path):
    out = write_json(FIGURES, tmp_path / "sub" / "latest.json")
    doc = json.loads(out.read_text())
    assert [f["name"] for f in doc["figures"]] == [f.name for f in FIGURES]
    assert doc["figures"][1] == {
        "name": "engine_inventory_mb_100k",
        "value": 12.5,
        "unit": "MB",
        "goal": "<= 30",
        "baseline": 14.0,
        "note": "100k seats",
    }
    meta = doc["metadata"]
    assert meta["timestamp"].endswith("+00:00")
    assert meta["python"].startswith("3.")
    assert meta["cpu_count"] >= 1
    assert "platform" in meta
    assert "git_commit" in meta


def test_table_renders():
    table = render_table(FIGURES)
    headers = [c.header for c in table.columns]
    assert headers == ["figure", "value", "unit", "baseline", "goal", "note"]
    console = Console(record=True, width=160)
    print_figures(FIGURES, console=console)
    text = console.export_text()
    assert "engine_hold_confirm_per_s" in text
    assert "251,234" in text
    assert ">= 200,000" in text


def test_runner_runs_selected_modules(tmp_path, monkeypatch):
    fake = types.ModuleType("bench.fake_bench")
    fake.run = lambda: [Figure("fake_per_s", 42.0, "ops/s")]
    monkeypatch.setitem(sys.modules, "bench.fake_bench", fake)
    monkeypatch.setattr(runner, "BENCHMARKS", ["bench.fake_bench", "bench.other_bench"])
    out = tmp_path / "r.json"
    assert runner.main(["--only", "fake", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert [f["name"] for f in doc["figures"]] == ["fake_per_s"]
    assert doc["metadata"]["benchmarks"] == ["bench.fake_bench"]


def test_runner_fails_loudly_on_missing_module(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "BENCHMARKS", ["bench.no_such_bench"])
    with pytest.raises(SystemExit, match="missing"):
        runner.main(["--out", str(tmp_path / "r.json")])
    assert not (tmp_path / "r.json").exists()
