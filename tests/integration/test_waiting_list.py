"""The waiting list end to end: a sold-out area, buyers join through the API, a hold is
released and the next in line gets a hold in their name, announced by email (the
notifications worker, a real SMTP server); that offer expires unpaid and passes on.
Real RabbitMQ (the inventory outbox feeds the waiting-list worker), Ray and MongoDB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.integration.api_support import Api, api
from tests.integration.notify_support import SmtpSink, eventually, free_port
from tests.integration.ray_support import ray_local
from tests.integration.test_reservations_api import on_sale_event
from workers.notifications import start_worker as start_notifications
from workers.waitlist import WaitlistWorker, queue_spec
from workers.waitlist import start_worker as start_waitlist

__all__ = ["api", "ray_local"]
SMTP_PORT = free_port()
pytestmark = [
    pytest.mark.usefixtures("ray_local"),
    pytest.mark.parametrize(
        "api",
        [{"smtp_host": "127.0.0.1", "smtp_port": SMTP_PORT, "public_base_url": "http://shop"}],
        indirect=True,
    ),
]
TTL_S = 6  # the offer's hold: short, so the test sees it lapse


@pytest.fixture
def smtp() -> AsyncIterator[SmtpSink]:
    sink = SmtpSink(SMTP_PORT)
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
async def waitlist(api: Api, smtp: SmtpSink) -> AsyncIterator[WaitlistWorker]:
    notifications = await start_notifications(api.container)
    worker = await start_waitlist(api.container, queue_spec(api.settings, (0.5, 1.0, 2.0)))
    yield worker
    await worker.stop()
    await notifications.stop()


async def join(api: Api, buyer: dict[str, Any], event_id: str) -> Any:
    return await api.client.post(
        f"/v1/events/{event_id}/waiting-list",
        headers=buyer["headers"],
        json={"area": "FLOOR", "quantity": 1},
    )


async def entry(api: Api, buyer: dict[str, Any], event_id: str) -> dict[str, Any] | None:
    mine = await api.client.get(f"/v1/events/{event_id}/waiting-list/me", headers=buyer["headers"])
    return mine.json() if mine.status_code == 200 else None


async def test_a_released_hold_goes_to_the_next_in_line_then_passes_on_when_unclaimed(
    api: Api, smtp: SmtpSink, waitlist: WaitlistWorker
) -> None:
    organiser = await api.user("event_creator")
    event_id = await on_sale_event(api, organiser, rows=1, seats=1, area=1, ttl=TTL_S)
    a, b, c = await api.user(), await api.user(), await api.user()
    early = await join(api, b, event_id)
    assert early.status_code == 409 and early.json()["code"] == "seats_available"

    held = await api.client.post(
        "/v1/tickets/reserve",
        headers=a["headers"],
        json={"event_id": event_id, "area": "FLOOR", "quantity": 1},
    )
    assert held.status_code == 201, held.text  # the floor is sold out now
    joined_b, joined_c = await join(api, b, event_id), await join(api, c, event_id)
    assert joined_b.status_code == 201, joined_b.text
    assert (joined_b.json()["position"], joined_c.json()["position"]) == (1, 2)
    assert (await join(api, b, event_id)).json()["code"] == "already_waiting"

    released = await api.client.delete(
        f"/v1/reservations/{held.json()['reservation_id']}", headers=a["headers"]
    )
    assert released.status_code == 204, released.text

    [mail_b] = await smtp.wait_for(b["email"], timeout=30)
    offer_b = (await entry(api, b, event_id) or {})["offer"]
    reservation_b = offer_b["reservation_id"]
    text_b = mail_b.get_body(("plain",)).get_content()
    assert f"http://shop/web/event.html?id={event_id}&reservation={reservation_b}" in text_b
    seen_by_b = await api.client.get(f"/v1/reservations/{reservation_b}", headers=b["headers"])
    assert seen_by_b.status_code == 200, seen_by_b.text  # a hold in B's name
    assert seen_by_b.json()["area"] == "FLOOR"
    assert smtp.to(c["email"]) == []  # C waits: one place came back, B was first

    # B does not pay: the hold expires, the offer lapses and passes on to C.
    [mail_c] = await smtp.wait_for(c["email"], timeout=TTL_S + 30)
    assert await entry(api, b, event_id) is None  # lapsed: off the list

    async def offered_c() -> dict[str, Any] | None:
        found = await entry(api, c, event_id)
        return found if found and found["status"] == "offered" else None

    reservation_c = (await eventually(offered_c, 10))["offer"]["reservation_id"]
    assert reservation_c != reservation_b and reservation_c in str(mail_c)
    seen_by_c = await api.client.get(f"/v1/reservations/{reservation_c}", headers=c["headers"])
    assert seen_by_c.status_code == 200, seen_by_c.text
    # One offer email for B (the other is the usual "your reservation expired" notice).
    offers_to_b = [m for m in smtp.to(b["email"]) if "yours to book" in str(m["Subject"])]
    assert len(offers_to_b) == 1

    # Redelivered messages change nothing: the message ids with effects are remembered.
    repo = waitlist.offers.repo
    remembered = await repo.processed.find({}).to_list(None)
    assert len(remembered) >= 2
    for doc in remembered:
        body = {"event_id": event_id, "stream": event_id, "hold_id": 1}
        assert await waitlist.offers.handle("HoldReleased", body, doc["_id"]) == 0
    assert (await entry(api, c, event_id) or {})["offer"]["reservation_id"] == reservation_c
