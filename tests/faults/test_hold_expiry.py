"""Clock skew at the payment boundary: buyers pay when their hold is about to expire (or
just has), rivals grab the same seats right after expiry. Each payment ends either paid
with its tickets, or failed/refunded without them; never both, never charged without
seats (the audit's checks)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

import pytest

from tests.faults.audit import audit
from tests.faults.conftest import CHECKED, Rig, seat_pool
from tests.faults.load import Ledger, buyer
from tests.integration.test_reservations_api import on_sale_event

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("ray_local")]
TTL_S = 4
# Seconds before expiry at which each buyer pays (negative: after it).
MARGINS = (0.8, 0.4, 0.2, 0.1, 0.0, -0.1, -0.3)


async def test_payment_at_the_hold_expiry_boundary(rig: Rig, scenario) -> None:
    row = scenario(
        "fault",
        "hold expiry at the payment boundary (clock skew)",
        f"21 buyers, 1 seat each, {TTL_S} s holds; 21 rivals for the same seats after expiry",
        f"pay at {', '.join(f'{m:+.1f}' for m in MARGINS)} s from expiry",
        CHECKED + "; each order paid with tickets XOR failed/refunded without",
        "",
    )
    api = rig.shop.api
    event_id = await on_sale_event(api, await api.user("event_creator"), ttl=TTL_S)
    await rig.shop.start_worker()
    ledger, seats = Ledger(), seat_pool()[:21]

    def pay_at(margin: float) -> Any:
        async def wait(hold: dict[str, Any]) -> None:
            expires = datetime.fromisoformat(hold["expires_at"]).timestamp()
            await asyncio.sleep(max(0.0, expires - margin - time.time()))

        return wait

    async def rival(seat: str, i: int) -> None:
        await asyncio.sleep(TTL_S + 0.3)  # right after the first holds expire
        await buyer(api.client, ledger, event_id, f"rival-{i}", rig.token(f"rival-{i}"), [seat])

    first = [
        buyer(
            api.client,
            ledger,
            event_id,
            f"skew-{i}",
            rig.token(f"skew-{i}"),
            [seat],
            before_pay=pay_at(MARGINS[i % len(MARGINS)]),
        )
        for i, seat in enumerate(seats)
    ]
    await asyncio.gather(*first, *(rival(seat, i) for i, seat in enumerate(seats)))
    assert len(ledger.holds) >= len(seats), ledger.outcomes
    found = await audit(
        api.client,
        event_id,
        40,
        ledger,
        rig.token,
        rig.stripe,
        confirmed_messages=rig.confirmed_messages(),
    )
    late = sum(n for k, n in ledger.outcomes.items() if k.endswith(" 409"))
    row.inputs = ledger.requests  # HTTP requests the buyers sent
    row.result = f"{found.line()}; {ledger.summary()}; {late} refused (409: taken or expired)"
