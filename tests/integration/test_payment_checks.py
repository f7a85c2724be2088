"""What the payment endpoints refuse: forged Stripe webhooks (validly signed with the
public development secret) and a second payment of a reservation whose payment failed.
Real localstripe, RabbitMQ, MongoDB and Ray, as in test_payments.py."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import Any

import pytest

from tests.integration.payments_support import Shop, intent_event, localstripe, shop, signed
from tests.integration.ray_support import ray_local
from tests.integration.test_payments import DECLINED, availability, hold
from tests.integration.test_reservations_api import bearer, on_sale_event

__all__ = ["localstripe", "ray_local", "shop"]
pytestmark = pytest.mark.usefixtures("ray_local")


async def _deliver(shop: Shop, payload: str) -> dict[str, Any]:
    response = await shop.api.client.post(
        "/v1/payments/webhook", content=payload, headers=signed(payload)
    )
    assert response.status_code == 200, response.text
    return response.json()


def _forged(intent: Any, **changes: Any) -> str:
    """A ``payment_intent.succeeded`` event about ``intent``, with its fields changed."""
    event = json.loads(intent_event("payment_intent.succeeded", intent))
    event["data"]["object"].update(changes)
    return json.dumps(event)


async def test_a_forged_success_webhook_does_not_confirm_an_unpaid_order(shop: Shop) -> None:
    """The buyer knows their intent id; anyone can sign with the development secret.
    Before the fix, each of these events confirmed the order and issued tickets."""
    api = shop.api
    event_id = await on_sale_event(api, await api.user("event_creator"))
    buyer = bearer(api, "buyer-forger")
    reservation = await hold(shop, buyer, event_id, seats=["A-1-1"])
    payment_id = await shop.pay(buyer, reservation, "pm_card_visa")
    stripe, orders = api.container.stripe, api.container.orders
    # The worker's first step (then it stalls): an unconfirmed intent, recorded.
    intent_id = await stripe.create_intent(payment_id, reservation, 5000, "EUR", "pm_card_visa")
    order = await shop.order(payment_id)
    await orders.record_intent(order["_id"], intent_id)
    unpaid = await stripe.client.v1.payment_intents.retrieve_async(intent_id)
    # Someone else's real, cheap payment, claiming to be this order's.
    cheap = await stripe.create_intent(payment_id, reservation, 100, "EUR", "pm_card_visa")
    assert (await stripe.confirm(cheap)).succeeded
    cheap_intent = await stripe.client.v1.payment_intents.retrieve_async(cheap)
    forgeries = [
        _forged(unpaid, status="succeeded"),  # the order's intent, never confirmed
        _forged(unpaid, id="pi_forged", status="succeeded"),  # no such intent at Stripe
        _forged(cheap_intent),  # succeeded at Stripe, but 1.00 EUR and not recorded
    ]
    for payload in forgeries:
        assert (await _deliver(shop, payload))["handled"] is False
    order = await shop.order(payment_id)
    assert (order["status"], order["tickets"], order["payment"]["intent_id"]) == (
        "pending",
        [],
        intent_id,
    )
    assert await availability(shop, event_id) == (39, 1, 0)
    assert shop.of(payment_id, "order.confirmed") == []


async def test_a_forged_webhook_for_an_order_without_intent_is_refused(shop: Shop) -> None:
    """A succeeded intent of the wrong amount cannot become an order's intent either."""
    api = shop.api
    event_id = await on_sale_event(api, await api.user("event_creator"))
    buyer = bearer(api, "buyer-forger-2")
    reservation = await hold(shop, buyer, event_id, seats=["A-1-2", "A-1-3"])
    payment_id = await shop.pay(buyer, reservation, "pm_card_visa")
    stripe = api.container.stripe
    cheap = await stripe.create_intent(payment_id, reservation, 5000, "EUR", "pm_card_visa")
    assert (await stripe.confirm(cheap)).succeeded  # half the order's 10000
    intent = await stripe.client.v1.payment_intents.retrieve_async(cheap)
    assert (await _deliver(shop, _forged(intent)))["handled"] is False
    order = await shop.order(payment_id)
    assert (order["status"], order["payment"]["intent_id"]) == ("pending", None)


