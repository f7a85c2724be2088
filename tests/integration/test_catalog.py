"""The catalog over HTTP (venues and events) with real MongoDB (mongoeco) and real Ray."""

from __future__ import annotations

import json
from typing import Any

import aio_pika
import pytest

from contexts.shared.messages import EVENT_CANCELLED
from tests.integration.api_support import Api, api
from tests.integration.ray_support import ray_local
from workers.bus import EVENTS_EXCHANGE

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")
PROBLEM = "application/problem+json"

VENUE: dict[str, Any] = {
    "name": "Zenith",
    "city": "Paris",
    "country": "FR",
    "sections": [
        {"name": "A", "rows": [{"label": "1", "seats": 4}, {"label": "2", "seats": 4}]},
        {"name": "B", "rows": [{"label": "1", "seats": 2}]},
    ],
    "areas": [{"name": "FLOOR", "capacity": 10}],
}
PRICES = [
    {"name": "Cat 1", "amount": 5000, "sections": ["A", "B"], "areas": []},
    {"name": "Floor", "amount": 3500, "sections": [], "areas": ["FLOOR"]},
]


def event_body(venue_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "title": "Rock Night",
        "description": "Loud guitars all night",
        "category": "concert",
        "venue_id": venue_id,
        "starts_at": "2030-06-01T20:00:00Z",
        "sale_starts_at": "2026-01-01T00:00:00+02:00",
        "currency": "EUR",
        "prices": PRICES,
        **changes,
    }


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == code, body
    return body


async def make_venue(api: Api, user: dict[str, Any], **changes: Any) -> dict[str, Any]:
    response = await api.client.post(
        "/v1/venues", json={**VENUE, **changes}, headers=user["headers"]
    )
    assert response.status_code == 201, response.text
    return response.json()


async def make_event(
    api: Api, user: dict[str, Any], venue_id: str, publish: bool = False, **changes: Any
) -> dict[str, Any]:
    response = await api.client.post(
        "/v1/events", json=event_body(venue_id, **changes), headers=user["headers"]
    )
    assert response.status_code == 201, response.text
    event = response.json()
    if publish:
        response = await api.client.post(
            f"/v1/events/{event['id']}/publish", headers=user["headers"]
        )
        assert response.status_code == 200, response.text
        event = response.json()
    return event


async def test_create_venue_needs_a_creator_and_a_valid_map(api: Api) -> None:
    creator, plain = await api.user("event_creator"), await api.user()
    venue = await make_venue(api, creator, country="fr", timezone="Europe/Paris")
    assert venue["capacity"] == 20 and venue["country"] == "FR"
    assert venue["owner_id"] == creator["id"] and venue["sections"][0]["rows"][1]["seats"] == 4
    assert (await api.client.get(f"/v1/venues/{venue['id']}")).json() == venue  # public

    problem(await api.client.post("/v1/venues", json=VENUE), 401, "unauthorized")
    problem(
        await api.client.post("/v1/venues", json=VENUE, headers=plain["headers"]), 403, "forbidden"
    )
    post = api.client.post
    bad_maps = [
        {**VENUE, "areas": [{"name": "A", "capacity": 5}]},  # a name used twice
        {**VENUE, "sections": [{"name": "C", "rows": [{"label": "1-2", "seats": 3}]}]},
        {**VENUE, "sections": [], "areas": []},
    ]
    for body in bad_maps:
        problem(
            await post("/v1/venues", json=body, headers=creator["headers"]),
            422,
            "invalid_configuration",
        )
    too_big = {**VENUE, "areas": [{"name": "FLOOR", "capacity": 1_000_000}]}
    problem(
        await post("/v1/venues", json=too_big, headers=creator["headers"]), 422, "venue_too_large"
    )
    for body in [
        {**VENUE, "country": "France"},
        {**VENUE, "timezone": "Mars/Olympus"},
        {**VENUE, "timezone": "Europe"},
        {**VENUE, "name": "x" * 51},
        {**VENUE, "sections": [{"name": "C", "rows": [{"label": "1", "seats": 10_001}]}]},
        {**VENUE, "sections": [{"name": "C", "rows": []}]},
        {**VENUE, "extra": 1},
    ]:
        problem(
            await post("/v1/venues", json=body, headers=creator["headers"]), 422, "validation_error"
        )
    for missing in ("nope", "0" * 24, "zz" * 12):
        problem(await api.client.get(f"/v1/venues/{missing}"), 404, "not_found")


