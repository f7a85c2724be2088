"""The on-sale HTTP benchmark: our API and the PostgreSQL lock-based baseline, one after
the other on this machine, under the same load: 1,000 concurrent buyers, holds of 1-4
seats, on a 20,000-seat event, for 30 s or until sold out (``BENCH_PROFILE=quick``:
5,000 seats, 15 s).

Both are served the same way (uvicorn, one worker, log level warning) and receive
tokens minted with the same secret (both verify a JWT per request).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from api.settings import DEV_SECRET
from bench.baseline.schema import setup_event
from bench.baseline.wire import BaselineSettings
from bench.loadtest import runner
from bench.loadtest.audit import audit
from bench.loadtest.report import summary
from bench.loadtest.scenario import Scenario
from bench.loadtest.setup import create_event, mint_tokens, stadium_layout
from bench.plot import draw
from bench.report import Figure
from bench.servers import ADMIN, start_baseline, start_ours

PROFILES = {"full": (20_000, 30.0), "quick": (5_000, 15.0)}
BUYERS, PROCESSES = 1_000, 2
MIX = {"reserve_seats": 50.0, "reserve_quantity": 50.0}


def scenario(
    url: str,
    event_id: str,
    layout: list[tuple[str, str, int]],
    seconds: float,
    mix: dict[str, float] | None = None,
) -> Scenario:
    return Scenario(
        url,
        event_id,
        mint_tokens(DEV_SECRET, BUYERS),
        layout,
        sorted({s for s, _, _ in layout}),
        concurrency=BUYERS,
        duration_s=seconds,
        mix=mix or dict(MIX),
    )


def sold_out_probe(url: str, event_id: str) -> Callable[[], bool]:
    from bench.loadtest.cli import _available

    return lambda: asyncio.run(_available(url, event_id)) == 0


async def _admin_token(url: str) -> str:
    from bench.loadtest.cli import _login

    return await _login(url, *ADMIN)


def run_ours(data_dir: Path, seats: int, seconds: float) -> tuple[dict[str, Any], float]:
    layout = stadium_layout(seats)
    server = start_ours(data_dir)
    try:
        capacity = runner.run(scenario(server.url, "-", layout, 5.0, {"health": 1.0}), PROCESSES)
        loadgen = capacity.totals.requests / capacity.elapsed_s
        event_id = asyncio.run(
            create_event(server.url, asyncio.run(_admin_token(server.url)), layout)
        )
        result = runner.run(
            scenario(server.url, event_id, layout, seconds),
            PROCESSES,
            sold_out=sold_out_probe(server.url, event_id),
        )
        report = asyncio.run(audit(server.url, event_id, result.reservations))
        return summary(result, report), loadgen
    finally:
        server.stop()


def run_baseline(data_dir: Path, seats: int, seconds: float) -> dict[str, Any]:
    layout = stadium_layout(seats)
    sections: dict[str, list[int]] = {}
    for section, _, count in layout:
        sections.setdefault(section, []).append(count)

    async def prepare() -> None:
        async with await psycopg.AsyncConnection.connect(
            BaselineSettings().dsn, autocommit=True
        ) as conn:
            await setup_event(
                conn, "bench", sections, {}, 50, dict.fromkeys(sections, 5000), reset=True
            )

    asyncio.run(prepare())
    server = start_baseline(data_dir)
    try:
        result = runner.run(
            scenario(server.url, "bench", layout, seconds),
            PROCESSES,
            sold_out=sold_out_probe(server.url, "bench"),
        )
        report = asyncio.run(audit(server.url, "bench", result.reservations, seat_map=False))
        return summary(result, report)
    finally:
        server.stop()


def run() -> list[Figure]:
    seats, seconds = PROFILES[os.environ.get("BENCH_PROFILE", "full")]
    with tempfile.TemporaryDirectory() as tmp:
        ours, loadgen = run_ours(Path(tmp), seats, seconds)
        base = run_baseline(Path(tmp), seats, seconds)
    draw(ours, base, Path(__file__).parent / "results" / "latest.png")
    o, b = ours["operations"]["reserve"], base["operations"]["reserve"]
    speedup = ours["holds_per_s"] / base["holds_per_s"] if base["holds_per_s"] else 0.0
    sellout = f"sold out in {ours['elapsed_s']:.1f} s" if ours["sold_out"] else "not sold out"
    base_sellout = f"sold out in {base['elapsed_s']:.1f} s" if base["sold_out"] else "not sold out"
    return [
        Figure(
            "http_holds_per_s",
            ours["holds_per_s"],
            "holds/s",
            ">= 5,000",
            note=f"{BUYERS} buyers, {seats:,} seats, holds of 1-4; {sellout}",
        ),
        Figure("http_p50_ms", o["p50_ms"], "ms", note="reserve latency, all answers"),
        Figure("http_p99_ms", o["p99_ms"], "ms", "<= 50"),
        Figure(
            "baseline_pg_holds_per_s",
            base["holds_per_s"],
            "holds/s",
            note=f"PostgreSQL SELECT ... FOR UPDATE; {base_sellout}",
        ),
        Figure("baseline_pg_p99_ms", b["p99_ms"], "ms"),
        Figure("speedup_vs_pg", speedup, "x", ">= 10", baseline=base["holds_per_s"]),
        Figure(
            "loadgen_capacity_per_s",
            loadgen,
            "requests/s",
            note="the load generator against GET /health: its own ceiling",
        ),
        Figure(
            "oversold_seats",
            ours["audit"]["oversold_seats"],
            "seats",
            "0",
            note="audit: "
            + ("OK" if ours["audit"]["ok"] else "FAILED")
            + f"; baseline oversold {base['audit']['oversold_seats']}",
        ),
    ]
