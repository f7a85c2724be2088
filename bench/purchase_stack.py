"""The system under test for the purchase benchmark: ``python -m api`` on its embedded
defaults (mongoeco, our localstripe, the payments and notifications workers in the API
process), on free ports, in a temporary data directory; and what it counts.

Counting, outside the API so that the counts hold whatever process layout runs it:
- MongoDB commands: the embedded server counts the commands it executes
  (``MONGOECO_COMMAND_COUNTS``, see ``actors.mongo_embedded.CommandCounter``): the sum
  of what a pymongo CommandListener would see in every API and worker process;
- Stripe calls: our localstripe counts its requests by endpoint
  (``GET /_config/ticketing/stats``, see ``api.devservers``);
- confirmations: an exclusive queue on the events exchange records when each
  ``order.confirmed`` arrives (published right after the order's confirmed write).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import aio_pika

from bench.servers import ADMIN, Server, free_port
from contexts.shared.settings import DEV_SECRET
from workers.bus import EVENTS_EXCHANGE

# The broker is shared by every run on this machine, and the exchanges are fixed names:
# our workers also receive other runs' messages (and look them up in our MongoDB).
# BENCH_AMQP_URL (e.g. a vhost of our own) isolates the bench; else the foreign messages
# seen during the sell-out are counted and reported next to the MongoDB figure.
AMQP_URL = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")

HANDSHAKE = {"hello", "ismaster", "isMaster", "ping", "buildinfo", "buildInfo", "endSessions"}


class PurchaseStack:
    """The API with its local Stripe and MongoDB; ``stop()`` ends them all."""

    def __init__(self, data_dir: Path, stripe_rps: float | None = None) -> None:
        self.data_dir = data_dir
        self.counts_file = data_dir / "mongo-commands.json"
        self.stripe_url = f"http://127.0.0.1:{free_port()}"
        port = free_port()
        env = {
            "PORT": str(port),
            "DATA_DIR": str(data_dir),
            "LOG_LEVEL": "warning",
            "RESERVE_RATE_PER_USER": "0",
            "RESERVE_RATE_PER_IP": "0",
            "BOOTSTRAP_ADMIN_EMAIL": ADMIN[0],
            "BOOTSTRAP_ADMIN_PASSWORD": ADMIN[1],
            "JWT_SECRET": DEV_SECRET,  # the bench mints buyers' tokens with it
            "RAY_NAMESPACE": f"purchase{port}",
            "AMQP_QUEUE_PREFIX": f"purchase{port}",  # our own worker queues
            "AMQP_QUEUE_EXPIRES_S": "900",  # gone from the broker after the run
            "STRIPE_API_BASE": self.stripe_url,  # started by the API's dev stack
            "SMTP_PORT": str(free_port()),
            "MONGOECO_COMMAND_COUNTS": str(self.counts_file),
            "AMQP_URL": AMQP_URL,
        }
        # Unpaced unless asked (localstripe has no limit; the setting's default is a
        # real test-mode account's 25/s). Code without the setting ignores it.
        env["STRIPE_MAX_RPS"] = str(stripe_rps or 0)
        self.server = Server(["-m", "api"], env, port, data_dir / "api.log").wait("/ready")
        self.url = self.server.url

    def mongo_counts(self) -> dict[str, int]:
        """Commands executed so far by ``db.collection command`` (handshakes left out)."""
        try:
            counts = json.loads(self.counts_file.read_text())
        except FileNotFoundError:
            return {}
        return {k: v for k, v in counts.items() if k.rsplit(" ", 1)[-1] not in HANDSHAKE}

    def settled_mongo_counts(self, quiet_s: float = 1.5, timeout: float = 30.0) -> dict[str, int]:
        """The counts once they stopped moving (the server writes them once a second)."""
        deadline = time.monotonic() + timeout
        last, since = self.mongo_counts(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.25)
            now = self.mongo_counts()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet_s:
                break
        return last

    def stripe_counts(self) -> dict[str, int]:
        with urllib.request.urlopen(f"{self.stripe_url}/_config/ticketing/stats") as r:
            return json.load(r)["requests"]

    def expired_holds(self, event_id: str) -> int:
        """Holds of the event that expired, as its inventory actor counts them (/metrics)."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=30) as r:
            text = r.read().decode()
        total = 0.0
        for line in text.splitlines():
            if line.startswith("ticketing_inventory_events_total{") and (
                f'event_id="{event_id}"' in line and 'type="expired"' in line
            ):
                total += float(line.rsplit(" ", 1)[-1])
        return int(total)

    def stop(self) -> None:
        self.server.stop()


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


class Confirmations:
    """When each ``order.confirmed`` of ours arrived (``time.time()``), by order id."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.event_ids: set[str] = set()
        self.foreign = 0  # payment.* and order.* messages of other runs seen since start
        self._connection: Any = None

    async def start(self, amqp_url: str = AMQP_URL) -> None:
        self._connection = await aio_pika.connect_robust(amqp_url)
        channel = await self._connection.channel()
        queue = await channel.declare_queue(
            f"bench.purchase.{uuid.uuid4().hex[:8]}", exclusive=True, auto_delete=True
        )
        exchange = await channel.declare_exchange(
            EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
        )
        # What our payments, notifications and webhooks workers take from other runs
        # too (not the inventory exchange: a neighbour's spike would load this process).
        for pattern in ("payment.#", "order.#"):
            await queue.bind(exchange, pattern)

        async def seen(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                try:
                    body = json.loads(message.body)
                except ValueError:
                    body = {}
                event_id = body.get("event_id") if isinstance(body, dict) else None
                if event_id not in self.event_ids:
                    self.foreign += 1
                elif message.routing_key == "order.confirmed":
                    self.at.setdefault(body["order_id"], time.time())

        await queue.consume(seen, no_ack=False)

    async def wait(self, order_ids: set[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not order_ids <= self.at.keys():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.1)
        return True

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.close()