async def test_venues_list_pages_and_idempotent_create(api: Api) -> None:
    creator = await api.user("event_creator")
    keyed = {**creator["headers"], "Idempotency-Key": "venue-1"}
    first = await api.client.post("/v1/venues", json=VENUE, headers=keyed)
    again = await api.client.post("/v1/venues", json=VENUE, headers=keyed)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    other = {**VENUE, "name": "Other"}
    problem(
        await api.client.post("/v1/venues", json=other, headers=keyed),
        422,
        "idempotency_key_reused",
    )
    ids = [first.json()["id"]] + [
        (await make_venue(api, creator, name=f"V{i}"))["id"] for i in range(2)
    ]

    page = (await api.client.get("/v1/venues", params={"limit": 2})).json()
    assert [v["id"] for v in page["items"]] == ids[:2] and "sections" not in page["items"][0]
    last = (
        await api.client.get("/v1/venues", params={"limit": 2, "cursor": page["next_cursor"]})
    ).json()
    assert [v["id"] for v in last["items"]] == ids[2:] and last["next_cursor"] is None
    problem(
        await api.client.get("/v1/venues", params={"cursor": "garbage!"}), 422, "invalid_cursor"
    )
    problem(await api.client.get("/v1/venues", params={"limit": 101}), 422, "validation_error")


async def test_create_event_validates_prices_dates_and_roles(api: Api) -> None:
    creator, plain = await api.user("event_creator"), await api.user()
    venue = await make_venue(api, creator)
    event = await make_event(api, creator, venue["id"])
    assert (
        event["status"] == "draft"
        and event["capacity"] == 20
        and event["owner_id"] == creator["id"]
    )
    assert event["venue"] == {"id": venue["id"], "name": "Zenith", "city": "Paris", "country": "FR"}
    assert event["sale_starts_at"] == "2025-12-31T22:00:00Z"  # stored in UTC
    assert (event["max_tickets_per_customer"], event["hold_ttl_seconds"]) == (6, 600)

    async def create(user: dict[str, Any] | None = None, **changes: Any) -> Any:
        headers = (user or creator)["headers"]
        body = {**event_body(venue["id"]), **changes}
        return await api.client.post("/v1/events", json=body, headers=headers)

    problem(await create(plain), 403, "forbidden")
    uncovered = [{"name": "Cat 1", "amount": 5000, "sections": ["A"], "areas": ["FLOOR"]}]
    problem(await create(prices=uncovered), 422, "invalid_configuration")  # B has no price
    twice = [*PRICES, {"name": "Again", "amount": 1, "sections": ["A"], "areas": []}]
    problem(await create(prices=twice), 422, "invalid_configuration")
    problem(await create(venue_id="0" * 24), 422, "unknown_venue")
    for changes in [
        {"starts_at": "2030-06-01T20:00:00"},  # naive
        {"sale_starts_at": "2031-01-01T00:00:00Z"},  # the sale starts after the show
        {"ends_at": "2030-06-01T19:00:00Z"},
        {"category": "opera"},
        {"currency": "euro"},
        {"max_tickets_per_customer": 51},
        {"hold_ttl_seconds": 10},
        {"venue_id": "not-an-id"},
        {"prices": [{**PRICES[0], "amount": -1}, PRICES[1]]},
        {"surprise": True},
    ]:
        problem(await create(**changes), 422, "validation_error")


