"""``ticketing loadtest``: drive the public HTTP API like an on-sale crowd.

Examples::

    ticketing loadtest --base-url http://127.0.0.1:8000 --admin-email admin@example.com \\
        --admin-password change-me-please --seats 20000 --buyers 500 --duration 30
    ticketing loadtest --event-id 66f0... --mint-secret "$JWT_SECRET" --rate 2000 --json out.json

Exit status: 0 the run stands; 1 the audit failed (oversold, counts that do not add
up, holds unaccounted for); 2 the run could not be prepared or was stopped (the message
says why and what it left); 3 the run is not valid: too many requests were refused for
reasons not the sale's own (rate limits, tokens, invalid seats: cluster.loadtest.verdict).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape

from cluster.loadtest import runner
from cluster.loadtest.audit import audit
from cluster.loadtest.ceiling import measure_ceiling
from cluster.loadtest.client import LoadTestError
from cluster.loadtest.client import available as _available  # bench/http_bench.py uses them
from cluster.loadtest.client import login as _login
from cluster.loadtest.layout import Layout, event_layout
from cluster.loadtest.report import final_table, live_table, summary
from cluster.loadtest.scenario import Scenario
from cluster.loadtest.setup import (
    cancel_event,
    create_event,
    mint_tokens,
    register_buyers,
    stadium_layout,
)
from cluster.loadtest.stats import Totals
from cluster.loadtest.verdict import MAX_FOREIGN_SHARE

Opt = typer.Option
AUDIT_FAILED, NOT_RUN, NOT_VALID = 1, 2, 3


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
    event_id: Annotated[
        str | None, Opt(help="an on-sale event (its seat map is read); else one is created")
    ] = None,
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
    calibrate: Annotated[
        float, Opt(help="seconds measuring the generator's own ceiling on /health; 0: skip")
    ] = 3.0,
    max_refused: Annotated[
        float, Opt(help="share of requests refused not by the sale (429...) a valid run allows")
    ] = MAX_FOREIGN_SHARE,
    json_out: Annotated[Path | None, Opt("--json", help="write the report here")] = None,
) -> None:
    """Run an on-sale load against the API, then audit the result."""
    console = Console()
    weights = parse_mix(mix)
    if event_id is None and not (admin_email and admin_password):
        raise typer.BadParameter("give --event-id, or --admin-email/--admin-password")
    try:
        if event_id is not None:
            layout = asyncio.run(event_layout(base_url, event_id))
            console.print(f"event {event_id}: {layout.seats:,} seats, areas {layout.areas}")
        else:
            layout = Layout.of_rows(stadium_layout(seats))
            token = asyncio.run(_login(base_url, admin_email or "", admin_password or "", console))
        # Buyers and the generator's ceiling before the event: a setup that fails here
        # leaves nothing on sale.
        tokens = (
            mint_tokens(mint_secret, buyers)
            if mint_secret
            else asyncio.run(register_buyers(base_url, buyers))
        )
        ceiling = (
            measure_ceiling(base_url, processes, concurrency, calibrate) if calibrate else None
        )
        if ceiling:
            console.print(
                f"generator ceiling: {ceiling['requests_per_s']:,.0f} requests/s on /health"
            )
    except (LoadTestError, KeyboardInterrupt) as exc:
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
        console.print(f"[red]load test not run:[/] {escape(reason)}")
        raise typer.Exit(NOT_RUN) from None
    created = event_id is None
    try:
        if event_id is None:
            event_id = asyncio.run(create_event(base_url, token, layout.rows))
            console.print(f"created event {event_id} with {seats:,} seats")
        scenario = Scenario(
            base_url,
            event_id,
            tokens,
            layout.rows,
            layout.sections,
            layout.areas,
            concurrency=concurrency,
            rate=rate,
            duration_s=duration,
            max_seats=min(4, layout.limit or 4),
            mix=weights,
        )
        result = _run(console, scenario, processes)
        report = asyncio.run(audit(base_url, event_id, result.reservations))
    except BaseException as exc:  # whatever stopped the run, the event it created goes
        expected = isinstance(exc, LoadTestError | KeyboardInterrupt)
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
        if expected:
            console.print(f"[red]load test stopped:[/] {escape(reason)}")
        if created and event_id is not None:
            console.print(_clean_up(base_url, token, event_id))
        if not expected:
            raise  # a defect of the load tester itself: its traceback is what to report
        raise typer.Exit(NOT_RUN) from None
    data = summary(result, report, ceiling, max_refused)
    console.print(final_table(data))
    for warning in data["warnings"]:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    if json_out:
        json_out.write_text(json.dumps(data, indent=2))
    if not data["audit"]["ok"]:
        raise typer.Exit(AUDIT_FAILED)
    if not data["verdict"]["valid"]:
        raise typer.Exit(NOT_VALID)


def _run(console: Console, scenario: Scenario, processes: int) -> runner.Result:
    """The run, with a live table of what the buyers see."""
    left: list[int | None] = [None]
    last = [0.0]
    with Live(console=console, refresh_per_second=4) as live:

        def tick(totals: Totals, elapsed: float) -> None:
            if time.monotonic() - last[0] >= 0.25:
                last[0] = time.monotonic()
                live.update(live_table(totals, elapsed, left[0]))

        def sold_out() -> bool:
            left[0] = asyncio.run(_available(scenario.base_url, scenario.event_id))
            return left[0] == 0

        return runner.run(scenario, processes, sold_out=sold_out, on_tick=tick)


def _clean_up(base_url: str, token: str, event_id: str) -> str:
    """Cancel the event this run created; what was done, or what was left and how to end it."""
    try:
        asyncio.run(cancel_event(base_url, token, event_id))
    except LoadTestError as exc:
        return (
            f"left on sale: the event {event_id} this run created ({escape(str(exc))}); "
            f"cancel it with POST /v1/events/{event_id}/cancel"
        )
    return f"cancelled the event {event_id} this run created"
