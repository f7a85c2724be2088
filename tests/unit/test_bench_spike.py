"""The spike's figures from wrk's histograms: percentiles never flatter, data well formed."""

from __future__ import annotations

from pathlib import Path

from bench.spike_wrk import lua_data, percentiles


def test_percentiles_take_the_upper_edge_of_the_bucket() -> None:
    hist = {"0": 50, "9": 40, "99": 9, "2500": 1}  # whole ms -> answers
    p = percentiles(hist)
    assert p == {"count": 100, "max_ms": 2501.0, "p50_ms": 1.0, "p90_ms": 10.0, "p99_ms": 100.0}


def test_no_answers_give_no_percentiles() -> None:
    assert percentiles({}) == {"count": 0}


def test_the_lua_data_names_every_buyer_and_the_ramp(tmp_path: Path) -> None:
    data = lua_data("ev1", ["t1", "t2"], [("S1", "1", 50), ("S2", "1", 20)], 2, 10.0, 0, tmp_path)
    assert 'EVENT = "ev1"' in data and "BUYERS = 2" in data and "THREADS = 2" in data
    assert "RAMP_MS = 10000" in data and 'TOKENS = {"t1","t2"}' in data
    assert 'SECTIONS = {"S1","S2"}' in data and '{"S2","1",20}' in data