async def test_search_filters_and_pages_without_gaps(api: Api) -> None:
    creator, other = await api.user("event_creator"), await api.user("event_creator")
    paris = (await make_venue(api, creator))["id"]
    lyon = (await make_venue(api, creator, name="Halle", city="Lyon"))["id"]
    specs = [  # title, category, venue, starts_at
        ("Rock Night", "concert", paris, "2030-01-01T20:00:00Z"),
        ("Jazz Evening", "concert", lyon, "2030-02-01T20:00:00Z"),
        ("Stand-up Rock", "comedy", paris, "2030-02-01T20:00:00Z"),  # same start: id breaks ties
        ("Chess Finals", "sport", lyon, "2030-03-01T20:00:00Z"),
        ("Cup Final", "sport", paris, "2030-04-01T20:00:00Z"),
    ]
    events = [
        await make_event(api, creator, v, publish=True, title=t, category=c, starts_at=s)
        for t, c, v, s in specs
    ]
    draft = await make_event(api, creator, paris, title="Secret Rock")
    await make_event(api, other, paris, title="Other Rock")

    async def ids(**params: Any) -> list[str]:
        seen: list[str] = []
        cursor = None
        while True:
            query = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await api.client.get("/v1/events", params=query)).json()
            seen += [e["id"] for e in page["items"]]
            if not (cursor := page["next_cursor"]):
                return seen

    everything = await ids()
    by_start = sorted(events, key=lambda e: (e["starts_at"], e["id"]))
    assert everything == [e["id"] for e in by_start]  # no draft, no gap, no duplicate
    title = {e["id"]: e["title"] for e in events}
    assert [title[i] for i in await ids(q="rock")] == ["Rock Night", "Stand-up Rock"]
    assert [title[i] for i in await ids(category="sport")] == ["Chess Finals", "Cup Final"]
    assert [title[i] for i in await ids(city="LYON")] == ["Jazz Evening", "Chess Finals"]
    window = {"from": "2030-02-01T20:00:00Z", "to": "2030-04-01T20:00:00Z"}
    assert [title[i] for i in await ids(**window)] == [
        "Jazz Evening",
        "Stand-up Rock",
        "Chess Finals",
    ]
    assert [title[i] for i in await ids(q="final", category="sport", city="paris")] == ["Cup Final"]
    assert await ids(q='"-') == [] and len(await ids(q="-jazz, ROCK!")) == 3
    # The embedded fallback without $text: the same answers from a regex scan.
    api.container.catalog.events_repo.text_search = False
    assert [title[i] for i in await ids(q="ROCK")] == ["Rock Night", "Stand-up Rock"]
    assert [title[i] for i in await ids(q="guitars", city="lyon")] == [
        "Jazz Evening",
        "Chess Finals",
    ]

    mine = await api.client.get("/v1/events", params={"mine": "true"}, headers=creator["headers"])
    assert draft["id"] in [e["id"] for e in mine.json()["items"]] and len(mine.json()["items"]) == 6
    problem(await api.client.get("/v1/events", params={"mine": "true"}), 401, "unauthorized")
    problem(
        await api.client.get("/v1/events", params={"from": "2030-01-01T00:00:00"}),
        422,
        "validation_error",
    )
    problem(await api.client.get("/v1/events", params={"cursor": "e30"}), 422, "invalid_cursor")


