"""The end-of-run audit: nothing oversold, the counts add up, every hold accounted for."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import aiohttp


async def audit(
    base_url: str, event_id: str, reservations: list[tuple[str, list[str]]], seat_map: bool = True
) -> dict[str, Any]:
    """Check the run's successful reservations against what the server reports."""
    owners = Counter(seat for _, seats in reservations for seat in seats)
    report: dict[str, Any] = {
        "reservations": len(reservations),
        "oversold_seats": sum(n - 1 for n in owners.values() if n > 1),
    }
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base_url}/v1/events/{event_id}/availability") as r:
            view = await r.json()
        report.update({k: view.get(k) for k in ("capacity", "available", "held", "sold")})
        report["counts_add_up"] = (
            view["available"] + view["held"] + view["sold"] == view["capacity"]
        )
        report["holds_at_least_reported"] = view["held"] + view["sold"] >= len(owners)
        if seat_map:
            await asyncio.sleep(1.5)  # the seat map is cached for about a second
            async with http.get(f"{base_url}/v1/events/{event_id}/seats") as r:
                seats = await r.json()
            state = {
                f"{s['name']}-{row['label']}-{n}": code
                for s in seats["sections"]
                for row in s["rows"]
                for n, code in enumerate(row["states"], start=1)
            }
            missing = [seat for seat in owners if state.get(seat) not in ("H", "S")]
            report["unaccounted_seats"] = len(missing)
    report["ok"] = (
        report["oversold_seats"] == 0
        and report["counts_add_up"]
        and report.get("unaccounted_seats", 0) == 0
    )
    return report
