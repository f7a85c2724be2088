"""The payments worker process killed between Stripe's answer and the ack, under load:
the existing single-payment test (tests/integration/test_payments.py) with 24 buyers."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.faults.audit import audit
from tests.faults.conftest import CHECKED, Rig, seat_pool
from tests.faults.load import run_buyers
from tests.integration.test_payments import _worker_process
from tests.integration.test_reservations_api import on_sale_event

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("ray_local")]


async def test_payments_worker_killed_after_stripe_under_load(
    rig: Rig, tmp_path: Path, scenario
) -> None:
    row = scenario(
        "fault",
        "payments worker killed between Stripe's answer and the ack",
        "24 buyers, 1-2 seats each from 40, reserve+pay over ASGI; worker processes",
        "worker process exits (os._exit) right after Stripe charged, before any effect "
        "or ack; a new worker process takes over",
        CHECKED,
        "",
    )
    api = rig.shop.api
    event_id = await on_sale_event(api, await api.user("event_creator"))
    log = tmp_path / "worker.log"
    first = _worker_process(rig.shop, log, crash=True)
    second = None
    try:
        ledger = await run_buyers(api.client, event_id, rig.token, seat_pool(), buyers=24)
        code = await asyncio.to_thread(first.wait, 90)
        assert code == 9, log.read_text()[-3000:]  # it did crash after a charge
        second = _worker_process(rig.shop, log, crash=False)
        found = await audit(
            api.client,
            event_id,
            40,
            ledger,
            rig.token,
            rig.stripe,
            wait_s=180,
            confirmed_messages=rig.confirmed_messages(),
        )
    finally:
        first.kill()
        if second is not None:
            second.send_signal(signal.SIGTERM)
            await asyncio.to_thread(second.wait, 30)
    assert found.paid, ledger.outcomes
    row.inputs = ledger.requests  # HTTP requests the buyers sent
    row.result = f"{found.line()}; {ledger.summary()}"