async def test_a_genuine_success_webhook_confirms(shop: Shop) -> None:
    api = shop.api
    event_id = await on_sale_event(api, await api.user("event_creator"))
    buyer = bearer(api, "buyer-genuine")
    reservation = await hold(shop, buyer, event_id, seats=["A-1-4"])
    payment_id = await shop.pay(buyer, reservation, "pm_card_visa")
    stripe = api.container.stripe
    intent_id = await stripe.create_intent(payment_id, reservation, 5000, "EUR", "pm_card_visa")
    assert (await stripe.confirm(intent_id)).succeeded  # the worker crashed before recording
    intent = await stripe.client.v1.payment_intents.retrieve_async(intent_id)
    assert (await _deliver(shop, intent_event("payment_intent.succeeded", intent)))["handled"]
    order = await shop.order(payment_id)
    assert (order["status"], order["payment"]["intent_id"]) == ("confirmed", intent_id)
    assert len(order["tickets"]) == 1 and await availability(shop, event_id) == (39, 0, 1)
    assert len(await shop.wait_messages(payment_id, "order.confirmed")) == 1


async def test_paying_again_after_a_failed_payment_says_why(shop: Shop) -> None:
    """Before the fix: 202 with the old failed payment, as if it were being processed."""
    api = shop.api
    event_id = await on_sale_event(api, await api.user("event_creator"))
    buyer = bearer(api, "buyer-retry")
    reservation = await hold(shop, buyer, event_id, seats=["A-3-1"])
    await shop.start_worker()
    payment_id = await shop.pay(buyer, reservation, DECLINED)
    await shop.wait_order(payment_id, "failed")
    for method in ("pm_card_visa", DECLINED):
        body = {"reservation_id": reservation, "payment_method": method}
        response = await api.client.post("/v1/payments/process", headers=buyer, json=body)
        assert response.status_code == 409, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == "payment_failed"
        assert "card_declined" in problem["detail"] and "reserve again" in problem["detail"]
    # Someone else asking about that reservation learns nothing.
    other = bearer(api, "someone-else")
    body = {"reservation_id": reservation, "payment_method": "pm_card_visa"}
    response = await api.client.post("/v1/payments/process", headers=other, json=body)
    assert response.status_code == 404
    assert await availability(shop, event_id) == (40, 0, 0)


async def test_an_accepted_payment_keeps_its_hold_past_the_ttl_until_it_decides(
    shop: Shop,
) -> None:
    """The payment waits (no worker yet: as behind Stripe's rate) past the hold's TTL;
    the hold was extended when the payment was accepted, so the same hold is confirmed
    (before: it expired and the payment needed a re-hold, or a refund if resold)."""
    api = shop.api
    api.container.settlement.hold_extension_s = 30
    event_id = await on_sale_event(api, await api.user("event_creator"), ttl=2)
    buyer, rival = bearer(api, "buyer-patient"), bearer(api, "rival-patient")
    reservation = await hold(shop, buyer, event_id, seats=["A-2-1"])
    first = await api.client.get(f"/v1/reservations/{reservation}", headers=buyer)
    ttl_end = datetime.fromisoformat(first.json()["expires_at"]).timestamp()
    payment_id = await shop.pay(buyer, reservation, "pm_card_visa")
    view = (await api.client.get(f"/v1/reservations/{reservation}", headers=buyer)).json()
    assert datetime.fromisoformat(view["expires_at"]).timestamp() >= ttl_end + 25
    while time.time() < ttl_end + 1.5:  # well past the TTL and the actor's expiry timer
        await asyncio.sleep(0.1)
    view = (await api.client.get(f"/v1/reservations/{reservation}", headers=buyer)).json()
    assert view["status"] == "held"
    taken = await api.client.post(
        "/v1/tickets/reserve", headers=rival, json={"event_id": event_id, "seats": ["A-2-1"]}
    )
    assert taken.status_code == 409  # still the payer's
    await shop.start_worker()
    order = await shop.wait_order(payment_id, "confirmed")
    assert order["reservation_id"] == reservation  # the same hold, no re-hold
    assert await availability(shop, event_id) == (39, 0, 1)
