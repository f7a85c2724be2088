"""Payments end to end: the API, the payments worker (in-process, or a process of its
own that we kill), Stripe's SDK against a real localstripe, RabbitMQ, MongoDB, Ray."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import ray
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from tests.integration.payments_support import Shop, intent_event, localstripe, shop, signed
from tests.integration.ray_support import ray_local
from tests.integration.test_reservations_api import bearer, on_sale_event
from tests.waiting import eventually

__all__ = ["localstripe", "ray_local", "shop"]
pytestmark = pytest.mark.usefixtures("ray_local")
ROOT = Path(__file__).resolve().parents[2]
# Holds that expire within the test, yet outlive reserve -> pay and re-hold -> confirm
# on a loaded machine (2 s did not, with two test suites running at once).
LATE_TTL = 4
DECLINED = "pm_card_chargeCustomerFail"  # 4000000000000341: localstripe declines charging it


async def hold(shop: Shop, headers: dict[str, str], event_id: str, **what: Any) -> str:
    body = {"event_id": event_id, **what}
    response = await shop.api.client.post("/v1/tickets/reserve", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()["reservation_id"]


async def availability(shop: Shop, event_id: str) -> tuple[int, int, int]:
    view = (await shop.api.client.get(f"/v1/events/{event_id}/availability")).json()
    return view["available"], view["held"], view["sold"]


def verify_offline(public_pem: str, qr: str) -> dict[str, Any]:
    """What a door scanner does: check the signature with the public key, read claims."""
    body, signature = qr.split(".")
    key = load_pem_public_key(public_pem.encode())
    key.verify(base64.urlsafe_b64decode(signature + "=="), body.encode())  # type: ignore[union-attr]
    return json.loads(base64.urlsafe_b64decode(body + "=="))


async def test_pay_confirms_once_and_issues_verifiable_tickets(shop: Shop) -> None:
    api = shop.api
    creator = await api.user("event_creator")
    event_id = await on_sale_event(api, creator)
    buyer = await api.user()
    reservation = await hold(shop, buyer["headers"], event_id, seats=["A-1-1", "A-1-2"])
    await shop.start_worker()
    payment_id = await shop.pay(buyer["headers"], reservation, "pm_card_visa")
    order = await shop.wait_order(payment_id, "confirmed")
    assert [t["seat"] for t in order["tickets"]] == ["A-1-1", "A-1-2"]
    assert await availability(shop, event_id) == (38, 0, 2)

    payment = await api.client.get(f"/v1/payments/{payment_id}", headers=buyer["headers"])
    assert payment.json()["status"] == "succeeded" and payment.json()["tickets"] == 2
    steps = [h["status"] for h in payment.json()["history"]]
    assert steps == ["requested", "intent_created", "stripe_succeeded", "confirmed"]
    again = await api.client.post(  # a retry is the same payment, already settled
        "/v1/payments/process",
        headers={**buyer["headers"], "Idempotency-Key": "k1"},
        json={"reservation_id": reservation, "payment_method": "pm_card_visa"},
    )
    assert again.status_code == 202 and again.json()["payment_id"] == payment_id
    assert again.json()["status"] == "succeeded"

    mine = buyer["headers"]
    tickets = await api.client.get("/v1/tickets", headers=mine)
    assert tickets.status_code == 200, tickets.text
    items = tickets.json()["items"]
    public_pem = (await api.client.get("/v1/tickets/public-key")).text
    claims = [verify_offline(public_pem, item["qr"]) for item in items]  # as a scanner would
    assert [(c["tid"], c["eid"]) for c in claims] == [(i["ticket_id"], event_id) for i in items]
    assert sorted(c["seat"] for c in claims) == ["A-1-1", "A-1-2"]
    page = await api.client.get("/v1/tickets?limit=1", headers=mine)
    cursor = page.json()["next_cursor"]
    rest = await api.client.get(f"/v1/tickets?limit=1&cursor={cursor}", headers=mine)
    paged = page.json()["items"] + rest.json()["items"]
    assert [t["ticket_id"] for t in paged] == [t["ticket_id"] for t in items]
    assert rest.json()["next_cursor"] is None
    ticket_url = f"/v1/tickets/{items[0]['ticket_id']}"
    one = await api.client.get(ticket_url, headers=mine)
    assert one.status_code == 200 and one.json()["qr"] == items[0]["qr"]
    stranger = bearer(api, "someone-else")
    assert (await api.client.get(ticket_url, headers=stranger)).status_code == 404
    assert (await api.client.get(f"/v1/payments/{payment_id}", headers=stranger)).status_code == 404

    history = (await api.client.get("/v1/users/me/orders", headers=mine)).json()["items"]
    assert [(o["id"], o["status"], o["tickets"]) for o in history] == [(payment_id, "confirmed", 2)]
    [message] = await shop.wait_messages(payment_id, "order.confirmed")
    assert message["event_title"] == "Concert" and len(message["tickets"]) == 2
    assert [pi.status for pi in await shop.intents_of(payment_id)] == ["succeeded"]


async def test_declined_card_releases_the_seats_and_fails_the_order(shop: Shop) -> None:
    api = shop.api
    event_id = await on_sale_event(api, await api.user("event_creator"))
    buyer = bearer(api, "buyer-declined")
    reservation = await hold(shop, buyer, event_id, seats=["A-2-1", "A-2-2"])
    assert await availability(shop, event_id) == (38, 2, 0)
    await shop.start_worker()
    payment_id = await shop.pay(buyer, reservation, DECLINED)
    order = await shop.wait_order(payment_id, "failed")
    assert order["failure_reason"] == "card_declined" and order["tickets"] == []
    assert await availability(shop, event_id) == (40, 0, 0)
    view = await api.client.get(f"/v1/reservations/{reservation}", headers=buyer)
    assert view.json()["status"] == "released"
    [message] = await shop.wait_messages(payment_id, "order.failed")
    assert message["reason"] == "card_declined" and message["user_id"] == "buyer-declined"
    payment = (await api.client.get(f"/v1/payments/{payment_id}", headers=buyer)).json()
    assert payment["status"] == "failed"
    # A PaymentMethod Stripe does not know: refused at once, no retries, seats released.
    reservation = await hold(shop, buyer, event_id, seats=["A-2-3"])
    order = await shop.wait_order(await shop.pay(buyer, reservation, "pm_unknown"), "failed")
    assert order["payment"]["intent_id"] is None
    assert await availability(shop, event_id) == (40, 0, 0)


async def test_payment_requests_are_checked(shop: Shop) -> None:
    api = shop.api
    event_id = await on_sale_event(api, await api.user("event_creator"))
    buyer = bearer(api, "buyer-checks")
    reservation = await hold(shop, buyer, event_id, seats=["A-3-1"])

    async def pay(headers: dict[str, str], body: dict[str, Any]) -> tuple[int, str]:
        response = await api.client.post("/v1/payments/process", headers=headers, json=body)
        return response.status_code, response.json().get("code", "")

    card = {"reservation_id": reservation, "payment_method": "4242424242424242"}
    assert await pay(buyer, card) == (422, "validation_error")  # card numbers: never
    mine = {"reservation_id": reservation, "payment_method": "pm_card_visa"}
    assert await pay(bearer(api, "thief"), mine) == (404, "not_found")
    unknown = {"reservation_id": f"{event_id}.-1.999.0", "payment_method": "pm_card_visa"}
    assert await pay(buyer, unknown) == (404, "not_found")
    junk = {"reservation_id": "nope", "payment_method": "pm_card_visa"}
    assert await pay(buyer, junk) == (422, "validation_error")
    assert (await api.client.delete(f"/v1/reservations/{reservation}", headers=buyer)).is_success
    assert await pay(buyer, mine) == (409, "reservation_not_held")
    assert await api.container.orders.collection.count_documents({}) == 0


async def test_bad_webhook_signature_is_refused_and_changes_nothing(shop: Shop) -> None:
    api = shop.api
    event_id = await on_sale_event(api, await api.user("event_creator"))
    buyer = bearer(api, "buyer-webhook")
    payment_id = await shop.pay(
        buyer, await hold(shop, buyer, event_id, seats=["A-1-1"]), "pm_card_visa"
    )
    stripe = api.container.stripe
    intent_id = await stripe.create_intent(payment_id, "r", 5000, "EUR", "pm_card_visa")
    await stripe.charge(intent_id)
    intent = await stripe.client.v1.payment_intents.retrieve_async(intent_id)
    payload = intent_event("payment_intent.succeeded", intent)
    for headers in (signed(payload, "whsec_wrong"), {"Content-Type": "application/json"}):
        response = await api.client.post("/v1/payments/webhook", content=payload, headers=headers)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_signature"
        assert response.headers["content-type"] == "application/problem+json"
    order = await shop.order(payment_id)
    assert (order["status"], order["payment"]["intent_id"], order["tickets"]) == (
        "pending",
        None,
        [],
    )
    assert await availability(shop, event_id) == (39, 1, 0)


async def test_worker_and_replayed_webhooks_confirm_once(shop: Shop) -> None:
    """The worker and Stripe's webhook (delivered twice) report the same success at the
    same time: one confirmation, one set of tickets, one order.confirmed."""
    api = shop.api
    event_id = await on_sale_event(api, await api.user("event_creator"))
    buyer = bearer(api, "buyer-race")
    payment_id = await shop.pay(
        buyer, await hold(shop, buyer, event_id, seats=["A-1-5"]), "pm_card_visa"
    )
    # What the worker does up to Stripe's answer (then it "crashed"): record, confirm.
    order = await shop.order(payment_id)
    stripe = api.container.stripe
    intent_id = await stripe.create_intent(
        payment_id, order["reservation_id"], 5000, "EUR", "pm_card_visa"
    )
    await api.container.orders.record_intent(order["_id"], intent_id)
    assert (await stripe.charge(intent_id)).succeeded
    payload = intent_event(
        "payment_intent.succeeded", await stripe.client.v1.payment_intents.retrieve_async(intent_id)
    )

    async def deliver() -> int:
        response = await api.client.post(
            "/v1/payments/webhook", content=payload, headers=signed(payload)
        )
        return response.status_code

    codes = await asyncio.gather(deliver(), deliver(), shop.start_worker())
    assert codes[:2] == [200, 200]
    order = await shop.wait_order(payment_id, "confirmed")
    worker = shop.worker
    assert worker is not None
    await eventually(lambda: worker.consumer.handled >= 1, 30, "the worker finished its delivery")
    assert await deliver() == 200  # a later replay: nothing more happens
    order = await shop.order(payment_id)
    assert [h["status"] for h in order["payment"]["history"]].count("confirmed") == 1
    assert len(order["tickets"]) == 1 and await availability(shop, event_id) == (39, 0, 1)
    assert len(await shop.wait_messages(payment_id, "order.confirmed")) == 1
    assert [pi.id for pi in await shop.intents_of(payment_id)] == [intent_id]


async def _expired(shop: Shop, headers: dict[str, str], reservation: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        view = await shop.api.client.get(f"/v1/reservations/{reservation}", headers=headers)
        if view.json()["status"] == "expired":
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the hold did not expire")


async def test_late_success_with_seats_still_free_is_confirmed(shop: Shop) -> None:
    api = shop.api
    api.container.settlement.hold_extension_s = 0  # a payment that outlives its hold
    event_id = await on_sale_event(api, await api.user("event_creator"), ttl=LATE_TTL)
    buyer = bearer(api, "buyer-late")
    reservation = await hold(shop, buyer, event_id, seats=["A-1-1", "A-1-2"])
    payment_id = await shop.pay(buyer, reservation, "pm_card_visa")
    await _expired(shop, buyer, reservation)  # the worker was down until now
    await shop.start_worker()
    order = await shop.wait_order(payment_id, "confirmed")
    assert order["reservation_id"] != reservation  # the same seats, held again
    assert [t["seat"] for t in order["tickets"]] == ["A-1-1", "A-1-2"]
    assert await availability(shop, event_id) == (38, 0, 2)
    assert await shop.wait_messages(payment_id, "order.confirmed")


async def test_late_success_with_seats_resold_is_refunded(shop: Shop) -> None:
    api = shop.api
    api.container.settlement.hold_extension_s = 0  # a payment that outlives its hold
    event_id = await on_sale_event(api, await api.user("event_creator"), ttl=LATE_TTL)
    buyer, rival = bearer(api, "buyer-too-late"), bearer(api, "rival")
    reservation = await hold(shop, buyer, event_id, seats=["A-1-1", "A-1-2"])
    payment_id = await shop.pay(buyer, reservation, "pm_card_visa")
    await _expired(shop, buyer, reservation)
    await hold(shop, rival, event_id, seats=["A-1-2"])  # one of them went to someone else
    await shop.start_worker()
    order = await shop.wait_order(payment_id, "refunded")
    assert order["refund"]["reason"] == "seats_unavailable" and order["tickets"] == []
    [intent] = await shop.intents_of(payment_id)
    refunds = await api.container.stripe.client.v1.refunds.list_async({"payment_intent": intent.id})
    assert [r.amount for r in refunds.data] == [10000]
    assert await availability(shop, event_id) == (39, 1, 0)  # only the rival's hold
    [message] = await shop.wait_messages(payment_id, "order.refunded")
    assert (message["amount"], message["reason"]) == (10000, "seats_unavailable")


def _worker_process(shop: Shop, log: Path, crash: bool) -> subprocess.Popen[bytes]:
    """``python -m workers.payments`` on this test's MongoDB, Ray, queues and Stripe."""
    s = shop.api.settings
    env = {
        **os.environ,
        "MONGODB_URL": str(s.mongodb_url),
        "MONGODB_DB_PREFIX": s.mongodb_db_prefix,
        # Ray 2.60 token auth: the child reads the token ray.init stored in ~/.ray/auth_token.
        "RAY_ADDRESS": ray.get_runtime_context().gcs_address,
        "RAY_NAMESPACE": s.ray_namespace,
        "AMQP_QUEUE_PREFIX": s.amqp_queue_prefix,
        "STRIPE_API_BASE": s.stripe_api_base,
        "DATA_DIR": str(s.data_dir),  # the same ticket signing key as the API
        "JOURNAL_URL": s.effective_journal_url,
    }
    env.pop("PAYMENTS_CRASH_AFTER_STRIPE", None)
    if crash:
        env["PAYMENTS_CRASH_AFTER_STRIPE"] = "1"
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "workers.payments"], cwd=ROOT, env=env, stdout=out, stderr=out
        )


