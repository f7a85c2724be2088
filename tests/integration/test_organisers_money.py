"""Money movements of an organiser's event, audited: a payment that succeeds, one that
fails, a refund by a member with the ``refund`` permission (and refused without it).
Real payments worker, localstripe, RabbitMQ, MongoDB and Ray."""

from __future__ import annotations

from typing import Any

import pytest

from contexts.organisers.audit import PAYMENTS
from tests.integration.organiser_support import add, audit, event_body, organiser, venue
from tests.integration.payments_support import Shop, localstripe, shop
from tests.integration.ray_support import ray_local
from tests.integration.test_reservations_api import bearer

__all__ = ["localstripe", "ray_local", "shop"]
pytestmark = pytest.mark.usefixtures("ray_local")
DECLINED = "pm_card_chargeCustomerFail"  # localstripe declines charging it


async def hold(shop: Shop, headers: dict[str, str], event_id: str, quantity: int) -> str:
    body = {"event_id": event_id, "area": "FLOOR", "quantity": quantity}
    held = await shop.api.client.post("/v1/tickets/reserve", headers=headers, json=body)
    assert held.status_code == 201, held.text
    return held.json()["reservation_id"]


async def test_payments_and_refunds_of_an_organisers_event_are_audited(shop: Shop) -> None:
    api = shop.api
    owner, admin = await api.user("event_creator"), await api.user("admin")
    cashier, door = await api.user(), await api.user()
    org = await organiser(api, owner)
    await add(api, org, owner, cashier, "refund")
    await add(api, org, owner, door, "check_in", "view_reports")
    body = event_body(await venue(api, owner, area=50), org, area=True)
    created = await api.client.post("/v1/events", json=body, headers=owner["headers"])
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    published = await api.client.post(f"/v1/events/{event_id}/publish", headers=owner["headers"])
    assert published.status_code == 200, published.text

    buyer = bearer(api, "buyer-org-money")
    await shop.start_worker()
    paid = await shop.pay(buyer, await hold(shop, buyer, event_id, 2), "pm_card_visa")
    declined = await shop.pay(buyer, await hold(shop, buyer, event_id, 1), DECLINED)
    await shop.wait_order(paid, "confirmed")
    await shop.wait_order(declined, "failed")

    url = f"/v1/orders/{paid}/refund"
    refused = await api.client.post(url, headers=door["headers"])  # a member, not `refund`
    assert (refused.status_code, refused.json()["code"]) == (404, "not_found"), refused.text
    assert (await shop.order(paid))["status"] == "confirmed"
    refund = await api.client.post(url, headers=cashier["headers"])
    assert refund.status_code == 200, refund.text
    assert (refund.json()["status"], refund.json()["refund_reason"]) == ("refunded", "organiser")

    def brief(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
        return [(e["action"], e["actor_id"]) for e in reversed(entries)]

    on_paid = await audit(api, admin, target=paid)
    assert brief(on_paid) == [
        ("payment.succeeded", PAYMENTS),
        ("refund.succeeded", PAYMENTS),  # the money moved, then the request is recorded
        ("order.refund", cashier["id"]),
    ], on_paid
    succeeded, money_back, by_cashier = reversed(on_paid)
    assert succeeded["after"] == {"status": "confirmed", "amount": 7000, "currency": "EUR"}
    assert succeeded["detail"]["intent_id"].startswith("pi_")
    assert (by_cashier["before"], by_cashier["after"]) == (
        {"status": "confirmed"},
        {"status": "refunded"},
    )
    assert by_cashier["organiser_id"] == org
    assert money_back["after"]["status"] == "refunded" and money_back["detail"]["refund_id"]
    on_declined = await audit(api, admin, target=declined)
    assert brief(on_declined) == [("payment.failed", PAYMENTS)]
    assert on_declined[0]["detail"] == {"reason": "card_declined"}
    assert on_declined[0]["after"]["amount"] == 3500
    # Retrying the refund changes nothing, and records nothing more.
    again = await api.client.post(url, headers=cashier["headers"])
    assert again.status_code == 200 and again.json()["status"] == "refunded"
    assert len(await audit(api, admin, target=paid)) == 3
