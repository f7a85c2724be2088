"""One of several API processes killed (kill -9) mid-load: the others keep serving behind
the same port, uvicorn starts a replacement, and nothing acknowledged is lost."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.faults.api_process import ApiProcess
from tests.faults.audit import audit
from tests.faults.conftest import CHECKED, Rig, seat_pool
from tests.faults.load import run_buyers
from tests.integration.test_reservations_api import on_sale_event

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("ray_local")]


async def test_one_of_two_api_processes_killed_mid_load(rig: Rig, tmp_path: Path, scenario) -> None:
    row = scenario(
        "fault",
        "one of two API processes killed mid-load",
        "30 buyers over 8 s, 1-2 seats each from 40, reserve+pay over HTTP (2 processes)",
        "kill -9 of one uvicorn worker 2 s into the load; the other serves on the same port; "
        "clients retry with the same Idempotency-Key",
        CHECKED + "; the supervisor never stopped; answers while one process was down",
        "",
    )
    shop = rig.shop
    event_id = await on_sale_event(shop.api, await shop.api.user("event_creator"))
    await shop.start_worker()
    server = ApiProcess(shop.api.settings, tmp_path / "api.log", API_PROCESSES="2")
    killed: list[int] = []
    answered_meanwhile: list[int] = []
    with server as url:
        supervisor = server.proc.pid if server.proc else 0
        workers = await asyncio.to_thread(server.workers)
        assert len(workers) == 2, workers
        async with httpx.AsyncClient(base_url=url) as client:

            async def kill_one() -> None:
                await asyncio.sleep(2.0)
                os.kill(workers[0], signal.SIGKILL)
                killed.append(workers[0])
                # Until a replacement serves, the survivor answers alone.
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    now = await asyncio.to_thread(server.workers)
                    if len(now) == 2 and workers[0] not in now:
                        break
                    ok = await client.get(f"/v1/events/{event_id}/availability")
                    answered_meanwhile.append(ok.status_code)
                    await asyncio.sleep(0.2)

            ledger, _ = await asyncio.gather(
                run_buyers(client, event_id, rig.token, seat_pool(), buyers=30, spread_s=8.0),
                kill_one(),
            )
            assert server.proc is not None and server.proc.poll() is None
            assert server.proc.pid == supervisor
            assert 200 in answered_meanwhile, answered_meanwhile
            found = await audit(
                client,
                event_id,
                40,
                ledger,
                rig.token,
                rig.stripe,
                confirmed_messages=rig.confirmed_messages(),
            )
    row.inputs = ledger.requests
    row.result = (
        f"{found.line()}; {ledger.summary()}; killed pid {killed[0]}; "
        f"{answered_meanwhile.count(200)} answers from the survivor meanwhile"
    )
