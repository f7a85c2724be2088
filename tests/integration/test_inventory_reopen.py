"""After a restart the actors are gone: published events sell again, holds and sales intact.

A restart of Ray (of the machine, of `make run`) leaves no actor: the journal and the
catalog remain. Here the event's actor is killed for good (no Ray restart) and the API
comes back as new processes (fresh apps on the same MongoDB, Ray and journal): the
first use re-opens the event from its snapshot and journal, with no re-publication.
Two apps stand for two API processes whose first uses race.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import ray

from actors.config import actor_name
from actors.refs import HoldRef
from api.main import create_app
from contexts.shared.settings import Settings
from tests.integration.api_support import Api, api
from tests.integration.ray_support import ray_local
from tests.integration.test_reservations_api import bearer, on_sale_event

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")


@contextlib.asynccontextmanager
async def restarted(settings: Settings) -> AsyncIterator[Api]:
    """A new API process's app on the same settings (its own router, no cached handle)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Api(client, app, settings)


def kill_actor(settings: Settings, stream: str) -> None:
    handle = ray.get_actor(actor_name(stream), namespace=settings.ray_namespace)
    ray.kill(handle, no_restart=True)  # as after a Ray restart: no actor, only the journal


async def test_published_event_sells_again_after_restart_with_holds_and_sales(api: Api) -> None:
    creator = await api.user("event_creator")
    event_id = await on_sale_event(api, creator, rows=1, seats=6)
    holder, buyer = bearer(api, "holder"), bearer(api, "buyer")
    held = await api.client.post(
        "/v1/tickets/reserve", json={"event_id": event_id, "seats": ["A-1-1"]}, headers=holder
    )
    sold = await api.client.post(
        "/v1/tickets/reserve", json={"event_id": event_id, "seats": ["A-1-2"]}, headers=buyer
    )
    assert held.status_code == sold.status_code == 201, (held.text, sold.text)
    await api.container.router.confirm(HoldRef.parse(sold.json()["reservation_id"]), "pay-1")
    kill_actor(api.settings, event_id)

    async with restarted(api.settings) as one, restarted(api.settings) as two:
        # Both "processes" use the event at once: each re-opens it, Ray keeps one actor.
        views = await asyncio.gather(
            one.client.get(f"/v1/events/{event_id}/availability"),
            two.client.get(f"/v1/events/{event_id}/availability"),
        )
        for view in views:
            assert view.status_code == 200, view.text
            body: dict[str, Any] = view.json()
            assert (body["capacity"], body["held"], body["sold"], body["available"]) == (6, 1, 1, 4)
        again = await one.client.post(
            "/v1/tickets/reserve", json={"event_id": event_id, "seats": ["A-1-1"]}, headers=buyer
        )
        assert again.status_code == 409, again.text  # the restored hold still holds it
        assert again.json()["code"] == "seat_unavailable"
        new = await two.client.post(
            "/v1/tickets/reserve", json={"event_id": event_id, "seats": ["A-1-3"]}, headers=buyer
        )
        assert new.status_code == 201, new.text
        mine = await one.client.get(
            f"/v1/reservations/{held.json()['reservation_id']}", headers=holder
        )
        assert mine.status_code == 200, mine.text
    # The process that lived through it (its router knew the stream) sells again too.
    # Its cached handle's call fails first (503, retry: the answer is lost), the retry
    # finds no actor and no move under way, and re-opens the event.
    kill_actor(api.settings, event_id)
    body = {"event_id": event_id, "seats": ["A-1-4"]}
    statuses = []
    for _ in range(5):
        survivor = await api.client.post("/v1/tickets/reserve", json=body, headers=buyer)
        statuses.append(survivor.status_code)
        if survivor.status_code != 503:
            break
    assert statuses[-1] == 201 and len(statuses) <= 2, (statuses, survivor.text)


async def test_a_draft_is_not_reopened(api: Api) -> None:
    """Only what was published comes back: a draft's id stays "not on sale"."""
    creator = await api.user("event_creator")
    venue = await api.client.post(
        "/v1/venues",
        headers=creator["headers"],
        json={
            "name": "V",
            "city": "Paris",
            "country": "FR",
            "sections": [{"name": "A", "rows": [{"label": "1", "seats": 2}]}],
        },
    )
    assert venue.status_code == 201, venue.text
    assert await api.container.router.reopen("0123456789abcdef01234567") is False
    assert await api.container.router.reopen(venue.json()["id"]) is False  # not an event


@pytest.mark.parametrize("api", [{"event_cache_s": 60.0}], indirect=True)
async def test_a_cancel_in_one_process_stops_sales_in_the_others_at_once(api: Api) -> None:
    """The sale state is cached per process (60 s here): the cancel's invalidation is
    broadcast (contexts.shared.cache_bus), so the other process refuses long before its TTL."""
    creator = await api.user("event_creator")
    event_id = await on_sale_event(api, creator, rows=1, seats=6)
    buyer = bearer(api, "buyer")
    async with restarted(api.settings) as other:
        first = await other.client.post(
            "/v1/tickets/reserve", json={"event_id": event_id, "seats": ["A-1-1"]}, headers=buyer
        )
        assert first.status_code == 201, first.text  # "on sale" is now cached there
        cancelled = await api.client.post(
            f"/v1/events/{event_id}/cancel", headers=creator["headers"]
        )
        assert cancelled.status_code == 200, cancelled.text
        deadline = asyncio.get_running_loop().time() + 10.0
        while True:
            after = await other.client.post(
                "/v1/tickets/reserve",
                json={"event_id": event_id, "seats": ["A-1-2"]},
                headers=buyer,
            )
            if after.status_code != 201 or asyncio.get_running_loop().time() > deadline:
                break
        assert after.status_code == 409 and after.json()["code"] == "not_on_sale", after.text
