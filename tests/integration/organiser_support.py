"""Helpers for organiser tests: an organiser with a team, its venue and events."""

from __future__ import annotations

from typing import Any

from tests.integration.api_support import Api

PROBLEM = "application/problem+json"


async def organiser(api: Api, owner: dict[str, Any], name: str = "Live Nation") -> str:
    created = await api.client.post("/v1/organisers", json={"name": name}, headers=owner["headers"])
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def add(api: Api, org: str, by: dict[str, Any], who: dict[str, Any], *perms: str) -> None:
    body = {"email": who["email"], "permissions": list(perms)}
    added = await api.client.post(f"/v1/organisers/{org}/members", json=body, headers=by["headers"])
    assert added.status_code == 201, added.text


async def venue(api: Api, by: dict[str, Any], area: int = 0) -> str:
    body: dict[str, Any] = {
        "name": "Olympia",
        "city": "Paris",
        "country": "FR",
        "sections": [{"name": "A", "rows": [{"label": "1", "seats": 10}]}],
        "areas": [{"name": "FLOOR", "capacity": area}] if area else [],
    }
    created = await api.client.post("/v1/venues", json=body, headers=by["headers"])
    assert created.status_code == 201, created.text
    return created.json()["id"]


def event_body(venue_id: str, org: str | None, area: bool = False) -> dict[str, Any]:
    prices = [{"name": "Cat 1", "amount": 5000, "sections": ["A"], "areas": []}]
    if area:
        prices.append({"name": "Floor", "amount": 3500, "sections": [], "areas": ["FLOOR"]})
    body: dict[str, Any] = {
        "title": "Team night",
        "category": "concert",
        "venue_id": venue_id,
        "starts_at": "2030-06-01T20:00:00Z",
        "sale_starts_at": "2020-01-01T00:00:00Z",
        "currency": "EUR",
        "prices": prices,
    }
    return body if org is None else {**body, "organiser_id": org}


async def audit(api: Api, admin: dict[str, Any], **filters: str) -> list[dict[str, Any]]:
    """Every audit entry matching ``filters`` (all pages), newest first."""
    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {**filters, "limit": "50", **({"cursor": cursor} if cursor else {})}
        page = await api.client.get("/v1/admin/audit", params=params, headers=admin["headers"])
        assert page.status_code == 200, page.text
        entries += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return entries
