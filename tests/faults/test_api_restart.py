"""The API process killed (kill -9) mid-request and started again, while buyers reserve
and pay over real HTTP, retrying with the same Idempotency-Key."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.faults.api_process import ApiProcess
from tests.faults.audit import audit
from tests.faults.conftest import CHECKED, Rig, seat_pool
from tests.faults.load import Ledger, run_buyers
from tests.integration.test_reservations_api import on_sale_event
from tests.waiting import eventually

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("ray_local")]


async def test_api_process_restarted_mid_request(rig: Rig, tmp_path: Path, scenario) -> None:
    row = scenario(
        "fault",
        "API process restarted mid-request",
        "30 buyers over 8 s, 1-2 seats each from 40, reserve+pay over HTTP (uvicorn process)",
        "kill -9 of the API process once 2 payments were acked, a new one started on the "
        "same port; clients retry with the same Idempotency-Key",
        CHECKED + "; no orphan hold from a retried request",
        "",
    )
    # The test's in-process app creates the event and runs the payments worker; buyers
    # only ever talk to the API process.
    shop = rig.shop
    event_id = await on_sale_event(shop.api, await shop.api.user("event_creator"))
    await shop.start_worker()
    server = ApiProcess(shop.api.settings, tmp_path / "api.log")
    restarts: list[float] = []
    with server as url:
        async with httpx.AsyncClient(base_url=url) as client:
            ledger = Ledger()

            async def restart() -> None:
                await eventually(lambda: len(ledger.payments) >= 2, 60, "the load under way")
                server.kill()
                restarts.append(await asyncio.to_thread(server.start))

            ledger, _ = await asyncio.gather(
                run_buyers(
                    client, event_id, rig.token, seat_pool(), buyers=30, spread_s=8.0, ledger=ledger
                ),
                restart(),
            )
            cut = sum(n for k, n in ledger.outcomes.items() if "Error" in k)
            assert cut, f"no request was cut by the restart: {ledger.outcomes}"
            found = await audit(
                client,
                event_id,
                40,
                ledger,
                rig.token,
                rig.stripe,
                confirmed_messages=rig.confirmed_messages(),
            )
    row.inputs = ledger.requests  # HTTP requests the buyers sent
    row.result = (
        f"{found.line()}; {ledger.summary()}; {cut} requests cut; API back in {restarts[0]:.1f} s"
    )
