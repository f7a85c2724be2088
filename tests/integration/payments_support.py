"""Fixtures for payment tests: a real localstripe server, the app with its payments
worker (in-process, started when a test says so), and the order.* messages it sends.

Each test gets its own MongoDB prefix, Ray namespace and queue prefix
(``AMQP_QUEUE_PREFIX``), so parallel runs never steal each other's messages; its
queues are deleted at the end. The events exchange is shared: captured messages
are filtered by order id.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest

from actors.mongo_embedded import EmbeddedMongo
from api.main import create_app
from contexts.shared.settings import DEV_WEBHOOK_SECRET
from tests.integration.api_support import Api, api_settings, delete_worker_queues
from workers.bus import EVENTS_EXCHANGE
from workers.payments import PaymentsWorker, start_worker

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_localstripe(
    command: list[str], port: int, log_dir: Path, start_s: float = 30.0
) -> Iterator[str]:
    """Run ``command`` (a localstripe listening on ``port``) until the generator closes;
    yields its base URL once the port answers."""
    log = (log_dir / "localstripe.log").open("wb")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + start_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("localstripe did not start") from None
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A localstripe server for the session (``--from-scratch``: no state from a
    previous run); its base URL."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "localstripe"), "--port", str(port)]
    yield from serve_localstripe(
        [*command, "--from-scratch"], port, tmp_path_factory.mktemp("localstripe")
    )


@dataclass
class Shop:
    """The app, its payments worker (once started) and the order.* messages seen."""

    api: Api
    messages: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    worker: PaymentsWorker | None = None

    @property
    def container(self) -> Any:
        return self.api.container

    async def start_worker(self) -> PaymentsWorker:
        # Default retry delays: the API declared the queues with them at start.
        self.worker = await start_worker(self.container)
        return self.worker

    async def pay(self, headers: dict[str, str], reservation_id: str, method: str) -> str:
        body = {"reservation_id": reservation_id, "payment_method": method}
        response = await self.api.client.post("/v1/payments/process", headers=headers, json=body)
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "processing"
        return response.json()["payment_id"]

    async def order(self, order_id: str) -> dict[str, Any]:
        order = await self.container.orders.get(order_id)
        assert order is not None
        return order

    async def wait_order(self, order_id: str, *statuses: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            order = await self.order(order_id)
            if order["status"] in statuses:
                return order
            history = [(h["status"], h["detail"]) for h in order["payment"]["history"]]
            assert time.monotonic() < deadline, f"{order['status']}, not {statuses}: {history}"
            await asyncio.sleep(0.05)

    async def wait_messages(self, order_id: str, kind: str, timeout: float = 10) -> list[dict]:
        """The distinct (by message id) messages of ``kind`` for the order."""
        deadline = time.monotonic() + timeout
        while not (found := self.of(order_id, kind)) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return found

    def of(self, order_id: str, kind: str) -> list[dict[str, Any]]:
        seen = {mid: body for mid, k, body in self.messages if k == kind}
        return [body for body in seen.values() if body.get("order_id") == order_id]

    async def intents_of(self, order_id: str) -> list[Any]:
        """Every PaymentIntent localstripe holds for the order (by metadata)."""
        page = await self.container.stripe.client.v1.payment_intents.list_async({"limit": 100})
        return [pi for pi in page.data if pi.metadata.to_dict().get("order_id") == order_id]


def signed(payload: str, secret: str = DEV_WEBHOOK_SECRET) -> dict[str, str]:
    """The headers Stripe sends with a webhook: ``t=<time>,v1=<HMAC-SHA256>``."""
    stamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={stamp},v1={mac}", "Content-Type": "application/json"}


def intent_event(kind: str, intent: Any) -> str:
    """A Stripe event (as its webhook delivers it) about a PaymentIntent."""
    body = {"id": f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": kind}
    return json.dumps({**body, "data": {"object": intent.to_dict()}})


async def _capture(shop: Shop) -> aio_pika.abc.AbstractRobustConnection:
    connection = await aio_pika.connect_robust(AMQP_URL)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(
        EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
    )
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(exchange, "order.*")

    async def keep(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            kind = message.type or message.routing_key or ""
            shop.messages.append((message.message_id or "", kind, json.loads(message.body)))

    await queue.consume(keep)
    return connection


@pytest.fixture
async def shop(
    tmp_path: Path, embedded_mongo: EmbeddedMongo, localstripe: str
) -> AsyncIterator[Shop]:
    settings = api_settings(
        tmp_path,
        embedded_mongo,
        stripe_api_base=localstripe,
        amqp_queue_prefix=f"t{uuid.uuid4().hex[:8]}",
        run_workers=False,  # tests start the payments worker when they want it
    )
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                shop = Shop(Api(client, app, settings))
                capture = await _capture(shop)
                try:
                    yield shop
                finally:
                    if shop.worker is not None:
                        await shop.worker.stop()
                    await capture.close()
    finally:  # a failed test too: durable queues would collect messages forever
        await delete_worker_queues(settings)
