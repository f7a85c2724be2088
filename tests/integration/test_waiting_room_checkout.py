"""The waiting room's admission follows checkout capacity (Step 12): with payments able
to charge only so many orders within a hold's TTL, admission pauses while that many
places are held unpaid, though seats are left, and resumes as payments confirm them.
Real Ray actors (inventory and queue) and MongoDB."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace

import pytest

from actors.refs import HoldRef
from tests.integration.api_support import Api, api
from tests.integration.ray_support import ray_local
from tests.integration.test_reservations_api import bearer, on_sale_event
from tests.integration.test_waiting_room_api import buyers_id, wait_for

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")


async def room_status(api: Api, event_id: str, status: str, wait_s: float = 20) -> dict:
    deadline = time.monotonic() + wait_s
    while True:
        room = (await api.client.get(f"/v1/events/{event_id}/waiting-room")).json()
        if room["status"] == status:
            return room
        assert time.monotonic() < deadline, f"never {status}: {room}"
        await asyncio.sleep(0.1)


async def test_admission_pauses_while_checkout_is_full(api: Api) -> None:
    # 0.0051 payments/s x a 600 s hold: checkout can take 3 places (as if Stripe's
    # rate were that low), against 20 seats.
    context = api.container.waiting_room
    api.container.waiting_room = replace(context, checkout_per_s=0.0051)
    organiser = await api.user("event_creator")
    event_id = await on_sale_event(api, organiser, rows=1, seats=20, limit=2)
    setup = await api.client.put(
        f"/v1/events/{event_id}/waiting-room",
        json={"rate_per_minute": 6000, "admission_ttl_seconds": 60},
        headers=organiser["headers"],
    )
    assert setup.status_code == 200, setup.text
    buyers = [bearer(api, f"checkout{i}-{uuid.uuid4().hex[:6]}") for i in range(2)]
    holds = []
    for headers, quantity in zip(buyers, (2, 1), strict=True):
        joined = await api.client.post(f"/v1/events/{event_id}/queue", headers=headers)
        assert joined.status_code == 200, joined.text
        admitted = await wait_for(api, event_id, headers, "admitted")
        held = await api.client.post(
            "/v1/tickets/reserve",
            json={"event_id": event_id, "section": "A", "quantity": quantity},
            headers={**headers, "X-Admission-Token": admitted["admission_token"]},
        )
        assert held.status_code == 201, held.text
        holds.append(held.json()["reservation_id"])
    await room_status(api, event_id, "paused")  # 3 held unpaid: checkout is full
    counts = (await api.client.get(f"/v1/events/{event_id}/availability")).json()
    assert (counts["available"], counts["held"]) == (17, 3)  # seats left, yet paused
    first = HoldRef.parse(holds[0])
    await api.container.router.confirm(first, f"pay-{holds[0]}", buyers_id(buyers[0], api))
    await room_status(api, event_id, "open")  # paid: 1 held unpaid, below the cap
