"""RabbitMQ connections dropped, then the broker application stopped and started, while
buyers reserve and pay. Payment requests published then must not be lost."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import aio_pika
import pytest

from tests.faults.audit import audit
from tests.faults.broker import rabbitmqctl, wait_for_shared_broker
from tests.faults.conftest import CHECKED, Rig, seat_pool
from tests.faults.load import run_buyers
from tests.integration.test_reservations_api import on_sale_event
from workers.bus import EVENTS_EXCHANGE

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("ray_local")]
DOWN_S = 8.0


async def durable_capture(url: str, name: str) -> None:
    """A durable queue of order.* messages: unlike the fixture's exclusive one, it keeps
    what is published while our own connection is down."""
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(name, durable=True)
        await queue.bind(exchange, "order.*")


async def drain_confirmed(url: str, name: str) -> Counter[str]:
    """Distinct order.confirmed messages per order id in the capture queue (deleted)."""
    seen: dict[str, str] = {}
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(name, durable=True)
        while (message := await queue.get(fail=False, timeout=5)) is not None:
            await message.ack()
            if message.type == "order.confirmed":
                seen[message.message_id or ""] = json.loads(message.body)["order_id"]
        await queue.delete(if_unused=False, if_empty=False)
    return Counter(seen.values())


async def test_broker_connections_dropped_and_app_restarted(rig: Rig, scenario) -> None:
    row = scenario(
        "fault",
        "RabbitMQ connections dropped, broker app stopped/started",
        "30 buyers over 10 s, 1-2 seats each from 40, reserve+pay over ASGI",
        f"rabbitmqctl close_all_connections at 1 s, stop_app at 3 s, start_app {DOWN_S:.0f} s on",
        CHECKED,
        "",
    )
    waited = await wait_for_shared_broker()
    api = rig.shop.api
    url = api.settings.amqp_url
    capture = f"{api.settings.amqp_queue_prefix}.capture"
    await durable_capture(url, capture)
    event_id = await on_sale_event(api, await api.user("event_creator"))
    await rig.shop.start_worker()

    async def disturb() -> None:
        await asyncio.sleep(1.0)
        await rabbitmqctl("close_all_connections", "fault suite: connections dropped")
        await asyncio.sleep(2.0)
        try:
            await rabbitmqctl("stop_app")
            await asyncio.sleep(DOWN_S)
        finally:  # the broker is shared: always started again
            await rabbitmqctl("start_app")
            await rabbitmqctl("await_startup", "--timeout", "120")

    ledger, _ = await asyncio.gather(
        run_buyers(api.client, event_id, rig.token, seat_pool(), buyers=30, spread_s=10.0),
        disturb(),
    )
    assert ledger.holds and ledger.payments, ledger.outcomes
    found = await audit(api.client, event_id, 40, ledger, rig.token, rig.stripe, wait_s=180)
    confirmed = await drain_confirmed(url, capture)
    # Every message processed once: one order.confirmed per paid order, none for others.
    ours = {p: confirmed[p] for p in ledger.payments if confirmed[p]}
    assert ours == dict.fromkeys(found.paid_ids, 1), (ours, found.paid_ids)
    errors = sorted(k for k in ledger.outcomes if " retry " in k)
    row.inputs = ledger.requests  # HTTP requests the buyers sent
    row.result = (
        f"{found.line()}; {ledger.summary()}; {sum(ours.values())} order.confirmed; "
        f"client retries {errors}; waited {waited:.0f} s for the shared-broker lock"
    )
