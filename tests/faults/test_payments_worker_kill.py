"""A payments worker process killed (SIGKILL) while 1,000 payments are in flight.

Two ``python -m workers.payments`` processes share the queue, each charging up to its
prefetch concurrently; when a tenth of the orders are confirmed one of them is killed
with ``kill -9`` (whatever it was doing: creating an intent, confirming it, settling),
and a third process joins. Its unacked messages go to the others. The audit: every
accepted payment confirmed once with its ticket and one ``order.confirmed``; at
localstripe, exactly one charged intent per reservation (no double charge) and none
for anyone else; the event's counts add up. ``KILL_TEST_PAYMENTS`` sets the number
(default 1,000).

An intent created but not yet recorded when the process died is never confirmed (so
never charged): the next delivery creates another. Real Stripe returns the first one
for the same idempotency key (``pi:<reservation>``); localstripe ignores the key, so
such uncharged leftovers are counted and reported, not failed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faults.audit import stripe_intents
from tests.faults.conftest import Rig
from tests.integration.payments_support import free_port, serve_localstripe
from tests.integration.test_payments import _worker_process
from tests.integration.test_reservations_api import bearer, on_sale_event

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("ray_local")]
N = int(os.environ.get("KILL_TEST_PAYMENTS", "1000"))
CLIENTS = 32  # concurrent HTTP clients (holds, then payments)
# localstripe as it is, except that it does not pickle its whole store to disk after
# every POST (O(store) per write: about 1 s a request with thousands of intents on a
# loaded machine). The embedded dev server persists on a debounce instead
# (api/devservers.py); nothing here depends on persistence.
UNPERSISTED = (
    "import sys; from localstripe import resources, server; "
    "resources.Store.dump_to_disk = lambda self: None; "
    "sys.argv = ['localstripe', '--port', sys.argv[1], '--from-scratch']; server.start()"
)


@pytest.fixture(scope="module")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's localstripe (overrides the suite's): every write in memory only."""
    port = free_port()
    command = [sys.executable, "-c", UNPERSISTED, str(port)]
    yield from serve_localstripe(command, port, tmp_path_factory.mktemp("localstripe"), 60.0)


async def _bounded(jobs: list[Any], limit: int = CLIENTS) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def run(job: Any) -> Any:
        async with gate:
            return await job

    return await asyncio.gather(*(run(job) for job in jobs))


async def _until(check: Any, wait_s: float, what: str, logs: list[Path]) -> Any:
    deadline = time.monotonic() + wait_s
    while not (found := await check()):
        if time.monotonic() > deadline:
            tails = "\n".join(p.read_text()[-1500:] for p in logs if p.exists())
            raise AssertionError(f"{what} within {wait_s} s\n{tails}")
        await asyncio.sleep(0.25)
    return found


