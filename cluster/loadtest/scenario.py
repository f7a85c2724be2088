"""What a virtual buyer does: a weighted mix of reserve, release, pay and reads.

Buyers run as coroutines in one of several processes, each with its own aiohttp
session (connection pooling, keep-alive). Seats are chosen at random from the venue
so buyers collide the way an on-sale crowd does; quantities go to a random section.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from cluster.loadtest.stats import Recorder

DEFAULT_MIX = {"reserve_seats": 45.0, "reserve_quantity": 45.0, "availability": 10.0}


@dataclass(frozen=True)
class Scenario:
    """The run: where, who, how hard, how long, doing what."""

    base_url: str
    event_id: str
    tokens: list[str]
    rows: list[tuple[str, str, int]]  # (section, row label, seats) for explicit picks
    sections: list[str]
    areas: list[str] = field(default_factory=list)
    concurrency: int = 100  # requests in flight (connections)
    buyers: int = 0  # virtual buyers; 0 = one per connection; more queue for a connection
    ramp_s: float = 0.0  # buyers arrive spread over this many seconds
    rate: float = 0.0  # requests/s over all buyers; 0 = as fast as possible
    duration_s: float = 30.0
    max_seats: int = 4
    mix: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    payment_method: str = "pm_card_visa"


class Buyer:
    """One virtual buyer: a token, its live reservations, a random source."""

    def __init__(self, scenario: Scenario, token: str, rng: random.Random) -> None:
        self.s = scenario
        self.headers = {"Authorization": f"Bearer {token}"}
        self.rng = rng
        self.held: list[tuple[str, list[str]]] = []  # (reservation id, seats)
        self.released: list[str] = []
        self.ops = list(scenario.mix)
        self.weights = [scenario.mix[op] for op in self.ops]

    def body(self, op: str) -> dict[str, Any]:
        count = self.rng.randint(1, self.s.max_seats)
        if op == "reserve_seats" and self.s.rows:
            section, row, seats = self.rng.choice(self.s.rows)
            start = self.rng.randint(1, max(1, seats - count + 1))
            picks = [
                f"{section}-{row}-{n}" for n in range(start, min(seats, start + count - 1) + 1)
            ]
            return {"event_id": self.s.event_id, "seats": picks}
        # By quantity (or seats of an event that has only areas): an area about a third
        # of the time when the event has both, else a section.
        if self.s.areas and (not self.s.sections or self.rng.random() < 0.3):
            return {
                "event_id": self.s.event_id,
                "area": self.rng.choice(self.s.areas),
                "quantity": count,
            }
        return {
            "event_id": self.s.event_id,
            "section": self.rng.choice(self.s.sections),
            "quantity": count,
        }

    async def act(self, http: aiohttp.ClientSession, rec: Recorder) -> None:
        op = self.rng.choices(self.ops, self.weights)[0]
        base = self.s.base_url
        if op in ("release", "pay") and not self.held:
            op = "reserve_quantity"
        started = time.perf_counter()
        if op.startswith("reserve"):
            status, data = await _send(
                http, "POST", f"{base}/v1/tickets/reserve", self.headers, self.body(op)
            )
            if status == 201:
                self.held.append((data["reservation_id"], data.get("seats", [])))
            seats = (data.get("quantity") or len(data.get("seats", []))) if status == 201 else 0
            rec.record("reserve", _outcome(status, data), _ms(started), seats)
        elif op == "release":
            rid, _ = self.held.pop(self.rng.randrange(len(self.held)))
            status, data = await _send(
                http, "DELETE", f"{base}/v1/reservations/{rid}", self.headers
            )
            if status == 204:
                self.released.append(rid)
            rec.record("release", _outcome(status, data), _ms(started))
        elif op == "pay":
            rid, _ = self.held[self.rng.randrange(len(self.held))]
            status, data = await _send(
                http,
                "POST",
                f"{base}/v1/payments/process",
                self.headers,
                {"reservation_id": rid, "payment_method": self.s.payment_method},
            )
            rec.record("pay", _outcome(status, data), _ms(started))
        elif op == "health":  # the load generator's own ceiling: a trivial endpoint
            status, data = await _send(http, "GET", f"{base}/health", {})
            rec.record("health", _outcome(status, data), _ms(started))
        else:
            status, data = await _send(
                http, "GET", f"{base}/v1/events/{self.s.event_id}/availability", self.headers
            )
            rec.record("availability", _outcome(status, data), _ms(started))


async def _send(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any]]:
    try:
        async with http.request(method, url, json=body, headers=headers) as response:
            data = await response.json(content_type=None) if response.status != 204 else {}
            return response.status, data if isinstance(data, dict) else {}
    except (TimeoutError, aiohttp.ClientError) as exc:
        return 0, {"code": type(exc).__name__}


def _outcome(status: int, data: dict[str, Any]) -> str:
    if 200 <= status < 300:
        return "ok"
    return f"{status}:{data.get('code', 'error')}"


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
