"""The end-of-run audit: nothing oversold, the counts add up, every hold accounted for."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import aiohttp

from cluster.loadtest.client import call

SEAT_MAP_WAIT_S = 10.0  # the seat map is cached (SEATS_CACHE_S, a second by default)


async def audit(
    base_url: str, event_id: str, reservations: list[tuple[str, list[str]]], seat_map: bool = True
) -> dict[str, Any]:
    """Check the run's successful reservations against what the server reports.

    Raises ``LoadTestError`` when the server does not answer the audit's reads."""
    owners = Counter(seat for _, seats in reservations for seat in seats)
    report: dict[str, Any] = {
        "reservations": len(reservations),
        "oversold_seats": sum(n - 1 for n in owners.values() if n > 1),
    }
    async with aiohttp.ClientSession() as http:
        url = f"{base_url}/v1/events/{event_id}/availability"
        view = await call(http, "GET", url, "auditing (availability)")
        report.update({k: view.get(k) for k in ("capacity", "available", "held", "sold")})
        report["counts_add_up"] = (
            view["available"] + view["held"] + view["sold"] == view["capacity"]
        )
        report["holds_at_least_reported"] = view["held"] + view["sold"] >= len(owners)
        if seat_map:
            report["unaccounted_seats"] = await _unaccounted(http, base_url, event_id, owners)
    report["ok"] = (
        report["oversold_seats"] == 0
        and report["counts_add_up"]
        and report.get("unaccounted_seats", 0) == 0
    )
    return report


async def _unaccounted(
    http: aiohttp.ClientSession, base_url: str, event_id: str, owners: Counter[str]
) -> int:
    """Seats this run held that the seat map does not show held or sold. The map may be
    a second old: read it until every seat shows, or until the deadline says they never will."""
    deadline = time.monotonic() + SEAT_MAP_WAIT_S
    while True:
        seats = await call(
            http, "GET", f"{base_url}/v1/events/{event_id}/seats", "auditing (seats)"
        )
        state = {
            f"{s['name']}-{row['label']}-{n}": code
            for s in seats["sections"]
            for row in s["rows"]
            for n, code in enumerate(row["states"], start=1)
        }
        missing = sum(1 for seat in owners if state.get(seat) not in ("H", "S"))
        if not missing or time.monotonic() >= deadline:
            return missing
        await asyncio.sleep(0.25)  # a poll interval, bounded by the deadline
