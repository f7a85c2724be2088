"""kill -9 of an event's inventory actor process while buyers reserve and pay."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
import ray

from tests.faults.audit import audit
from tests.faults.conftest import CHECKED, Rig, seat_pool
from tests.faults.load import Ledger, run_buyers
from tests.integration.test_reservations_api import on_sale_event
from tests.waiting import eventually

pytestmark = pytest.mark.usefixtures("ray_local")


async def actor_pid(rig: Rig, event_id: str) -> int:
    """The pid of the process hosting the event's actor (asked of the actor itself)."""
    handle = await rig.shop.container.router.handle(event_id)
    return await handle.__ray_call__.remote(lambda _self: os.getpid())


async def test_inventory_actor_kill_9_under_load(rig: Rig, scenario) -> None:
    row = scenario(
        "fault",
        "inventory actor process kill -9",
        "30 buyers, 1-2 seats each from 40, reserve+pay over ASGI",
        "SIGKILL to the event actor's worker process once 2 payments were acked",
        CHECKED,
        "",
    )
    api = rig.shop.api
    event_id = await on_sale_event(api, await api.user("event_creator"))
    await rig.shop.start_worker()
    before = await actor_pid(rig, event_id)

    ledger = Ledger()

    async def kill() -> None:
        await eventually(lambda: len(ledger.payments) >= 2, 60, "the load under way")
        os.kill(before, signal.SIGKILL)

    ledger, _ = await asyncio.gather(
        run_buyers(api.client, event_id, rig.token, seat_pool(), buyers=30, ledger=ledger), kill()
    )
    after = await actor_pid(rig, event_id)
    assert after != before, "the actor was not restarted in a new process"
    assert ledger.holds and ledger.payments, ledger.outcomes
    found = await audit(
        api.client,
        event_id,
        40,
        ledger,
        rig.token,
        rig.stripe,
        confirmed_messages=rig.confirmed_messages(),
    )
    row.inputs = ledger.requests  # HTTP requests the buyers sent
    row.result = f"{found.line()}; {ledger.summary()}"
    ray.kill(await rig.shop.container.router.handle(event_id), no_restart=True)
