"""``ticketing loadtest``: drive the public HTTP API like an on-sale crowd.

Examples::

    ticketing loadtest --base-url http://127.0.0.1:8000 --admin-email admin@example.com \\
        --admin-password change-me-please --seats 20000 --buyers 500 --duration 30
    ticketing loadtest --event-id 66f0... --mint-secret "$JWT_SECRET" --rate 2000 --json out.json
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Annotated

import aiohttp
import typer
from rich.console import Console
from rich.live import Live

from bench.loadtest import runner
from bench.loadtest.audit import audit
from bench.loadtest.report import final_table, live_table, summary
from bench.loadtest.scenario import Scenario
from bench.loadtest.setup import create_event, mint_tokens, register_buyers, stadium_layout
from bench.loadtest.stats import Totals

Opt = typer.Option


def parse_mix(text: str) -> dict[str, float]:
    """``"reserve_seats=45,reserve_quantity=45,availability=10"`` -> weights."""
    allowed = {"reserve_seats", "reserve_quantity", "release", "pay", "availability", "health"}
    mix: dict[str, float] = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in allowed or not weight.strip().replace(".", "", 1).isdigit():
            raise typer.BadParameter(f"{part!r}: use NAME=WEIGHT with NAME in {sorted(allowed)}")
        mix[name.strip()] = float(weight)
    return mix


def loadtest(
    base_url: Annotated[str, Opt(help="the API under test")] = "http://127.0.0.1:8000",
    event_id: Annotated[str | None, Opt(help="an on-sale event; else one is created")] = None,
    seats: Annotated[int, Opt(help="seats of the created event")] = 20_000,
    admin_email: Annotated[str | None, Opt(help="creates the event")] = None,
    admin_password: Annotated[str | None, Opt()] = None,
    buyers: Annotated[int, Opt(help="virtual buyers (accounts)")] = 200,
    mint_secret: Annotated[
        str | None,
        Opt(help="mint tokens with this JWT secret instead of registering (test systems)"),
    ] = None,
    concurrency: Annotated[int, Opt(help="requests in flight")] = 500,
    rate: Annotated[float, Opt(help="target requests/s; 0 = as fast as possible")] = 0.0,
    duration: Annotated[float, Opt(help="seconds (stops earlier when sold out)")] = 30.0,
    mix: Annotated[str, Opt(help="operation weights")] = "reserve_seats=45,reserve_quantity=45,"
    "availability=10",
    processes: Annotated[int, Opt(help="load generating processes")] = 2,
    json_out: Annotated[Path | None, Opt("--json", help="write the report here")] = None,
) -> None:
    """Run an on-sale load against the API, then audit the result."""
    console = Console()
    weights = parse_mix(mix)
    layout = stadium_layout(seats)
    if event_id is None:
        if not (admin_email and admin_password):
            raise typer.BadParameter("give --event-id, or --admin-email/--admin-password")
        token = asyncio.run(_login(base_url, admin_email, admin_password))
        event_id = asyncio.run(create_event(base_url, token, layout))
        console.print(f"created event {event_id} with {seats:,} seats")
    tokens = (
        mint_tokens(mint_secret, buyers)
        if mint_secret
        else asyncio.run(register_buyers(base_url, buyers))
    )
    scenario = Scenario(
        base_url,
        event_id,
        tokens,
        layout,
        sorted({s for s, _, _ in layout}),
        concurrency=concurrency,
        rate=rate,
        duration_s=duration,
        mix=weights,
    )
    left: list[int | None] = [None]
    last = [0.0]
    with Live(console=console, refresh_per_second=4) as live:

        def tick(totals: Totals, elapsed: float) -> None:
            if time.monotonic() - last[0] >= 0.25:
                last[0] = time.monotonic()
                live.update(live_table(totals, elapsed, left[0]))

        def sold_out() -> bool:
            left[0] = asyncio.run(_available(base_url, event_id))
            return left[0] == 0

        result = runner.run(scenario, processes, sold_out=sold_out, on_tick=tick)
    report = asyncio.run(audit(base_url, event_id, result.reservations))
    data = summary(result, report)
    console.print(final_table(data))
    if json_out:
        json_out.write_text(json.dumps(data, indent=2))
    if not report["ok"]:
        raise typer.Exit(1)


async def _login(base_url: str, email: str, password: str) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base_url}/v1/auth/login", json={"email": email, "password": password}) as r,
    ):
        if r.status != 200:
            raise typer.BadParameter(f"admin login failed: {r.status} {await r.text()}")
        return (await r.json())["access_token"]


async def _available(base_url: str, event_id: str) -> int | None:
    url = f"{base_url}/v1/events/{event_id}/availability"
    async with aiohttp.ClientSession() as http, http.get(url) as r:
        return (await r.json()).get("available") if r.status == 200 else None
