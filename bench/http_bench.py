"""The HTTP benchmark: our reserve route against the bare ceiling and the PostgreSQL
row-lock baseline, all served the same way (uvicorn, ``API_PROCESSES`` processes,
default one per core) and driven by the same load, one after the other.

1. ceiling: ``bench.ceiling`` (FastAPI + JWT + pydantic, nothing else) under wrk;
2. ours: ``python -m api``; wrk saturates a fresh event (random explicit seats or a
   section quantity, TOKENS pre-minted buyers) while the CPU of each component is read;
   then an open-loop run at half that rate on a second event gives the latency;
3. baseline: ``python -m bench.baseline`` (SELECT ... FOR UPDATE) under the same wrk load.

Every answer is counted by status and code; "decided" answers are 201s and the sale's
own refusals (409 seats taken or sold out, 429 per-customer limit). Each event is
audited afterwards (nothing oversold, the counts add up). Without wrk the Python
generator (cluster.loadtest) does the closed-loop runs, and says so. ``BENCH_PROFILE=quick``
shortens everything. Buyers' tokens are minted with the servers' JWT secret: no buyer
logs in, so the login limit (30/min per IP) is never in the way.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

import psycopg

from bench import openloop, wrk
from bench.baseline.schema import setup_event
from bench.baseline.wire import BaselineSettings
from bench.http_profile import PROFILES, Ours, Profile
from bench.report import Figure
from bench.saturation import Load, audit_load, drive
from bench.servers import (
    ADMIN,
    api_processes,
    api_serves_processes,
    start_baseline,
    start_ceiling,
    start_ours,
)
from cluster.loadtest.cli import _login
from cluster.loadtest.setup import create_event, mint_tokens, stadium_layout
from contexts.shared.settings import DEV_SECRET

TOKENS, CONNECTIONS = 4_000, 64  # 4,000 buyers x 50 seats each covers the 200,000 seats


def _say(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)


def run_ceiling(tmp: Path, processes: int, p: Profile, tokens: list[str]) -> Load:
    server = start_ceiling(tmp, processes)
    try:
        return drive(server, "ceiling", tokens, stadium_layout(p.seats), p.load_s, CONNECTIONS)
    finally:
        server.stop()


def run_ours(tmp: Path, processes: int, p: Profile, tokens: list[str]) -> Ours:
    layout = stadium_layout(p.seats)
    server = start_ours(tmp, processes)
    try:
        admin = asyncio.run(_login(server.url, *ADMIN))  # the one login of the run
        events = [asyncio.run(create_event(server.url, admin, layout)) for _ in range(2)]
        load = drive(server, events[0], tokens, layout, p.load_s, CONNECTIONS)
        load.audit = asyncio.run(audit_load(server.url, events[0], load))
        rate = float(os.environ.get("BENCH_LATENCY_RATE") or load.per_s(load.requests) / 2)
        _say(f"ours: {load.per_s(load.requests):,.0f} answers/s; open loop at {rate:,.0f}/s")
        plan = openloop.Plan(server.url, events[1], tokens, layout, rate, p.latency_s)
        latency = openloop.run(plan)
        checked = asyncio.run(audit_load(server.url, events[1], _as_load(latency)))
        return Ours(load, latency, rate, checked)
    finally:
        server.stop()


def _as_load(outcome: openloop.Outcome) -> Load:
    """The open-loop run as a Load, audited like wrk's (granted seats, no ids kept)."""
    return Load(
        "openloop", outcome.elapsed_s, outcome.sent, dict(outcome.counts), outcome.seats_granted
    )


def run_baseline(tmp: Path, processes: int, p: Profile, tokens: list[str]) -> Load:
    layout = stadium_layout(p.seats)
    sections: dict[str, list[int]] = {}
    for section, _, count in layout:
        sections.setdefault(section, []).append(count)

    async def prepare() -> None:
        dsn = BaselineSettings().dsn
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            prices = dict.fromkeys(sections, 5000)
            await setup_event(conn, "bench", sections, {}, 50, prices, reset=True)

    asyncio.run(prepare())
    server = start_baseline(tmp, processes)
    try:
        load = drive(server, "bench", tokens, layout, p.load_s, CONNECTIONS)
        load.audit = asyncio.run(audit_load(server.url, "bench", load, seat_map=False))
        return load
    finally:
        server.stop()


def run() -> list[Figure]:
    from bench.http_figures import figures

    profile = PROFILES[os.environ.get("BENCH_PROFILE", "full")]
    processes = api_processes()
    if not api_serves_processes():
        _say("python -m api serves one process here (no API_PROCESSES): all sides get 1")
    if not wrk.find_wrk():
        _say("no wrk (make wrk installs it as root; or BENCH_GENERATOR=python):")
        _say("the Python generator (cluster.loadtest) drives the closed-loop runs instead;")
        _say("it tops out at a few thousand requests/s, so the ceiling may be its own.")
    tokens = mint_tokens(DEV_SECRET, TOKENS)
    with tempfile.TemporaryDirectory() as tmp:
        _say(f"ceiling ({processes} processes) ...")
        ceiling = run_ceiling(Path(tmp), processes, profile, tokens)
        _say(f"ceiling: {ceiling.per_s(ceiling.requests):,.0f} POST/s; ours ...")
        ours = run_ours(Path(tmp), processes, profile, tokens)
        _say("baseline ...")
        base = run_baseline(Path(tmp), processes, profile, tokens)
    return figures(ceiling, ours, base, processes, profile)
