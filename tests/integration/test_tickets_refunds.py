"""Tickets at the door (check-in with the signed QR) and organiser refunds, after real
purchases through the payments worker, localstripe, RabbitMQ, MongoDB and Ray."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from contexts.tickets.signer import TicketSigner, parse_private_key
from tests.integration.payments_support import Shop, localstripe, shop
from tests.integration.ray_support import ray_local
from tests.integration.test_reservations_api import bearer, on_sale_event

__all__ = ["localstripe", "ray_local", "shop"]
pytestmark = pytest.mark.usefixtures("ray_local")


async def bought(shop: Shop, creator: dict[str, Any], buyer: str, **what: Any) -> dict[str, Any]:
    """An on-sale event and a confirmed order of ``what`` in it for ``buyer``."""
    api = shop.api
    event_id = await on_sale_event(api, creator, area=100)
    headers = bearer(api, buyer)
    hold = await api.client.post(
        "/v1/tickets/reserve", headers=headers, json={"event_id": event_id, **what}
    )
    assert hold.status_code == 201, hold.text
    if shop.worker is None:
        await shop.start_worker()
    order_id = await shop.pay(headers, hold.json()["reservation_id"], "pm_card_visa")
    order = await shop.wait_order(order_id, "confirmed")
    return {**order, "headers": headers, "event_id": event_id, "id": order_id}


def tampered(qr: str, **changes: Any) -> str:
    body, signature = qr.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    raw = json.dumps({**claims, **changes}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + signature


async def test_a_ticket_checks_in_once_and_forgeries_are_refused(shop: Shop) -> None:
    api = shop.api
    creator = await api.user("event_creator")
    order = await bought(shop, creator, "buyer-door", seats=["A-1-1", "A-1-2"])
    first, second = order["tickets"]

    async def scan(ticket_id: str, qr: str, headers: dict[str, str]) -> tuple[int, str]:
        url = f"/v1/tickets/{ticket_id}/check-in"
        response = await api.client.post(url, headers=headers, json={"qr": qr})
        return response.status_code, response.json().get("code", "")

    door = creator["headers"]
    forged_key = TicketSigner(parse_private_key(base64.b64encode(b"k" * 32).decode()))
    forged = forged_key.sign({"tid": first["ticket_id"], "eid": order["event_id"], "seat": "A-1-1"})
    assert await scan(first["ticket_id"], forged, door) == (422, "invalid_qr")  # other key
    moved = tampered(first["qr"], seat="A-1-9")
    assert await scan(first["ticket_id"], moved, door) == (422, "invalid_qr")  # edited
    assert await scan(first["ticket_id"], "garbage", door) == (422, "invalid_qr")
    assert await scan(first["ticket_id"], second["qr"], door) == (422, "invalid_qr")  # swapped
    assert await scan(first["ticket_id"], first["qr"], order["headers"]) == (403, "forbidden")
    stranger = bearer(api, "stranger")
    assert await scan(first["ticket_id"], first["qr"], stranger) == (404, "not_found")

    assert await scan(first["ticket_id"], first["qr"], door) == (200, "")
    assert await scan(first["ticket_id"], first["qr"], door) == (409, "already_checked_in")
    assert await scan(second["ticket_id"], second["qr"], door) == (200, "")
    mine = await api.client.get(f"/v1/tickets/{first['ticket_id']}", headers=order["headers"])
    assert mine.json()["status"] == "checked_in" and mine.json()["checked_in_at"]


async def test_organiser_refund_puts_the_places_back_on_sale(shop: Shop) -> None:
    api = shop.api
    creator = await api.user("event_creator")
    order = await bought(shop, creator, "buyer-refund", area="FLOOR", quantity=2)
    assert [(t["seat"], t["area"]) for t in order["tickets"]] == [(None, "FLOOR")] * 2
    event_id, url = order["event_id"], f"/v1/orders/{order['id']}/refund"
    floor = await api.client.get(f"/v1/events/{event_id}/availability")
    assert floor.json()["sold"] == 2

    buyer_try = await api.client.post(url, headers=order["headers"])
    assert (buyer_try.status_code, buyer_try.json()["code"]) == (403, "forbidden")
    other = await api.user("event_creator")
    assert (await api.client.post(url, headers=other["headers"])).status_code == 404
    for _ in range(2):  # a retry is harmless: still one refund
        refund = await api.client.post(url, headers=creator["headers"])
        assert refund.status_code == 200, refund.text
        assert (refund.json()["status"], refund.json()["refund_reason"]) == (
            "refunded",
            "organiser",
        )

    view = (await api.client.get(f"/v1/events/{event_id}/availability")).json()
    assert (view["sold"], view["held"], view["available"]) == (0, 0, view["capacity"])
    [intent] = await shop.intents_of(order["id"])
    refunds = await api.container.stripe.client.v1.refunds.list_async({"payment_intent": intent.id})
    assert [r.amount for r in refunds.data] == [7000]
    [message] = await shop.wait_messages(order["id"], "order.refunded")
    assert (message["user_id"], message["amount"], message["reason"]) == (
        "buyer-refund",
        7000,
        "organiser",
    )
    tickets = await api.client.get("/v1/tickets", headers=order["headers"])
    # Still in the wallet, as refunded and without a QR code (ticket_states).
    assert [(t["status"], t["qr"]) for t in tickets.json()["items"]] == [("refunded", None)] * 2
    ticket = order["tickets"][0]
    one = await api.client.get(f"/v1/tickets/{ticket['ticket_id']}", headers=order["headers"])
    assert (one.json()["status"], one.json()["qr"]) == ("refunded", None)
    scan = await api.client.post(
        f"/v1/tickets/{ticket['ticket_id']}/check-in",
        headers=creator["headers"],
        json={"qr": ticket["qr"]},
    )
    assert (scan.status_code, scan.json()["code"], scan.json()["state"]) == (
        409,
        "ticket_void",
        "refunded",
    )
    payment = await api.client.get(f"/v1/payments/{order['id']}", headers=order["headers"])
    assert payment.json()["status"] == "refunded"


async def test_cancelling_an_event_refunds_every_paid_order_once(shop: Shop) -> None:
    """``event.cancelled`` reaches the payments worker: each confirmed order is refunded
    (money back, buyer told); an unpaid hold is not an order and is left alone."""
    api = shop.api
    creator = await api.user("event_creator")
    first = await bought(shop, creator, "buyer-cancel-1", area="FLOOR", quantity=2)
    event_id = first["event_id"]
    headers = bearer(api, "buyer-cancel-2")
    hold = await api.client.post(
        "/v1/tickets/reserve", headers=headers, json={"event_id": event_id, "seats": ["A-1-1"]}
    )
    second_id = await shop.pay(headers, hold.json()["reservation_id"], "pm_card_visa")
    await shop.wait_order(second_id, "confirmed")
    unpaid = await api.client.post(
        "/v1/tickets/reserve",
        headers=bearer(api, "browser"),
        json={"event_id": event_id, "seats": ["A-1-2"]},
    )
    assert unpaid.status_code == 201, unpaid.text

    for _ in range(2):  # pressed twice: one announcement, one refund per order
        cancel = await api.client.post(f"/v1/events/{event_id}/cancel", headers=creator["headers"])
        assert cancel.status_code == 200, cancel.text
    for order_id, amount in ((first["id"], 7000), (second_id, 5000)):
        order = await shop.wait_order(order_id, "refunded")
        assert order["refund"]["reason"] == "event_cancelled"
        [intent] = await shop.intents_of(order_id)
        refunds = await api.container.stripe.client.v1.refunds.list_async(
            {"payment_intent": intent.id}
        )
        assert [r.amount for r in refunds.data] == [amount]
        [message] = await shop.wait_messages(order_id, "order.refunded")
        assert message["reason"] == "event_cancelled"
