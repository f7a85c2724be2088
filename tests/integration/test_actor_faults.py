"""Actors under faults: journal outage (MongoDB stopped), expiry on time, outbox to RabbitMQ."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import aio_pika
import pytest
import ray

from actors import facts
from actors.amqp import DEFAULT_EXCHANGE
from actors.errors import InventoryUnavailableError
from actors.journal.sqlite import SqliteJournal
from actors.mongo_embedded import EmbeddedMongo
from actors.outbox import declare_topology
from engine import ConfirmHold, HoldSeats, SeatsHeld
from tests.integration.ray_support import make_router, ray_local, retrying, sqlite_url
from tests.unit.engine_helpers import terms_for, venue
from tests.waiting import eventually

__all__ = ["ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


async def test_mongodb_outage_gives_retryable_errors_then_resumes(tmp_path: Path) -> None:
    with EmbeddedMongo(tmp_path / "mongo") as server:
        url = f"{server.url}/journal_{uuid.uuid4().hex[:8]}?serverSelectionTimeoutMS=1000"
        router = make_router(url)
        v = venue({"A": [10] * 5})
        await router.open("ev", v, terms_for(v, limit=10))
        acknowledged = [
            await router.execute("ev", HoldSeats(f"c{i}", (f"A-1-{i + 1}",))) for i in range(5)
        ]
        server.stop()
        refused = 0
        for i in range(5):
            with pytest.raises(InventoryUnavailableError):
                await router.execute("ev", HoldSeats(f"d{i}", (f"A-2-{i + 1}",)))
            refused += 1
        server.restart()
        later = await retrying(lambda: router.execute("ev", HoldSeats("e", ("A-3-1",))))
        assert isinstance(later, SeatsHeld)
        view = await router.call("ev", "availability")
        # Every acknowledged hold is there, none of the refused ones, nothing else.
        assert view["held"] == len(acknowledged) + 1 and refused == 5
        seats = (await router.call("ev", "seats"))["sections"][0]["rows"]
        assert seats[0]["states"] == "HHHHHAAAAA" and seats[1]["states"] == "A" * 10
        ray.kill(await router.handle("ev"), no_restart=True)


async def test_the_timer_expires_holds_without_any_request(tmp_path: Path) -> None:
    router = make_router(sqlite_url(tmp_path), expiry_interval_s=0.1)
    v = venue({"A": [4]})
    await router.open("ev", v, terms_for(v, ttl=1))
    await router.execute("ev", HoldSeats("ann", ("A-1-1", "A-1-2")))
    assert (await router.call("ev", "availability"))["held"] == 2
    # Watched in the journal, not through the actor: no request may trigger the expiry.
    reader = SqliteJournal(tmp_path / "journal.db")

    async def expired() -> bool:
        events = (await reader.recover("ev")).events
        return any(e["type"] == "HoldExpired" for e in events)

    await eventually(expired, 15, "the timer journaled the expiry")
    await reader.close()
    view = await router.call("ev", "availability")
    assert (view["held"], view["available"]) == (0, 4)
    status = await router.call("ev", "status")
    assert status["durable_seq"] == 2  # the expiry was journaled like any command


async def test_every_journaled_event_reaches_rabbitmq_once_across_a_crash(tmp_path: Path) -> None:
    event_id = f"ev{uuid.uuid4().hex[:8]}"
    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel()
    exchange = await declare_topology(channel, DEFAULT_EXCHANGE)
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, "inventory.#")
    router = make_router(sqlite_url(tmp_path), amqp_url=AMQP_URL)
    v = venue({"A": [20] * 3})
    await router.open(event_id, v, terms_for(v, limit=10))
    for i in range(30):
        # Idempotency keys, as the API sends: a command journaled by an actor that died
        # before answering is retried, and must get its first answer, not a refusal.
        seat = (f"A-{i // 20 + 1}-{i % 20 + 1}",)
        held = await retrying(
            lambda i=i, seat=seat: router.execute(event_id, HoldSeats(f"c{i}", seat, f"h{i}"))
        )
        await retrying(
            lambda h=held, i=i: router.execute(
                event_id, ConfirmHold(h.hold_id, "pi", None, f"c{i}")
            )
        )
        if i == 12:
            ray.kill(await router.handle(event_id), no_restart=False)
    seen: dict[str, dict] = {}  # by message id: redeliveries are dropped, as consumers do
    async with asyncio.timeout(30), queue.iterator() as messages:
        async for message in messages:
            async with message.process():
                for fact in facts.decode(message):  # several per message: by fact id
                    if fact.body["event_id"] == event_id:
                        seen.setdefault(fact.id, fact.body)
            if len(seen) >= 60:
                break
    assert sorted(int(m.split(":")[1]) for m in seen) == list(range(1, 61))
    assert {body["type"] for body in seen.values()} == {"SeatsHeld", "HoldConfirmed"}
    await connection.close()
    ray.kill(await router.handle(event_id), no_restart=True)