async def test_payments_worker_killed_with_1000_payments_in_flight(
    rig: Rig, tmp_path: Path, scenario: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = scenario(
        "fault",
        f"payments worker process killed (SIGKILL) with {N} payments in flight",
        f"{N} buyers, 1 floor place each, reserve then pay over ASGI; 2 worker processes",
        "kill -9 of one worker when 10% are confirmed; a third process joins",
        "every accepted payment confirmed once with its ticket and one order.confirmed; "
        "one charged intent per reservation; available+held+sold = capacity",
        "",
    )
    shop, api = rig.shop, rig.shop.api
    # For the worker processes together (they share the account's pacer): the pace this
    # test was written at, 2 processes x 50/s each. localstripe itself has no limit.
    monkeypatch.setenv("STRIPE_MAX_RPS", "100")
    event_id = await on_sale_event(api, await api.user("event_creator"), rows=1, seats=1, area=N)
    logs = [tmp_path / f"worker-{k}.log" for k in range(3)]
    workers: list[subprocess.Popen[bytes]] = [_worker_process(shop, logs[k], False) for k in (0, 1)]
    orders = api.container.orders.collection
    try:
        users = [f"kill-{i}" for i in range(N)]

        async def reserve(user: str) -> str:
            body = {"event_id": event_id, "area": "FLOOR", "quantity": 1}
            got = await api.client.post("/v1/tickets/reserve", headers=bearer(api, user), json=body)
            assert got.status_code == 201, got.text
            return got.json()["reservation_id"]

        reservations = await _bounded([reserve(u) for u in users])

        async def pay(user: str, reservation: str) -> str:
            body = {"reservation_id": reservation, "payment_method": "pm_card_visa"}
            headers = bearer(api, user)
            for _ in range(20):  # a 503 (broker busy) is retried like a client would
                got = await api.client.post("/v1/payments/process", headers=headers, json=body)
                if got.status_code != 503:
                    break
                await asyncio.sleep(0.5)
            assert got.status_code == 202, got.text
            return got.json()["payment_id"]

        async def kill_in_flight() -> tuple[int, int]:
            async def tenth_confirmed() -> bool:
                return await orders.count_documents({"status": "confirmed"}) >= max(1, N // 10)

            await _until(tenth_confirmed, 600, "a tenth confirmed", logs)
            workers[0].send_signal(signal.SIGKILL)
            pending = await orders.count_documents({"status": "pending"})
            workers.append(_worker_process(shop, logs[2], False))  # another one joins
            return pending, await asyncio.to_thread(workers[0].wait, 30)

        started = time.monotonic()
        killer = asyncio.create_task(kill_in_flight())
        payment_ids = await _bounded([pay(u, r) for u, r in zip(users, reservations, strict=True)])
        in_flight, code = await killer
        assert code == -signal.SIGKILL and in_flight > 0, (code, in_flight)

        async def all_decided() -> bool:
            return await orders.count_documents({"status": "pending"}) == 0

        await _until(all_decided, 900, "every payment decided", logs)
        elapsed = time.monotonic() - started
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in workers:
            try:
                await asyncio.to_thread(proc.wait, 30)
            except subprocess.TimeoutExpired:
                proc.kill()

    # No lost confirmation: each accepted payment confirmed once, with its ticket.
    docs = {str(d["_id"]): d async for d in orders.find({"event_id": event_id})}
    assert sorted(docs) == sorted(payment_ids)
    statuses = Counter(d["status"] for d in docs.values())
    assert statuses == {"confirmed": N}, statuses
    for doc in docs.values():
        confirmations = [h for h in doc["payment"]["history"] if h["status"] == "confirmed"]
        assert len(confirmations) == 1 and len(doc["tickets"]) == 1, doc["_id"]

    async def all_announced() -> bool:
        return all(len(shop.of(p, "order.confirmed")) == 1 for p in payment_ids)

    await _until(all_announced, 60, "one order.confirmed per order", logs)
    # No double charge: exactly one charged intent per reservation, the order's own.
    intents = [
        pi for pi in await stripe_intents(*rig.stripe) if pi["metadata"].get("order_id") in docs
    ]
    paid = [pi for pi in intents if pi["status"] == "succeeded"]
    charged = Counter(pi["metadata"]["reservation_id"] for pi in paid)
    assert sorted(charged) == sorted(reservations) and set(charged.values()) == {1}
    for pi in paid:
        assert docs[pi["metadata"]["order_id"]]["payment"]["intent_id"] == pi["id"]
    leftovers = [pi for pi in intents if pi["status"] != "succeeded"]
    assert all(pi["status"] == "requires_confirmation" for pi in leftovers), leftovers[:3]
    # The event's counts add up: every place sold, none held, none lost.
    counts = (await api.client.get(f"/v1/events/{event_id}/availability")).json()
    assert (counts["available"], counts["held"], counts["sold"]) == (1, 0, N), counts
    assert counts["available"] + counts["held"] + counts["sold"] == counts["capacity"]
    row.inputs = 2 * N  # HTTP requests: a hold and a payment each
    row.result = (
        f"{N} confirmed, {len(charged)} charged once; {in_flight} pending at the kill, "
        f"{elapsed:.0f} s from first payment to all decided; "
        f"{len(leftovers)} uncharged leftover intents (localstripe ignores idempotency keys)"
    )
