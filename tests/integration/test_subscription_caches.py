"""The per-process caches of what the workers ask for every order: an event's webhook
subscriptions and whether its waiting list has anyone on it.

Two API processes (two apps, each with its own container and its own end of the
cache-invalidation fanout on the real RabbitMQ): the writes go through one, the reads
through the other's worker-side repository, with a TTL of a minute, so only the
broadcast invalidation can make the other process see a change within seconds."""

from __future__ import annotations

import pytest

from contexts.shared.messages import ORDER_CONFIRMED, ORDER_REFUNDED
from contexts.waiting_room import waiting_list_store as waiting_list
from contexts.webhooks import store as webhooks
from tests.integration.api_support import Api, api
from tests.integration.notify_support import eventually
from tests.integration.ray_support import ray_local
from tests.integration.test_inventory_reopen import restarted
from tests.integration.test_reservations_api import bearer, on_sale_event

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")


@pytest.fixture(autouse=True)
def long_ttls(monkeypatch: pytest.MonkeyPatch) -> None:
    """A minute: what is seen within seconds came by the invalidation, not the TTL."""
    monkeypatch.setattr(webhooks, "SUBSCRIPTIONS_CACHE_S", 60.0)
    monkeypatch.setattr(waiting_list, "ACTIVE_CACHE_S", 60.0)


async def test_subscriptions_changed_in_one_process_reach_the_others_worker(api: Api) -> None:
    owner = await api.user("event_creator")
    event_id = await on_sale_event(api, owner, rows=1, seats=2)
    async with restarted(api.settings) as other:
        repo = other.container.webhooks  # the one its webhooks worker reads
        assert await repo.matching(event_id, ORDER_CONFIRMED) == []  # now cached there

        async def subscribe(**body: object) -> str:
            answer = await api.client.post(
                "/v1/webhooks",
                headers=owner["headers"],
                json={"url": "http://127.0.0.1:9/hook", "events": [ORDER_CONFIRMED], **body},
            )
            assert answer.status_code == 201, answer.text
            return str(answer.json()["id"])

        async def matched() -> set[str]:
            return {str(s["_id"]) for s in await repo.matching(event_id, ORDER_CONFIRMED)}

        one = await subscribe(event_id=event_id)
        await eventually(lambda: _equal(matched, {one}), timeout=10)
        every = await subscribe()  # every event the owner manages
        await eventually(lambda: _equal(matched, {one, every}), timeout=10)
        assert await repo.matching(event_id, ORDER_REFUNDED) == []  # kinds still filter
        deleted = await api.client.delete(f"/v1/webhooks/{one}", headers=owner["headers"])
        assert deleted.status_code == 204, deleted.text
        await eventually(lambda: _equal(matched, {every}), timeout=10)
        # The writer's own process sees its changes at once.
        here = api.container.webhooks
        assert {str(s["_id"]) for s in await here.matching(event_id, ORDER_CONFIRMED)} == {every}


async def test_a_join_in_one_process_reaches_the_others_waitlist_worker(api: Api) -> None:
    creator = await api.user("event_creator")
    event_id = await on_sale_event(api, creator, rows=1, seats=1)
    held = await api.client.post(
        "/v1/tickets/reserve",
        json={"event_id": event_id, "seats": ["A-1-1"]},
        headers=bearer(api, "holder"),
    )
    assert held.status_code == 201, held.text  # sold out: a list may start
    async with restarted(api.settings) as other:
        repo = other.container.waiting_list  # the one its waitlist worker reads
        assert await repo.any_active(event_id) is False  # now cached there
        buyer = await api.user()
        joined = await api.client.post(
            f"/v1/events/{event_id}/waiting-list", headers=buyer["headers"], json={"quantity": 1}
        )
        assert joined.status_code == 201, joined.text

        async def active() -> bool:
            return await repo.any_active(event_id)

        await eventually(active, timeout=10)


async def _equal(probe: object, expected: set[str]) -> bool:
    return await probe() == expected  # type: ignore[operator]
