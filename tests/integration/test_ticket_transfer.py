"""Ticket transfer against the real app (Ray, MongoDB over the wire): the ticket moves
to the recipient with a new QR, the old QR no longer checks in, and the organiser's
policy (forbidden, frozen before the start) and the ticket's state refuse transfers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.api_support import Api, api
from tests.integration.orders_seed import seed_order
from tests.integration.ray_support import ray_local
from tests.integration.test_reservations_api import on_sale_event

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")


async def send(api: Api, who: dict[str, Any], ticket_id: str, email: str) -> tuple[int, str]:
    """(status, problem code or "") of a transfer request."""
    response = await api.client.post(
        f"/v1/tickets/{ticket_id}/transfer", headers=who["headers"], json={"to_email": email}
    )
    return response.status_code, response.json().get("code", "")


async def scan(api: Api, door: dict[str, Any], ticket_id: str, qr: str) -> tuple[int, str]:
    url = f"/v1/tickets/{ticket_id}/check-in"
    response = await api.client.post(url, headers=door["headers"], json={"qr": qr})
    return response.status_code, response.json().get("code", "")


async def mine(api: Api, who: dict[str, Any]) -> dict[str, str]:
    """ticket id -> QR, of the caller's wallet."""
    response = await api.client.get("/v1/tickets", headers=who["headers"])
    assert response.status_code == 200, response.text
    return {t["ticket_id"]: t["qr"] for t in response.json()["items"]}


async def test_transfer_moves_the_ticket_and_supersedes_the_old_qr(api: Api) -> None:
    creator, buyer, friend = await api.user("event_creator"), await api.user(), await api.user()
    event_id = await on_sale_event(api, creator)
    order = await seed_order(api, event_id, buyer["id"], seats=["A-1-1", "A-1-2"])
    first, second = order["tickets"]
    tid = first["ticket_id"]

    response = await api.client.post(
        f"/v1/tickets/{tid}/transfer",
        headers=buyer["headers"],
        json={"to_email": friend["email"].upper()},  # an email in any case
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["to_email"], body["event_id"]) == (
        "transferred",
        friend["email"],
        event_id,
    )
    assert "qr" not in body  # the new QR is the recipient's alone
    assert await mine(api, buyer) == {second["ticket_id"]: second["qr"]}
    theirs = await mine(api, friend)
    assert list(theirs) == [tid] and theirs[tid] != first["qr"]
    assert (await api.client.get(f"/v1/tickets/{tid}", headers=buyer["headers"])).status_code == 404
    seen = await api.client.get(f"/v1/tickets/{tid}", headers=friend["headers"])
    assert (seen.status_code, seen.json()["qr"]) == (200, theirs[tid])
    assert await send(api, buyer, tid, friend["email"]) == (404, "not_found")  # not theirs now

    assert await scan(api, creator, tid, first["qr"]) == (409, "ticket_superseded")
    assert await scan(api, creator, tid, theirs[tid]) == (200, "")
    assert await scan(api, creator, tid, theirs[tid]) == (409, "already_checked_in")
    assert await send(api, friend, tid, buyer["email"]) == (409, "ticket_checked_in")

    # There and back: the second ticket returns to its buyer with a third QR.
    other = second["ticket_id"]
    assert await send(api, buyer, other, friend["email"]) == (200, "")
    assert await send(api, friend, other, buyer["email"]) == (200, "")
    back = await mine(api, buyer)
    assert list(back) == [other] and back[other] not in (second["qr"], theirs.get(other))
    assert list(await mine(api, friend)) == [tid]
    stored = await api.container.orders.get(order["_id"])
    assert [(t["from"], t["to"], t["version"]) for t in stored["transfers"]] == [
        (buyer["id"], friend["id"], 1),
        (buyer["id"], friend["id"], 1),
        (friend["id"], buyer["id"], 2),
    ]
    history = await api.client.get("/v1/users/me/orders", headers=buyer["headers"])
    assert [o["id"] for o in history.json()["items"]] == [str(order["_id"])]  # still the buyer's


async def test_refusals_non_holder_unknown_recipient_and_a_race(api: Api) -> None:
    creator, buyer, friend = await api.user("event_creator"), await api.user(), await api.user()
    stranger = await api.user()
    event_id = await on_sale_event(api, creator, area=100)
    order = await seed_order(api, event_id, buyer["id"], quantity=3)
    a, b, c = (t["ticket_id"] for t in order["tickets"])

    assert await send(api, stranger, a, stranger["email"]) == (404, "not_found")
    assert await send(api, creator, a, creator["email"]) == (404, "not_found")  # organiser too
    assert await send(api, buyer, a, "nobody-here@example.com") == (422, "unknown_recipient")
    assert await send(api, buyer, a, buyer["email"]) == (422, "transfer_to_self")
    assert await send(api, buyer, a, "not an email") == (422, "validation_error")
    assert await send(api, buyer, "nope", friend["email"]) == (404, "not_found")

    # Two transfers of one ticket at once: one wins, the other is refused, one holder.
    outcomes = await asyncio.gather(
        send(api, buyer, b, friend["email"]), send(api, buyer, b, stranger["email"])
    )
    assert sorted(s for s, _ in outcomes)[0] == 200 and [s for s, _ in outcomes].count(200) == 1
    assert {code for s, code in outcomes if s != 200} <= {"ticket_changed", "not_found"}
    holders = [b in await mine(api, who) for who in (buyer, friend, stranger)]
    assert holders.count(True) == 1 and not holders[0]

    await api.container.orders.collection.update_one(
        {"_id": order["_id"]}, {"$set": {"status": "refunded"}}
    )
    assert await send(api, buyer, c, friend["email"]) == (409, "ticket_void")


async def test_the_organiser_forbids_or_freezes_transfers(api: Api) -> None:
    creator, buyer, friend = await api.user("event_creator"), await api.user(), await api.user()
    event_id = await on_sale_event(api, creator)
    order = await seed_order(api, event_id, buyer["id"], seats=["A-2-1"])
    tid = order["tickets"][0]["ticket_id"]

    async def policy(**changes: Any) -> dict[str, Any]:
        response = await api.client.patch(
            f"/v1/events/{event_id}", headers=creator["headers"], json=changes
        )
        assert response.status_code == 200, response.text
        return response.json()

    fresh = await api.client.get(f"/v1/events/{event_id}")
    assert fresh.json()["transfers"] == {"allowed": True, "freeze_hours_before": 0}
    assert (await policy(transfers={"allowed": False}))["transfers"]["allowed"] is False
    assert await send(api, buyer, tid, friend["email"]) == (403, "transfers_disabled")
    refused = await api.client.patch(
        f"/v1/events/{event_id}", headers=buyer["headers"], json={"transfers": {"allowed": True}}
    )
    assert refused.status_code == 403  # only the organiser sets the policy

    starts = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    await policy(starts_at=starts, transfers={"allowed": True, "freeze_hours_before": 3})
    assert await send(api, buyer, tid, friend["email"]) == (409, "transfers_frozen")
    await policy(transfers={"allowed": True, "freeze_hours_before": 1})
    assert await send(api, buyer, tid, friend["email"]) == (200, "")

    bad = await api.client.patch(
        f"/v1/events/{event_id}",
        headers=creator["headers"],
        json={"transfers": {"allowed": True, "freeze_hours_before": -1}},
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
