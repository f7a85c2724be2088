"""Load for the fault scenarios: concurrent buyers who reserve, then pay, through the HTTP
API, retrying like a well-behaved client (same Idempotency-Key, back-off on 5xx, 429 and
dropped connections). The Ledger keeps what the API acknowledged, for the audit."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

DECLINED = "pm_card_chargeCustomerFail"  # localstripe declines charging it
RETRYABLE = {429, 500, 502, 503, 504}


@dataclass
class Ledger:
    """What clients were told: acknowledged holds and payments, and how it went."""

    holds: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # id -> (user, seats)
    payments: dict[str, str] = field(default_factory=dict)  # payment id -> reservation id
    outcomes: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    slowest_s: float = 0.0  # the longest a client waited for one final answer
    started: float = field(default_factory=time.monotonic)

    @property
    def requests(self) -> int:
        return sum(self.outcomes.values())

    def summary(self) -> str:
        spent = time.monotonic() - self.started
        return (
            f"{len(self.holds)} holds, {len(self.payments)} payments acked, "
            f"{self.retries} retries, slowest answer {self.slowest_s:.1f} s, {spent:.0f} s load"
        )


async def send(
    client: httpx.AsyncClient,
    ledger: Ledger,
    method: str,
    url: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
    deadline_s: float = 90.0,
) -> httpx.Response:
    """One request, retried with the same Idempotency-Key until it gets a final answer."""
    headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
    started = time.monotonic()
    deadline = started + deadline_s
    last = "nothing"
    while True:
        try:
            response = await client.request(method, url, headers=headers, json=body, timeout=30)
            if response.status_code not in RETRYABLE:
                ledger.outcomes[f"{method} {url} {response.status_code}"] += 1
                ledger.slowest_s = max(ledger.slowest_s, time.monotonic() - started)
                return response
            last = f"{response.status_code} {response.text[:300]}"
            ledger.outcomes[f"{method} {url} retry {response.status_code}"] += 1
        except httpx.TransportError as exc:  # the API went away mid-request: ask again
            last = repr(exc)
            ledger.outcomes[f"{method} {url} retry {type(exc).__name__}"] += 1
        ledger.retries += 1
        if time.monotonic() > deadline:
            raise AssertionError(f"{method} {url}: no final answer in {deadline_s:.0f} s: {last}")
        await asyncio.sleep(0.2 + random.random() * 0.3)


async def buyer(
    client: httpx.AsyncClient,
    ledger: Ledger,
    event_id: str,
    user_id: str,
    headers: dict[str, str],
    seats: list[str],
    method: str = "pm_card_visa",
    before_pay: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
    deadline_s: float = 90.0,
) -> None:
    """Reserve ``seats``; if held, pay for them. Every acknowledgement goes to the ledger."""
    body = {"event_id": event_id, "seats": seats}
    held = await send(client, ledger, "POST", "/v1/tickets/reserve", headers, body, deadline_s)
    if held.status_code == 409:  # someone else got a seat first: an honest refusal
        return
    assert held.status_code == 201, held.text
    reservation = held.json()["reservation_id"]
    ledger.holds[reservation] = (user_id, seats)
    if before_pay is not None:
        await before_pay(held.json())
    pay = {"reservation_id": reservation, "payment_method": method}
    paid = await send(client, ledger, "POST", "/v1/payments/process", headers, pay, deadline_s)
    if paid.status_code == 409 and paid.json().get("code") == "reservation_not_held":
        return  # the hold expired before the payment (the clock-skew scenario)
    assert paid.status_code == 202, paid.text
    ledger.payments[paid.json()["payment_id"]] = reservation


async def run_buyers(
    client: httpx.AsyncClient,
    event_id: str,
    token: Callable[[str], dict[str, str]],
    seat_ids: list[str],
    buyers: int = 30,
    seed: int = 7,
    declined_every: int = 6,
    ledger: Ledger | None = None,
    spread_s: float = 4.0,
    deadline_s: float = 90.0,
) -> Ledger:
    """``buyers`` concurrent buyers wanting 1-2 seats each from an overlapping pool (so
    some lose races), one in ``declined_every`` paying with a card that is declined.
    Their starts are spread over ``spread_s`` so a fault injected meanwhile hits traffic."""
    ledger = ledger or Ledger()
    rng = random.Random(seed)
    tasks = []
    for i in range(buyers):
        user = f"buyer-{seed}-{i}"
        seats = rng.sample(seat_ids, rng.choice((1, 2)))
        card = DECLINED if declined_every and i % declined_every == 0 else "pm_card_visa"
        tasks.append(
            _later(
                i * spread_s / buyers,
                buyer(
                    client, ledger, event_id, user, token(user), seats, card, deadline_s=deadline_s
                ),
            )
        )
    await asyncio.gather(*tasks)
    return ledger


async def _later(delay: float, work: Awaitable[None]) -> None:
    await asyncio.sleep(delay)
    await work
