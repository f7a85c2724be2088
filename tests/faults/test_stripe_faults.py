"""Stripe answering slowly and with 5xx errors (a proxy in front of localstripe) while
buyers reserve and pay: every payment still settles once, nobody is charged twice."""

from __future__ import annotations

import pytest

from contexts.orders.charge import PaymentsHandler
from contexts.orders.stripe_gateway import StripeGateway
from tests.faults.audit import audit
from tests.faults.conftest import CHECKED, Rig, seat_pool
from tests.faults.load import run_buyers
from tests.faults.stripe_proxy import StripeProxy
from tests.integration.test_reservations_api import on_sale_event
from workers.payments.worker import PaymentsWorker, queue_spec

pytestmark = pytest.mark.usefixtures("ray_local")


async def test_stripe_slow_and_failing_under_load(rig: Rig, scenario) -> None:
    row = scenario(
        "fault",
        "Stripe slow and answering 5xx",
        "24 buyers, 1-2 seats each from 40, reserve+pay over ASGI",
        "proxy before localstripe: every 3rd call +1.5 s, every 4th a 500/503, "
        "every 5th read's answer dropped (502)",
        CHECKED,
        "",
    )
    container = rig.shop.container
    settings = container.settings
    proxy = StripeProxy(rig.stripe[0])
    async with proxy as proxied:
        # The worker talks to Stripe through the proxy; everything else is untouched.
        gateway = StripeGateway(settings.stripe_api_key, proxied, settings.stripe_webhook_secret)
        handler = PaymentsHandler(container.orders, gateway, container.settlement)
        worker = PaymentsWorker(container.amqp_url, queue_spec(settings), handler)
        await worker.start()
        rig.shop.worker = worker  # stopped by the fixture, whatever happens
        api = rig.shop.api
        event_id = await on_sale_event(api, await api.user("event_creator"))
        ledger = await run_buyers(api.client, event_id, rig.token, seat_pool(), buyers=24)
        assert ledger.payments, ledger.outcomes
        found = await audit(
            api.client,
            event_id,
            40,
            ledger,
            rig.token,
            rig.stripe,
            confirmed_messages=rig.confirmed_messages(),
        )
        await gateway.close()
    assert found.paid, ledger.outcomes
    assert proxy.errors and proxy.lost and proxy.slowed, proxy.injected()  # faults happened
    row.inputs = ledger.requests  # HTTP requests the buyers sent
    row.result = f"{found.line()}; {ledger.summary()}; {proxy.injected()}"
