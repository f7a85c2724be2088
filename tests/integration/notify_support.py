"""Real components for notification tests: an aiosmtpd server that keeps what it receives,
a publisher on the real RabbitMQ, and a notifications worker on queues of its own.

Each worker gets a unique ``AMQP_QUEUE_PREFIX`` (its queues are deleted afterwards) and
MongoDB database prefix, so parallel runs neither steal each other's messages nor read
each other's users. The exchanges are shared: a worker may also see other runs'
messages, which it skips (unknown users, unknown holds).
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import aio_pika
from aiosmtpd.controller import Controller
from pymongo import AsyncMongoClient

from actors.errors import InventoryNotFoundError
from actors.refs import HoldRef
from api.devservers import MailSaver
from contexts.auth.users_store import UsersStore
from contexts.shared.messages import app_message
from contexts.shared.settings import Settings
from tests.waiting import eventually
from workers.bus import EVENTS_EXCHANGE, QueueSpec

__all__ = ["eventually"]  # re-exported: tests.waiting is where it lives

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
BROKER_TIMEOUT = 15.0  # every broker call: a stalled broker fails a test, never hangs it


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """A real SMTP server on a free port that keeps every message in memory."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = MailSaver(keep=True)
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.handler.received if address in str(m["To"])]

    async def wait_for(
        self, address: str, count: int = 1, timeout: float = 30.0
    ) -> list[EmailMessage]:
        async def probe() -> list[EmailMessage]:
            mails = self.to(address)
            return mails if len(mails) >= count else []

        return await eventually(probe, timeout)


class StubRouter:
    """Hold look-ups without Ray: ``holds[(stream, hold_id)]`` is the hold's customer."""

    def __init__(self) -> None:
        self.holds: dict[tuple[str, int], str] = {}

    async def hold_view(self, ref: HoldRef) -> dict[str, Any] | None:
        customer = self.holds.get((ref.stream, ref.hold_id))
        if customer is None:
            raise InventoryNotFoundError(ref.stream)
        return {"hold_id": ref.hold_id, "customer": customer, "status": "expired"}


@dataclass
class WorkerContainer:
    """What the worker needs of a composition root, without Ray or the API."""

    settings: Settings
    mongo: AsyncMongoClient[dict[str, Any]]
    amqp_url: str = AMQP_URL
    router: Any = field(default_factory=StubRouter)
    catalog: Any = None

    def db(self, context: str) -> Any:
        return self.mongo[f"{self.settings.mongodb_db_prefix}_{context}"]

    async def user(self, name: str = "Ann", phone: str | None = None) -> dict[str, str]:
        """A user in the auth context; its email is unique to this test."""
        email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
        record = await UsersStore(self.db("auth")).create(email, name, "x", ["user"])
        if phone:
            await self.db("auth")["users"].update_one({"email": email}, {"$set": {"phone": phone}})
        return {"id": record.id, "email": email, "name": name}


class Publisher:
    """Publishes application messages as the API and the payments worker do."""

    def __init__(self) -> None:
        self.connection: Any = None
        self.channel: Any = None

    async def open(self) -> None:
        self.connection = await aio_pika.connect(AMQP_URL, timeout=BROKER_TIMEOUT)
        self.channel = await self.connection.channel(publisher_confirms=True)

    async def publish(
        self,
        kind: str,
        body: dict[str, Any],
        message_id: str | None = None,
        exchange: str = EVENTS_EXCHANGE,
        routing_key: str | None = None,
    ) -> str:
        """Publish with confirms, again on a nack or a dropped connection (as a real
        publisher does: the exchange is shared with other runs' queues, and a broker busy
        creating and deleting them may refuse one); the message id stays the same."""
        message = app_message(kind, body, message_id)
        for attempt in range(3):
            try:
                async with asyncio.timeout(BROKER_TIMEOUT):
                    target = await self.channel.get_exchange(exchange)
                    await target.publish(message, routing_key=routing_key or kind)
                return message.message_id or ""
            except (aio_pika.exceptions.AMQPError, ConnectionError, TimeoutError):
                if attempt == 2:
                    raise
                await asyncio.sleep(0.5)
                await self.close()
                await self.open()
        raise AssertionError("unreachable")

    async def dead_letters(self, spec: QueueSpec) -> list[aio_pika.abc.AbstractIncomingMessage]:
        async with asyncio.timeout(BROKER_TIMEOUT):
            queue = await self.channel.get_queue(f"{spec.name}.dead")
        found = []
        while (
            message := await queue.get(no_ack=True, fail=False, timeout=BROKER_TIMEOUT)
        ) is not None:
            found.append(message)
        return found

    async def delete_queues(self, spec: QueueSpec, name: str | None = None) -> None:
        """Delete a worker's queues (``name``: another worker's, same retry steps or fewer)."""
        name = name or spec.name
        names = [name, f"{name}.dead"]
        names += [f"{name}.retry.{i}" for i in range(max(len(spec.retry_delays_s), 8))]
        for name in names:
            await self.channel.queue_delete(name, timeout=BROKER_TIMEOUT)

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
