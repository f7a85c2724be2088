"""The on-sale scenario for Locust users (``pip install -e '.[locust]'``).

    BENCH_EVENT_ID=<id> BENCH_JWT_SECRET=<secret> locust -f bench/locustfile.py \\
        --host http://127.0.0.1:8000 --users 1000 --spawn-rate 200 --run-time 30s --headless

Each virtual buyer gets a minted token (test deployments only; or set
``BENCH_REGISTER=1`` to register and log in through the API) and then, like
``ticketing loadtest``, reserves explicit seats or a quantity (1-4), sometimes reads
availability, and releases a hold now and then. Seats follow the load tester's
stadium layout (sections S1.., 40 rows of 50); set ``BENCH_SEATS`` to the event size.
"""

from __future__ import annotations

import os
import random
import uuid

from locust import FastHttpUser, between, task

from bench.loadtest.setup import mint_tokens, stadium_layout

EVENT_ID = os.environ.get("BENCH_EVENT_ID", "")
LAYOUT = stadium_layout(int(os.environ.get("BENCH_SEATS", "20000")))
SECTIONS = sorted({section for section, _, _ in LAYOUT})


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
            elif response.status_code in (409, 429):
                response.success()  # taken or sold out is an answer, not a failure

    @task(45)
    def reserve_seats(self) -> None:
        section, row, seats = random.choice(LAYOUT)
        count = random.randint(1, 4)
        start = random.randint(1, max(1, seats - count + 1))
        self._reserve({"seats": [f"{section}-{row}-{n}" for n in range(start, start + count)]})

    @task(45)
    def reserve_quantity(self) -> None:
        self._reserve({"section": random.choice(SECTIONS), "quantity": random.randint(1, 4)})

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
