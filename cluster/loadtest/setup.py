"""Getting a load test ready: buyers (registered, or minted tokens) and an event.

Registering thousands of buyers costs the server a password hash each (about
0.1 s of CPU), which would dominate a short run; benchmarks against a test
deployment may mint access tokens with the deployment's JWT secret instead.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import aiohttp
import jwt

from cluster.loadtest.client import LoadTestError, call


def mint_tokens(
    secret: str,
    count: int,
    issuer: str = "ticketing",
    audience: str = "ticketing-api",
    ttl_s: int = 3600,
) -> list[str]:
    """Access tokens for ``count`` synthetic buyers (test deployments only)."""
    now = int(time.time())
    return [
        jwt.encode(
            {
                "sub": f"loadtest-{uuid.uuid4().hex[:12]}",
                "roles": ["user"],
                "iss": issuer,
                "aud": audience,
                "iat": now,
                "exp": now + ttl_s,
                "jti": uuid.uuid4().hex,
            },
            secret,
            algorithm="HS256",
        )
        for _ in range(count)
    ]


async def register_buyers(base_url: str, count: int, parallel: int = 16) -> list[str]:
    """Register and log in ``count`` buyers through the API; their access tokens.

    Two auth calls per buyer: a server that limits auth calls per address refuses most
    of them, and waiting would take longer than the run. The first 429 stops the setup,
    saying so (``RateLimitedError``): the settings that lift the limit, or --mint-secret."""
    gate = asyncio.Semaphore(parallel)
    run = uuid.uuid4().hex[:8]

    async def one(http: aiohttp.ClientSession, i: int) -> str:
        creds = {"email": f"buyer{i}.{run}@loadtest.example", "password": "loadtest-password-1"}
        what = f"registering {count} buyers (buyer {i + 1}; 2 auth calls each)"
        async with gate:
            url = f"{base_url}/v1/auth/register"
            await call(http, "POST", url, what, body={**creds, "name": f"Buyer {i}"}, expect=(201,))
            tokens = await call(http, "POST", f"{base_url}/v1/auth/login", what, body=creds)
        if not isinstance(tokens, dict) or "access_token" not in tokens:
            raise LoadTestError(f"{what}: the login answer has no access_token: {tokens!r:.200}")
        return tokens["access_token"]

    async with aiohttp.ClientSession() as http:
        tasks = [asyncio.create_task(one(http, i)) for i in range(count)]
        try:
            return list(await asyncio.gather(*tasks))
        finally:  # the first failure stops the others (no more accounts, no more 429s)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def stadium_layout(
    seats: int, per_row: int = 50, rows_per_section: int = 40
) -> list[tuple[str, str, int]]:
    """(section, row, seats) covering ``seats`` seats: sections S1.. of 40 rows of 50."""
    layout, left, n = [], seats, 0
    while left > 0:
        section, row = f"S{n // rows_per_section + 1}", str(n % rows_per_section + 1)
        layout.append((section, row, min(per_row, left)))
        left -= per_row
        n += 1
    return layout


async def create_event(
    base_url: str,
    admin_token: str,
    layout: list[tuple[str, str, int]],
    limit: int = 50,
    ttl_s: int = 600,
) -> str:
    """A published, on-sale event over ``layout`` (one price for every section); its id.

    If publishing fails, the draft is left (a draft sells nothing) and the error says so."""
    sections: dict[str, list[dict[str, Any]]] = {}
    for section, row, seats in layout:
        sections.setdefault(section, []).append({"label": row, "seats": seats})
    headers = {"Authorization": f"Bearer {admin_token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        venue = await call(
            http,
            "POST",
            f"{base_url}/v1/venues",
            "creating the venue",
            body={
                "name": "Load test arena",
                "city": "Benchmark",
                "country": "FR",
                "sections": [{"name": n, "rows": rows} for n, rows in sections.items()],
                "areas": [],
            },
            expect=(201,),
        )
        event = await call(
            http,
            "POST",
            f"{base_url}/v1/events",
            "creating the event",
            body={
                "title": "Load test",
                "description": "on-sale spike",
                "category": "concert",
                "venue_id": venue["id"],
                "starts_at": "2030-01-01T20:00:00Z",
                "sale_starts_at": "2020-01-01T00:00:00Z",
                "currency": "EUR",
                "prices": [
                    {"name": "All", "amount": 5000, "sections": list(sections), "areas": []}
                ],
                "max_tickets_per_customer": limit,
                "hold_ttl_seconds": ttl_s,
            },
            expect=(201,),
        )
        url = f"{base_url}/v1/events/{event['id']}/publish"
        await call(http, "POST", url, f"publishing the event {event['id']} (left as a draft)")
    return event["id"]


async def cancel_event(base_url: str, admin_token: str, event_id: str) -> None:
    """Stop the sale of an event this run created (a run that failed cleans up)."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        url = f"{base_url}/v1/events/{event_id}/cancel"
        await call(http, "POST", url, f"cancelling the event {event_id}")
