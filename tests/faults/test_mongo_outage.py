"""The MongoDB server (mongoeco, a process of its own) stopped for 10 s mid-load."""

from __future__ import annotations

import asyncio
import time

import pytest

from actors.mongo_embedded import EmbeddedMongo
from tests.faults.audit import audit
from tests.faults.conftest import CHECKED, Rig, seat_pool
from tests.faults.load import Ledger, run_buyers
from tests.integration.test_reservations_api import on_sale_event
from tests.waiting import eventually

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("ray_local")]
OUTAGE_S = 10.0


async def test_mongodb_stopped_10_s_under_load(
    rig: Rig, embedded_mongo: EmbeddedMongo, scenario
) -> None:
    row = scenario(
        "fault",
        "MongoDB stopped for 10 s",
        "30 buyers over 8 s, 1-2 seats each from 40, reserve+pay over ASGI",
        "mongoeco server process stopped once 2 payments were acked, restarted 10 s later",
        CHECKED + "; errors meanwhile are retryable (503), never 500",
        "",
    )
    api = rig.shop.api
    event_id = await on_sale_event(api, await api.user("event_creator"))
    await rig.shop.start_worker()
    down: list[float] = []

    ledger = Ledger()

    async def outage() -> None:
        await eventually(lambda: len(ledger.payments) >= 2, 60, "the load under way")
        started = time.monotonic()
        await asyncio.to_thread(embedded_mongo.stop)
        try:
            await asyncio.sleep(OUTAGE_S)
        finally:  # never leave the module's server down
            await asyncio.to_thread(embedded_mongo.restart)
            down.append(time.monotonic() - started)

    ledger, _ = await asyncio.gather(
        run_buyers(
            api.client, event_id, rig.token, seat_pool(), buyers=30, spread_s=8.0, ledger=ledger
        ),
        outage(),
    )
    assert ledger.holds and ledger.payments, ledger.outcomes
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
    errors = sorted(k for k in ledger.outcomes if " retry 5" in k)
    row.inputs = ledger.requests  # HTTP requests the buyers sent
    row.result = f"{found.line()}; {ledger.summary()}; down {down[0]:.0f} s; errors {errors}"
    assert not [k for k in errors if k.endswith(" 500")], ledger.outcomes
