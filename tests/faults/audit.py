"""The audit after a fault: what the API acknowledged against what the system holds, and
what Stripe charged. Reads through the public HTTP API and localstripe's own API only, so
it works the same for an in-process app and for an API process that was restarted."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.faults.load import Ledger

TERMINAL = {"succeeded", "failed", "refunded"}
HOLD_STATES = {"held", "sold", "expired", "released", "returned"}


@dataclass
class Audit:
    """What the audit found; `line()` is the report's observed column."""

    sold: int
    paid: int
    failed: int
    refunded: int
    intents: int
    paid_ids: list[str]

    def line(self) -> str:
        return (
            f"sold {self.sold}, paid {self.paid}, failed {self.failed}, "
            f"refunded {self.refunded}, {self.intents} intents; 0 lost, 0 double"
        )


async def stripe_intents(stripe_base: str, key: str) -> list[dict[str, Any]]:
    """Every PaymentIntent localstripe holds (all pages)."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    async with httpx.AsyncClient(base_url=stripe_base, auth=(key, "")) as stripe:
        while True:
            page = (await stripe.get("/v1/payment_intents", params=params)).json()
            found += page["data"]
            if not page.get("has_more") or not page["data"]:
                return found
            params["starting_after"] = page["data"][-1]["id"]


async def settled(
    client: httpx.AsyncClient, ledger: Ledger, token: Callable[[str], dict[str, str]], wait_s: float
) -> dict[str, dict[str, Any]]:
    """Every acknowledged payment, once terminal; fails naming those still unsettled."""
    deadline, views = time.monotonic() + wait_s, {}
    while True:
        for payment_id, reservation in ledger.payments.items():
            if views.get(payment_id, {}).get("status") in TERMINAL:
                continue
            user = ledger.holds[reservation][0]
            got = await client.get(f"/v1/payments/{payment_id}", headers=token(user))
            assert got.status_code == 200, f"acknowledged payment {payment_id} lost: {got.text}"
            views[payment_id] = got.json()
        pending = {p: v["status"] for p, v in views.items() if v["status"] not in TERMINAL}
        if not pending:
            return views
        assert time.monotonic() < deadline, f"payments never settled: {pending}"
        await asyncio.sleep(0.5)


async def audit(
    client: httpx.AsyncClient,
    event_id: str,
    capacity: int,
    ledger: Ledger,
    token: Callable[[str], dict[str, str]],
    stripe: tuple[str, str],
    wait_s: float = 120.0,
    confirmed_messages: Callable[[str], int] | None = None,
) -> Audit:
    """Assert the invariants of the fault suite; what was counted, for the report."""
    views = await settled(client, ledger, token, wait_s)
    # No acknowledged hold lost: every one still answers, in a known state.
    still_held = 0
    for reservation, (user, seats) in ledger.holds.items():
        got = await client.get(f"/v1/reservations/{reservation}", headers=token(user))
        assert got.status_code == 200, f"acknowledged hold {reservation} lost: {got.text}"
        assert got.json()["status"] in HOLD_STATES, got.json()
        still_held += len(seats) if got.json()["status"] == "held" else 0
    # Every paid order has its tickets, no seat is sold twice, and sold matches tickets.
    ticket_seats: Counter[str] = Counter()
    for user in {user for user, _ in ledger.holds.values()}:
        mine = await client.get("/v1/tickets?limit=100", headers=token(user))
        ticket_seats.update(t["seat"] for t in mine.json()["items"] if t["event_id"] == event_id)
    assert [s for s, n in ticket_seats.items() if n > 1] == [], "a seat was sold twice"
    paid = {p: v for p, v in views.items() if v["status"] == "succeeded"}
    for payment_id, view in paid.items():
        seats = ledger.holds[ledger.payments[payment_id]][1]
        assert view["tickets"] == len(seats), f"paid order {payment_id} without its tickets"
        confirmations = [h for h in view["history"] if h["status"] == "confirmed"]
        assert len(confirmations) == 1, f"{payment_id} confirmed {len(confirmations)} times"
    unpaid = [p for p, v in views.items() if v["status"] != "succeeded" and v["tickets"]]
    assert unpaid == [], f"tickets without a payment: {unpaid}"
    counts = (await client.get(f"/v1/events/{event_id}/availability")).json()
    assert counts["available"] + counts["held"] + counts["sold"] == capacity, counts
    # No orphan hold: a retried request found its first attempt (Idempotency-Key).
    assert counts["held"] == still_held, f"held {counts['held']}, acknowledged {still_held}"
    assert counts["sold"] == sum(ticket_seats.values()) == sum(v["tickets"] for v in paid.values())
    # No customer charged twice: at most one charged intent per reservation, and a charge
    # only where the order is paid (or refunded). An intent created but not recorded when
    # a worker died is never confirmed, so never charged: real Stripe would return it
    # again for the same idempotency key; localstripe ignores keys and keeps it, unused.
    intents = [
        pi for pi in await stripe_intents(*stripe) if pi["metadata"].get("order_id") in views
    ]
    charges = [pi for pi in intents if pi["status"] != "requires_confirmation"]
    per_reservation = Counter(pi["metadata"]["reservation_id"] for pi in charges)
    assert [r for r, n in per_reservation.items() if n > 1] == [], "two charges, one hold"
    charged = Counter(pi["metadata"]["order_id"] for pi in intents if pi["status"] == "succeeded")
    for payment_id, view in views.items():
        expected = 1 if view["status"] in ("succeeded", "refunded") else 0
        assert charged[payment_id] == expected, f"{payment_id} {view['status']}, charged wrong"
    # Every message processed once: one order.confirmed out per paid order, not two.
    if confirmed_messages is not None:
        for payment_id in paid:
            assert await _eventually(lambda p=payment_id: confirmed_messages(p) == 1), payment_id
    statuses = Counter(v["status"] for v in views.values())
    return Audit(
        counts["sold"],
        statuses["succeeded"],
        statuses["failed"],
        statuses["refunded"],
        len(intents),
        list(paid),
    )


async def _eventually(check: Callable[[], bool], wait_s: float = 15.0) -> bool:
    """True once ``check`` holds (a message may still be on its way), False at the end."""
    deadline = time.monotonic() + wait_s
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True
