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
    """Register and log in ``count`` buyers through the API; their access tokens."""
    gate = asyncio.Semaphore(parallel)
    run = uuid.uuid4().hex[:8]

    async def one(http: aiohttp.ClientSession, i: int) -> str:
        creds = {"email": f"buyer{i}.{run}@loadtest.example", "password": "loadtest-password-1"}
        async with gate:
            async with http.post(
                f"{base_url}/v1/auth/register", json={**creds, "name": f"Buyer {i}"}
            ) as r:
                if r.status != 201:
                    raise RuntimeError(f"register failed: {r.status} {await r.text()}")
            async with http.post(f"{base_url}/v1/auth/login", json=creds) as r:
                return (await r.json())["access_token"]

    async with aiohttp.ClientSession() as http:
        return list(await asyncio.gather(*(one(http, i) for i in range(count))))


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
    """A published, on-sale event over ``layout`` (one price for every section); its id."""
    sections: dict[str, list[dict[str, Any]]] = {}
    for section, row, seats in layout:
        sections.setdefault(section, []).append({"label": row, "seats": seats})
    headers = {"Authorization": f"Bearer {admin_token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        venue = await _post(
            http,
            f"{base_url}/v1/venues",
            {
                "name": "Load test arena",
                "city": "Benchmark",
                "country": "FR",
                "sections": [{"name": n, "rows": rows} for n, rows in sections.items()],
                "areas": [],
            },
        )
        event = await _post(
            http,
            f"{base_url}/v1/events",
            {
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
        )
        await _post(http, f"{base_url}/v1/events/{event['id']}/publish", None, expect=200)
    return event["id"]


async def _post(http: aiohttp.ClientSession, url: str, body: Any, expect: int = 201) -> Any:
    async with http.post(url, json=body) as response:
        if response.status != expect:
            raise RuntimeError(f"POST {url}: {response.status} {await response.text()}")
        return await response.json()
