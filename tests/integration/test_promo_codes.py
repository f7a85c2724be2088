"""Promo codes through the HTTP API, real Ray actors and MongoDB behind it: a usage
limit under 1,000 concurrent reserves, discounted totals, refused codes, hidden
tiers and the presale."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from tests.integration.api_support import Api, api
from tests.integration.organiser_support import audit
from tests.integration.ray_support import ray_local

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")


async def promo_event(api: Api, creator: dict[str, Any], *, presale: bool = False) -> str:
    """A published event: section A (5000, 2 rows of 10), hidden section VIP (9000),
    area FLOOR (3500, 2,000 places). On sale now, or (``presale``) from 2029."""
    headers = creator["headers"]
    venue = await api.client.post(
        "/v1/venues",
        headers=headers,
        json={
            "name": "Zenith",
            "city": "Paris",
            "country": "FR",
            "sections": [
                {"name": "A", "rows": [{"label": "1", "seats": 10}, {"label": "2", "seats": 10}]},
                {"name": "VIP", "rows": [{"label": "1", "seats": 10}]},
            ],
            "areas": [{"name": "FLOOR", "capacity": 2000}],
        },
    )
    assert venue.status_code == 201, venue.text
    prices = [
        {"name": "Cat 1", "amount": 5000, "sections": ["A"], "areas": []},
        {"name": "Backstage", "amount": 9000, "sections": ["VIP"], "areas": [], "hidden": True},
        {"name": "Floor", "amount": 3500, "sections": [], "areas": ["FLOOR"]},
    ]
    event = await api.client.post(
        "/v1/events",
        headers=headers,
        json={
            "title": "Promo night",
            "description": "Codes",
            "category": "concert",
            "venue_id": venue.json()["id"],
            "starts_at": "2030-06-01T20:00:00Z",
            "sale_starts_at": "2029-01-01T00:00:00Z" if presale else "2020-01-01T00:00:00Z",
            "currency": "EUR",
            "prices": prices,
            "max_tickets_per_customer": 6,
            "hold_ttl_seconds": 600,
        },
    )
    assert event.status_code == 201, event.text
    event_id = event.json()["id"]
    published = await api.client.post(f"/v1/events/{event_id}/publish", headers=headers)
    assert published.status_code == 200, published.text
    return event_id


async def add_code(api: Api, creator: dict[str, Any], event_id: str, **body: Any) -> dict:
    response = await api.client.post(
        f"/v1/events/{event_id}/promo-codes", headers=creator["headers"], json=body
    )
    assert response.status_code == 201, response.text
    return response.json()


def bearer(api: Api, user_id: str) -> dict[str, str]:
    token, _ = api.container.tokens.issue_access(user_id, ["user"])
    return {"Authorization": f"Bearer {token}"}


async def reserve(api: Api, headers: dict[str, str], **body: Any) -> Any:
    return await api.client.post("/v1/tickets/reserve", headers=headers, json=body)


async def test_1000_concurrent_uses_of_a_100_use_code_give_exactly_100(api: Api) -> None:
    creator = await api.user("event_creator")
    event_id = await promo_event(api, creator)
    await add_code(
        api, creator, event_id, code="RUSH", discount_type="percentage", discount_value=20,
        max_uses=100,
    )  # fmt: skip
    buyers = [bearer(api, f"rush-{i:04d}") for i in range(1_000)]

    async def one(i: int) -> Any:  # 2,000 places for 1,000 buyers of one: seats never run out
        return await reserve(
            api, buyers[i], event_id=event_id, area="FLOOR", quantity=1, promo_code="rush"
        )

    responses = await asyncio.gather(*(one(i) for i in range(1_000)))
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 100, 409: 900}, statuses
    refused = [r.json() for r in responses if r.status_code == 409]
    assert {p["code"] for p in refused} == {"promo_exhausted"}
    assert refused[0]["limit"] == 100 and refused[0]["type"] and refused[0]["title"]
    held = [r.json() for r in responses if r.status_code == 201]
    assert all(
        (h["total"]["amount"], h["subtotal"]["amount"], h["discount"]["amount"], h["promo_code"])
        == (2800, 3500, 700, "RUSH")
        for h in held
    )
    view = (await api.client.get(f"/v1/events/{event_id}/availability")).json()
    assert view["areas"]["FLOOR"]["held"] == 100  # refusals held nothing
    listed = await api.client.get(f"/v1/events/{event_id}/promo-codes", headers=creator["headers"])
    assert listed.json()["items"][0]["uses"] == 100
    # A released hold gives its use back: one more buyer gets the code, then no one.
    owner = next(i for i, r in enumerate(responses) if r.status_code == 201)
    gone = await api.client.delete(
        f"/v1/reservations/{held[0]['reservation_id']}", headers=buyers[owner]
    )
    assert gone.status_code == 204, gone.text
    again = [
        await reserve(api, bearer(api, f"late-{i}"), event_id=event_id, area="FLOOR",
                      quantity=1, promo_code="RUSH")
        for i in range(2)
    ]  # fmt: skip
    assert [r.status_code for r in again] == [201, 409]


async def test_percentage_and_fixed_totals(api: Api) -> None:
    creator = await api.user("event_creator")
    event_id = await promo_event(api, creator)
    await add_code(
        api, creator, event_id, code="PCT15", discount_type="percentage", discount_value=15
    )
    await add_code(
        api, creator, event_id, code="MINUS12", discount_type="fixed", discount_value=1200
    )
    buyer = bearer(api, "totals")
    pct = await reserve(api, buyer, event_id=event_id, seats=["A-1-1", "A-1-2"], promo_code="pct15")
    assert pct.status_code == 201, pct.text
    body = pct.json()
    assert (body["subtotal"]["amount"], body["discount"]["amount"], body["total"]["amount"]) == (
        10000, 1500, 8500,
    )  # fmt: skip
    fixed = await reserve(
        api, buyer, event_id=event_id, area="FLOOR", quantity=3, promo_code="MINUS12"
    )
    assert fixed.status_code == 201, fixed.text
    body = fixed.json()
    assert (body["subtotal"]["amount"], body["discount"]["amount"], body["total"]["amount"]) == (
        10500, 3600, 6900,
    )  # fmt: skip
    assert body["total"]["currency"] == "EUR" and body["promo_code"] == "MINUS12"
    read = await api.client.get(f"/v1/reservations/{body['reservation_id']}", headers=buyer)
    assert read.json()["total"] == body["total"] and read.json()["promo_code"] == "MINUS12"
    plain = await reserve(api, buyer, event_id=event_id, seats=["A-2-1"])
    assert plain.json()["total"]["amount"] == 5000 and plain.json()["promo_code"] is None


async def test_unknown_expired_early_and_disabled_codes_are_refused(api: Api) -> None:
    creator = await api.user("event_creator")
    event_id = await promo_event(api, creator)
    await add_code(api, creator, event_id, code="OLD", valid_until="2021-01-01T00:00:00Z",
                   discount_type="fixed", discount_value=100)  # fmt: skip
    await add_code(api, creator, event_id, code="SOON", valid_from="2031-01-01T00:00:00Z",
                   discount_type="fixed", discount_value=100)  # fmt: skip
    await add_code(api, creator, event_id, code="PAUSED", discount_type="fixed", discount_value=1)
    paused = await api.client.patch(
        f"/v1/events/{event_id}/promo-codes/paused",
        headers=creator["headers"],
        json={"disabled": True},
    )
    assert paused.status_code == 200 and paused.json()["disabled"] is True, paused.text
    buyer = bearer(api, "refused")
    for code, status, problem in [
        ("NOPE", 422, "promo_unknown"),
        ("OLD", 422, "promo_expired"),
        ("SOON", 422, "promo_not_yet_valid"),
        ("PAUSED", 409, "promo_disabled"),
    ]:
        r = await reserve(api, buyer, event_id=event_id, area="FLOOR", quantity=1, promo_code=code)
        assert (r.status_code, r.json()["code"]) == (status, problem), r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    on_again = await api.client.patch(
        f"/v1/events/{event_id}/promo-codes/PAUSED",
        headers=creator["headers"],
        json={"disabled": False},
    )
    assert on_again.status_code == 200
    ok = await reserve(api, buyer, event_id=event_id, area="FLOOR", quantity=1, promo_code="paused")
    assert ok.status_code == 201 and ok.json()["total"]["amount"] == 3499


async def test_hidden_tier_and_presale_need_their_codes(api: Api) -> None:
    creator = await api.user("event_creator")
    event_id = await promo_event(api, creator)
    await add_code(api, creator, event_id, code="CREW", unlocks_tiers=["Backstage"])
    buyer = bearer(api, "hidden")
    locked = await reserve(api, buyer, event_id=event_id, seats=["VIP-1-1"])
    assert (locked.status_code, locked.json()["code"]) == (403, "access_code_required")
    assert locked.json()["tiers"] == ["Backstage"]
    best = await reserve(api, buyer, event_id=event_id, section="VIP", quantity=1)
    assert best.status_code == 403
    vip = await reserve(api, buyer, event_id=event_id, seats=["VIP-1-1"], promo_code="crew")
    assert vip.status_code == 201 and vip.json()["total"]["amount"] == 9000, vip.text

    early_id = await promo_event(api, creator, presale=True)
    await add_code(api, creator, early_id, code="FANCLUB", presale=True)
    await add_code(api, creator, early_id, code="TENOFF", discount_type="percentage",
                   discount_value=10)  # fmt: skip
    closed = await reserve(api, buyer, event_id=early_id, area="FLOOR", quantity=1)
    assert (closed.status_code, closed.json()["code"]) == (409, "not_on_sale")
    not_presale = await reserve(
        api, buyer, event_id=early_id, area="FLOOR", quantity=1, promo_code="TENOFF"
    )
    assert not_presale.status_code == 409
    fan = await reserve(
        api, buyer, event_id=early_id, area="FLOOR", quantity=2, promo_code="fanclub"
    )
    assert fan.status_code == 201 and fan.json()["total"]["amount"] == 7000, fan.text


async def test_organiser_endpoints(api: Api) -> None:
    creator, other = await api.user("event_creator"), await api.user("event_creator")
    event_id = await promo_event(api, creator)
    url = f"/v1/events/{event_id}/promo-codes"
    for code in ("AAA", "BBB", "CCC"):
        await add_code(api, creator, event_id, code=code)
    dup = await api.client.post(url, headers=creator["headers"], json={"code": "aaa"})
    assert (dup.status_code, dup.json()["code"]) == (409, "promo_code_exists")
    tier = await api.client.post(
        url, headers=creator["headers"], json={"code": "XYZ", "unlocks_tiers": ["Nope"]}
    )
    assert (tier.status_code, tier.json()["code"]) == (422, "unknown_tier")
    bad = await api.client.post(
        url, headers=creator["headers"], json={"code": "P", "discount_type": "percentage"}
    )
    assert bad.status_code == 422
    first = await api.client.get(url, headers=creator["headers"], params={"limit": 2})
    assert [c["code"] for c in first.json()["items"]] == ["AAA", "BBB"]
    rest = await api.client.get(
        url, headers=creator["headers"], params={"cursor": first.json()["next_cursor"]}
    )
    assert [c["code"] for c in rest.json()["items"]] == ["CCC"] and not rest.json()["next_cursor"]
    for method, path, body in [("GET", url, None), ("POST", url, {"code": "MINE"}),
                               ("PATCH", f"{url}/AAA", {"disabled": True})]:  # fmt: skip
        r = await api.client.request(method, path, headers=other["headers"], json=body)
        assert r.status_code == 403, (method, r.text)
    missing = await api.client.patch(f"{url}/ZZZ", headers=creator["headers"], json={})
    assert missing.status_code == 404
    off = await api.client.patch(f"{url}/bbb", headers=creator["headers"], json={"disabled": True})
    assert off.status_code == 200 and off.json()["disabled"] is True
    admin = await api.user("admin")
    entries = await audit(api, admin, target=f"{event_id}/BBB")
    assert [(e["action"], e["actor_id"]) for e in entries] == [
        ("promo_code.update", creator["id"]),
        ("promo_code.create", creator["id"]),
    ]
    assert entries[0]["before"] == {"disabled": False} and entries[0]["after"]["disabled"] is True


@pytest.mark.parametrize("api", [{"seats_per_shard": 1_000}], indirect=True)
async def test_sharded_event_takes_unlimited_codes_and_refuses_limited_ones(api: Api) -> None:
    creator = await api.user("event_creator")
    event_id = await promo_event(api, creator)  # 2,030 places: three shard actors
    await add_code(api, creator, event_id, code="CAPPED", max_uses=5, discount_type="fixed",
                   discount_value=100)  # fmt: skip
    await add_code(api, creator, event_id, code="OPEN10", discount_type="percentage",
                   discount_value=10, unlocks_tiers=["Backstage"])  # fmt: skip
    buyer = bearer(api, "sharded")
    capped = await reserve(
        api, buyer, event_id=event_id, area="FLOOR", quantity=1, promo_code="CAPPED"
    )
    assert (capped.status_code, capped.json()["code"]) == (422, "promo_unsupported")
    locked = await reserve(api, buyer, event_id=event_id, seats=["VIP-1-1"])
    assert locked.status_code == 403  # hidden in its shard too
    vip = await reserve(api, buyer, event_id=event_id, seats=["VIP-1-1"], promo_code="OPEN10")
    assert vip.status_code == 201 and vip.json()["total"]["amount"] == 8100, vip.text
    floor = await reserve(api, buyer, event_id=event_id, area="FLOOR", quantity=2,
                          promo_code="OPEN10")  # fmt: skip
    assert floor.status_code == 201 and floor.json()["total"]["amount"] == 6300, floor.text
    listed = await api.client.get(f"/v1/events/{event_id}/promo-codes", headers=creator["headers"])
    assert {c["code"]: c["uses"] for c in listed.json()["items"]} == {"CAPPED": 0, "OPEN10": 2}
