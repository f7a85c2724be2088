"""One state per ticket, the same on every read and at the door (real app: Ray, MongoDB
over the wire): a refunded order's tickets are ``refunded`` and a cancelled event's are
``cancelled`` for whoever holds them, listed still, without a QR code, and refused at
check-in and for transfer with that same state."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api_support import Api, api
from tests.integration.orders_seed import seed_order
from tests.integration.ray_support import ray_local
from tests.integration.test_reservations_api import on_sale_event
from tests.integration.test_ticket_transfer import scan, send

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")


async def wallet(api: Api, who: dict[str, Any]) -> dict[str, dict[str, Any]]:
    response = await api.client.get("/v1/tickets", headers=who["headers"])
    assert response.status_code == 200, response.text
    return {t["ticket_id"]: t for t in response.json()["items"]}


async def one(api: Api, who: dict[str, Any], ticket_id: str) -> dict[str, Any]:
    response = await api.client.get(f"/v1/tickets/{ticket_id}", headers=who["headers"])
    assert response.status_code == 200, response.text
    return response.json()


async def sold_and_shared(api: Api) -> tuple[dict, dict, dict, dict, dict, str]:
    """An event, a buyer's order of two seats, the second transferred to a friend."""
    creator, buyer, friend = await api.user("event_creator"), await api.user(), await api.user()
    event_id = await on_sale_event(api, creator)
    order = await seed_order(api, event_id, buyer["id"], seats=["A-1-1", "A-1-2"])
    kept, given = order["tickets"]
    assert await send(api, buyer, given["ticket_id"], friend["email"]) == (200, "")
    given = await one(api, friend, given["ticket_id"])  # with its new QR code
    return creator, buyer, friend, order, kept | {"qr": kept["qr"]}, given["ticket_id"]


async def test_a_refunded_order_s_tickets_are_refunded_everywhere(api: Api) -> None:
    creator, buyer, friend, order, kept, given_id = await sold_and_shared(api)
    assert (await one(api, buyer, kept["ticket_id"]))["status"] == "valid"
    await api.container.orders.transition(
        order["_id"], {"confirmed"}, {"status": "refunded", "refund": {"reason": "organiser"}}
    )
    for who, ticket_id in ((buyer, kept["ticket_id"]), (friend, given_id)):
        seen = await one(api, who, ticket_id)
        assert (seen["status"], seen["qr"]) == ("refunded", None)
        listed = (await wallet(api, who))[ticket_id]  # still listed, not silently gone
        assert (listed["status"], listed["qr"]) == ("refunded", None)
    response = await api.client.post(
        f"/v1/tickets/{kept['ticket_id']}/check-in",
        headers=creator["headers"],
        json={"qr": kept["qr"]},
    )
    problem = response.json()
    assert (response.status_code, problem["code"], problem["state"]) == (
        409,
        "ticket_void",
        "refunded",
    )
    assert await send(api, friend, given_id, buyer["email"]) == (409, "ticket_void")


async def test_a_cancelled_event_s_tickets_are_cancelled_at_once(api: Api) -> None:
    creator, buyer, friend, _, kept, given_id = await sold_and_shared(api)
    given_qr = (await one(api, friend, given_id))["qr"]
    assert await scan(api, creator, given_id, given_qr) == (200, "")
    assert (await one(api, friend, given_id))["status"] == "checked_in"
    event_id = (await one(api, buyer, kept["ticket_id"]))["event_id"]
    cancel = await api.client.post(f"/v1/events/{event_id}/cancel", headers=creator["headers"])
    assert cancel.status_code == 200, cancel.text
    # No worker runs here: the orders are not refunded yet, and the tickets are void now.
    for who, ticket_id in ((buyer, kept["ticket_id"]), (friend, given_id)):
        seen = await one(api, who, ticket_id)
        assert (seen["status"], seen["qr"]) == ("cancelled", None), seen
        assert (await wallet(api, who))[ticket_id]["status"] == "cancelled"
    assert await scan(api, creator, kept["ticket_id"], kept["qr"]) == (409, "ticket_void")
    assert await scan(api, creator, given_id, given_qr) == (409, "ticket_void")
    assert await send(api, buyer, kept["ticket_id"], friend["email"]) == (409, "event_cancelled")
    # Once the cancellation's refund lands, the state stays "cancelled" (not "refunded").
    orders = api.container.orders
    stored = await orders.get(kept["ticket_id"].rsplit("-", 1)[0])
    assert stored is not None
    changes = {"status": "refunded", "refund": {"reason": "event_cancelled"}}
    await orders.transition(stored["_id"], {"confirmed"}, changes)
    assert (await one(api, friend, given_id))["status"] == "cancelled"
