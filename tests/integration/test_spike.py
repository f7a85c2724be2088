"""``python -m bench.spike`` end to end on a small stadium: the real API (as ``make bench``
starts it), wrk's buyers (or the Python generator's) selling it out, then the audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import spike
from bench.wrk import find_wrk

SMALL = ["--seats", "600", "--buyers", "120", "--connections", "40", "--ramp", "1"]


@pytest.mark.skipif(find_wrk() is None, reason="wrk is not installed (make wrk)")
def test_wrk_buyers_sell_the_stadium_out_and_every_answer_is_counted(tmp_path: Path) -> None:
    out = tmp_path / "spike.json"
    assert spike.main([*SMALL, "--limit", "60", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["sold_out"] and data["all_threads_finished"]
    assert data["audit"]["ok"] and data["audit"]["oversold_seats"] == 0
    assert 0 < data["buyers_arrived"] <= 120 and data["unanswered"] == 0  # sold out early: fewer
    assert data["seats_held"] == 600 == data["audit"]["held"]
    assert sum(data["answers"].values()) == data["requests"] == data["latency_from_due"]["count"]
    assert data["latency_from_due"]["max_ms"] >= data["latency_from_send"]["max_ms"]
    assert max(v["from_due_ms"] for v in data["max_latency_per_second"].values()) > 0


# Slow (~22 s): the fallback for machines without wrk; the load-tester's own tests cover
# its generator in make test.
@pytest.mark.slow
def test_without_wrk_the_python_generator_sells_it_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_GENERATOR", "python")
    out = tmp_path / "spike.json"
    assert spike.main([*SMALL, "--limit", "60", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["generator"] == "python" and data["sold_out"] and data["audit"]["ok"]
    assert data["client_timeouts_or_errors"] == 0 and data["seats_held"] == 600
