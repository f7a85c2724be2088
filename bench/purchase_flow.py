"""The buyers of the purchase benchmark: hold one seat, pay it, wait for confirmation.

Closed loop (``rate=None``: ``CONCURRENCY`` buyers in flight, each starting when one
finishes paying) for throughput; open loop (buyers start at ``rate`` per second,
whatever the answers) for latency at a given load.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp

from bench.purchase_stack import Confirmations

CONCURRENCY = 64


@dataclass
class Order:
    """One buyer's order: when it was held, paid, and when its hold expires (epoch s)."""

    order_id: str
    held_at: float
    paid_at: float  # time.time() when POST /v1/payments/process was sent
    accepted_at: float
    expires_at: float


@dataclass
class Result:
    """A sell-out's orders and their confirmations (``time.time()``)."""

    orders: list[Order]
    confirmed_at: dict[str, float]
    ttl_s: int
    rate: float | None = None
    failures: dict[str, int] = field(default_factory=dict)
    expired_holds: int = 0  # HoldExpired events of the event's actor (set by the caller)
    foreign_messages: int = 0  # other runs' messages our workers also received
    cpu_s: dict[str, float] = field(default_factory=dict)  # CPU s by component (bench.cpu)
    cpu_wall_s: float = 0.0

    @property
    def confirmed(self) -> int:
        return sum(o.order_id in self.confirmed_at for o in self.orders)

    @property
    def confirmed_per_s(self) -> float:
        if not self.orders or not self.confirmed:
            return 0.0
        first = min(o.paid_at for o in self.orders)
        last = max(
            self.confirmed_at[o.order_id] for o in self.orders if o.order_id in self.confirmed_at
        )
        return self.confirmed / max(1e-9, last - first)

    @property
    def expired(self) -> int:
        """Holds lost while paying: the actor's expirations, plus orders never confirmed
        (a hold may be extended while its payment is charged, so a confirmation after
        the first ``expires_at`` is not by itself a lost hold)."""
        return self.expired_holds + len(self.orders) - self.confirmed

    @property
    def past_first_expiry(self) -> int:
        """Orders confirmed after the expiry their hold was first given."""
        return sum(
            self.confirmed_at.get(o.order_id, float("inf")) > o.expires_at for o in self.orders
        )

    @property
    def max_hold_to_pay_s(self) -> float:
        return max((o.paid_at - o.held_at for o in self.orders), default=0.0)

    def _latency(self, q: float) -> float:
        times = sorted(
            (self.confirmed_at[o.order_id] - o.paid_at) * 1000
            for o in self.orders
            if o.order_id in self.confirmed_at
        )
        return times[min(len(times) - 1, int(q * len(times)))] if times else float("nan")

    @property
    def p50_ms(self) -> float:
        return self._latency(0.50)

    @property
    def p99_ms(self) -> float:
        return self._latency(0.99)

    def note(self) -> str:
        accept = max((o.accepted_at for o in self.orders), default=0.0) - min(
            (o.paid_at for o in self.orders), default=0.0
        )
        failed = f"; failures {self.failures}" if self.failures else ""
        p99 = f"p99 pay-to-confirmed {self.p99_ms:,.0f} ms"
        return f"payments accepted in {accept:.1f} s, {p99}{failed}"


async def _buy(
    http: aiohttp.ClientSession, url: str, event_id: str, seat: str, token: str
) -> Order | str:
    headers = {"Authorization": f"Bearer {token}"}
    held_at = time.time()
    body = {"event_id": event_id, "seats": [seat]}
    async with http.post(f"{url}/v1/tickets/reserve", json=body, headers=headers) as r:
        if r.status != 201:
            return f"reserve {r.status}"
        hold = await r.json()
    paid_at = time.time()
    pay = {"reservation_id": hold["reservation_id"], "payment_method": "pm_card_visa"}
    async with http.post(f"{url}/v1/payments/process", json=pay, headers=headers) as r:
        if r.status != 202:
            return f"pay {r.status}"
        payment = await r.json()
    expires = datetime.fromisoformat(hold["expires_at"].replace("Z", "+00:00")).timestamp()
    return Order(payment["payment_id"], held_at, paid_at, time.time(), expires)


async def sellout(
    url: str,
    event_id: str,
    seats: list[str],
    tokens: list[str],
    confirmations: Confirmations,
    ttl_s: int,
    rate: float | None = None,
) -> Result:
    """Every seat held and paid by its own buyer; waits (up to the hold TTL, plus a
    margin) for every confirmation."""
    orders: list[Order] = []
    failures: dict[str, int] = {}
    gate = asyncio.Semaphore(CONCURRENCY if rate is None else 10 * CONCURRENCY)
    connector = aiohttp.TCPConnector(limit=CONCURRENCY * (1 if rate is None else 4))
    started = time.monotonic()

    async def one(i: int) -> None:
        if rate is not None:  # open loop: buyer i arrives at i / rate, answered or not
            await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
        async with gate:
            got = await _buy(http, url, event_id, seats[i], tokens[i])
        if isinstance(got, Order):
            orders.append(got)
        else:
            failures[got] = failures.get(got, 0) + 1

    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        await asyncio.gather(*(one(i) for i in range(len(seats))))
    ids = {o.order_id for o in orders}
    await confirmations.wait(ids, timeout=ttl_s + 30)
    confirmed = {i: confirmations.at[i] for i in ids if i in confirmations.at}
    return Result(orders, confirmed, ttl_s, rate, failures)
