"""The on-sale scenario for Locust users (``pip install -e '.[locust]'``).

    BENCH_EVENT_ID=<id> BENCH_JWT_SECRET=<secret> locust -f bench/locustfile.py \\
        --host http://127.0.0.1:8000 --users 1000 --spawn-rate 200 --run-time 30s --headless

Each virtual buyer gets a minted token (test deployments only; or set
``BENCH_REGISTER=1`` to register and log in through the API) and then, like
``ticketing loadtest``, reserves explicit seats or a quantity (1-4), sometimes reads
availability, and releases a hold now and then. Picks come from the event's own seat
map, read from the API at start (its priced sections, rows and areas). Only the sale's
own refusals (taken, sold out, over the limit: by problem ``code``) count as answers; a
rate limit, an auth failure or an invalid pick is a failure in Locust's report.
"""

from __future__ import annotations

import asyncio
import os
import random
import uuid

from locust import FastHttpUser, between, events, task

from cluster.loadtest.layout import Layout, event_layout
from cluster.loadtest.setup import mint_tokens
from cluster.loadtest.verdict import SALE_CODES

EVENT_ID = os.environ.get("BENCH_EVENT_ID", "")
LAYOUT: Layout | None = None


@events.test_start.add_listener
def _read_layout(environment, **_kwargs) -> None:  # Locust calls it once, before any user
    global LAYOUT
    LAYOUT = asyncio.run(event_layout(environment.host.rstrip("/"), EVENT_ID))


class Buyer(FastHttpUser):
    """One buyer in the crowd."""

    wait_time = between(0, 0.05)

    def on_start(self) -> None:
        if os.environ.get("BENCH_REGISTER"):
            creds = {
                "email": f"{uuid.uuid4().hex[:12]}@locust.example",
                "password": "locust-password-1",
            }
            self.client.post("/v1/auth/register", json={**creds, "name": "Locust"})
            token = self.client.post("/v1/auth/login", json=creds).json()["access_token"]
        else:
            token = mint_tokens(os.environ["BENCH_JWT_SECRET"], 1)[0]
        self.headers = {"Authorization": f"Bearer {token}"}
        self.held: list[str] = []

    def _reserve(self, body: dict) -> None:
        with self.client.post(
            "/v1/tickets/reserve",
            json={"event_id": EVENT_ID, **body},
            headers=self.headers,
            catch_response=True,
            name="reserve",
        ) as response:
            if response.status_code == 201:
                self.held.append(response.json()["reservation_id"])
                response.success()
                return
            try:
                code = response.json().get("code")
            except ValueError:
                code = None
            if code in SALE_CODES:
                response.success()  # taken, sold out or over the limit: the sale's answer
            else:
                response.failure(f"{response.status_code} {code}")

    @task(45)
    def reserve_seats(self) -> None:
        assert LAYOUT is not None
        if not LAYOUT.rows:
            self.reserve_quantity()
            return
        section, row, seats = random.choice(LAYOUT.rows)
        count = random.randint(1, min(4, LAYOUT.limit or 4))
        start = random.randint(1, max(1, seats - count + 1))
        self._reserve({"seats": [f"{section}-{row}-{n}" for n in range(start, start + count)]})

    @task(45)
    def reserve_quantity(self) -> None:
        assert LAYOUT is not None
        quantity = random.randint(1, min(4, LAYOUT.limit or 4))
        if LAYOUT.sections and (not LAYOUT.areas or random.random() < 0.5):
            self._reserve({"section": random.choice(LAYOUT.sections), "quantity": quantity})
        else:
            self._reserve({"area": random.choice(LAYOUT.areas), "quantity": quantity})

    @task(8)
    def availability(self) -> None:
        self.client.get(f"/v1/events/{EVENT_ID}/availability", name="availability")

    @task(2)
    def release(self) -> None:
        if self.held:
            reservation = self.held.pop(random.randrange(len(self.held)))
            self.client.delete(
                f"/v1/reservations/{reservation}", headers=self.headers, name="release"
            )