async def test_drafts_are_private_and_only_owners_edit(api: Api) -> None:
    owner, rival = await api.user("event_creator"), await api.user("event_creator")
    admin = await api.user("admin")
    venue = await make_venue(api, owner)
    event = await make_event(api, owner, venue["id"])
    url = f"/v1/events/{event['id']}"
    problem(await api.client.get(url), 404, "not_found")
    problem(await api.client.get(url, headers=rival["headers"]), 404, "not_found")
    problem(
        await api.client.patch(url, json={"title": "Mine"}, headers=rival["headers"]),
        404,
        "not_found",
    )
    assert (await api.client.get(url, headers=owner["headers"])).json() == event
    assert (await api.client.get(url, headers=admin["headers"])).status_code == 200

    cheaper = [{**PRICES[0], "amount": 4000}, PRICES[1]]
    edited = await api.client.patch(
        url, json={"prices": cheaper, "ends_at": "2030-06-01T23:00:00Z"}, headers=owner["headers"]
    )
    assert edited.status_code == 200 and edited.json()["prices"][0]["amount"] == 4000
    problem(
        await api.client.patch(url, json={"prices": PRICES[:1]}, headers=owner["headers"]),
        422,
        "invalid_configuration",
    )
    problem(
        await api.client.patch(
            url, json={"ends_at": "2029-01-01T00:00:00Z"}, headers=owner["headers"]
        ),
        422,
        "invalid_schedule",
    )
    problem(
        await api.client.patch(url, json={"title": None}, headers=owner["headers"]),
        422,
        "validation_error",
    )

    await api.client.post(f"{url}/publish", headers=owner["headers"])
    problem(
        await api.client.patch(url, json={"title": "Mine"}, headers=rival["headers"]),
        403,
        "forbidden",
    )
    problem(await api.client.post(f"{url}/cancel", headers=rival["headers"]), 403, "forbidden")
    problem(
        await api.client.patch(url, json={"prices": PRICES}, headers=owner["headers"]),
        409,
        "not_draft",
    )
    renamed = await api.client.patch(
        url, json={"title": "Renamed", "category": "festival"}, headers=admin["headers"]
    )
    assert renamed.status_code == 200 and renamed.json()["title"] == "Renamed"
    assert (await api.client.get(url)).json()["category"] == "festival"  # public now
    for missing in ("0" * 24, "nope"):
        problem(
            await api.client.patch(f"/v1/events/{missing}", json={}, headers=owner["headers"]),
            404,
            "not_found",
        )
        problem(await api.client.get(f"/v1/events/{missing}/availability"), 404, "not_found")


async def test_publish_opens_the_inventory(api: Api) -> None:
    creator, plain = await api.user("event_creator"), await api.user()
    venue = await make_venue(api, creator)
    event = await make_event(api, creator, venue["id"])
    url = f"/v1/events/{event['id']}"
    problem(
        await api.client.get(f"{url}/availability", headers=creator["headers"]), 409, "not_on_sale"
    )
    problem(await api.client.get(f"{url}/seats"), 404, "not_found")
    problem(await api.client.post(f"{url}/publish", headers=plain["headers"]), 404, "not_found")

    published = (await api.client.post(f"{url}/publish", headers=creator["headers"])).json()
    assert published["status"] == "on_sale" and published["published_at"]
    again = await api.client.post(f"{url}/publish", headers=creator["headers"])
    assert again.status_code == 200 and again.json() == published  # idempotent
    availability = (await api.client.get(f"{url}/availability")).json()
    assert availability["event_id"] == event["id"]
    assert {k: availability[k] for k in ("capacity", "available", "held", "sold")} == {
        "capacity": 20,
        "available": 20,
        "held": 0,
        "sold": 0,
    }
    assert (
        availability["sections"]["A"]["capacity"] == 8
        and availability["areas"]["FLOOR"]["available"] == 10
    )
    seats = (await api.client.get(f"{url}/seats")).json()
    assert seats["event_id"] == event["id"]
    assert [[r["states"] for r in s["rows"]] for s in seats["sections"]] == [
        ["AAAA", "AAAA"],
        ["AA"],
    ]

    sale = await api.container.catalog.get_for_sale(event["id"])
    assert (
        sale.status == "on_sale" and sale.max_tickets_per_customer == 6 and sale.currency == "EUR"
    )
    assert await api.container.catalog.get_for_sale("nope") is None


