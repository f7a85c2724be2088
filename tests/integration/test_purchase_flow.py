"""A purchase from end to end, as a buyer lives it: reserve over HTTP, pay with a test
card, the payments worker charges Stripe (localstripe) and confirms the hold in the
inventory actor, tickets appear, and the notifications worker emails them (aiosmtpd).
A declined card releases the seats and emails the failure. Real RabbitMQ, MongoDB
(mongoeco), Ray and both workers; nothing in between is called directly."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.notify_support import SmtpSink
from tests.integration.payments_support import Shop, localstripe, shop
from tests.integration.ray_support import ray_local
from tests.integration.test_notifications import text_and_html
from tests.integration.test_payments import DECLINED, availability, hold
from tests.integration.test_reservations_api import on_sale_event
from workers.notifications import build
from workers.notifications.channels import EmailChannel
from workers.notifications.worker import smtp_config

__all__ = ["localstripe", "ray_local", "shop"]
pytestmark = pytest.mark.usefixtures("ray_local")


@pytest.fixture
async def store(shop: Shop) -> AsyncIterator[tuple[Shop, SmtpSink]]:
    """The shop with both workers running on its queues, email going to a real SMTP
    server (the queues are deleted with the shop's)."""
    smtp = SmtpSink()
    smtp.start()
    settings = shop.container.settings.model_copy(update={"smtp_port": smtp.port})
    notifications = await build(shop.container, channels=[EmailChannel(smtp_config(settings))])
    await notifications.start()
    await shop.start_worker()
    try:
        yield shop, smtp
    finally:
        await notifications.stop()
        smtp.stop()


async def test_reserve_pay_tickets_and_the_email_with_their_links(
    store: tuple[Shop, SmtpSink],
) -> None:
    shop, smtp = store
    api = shop.api
    event_id = await on_sale_event(api, await api.user("event_creator"))
    buyer = await api.user()
    reservation = await hold(shop, buyer["headers"], event_id, seats=["A-2-1", "A-2-2"])
    payment_id = await shop.pay(buyer["headers"], reservation, "pm_card_visa")
    await shop.wait_order(payment_id, "confirmed")

    tickets = (await api.client.get("/v1/tickets", headers=buyer["headers"])).json()["items"]
    assert sorted(t["seat"] for t in tickets) == ["A-2-1", "A-2-2"]
    [mail] = await smtp.wait_for(buyer["email"])
    text, html = text_and_html(mail)
    for ticket in tickets:  # every ticket has its web page's link, in both parts of the email
        link = f"/web/tickets.html?ticket={ticket['ticket_id']}"
        assert link in text and link in html, text
    assert await availability(shop, event_id) == (38, 0, 2)


async def test_a_declined_card_releases_the_seats_and_emails_the_failure(
    store: tuple[Shop, SmtpSink],
) -> None:
    shop, smtp = store
    api = shop.api
    event_id = await on_sale_event(api, await api.user("event_creator"))
    buyer = await api.user()
    reservation = await hold(shop, buyer["headers"], event_id, seats=["A-3-1"])
    payment_id = await shop.pay(buyer["headers"], reservation, DECLINED)
    await shop.wait_order(payment_id, "failed")

    [mail] = await smtp.wait_for(buyer["email"])
    assert "payment" in mail["Subject"].lower(), mail["Subject"]
    assert await availability(shop, event_id) == (40, 0, 0)
    assert (await api.client.get("/v1/tickets", headers=buyer["headers"])).json()["items"] == []