async def test_worker_killed_after_stripe_charges_once(shop: Shop, tmp_path: Path) -> None:
    """The worker dies after Stripe charged the card and before the ack; the message is
    redelivered to a new worker process: one charge, one confirmation, one message."""
    api = shop.api
    event_id = await on_sale_event(api, await api.user("event_creator"))
    buyer = bearer(api, "buyer-crash")
    reservation = await hold(shop, buyer, event_id, seats=["A-4-1", "A-4-2"])
    log = tmp_path / "worker.log"
    first = _worker_process(shop, log, crash=True)
    try:
        payment_id = await shop.pay(buyer, reservation, "pm_card_visa")
        code = await asyncio.to_thread(first.wait, 90)
    finally:
        first.kill()
    assert code == 9, log.read_text()[-3000:]
    order = await shop.order(payment_id)
    assert order["status"] == "pending" and order["payment"]["intent_id"]
    [intent] = await shop.intents_of(payment_id)
    assert intent.status == "succeeded"  # charged, and nothing of ours happened after

    second = _worker_process(shop, log, crash=False)
    try:
        order = await shop.wait_order(payment_id, "confirmed", timeout=90)
        # Confirmed and announced in one write: the announcement is the last effect.
        assert "order.confirmed" in order["announced"]
        assert await shop.wait_messages(payment_id, "order.confirmed", timeout=30)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.to_thread(second.wait, 30)
    assert [pi.id for pi in await shop.intents_of(payment_id)] == [intent.id]
    assert [h["status"] for h in order["payment"]["history"]].count("confirmed") == 1
    assert await availability(shop, event_id) == (38, 0, 2)
    assert len(await shop.wait_messages(payment_id, "order.confirmed")) == 1
