"""Organiser webhooks end to end: a subscription through the API, messages on the real
RabbitMQ, the webhooks worker on queues of its own, a real HTTP receiver that checks
the signature with the documented helper, and the delivery log read back."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from contexts.shared.messages import ORDER_CONFIRMED
from contexts.tickets.issue import issue_tickets
from contexts.webhooks.signing import HEADER, verify
from tests.integration.api_support import Api, api
from tests.integration.notify_support import Publisher, eventually
from tests.integration.organiser_support import add, event_body, organiser, venue
from tests.integration.ray_support import ray_local
from tests.integration.test_reservations_api import on_sale_event
from tests.integration.webhook_support import Receiver
from workers.webhooks import WebhooksWorker, build, queue_spec, start_worker

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def worker(api: Api) -> AsyncIterator[WebhooksWorker]:
    # Short backoff: the real one waits minutes. Its queues go with the app's prefix.
    spec = queue_spec(api.settings, retry_delays_s=(0.5, 1.0, 2.0))
    started = await start_worker(api.container, spec)
    yield started
    await started.stop()


@pytest.fixture
async def publisher() -> AsyncIterator[Publisher]:
    bus = Publisher()
    await bus.open()
    yield bus
    await bus.close()


async def subscribe(api: Api, owner: dict[str, Any], url: str, **body: Any) -> dict[str, Any]:
    answer = await api.client.post(
        "/v1/webhooks", headers=owner["headers"], json={"url": url, **body}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def confirmed(event_id: str) -> dict[str, Any]:
    """An ``order.confirmed`` body as the payments worker publishes it."""
    ticket = {"ticket_id": f"{uuid.uuid4().hex[:24]}-1", "seat": "A-1-1", "area": None, "qr": "x"}
    return {
        "order_id": uuid.uuid4().hex[:24],
        "user_id": "u1",
        "event_id": event_id,
        "event_title": "Concert",
        "amount": 5000,
        "currency": "EUR",
        "tickets": [ticket],
    }


async def test_deliveries_are_signed_and_verifiable_with_the_helper(
    api: Api, receiver: Receiver, worker: WebhooksWorker, publisher: Publisher
) -> None:
    owner = await api.user("event_creator")
    event_id = await on_sale_event(api, owner)
    hook = await subscribe(api, owner, receiver.url, event_id=event_id)
    assert hook["secret"].startswith("whsec_")
    listed = await api.client.get(f"/v1/webhooks/{hook['id']}", headers=owner["headers"])
    assert listed.status_code == 200 and "secret" not in listed.json()  # shown once only

    message_id = await publisher.publish(ORDER_CONFIRMED, confirmed(event_id))
    [got] = await receiver.wait_for(1)
    assert verify(hook["secret"], got.headers[HEADER.lower()], got.body)
    assert not verify("whsec_wrong", got.headers[HEADER.lower()], got.body)
    assert not verify(hook["secret"], got.headers[HEADER.lower()], got.body + b" ")
    payload = json.loads(got.body)
    assert payload["id"] == message_id and payload["type"] == ORDER_CONFIRMED
    assert payload["data"]["event_id"] == event_id
    assert "qr" not in payload["data"]["tickets"][0]  # QR payloads stay with their holders
    assert got.headers["x-ticketing-delivery"] == message_id

    # A check-in at the door reaches the organiser too (published by the API, not sent by it).
    buyer = await api.user()
    hold = await api.client.post(
        "/v1/tickets/reserve",
        headers=buyer["headers"],
        json={"event_id": event_id, "section": "A", "quantity": 1},
    )
    assert hold.status_code == 201, hold.text
    body = {"reservation_id": hold.json()["reservation_id"], "payment_method": "pm_card_visa"}
    paid = await api.client.post("/v1/payments/process", json=body, headers=buyer["headers"])
    assert paid.status_code == 202, paid.text
    order = await api.container.orders.get(paid.json()["payment_id"])
    tickets = issue_tickets(order, api.container.signer)
    await api.container.orders.collection.update_one(
        {"_id": order["_id"]}, {"$set": {"status": "confirmed", "tickets": tickets}}
    )
    scan = await api.client.post(
        f"/v1/tickets/{tickets[0]['ticket_id']}/check-in",
        headers=owner["headers"],
        json={"qr": tickets[0]["qr"]},
    )
    assert scan.status_code == 200, scan.text
    second = (await receiver.wait_for(2))[1]
    assert verify(hook["secret"], second.headers[HEADER.lower()], second.body)
    checked = json.loads(second.body)
    assert checked["type"] == "ticket.checked_in"
    assert checked["data"]["ticket_id"] == tickets[0]["ticket_id"]


async def test_a_failed_delivery_is_retried_and_both_attempts_are_logged(
    api: Api, receiver: Receiver, worker: WebhooksWorker, publisher: Publisher
) -> None:
    owner = await api.user("event_creator")
    event_id = await on_sale_event(api, owner)
    hook = await subscribe(api, owner, receiver.url)  # every event the organiser manages
    other = await api.user("event_creator")
    foreign = await on_sale_event(api, other)
    receiver.statuses = [500]  # the first attempt fails

    await publisher.publish(ORDER_CONFIRMED, confirmed(foreign))  # not theirs: never sent
    message_id = await publisher.publish(ORDER_CONFIRMED, confirmed(event_id))
    first, retried = await receiver.wait_for(2)
    assert first.headers["x-ticketing-delivery"] == retried.headers["x-ticketing-delivery"]
    assert [first.headers["x-ticketing-attempt"], retried.headers["x-ticketing-attempt"]] == [
        "1",
        "2",
    ]
    assert verify(hook["secret"], retried.headers[HEADER.lower()], retried.body)

    async def logged() -> list[dict[str, Any]]:
        page = await api.client.get(
            f"/v1/webhooks/{hook['id']}/deliveries", headers=owner["headers"]
        )
        assert page.status_code == 200, page.text
        items = page.json()["items"]
        return items if len(items) >= 2 else []

    newest, oldest = await eventually(logged, 10)
    assert (oldest["attempt"], oldest["status_code"], oldest["ok"]) == (1, 500, False)
    assert (newest["attempt"], newest["status_code"], newest["ok"]) == (2, 200, True)
    assert oldest["message_id"] == newest["message_id"] == message_id
    assert oldest["latency_ms"] >= 0 and newest["latency_ms"] >= 0
    assert len(receiver.received) == 2  # the foreign event's message went nowhere

    stranger = await api.user("event_creator")
    hidden = await api.client.get(
        f"/v1/webhooks/{hook['id']}/deliveries", headers=stranger["headers"]
    )
    assert hidden.status_code == 404


async def test_unsafe_urls_are_refused(api: Api) -> None:
    owner = await api.user("event_creator")
    for url in ("ftp://example.com/hook", "file:///etc/passwd", "http://user:pw@example.com/"):
        answer = await api.client.post("/v1/webhooks", headers=owner["headers"], json={"url": url})
        assert answer.status_code == 422, (url, answer.text)


async def test_a_removed_team_member_stops_receiving_the_events_orders(api: Api) -> None:
    """Access is checked at each delivery, per-event subscriptions too (the dispatcher
    driven directly: when ``handle`` returns, every delivery of the message was decided)."""
    owner, member = await api.user("event_creator"), await api.user("event_creator")
    org = await organiser(api, owner)
    await add(api, org, owner, member, "manage_events")
    created = await api.client.post(
        "/v1/events", json=event_body(await venue(api, owner), org), headers=owner["headers"]
    )
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    published = await api.client.post(f"/v1/events/{event_id}/publish", headers=owner["headers"])
    assert published.status_code == 200, published.text
    theirs, ours = Receiver(), Receiver()
    for server in (theirs, ours):
        await server.start()
    try:
        await subscribe(api, member, theirs.url, event_id=event_id)
        await subscribe(api, owner, ours.url, event_id=event_id)
        dispatcher = (await build(api.container)).dispatcher
        assert await dispatcher.handle(ORDER_CONFIRMED, confirmed(event_id), "m1") == 2
        assert (len(theirs.received), len(ours.received)) == (1, 1)

        removed = await api.client.delete(
            f"/v1/organisers/{org}/members/{member['id']}", headers=owner["headers"]
        )
        assert removed.status_code == 204, removed.text
        assert await dispatcher.handle(ORDER_CONFIRMED, confirmed(event_id), "m2") == 1
        assert (len(theirs.received), len(ours.received)) == (1, 2)
        await dispatcher.sender.close()
    finally:
        for server in (theirs, ours):
            await server.stop()
