"""The waiting room over HTTP, with real Ray actors and MongoDB: set-up, joining,
admission tokens on the reserve path, the sold-out close told to every stream."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import pytest

from actors.refs import HoldRef
from contexts.waiting_room import feed as queue_feed
from contexts.waiting_room.tokens import WaitingRoomTokens
from tests.integration.api_support import Api, api
from tests.integration.ray_support import ray_local
from tests.integration.test_reservations_api import bearer, on_sale_event
from tests.waiting import eventually

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def short_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stream that should have ended fails the test in seconds, not five minutes."""
    monkeypatch.setattr(queue_feed, "MAX_STREAM_S", 30.0)


async def place(api: Api, event_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await api.client.get(f"/v1/events/{event_id}/queue/me", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def wait_for(api: Api, event_id: str, headers: dict[str, str], status: str) -> dict:
    for _ in range(200):
        seen = await place(api, event_id, headers)
        if seen["status"] == status:
            return seen
        await asyncio.sleep(0.05)
    raise AssertionError(f"never {status}: {seen}")


def problem_of(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == code, response.json()


def events_of(stream_body: str) -> list[dict[str, Any]]:
    return [
        json.loads(line.removeprefix("data: "))
        for line in stream_body.splitlines()
        if line.startswith("data: ")
    ]


def buyers_id(headers: dict[str, str], api: Api) -> str:
    return api.container.tokens.principal(headers["Authorization"][7:]).id


async def test_admission_tokens_gate_reserve_and_a_sell_out_closes_the_queue(api: Api) -> None:
    organiser = await api.user("event_creator")
    event_id = await on_sale_event(api, organiser, rows=1, seats=4, limit=2)
    setup = await api.client.put(
        f"/v1/events/{event_id}/waiting-room",
        json={"max_active": 2, "admission_ttl_seconds": 60},
        headers=organiser["headers"],
    )
    assert setup.status_code == 200, setup.text
    assert setup.json()["enabled"] and setup.json()["max_active"] == 2
    buyers = [bearer(api, f"buyer{i}-{uuid.uuid4().hex[:6]}") for i in range(6)]
    joined = []
    for headers in buyers:  # one at a time: the sale is on, so the line is FIFO
        response = await api.client.post(f"/v1/events/{event_id}/queue", headers=headers)
        assert response.status_code == 200, response.text
        joined.append(response.json())
    assert all(j["queue_token"] for j in joined)
    again = await api.client.post(f"/v1/events/{event_id}/queue", headers=buyers[5])
    assert again.json()["status"] in ("queued", "admitted") and again.json()["waiting"] >= 4

    first = await wait_for(api, event_id, buyers[0], "admitted")
    await wait_for(api, event_id, buyers[1], "admitted")
    queued = await place(api, event_id, buyers[2])
    assert (queued["status"], queued["position"], queued["ahead"]) == ("queued", 1, 0)

    reserve = {"event_id": event_id, "section": "A", "quantity": 2}
    url = "/v1/tickets/reserve"
    problem_of(
        await api.client.post(url, json=reserve, headers=buyers[0]), 403, "admission_required"
    )
    token = first["admission_token"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    mine = await place(api, event_id, buyers[1])
    other_event = WaitingRoomTokens(api.settings).issue_admission(
        "x", uuid.uuid4().hex[:24], time.time() + 60
    )
    expired = WaitingRoomTokens(api.settings, clock=lambda: time.time() - 120).issue_admission(
        buyers_id(buyers[0], api), event_id, time.time() - 60
    )
    for bad, code in (
        (forged, "admission_invalid"),
        (mine["admission_token"], "admission_invalid"),  # another buyer's
        (other_event, "admission_invalid"),
        (expired, "admission_expired"),
        ("not-a-jwt", "admission_invalid"),
    ):
        refused = await api.client.post(
            url, json=reserve, headers={**buyers[0], "X-Admission-Token": bad}
        )
        problem_of(refused, 403, code)
    holds = []
    for headers, admitted in ((buyers[0], first), (buyers[1], mine)):
        held = await api.client.post(
            url, json=reserve, headers={**headers, "X-Admission-Token": admitted["admission_token"]}
        )
        assert held.status_code == 201, held.text
        holds.append(held.json()["reservation_id"])
    assert (await place(api, event_id, buyers[0]))["status"] == "used"
    await wait_for(api, event_id, buyers[2], "admitted")  # the used places let two more in

    # Everything is held: admission pauses. Buyers 4 and 5 follow the queue as streams.
    streams = [
        asyncio.create_task(
            api.client.get(
                f"/v1/events/{event_id}/queue/stream",
                params={"token": joined[4]["queue_token"]},  # as an EventSource would
            )
        ),
        asyncio.create_task(
            api.client.get(f"/v1/events/{event_id}/queue/stream", headers=buyers[5])
        ),
    ]
    feeds = api.container.waiting_room.feeds

    def both_told() -> bool:  # both streams listen, and were told their place (queued)
        feed = feeds._feeds.get(event_id)
        return feed is not None and len(feed.answered) == 2

    await eventually(both_told, 15, "both streams told their place")
    for customer, hold in zip((0, 1), holds, strict=True):  # both pay: all sold
        buyer = buyers_id(buyers[customer], api)
        await api.container.router.confirm(HoldRef.parse(hold), f"pay-{hold}", buyer)
    for stream in await asyncio.gather(*streams):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        sent = events_of(stream.text)
        assert sent[0]["status"] == "queued" and sent[-1]["status"] == "sold_out", sent
    for headers in buyers[2:]:
        assert (await place(api, event_id, headers))["status"] == "sold_out"
    late = await api.client.post(f"/v1/events/{event_id}/queue", headers=bearer(api, "late"))
    problem_of(late, 409, "queue_closed")
    room = await api.client.get(f"/v1/events/{event_id}/waiting-room")
    assert room.json()["status"] == "sold_out" and room.json()["used"] == 2


async def test_only_the_owner_sets_up_a_room_and_only_invited_accounts_join(api: Api) -> None:
    organiser = await api.user("event_creator")
    other = await api.user("event_creator")
    fan, stranger = await api.user(), await api.user()
    event_id = await on_sale_event(api, organiser)
    url = f"/v1/events/{event_id}/waiting-room"
    body = {"rate_per_minute": 600, "access_list": [fan["email"].upper()]}
    problem_of(await api.client.put(url, json=body, headers=other["headers"]), 403, "forbidden")
    unknown = {**body, "access_list": ["nobody-here@example.com"]}
    refused = await api.client.put(url, json=unknown, headers=organiser["headers"])
    problem_of(refused, 422, "unknown_accounts")
    assert refused.json()["emails"] == ["nobody-here@example.com"]
    done = await api.client.put(url, json=body, headers=organiser["headers"])
    assert done.status_code == 200 and done.json()["access_list_size"] == 1, done.text
    joined = await api.client.post(f"/v1/events/{event_id}/queue", headers=fan["headers"])
    assert joined.status_code == 200, joined.text
    kept_out = await api.client.post(f"/v1/events/{event_id}/queue", headers=stranger["headers"])
    problem_of(kept_out, 403, "not_invited")
    problem_of(
        await api.client.get(f"/v1/events/{event_id}/queue/me", headers=stranger["headers"]),
        404,
        "not_in_queue",
    )


async def test_turning_the_room_off_lets_buyers_reserve_and_tells_the_queue(api: Api) -> None:
    organiser = await api.user("event_creator")
    event_id = await on_sale_event(api, organiser)
    url = f"/v1/events/{event_id}/waiting-room"
    future = {"rate_per_minute": 60, "opens_at": "2099-01-01T00:00:00Z"}
    assert (await api.client.put(url, json=future, headers=organiser["headers"])).is_success
    buyer = bearer(api, "early-bird")
    joined = await api.client.post(f"/v1/events/{event_id}/queue", headers=buyer)
    assert joined.json()["status"] == "pre_sale" and joined.json()["position"] is None
    reserve = {"event_id": event_id, "section": "A", "quantity": 1}
    refused = await api.client.post("/v1/tickets/reserve", json=reserve, headers=buyer)
    problem_of(refused, 403, "admission_required")
    off = await api.client.put(url, json={"enabled": False}, headers=organiser["headers"])
    assert off.json()["status"] == "closed", off.text
    assert (await place(api, event_id, buyer))["status"] == "closed"
    held = await api.client.post("/v1/tickets/reserve", json=reserve, headers=buyer)
    assert held.status_code == 201, held.text
    again = await api.client.put(url, json=future, headers=organiser["headers"])
    problem_of(again, 409, "queue_closed")