@pytest.mark.parametrize("api", [{"seats_per_shard": 10}], indirect=True)
async def test_a_large_event_is_published_in_shards(api: Api) -> None:
    creator = await api.user("event_creator")
    venue = await make_venue(api, creator)
    event = await make_event(api, creator, venue["id"], publish=True)
    streams = await api.container.router.status(event["id"])
    assert len(streams) == 3  # the quota ledger and ceil(20 / 10) shards
    availability = (await api.client.get(f"/v1/events/{event['id']}/availability")).json()
    assert (availability["capacity"], availability["available"]) == (20, 20)
    assert availability["areas"]["FLOOR"]["capacity"] == 10 and set(availability["sections"]) == {
        "A",
        "B",
    }
    seats = (await api.client.get(f"/v1/events/{event['id']}/seats")).json()
    assert [s["name"] for s in seats["sections"]] == ["A", "B"]


async def test_seat_maps_are_cached_briefly(api: Api) -> None:
    creator = await api.user("event_creator")
    venue = await make_venue(api, creator)
    event = await make_event(api, creator, venue["id"], publish=True)
    router, calls = api.container.router, []
    real = router.seats

    async def counting(event_id: str) -> dict[str, Any]:
        calls.append(event_id)
        return await real(event_id)

    router.seats = counting
    for _ in range(3):
        assert (await api.client.get(f"/v1/events/{event['id']}/seats")).status_code == 200
    assert calls == [event["id"]]


async def test_cancel_and_derived_statuses(api: Api) -> None:
    creator = await api.user("event_creator")
    venue = (await make_venue(api, creator))["id"]
    live = await make_event(api, creator, venue, publish=True)
    later = await make_event(
        api, creator, venue, publish=True, sale_starts_at="2029-01-01T00:00:00Z"
    )
    past = await make_event(api, creator, venue, publish=True, starts_at="2026-01-02T00:00:00Z")
    assert (live["status"], later["status"], past["status"]) == ("on_sale", "published", "ended")

    url = f"/v1/events/{live['id']}"
    cancelled = (await api.client.post(f"{url}/cancel", headers=creator["headers"])).json()
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"]
    assert (await api.client.post(f"{url}/cancel", headers=creator["headers"])).json() == cancelled
    assert (await api.client.get(url)).json()["status"] == "cancelled"  # was public: stays visible
    problem(await api.client.get(f"{url}/availability"), 409, "not_on_sale")
    problem(
        await api.client.post(f"{url}/publish", headers=creator["headers"]), 409, "event_cancelled"
    )
    problem(
        await api.client.patch(url, json={"title": "Back"}, headers=creator["headers"]),
        409,
        "event_cancelled",
    )
    listed = [e["id"] for e in (await api.client.get("/v1/events")).json()["items"]]
    assert listed == [past["id"], later["id"]]
    assert (await api.container.catalog.get_for_sale(live["id"])).status == "cancelled"

    draft = await make_event(api, creator, venue)
    await api.client.post(f"/v1/events/{draft['id']}/cancel", headers=creator["headers"])
    problem(await api.client.get(f"/v1/events/{draft['id']}"), 404, "not_found")  # never public


async def test_cancelling_a_published_event_announces_it_once(api: Api) -> None:
    """``event.cancelled`` reaches the bus once (the notifications worker emails the
    buyers from it), however often the organiser presses cancel; a draft never sold."""
    creator = await api.user("event_creator")
    venue = (await make_venue(api, creator))["id"]
    live = await make_event(api, creator, venue, publish=True, title="Gone Tour")
    draft = await make_event(api, creator, venue)
    connection = await aio_pika.connect(api.settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, EVENT_CANCELLED)
        for event in (live, live, draft):
            url = f"/v1/events/{event['id']}/cancel"
            assert (await api.client.post(url, headers=creator["headers"])).status_code == 200
        # Published with confirms, so routed before the answer: already in the queue.
        bodies = []
        while (message := await queue.get(fail=False, no_ack=True)) is not None:
            bodies.append((json.loads(message.body), message.message_id))
    mine = [(b, m) for b, m in bodies if b["event_id"] in (live["id"], draft["id"])]
    assert mine == [
        ({"event_id": live["id"], "event_title": "Gone Tour"}, f"event.cancelled:{live['id']}")
    ]
