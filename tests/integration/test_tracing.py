"""One reservation is one connected trace: API -> inventory actor -> journal -> RabbitMQ ->
worker, and a checkout (reserve, then pay) is one trace down to the payments worker.

The test process (API, workers) exports to an in-memory exporter; the inventory actors run
in Ray worker processes, so they use the console exporter the settings choose
(``OTEL_EXPORTER=console``) writing JSON lines to a file this test reads. Real Ray,
MongoDB (mongoeco), RabbitMQ and localstripe; nothing is called directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from actors.mongo_embedded import EmbeddedMongo
from api.main import create_app
from contexts.shared.telemetry import shutdown_process_tracing
from tests.integration.api_support import Api, api_settings, delete_worker_queues
from tests.integration.payments_support import AMQP_URL, Shop, localstripe
from tests.integration.ray_support import ray_local
from tests.integration.test_metrics import scrape, value
from tests.integration.test_reservations_api import on_sale_event
from workers.bus import INVENTORY_EXCHANGE, Consumer, QueueSpec

__all__ = ["localstripe", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")


@dataclass(frozen=True)
class Span:
    name: str
    trace_id: str
    span_id: str
    parent_id: str | None
    service: str
    pid: int

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Span:
        resource = data["resource"]["attributes"]
        return cls(
            data["name"],
            data["context"]["trace_id"],
            data["context"]["span_id"],
            data["parent_id"],
            resource.get("service.name", ""),
            int(resource.get("process.pid", -1)),
        )


@pytest.fixture(scope="module")
def memory() -> Iterator[InMemorySpanExporter]:
    """This process's spans, in memory; tracing off again for the modules after this one."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        attributes = {"service.name": "ticketing-api", "process.pid": os.getpid()}
        provider = TracerProvider(resource=Resource.create(attributes))
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    shutdown_process_tracing()
    exporter.shutdown()


@pytest.fixture
async def shop(
    tmp_path: Path, embedded_mongo: EmbeddedMongo, localstripe: str, memory: InMemorySpanExporter
) -> AsyncIterator[Shop]:
    """The app with tracing on (the console exporter into ``tmp_path/spans.jsonl``)."""
    settings = api_settings(
        tmp_path,
        embedded_mongo,
        stripe_api_base=localstripe,
        otel_exporter="console",
        otel_console_path=str(tmp_path / "spans.jsonl"),
    )
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                shop = Shop(Api(client, app, settings))
                try:
                    yield shop
                finally:
                    if shop.worker is not None:
                        await shop.worker.stop()
    finally:
        await delete_worker_queues(settings)


def all_spans(memory: InMemorySpanExporter, path: Path) -> list[Span]:
    """Spans of this process (memory) and of the actors (their file), once each."""
    found = {
        s.span_id: s
        for s in (Span.parse(json.loads(x.to_json())) for x in memory.get_finished_spans())
    }
    if path.exists():
        for line in path.read_text().splitlines():
            with contextlib.suppress(ValueError):  # a line still being written
                span = Span.parse(json.loads(line))
                found.setdefault(span.span_id, span)
    return list(found.values())


async def connected_trace(
    memory: InMemorySpanExporter, path: Path, trace_id: str, needed: set[str]
) -> list[Span]:
    """The trace's spans once it holds every name in ``needed`` and each span's parent is
    in it (spans end in their own time: the outbox's may end after the worker's)."""
    deadline = time.monotonic() + 20
    while True:
        spans = [s for s in all_spans(memory, path) if s.trace_id == trace_id]
        ids = {s.span_id for s in spans}
        orphans = [s for s in spans if s.parent_id is not None and s.parent_id not in ids]
        if needed <= {s.name for s in spans} and not orphans:
            return spans
        assert time.monotonic() < deadline, (
            f"missing {needed - {s.name for s in spans}}, orphans {orphans}, in {spans}"
        )
        await asyncio.sleep(0.1)


def server_span(memory: InMemorySpanExporter, route: str) -> Span:
    [span] = [
        Span.parse(json.loads(s.to_json()))
        for s in memory.get_finished_spans()
        if s.kind == trace.SpanKind.SERVER and s.attributes.get("http.route") == route
    ]
    return span


@contextlib.asynccontextmanager
async def worker_on(routing_key: str, event_id: str) -> AsyncIterator[asyncio.Event]:
    """A worker (``workers.bus.Consumer``) of inventory messages; set once it handled one
    about ``event_id`` (the exchange is shared with other tests)."""
    handled = asyncio.Event()

    async def handle(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        if json.loads(message.body).get("event_id") == event_id:
            handled.set()

    spec = QueueSpec(f"t{uuid.uuid4().hex[:8]}.tracing", ((INVENTORY_EXCHANGE, routing_key),))
    consumer = Consumer(AMQP_URL, spec, handle)
    await consumer.start()
    try:
        yield handled
    finally:
        await consumer.stop()
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            for name in (
                spec.name,
                f"{spec.name}.dead",
                *(f"{spec.name}.retry.{k}" for k in range(3)),
            ):
                await channel.queue_delete(name)


async def test_a_reservation_is_one_trace_from_the_api_through_the_actor_to_a_worker(
    shop: Shop, memory: InMemorySpanExporter, tmp_path: Path
) -> None:
    api = shop.api
    event_id = await on_sale_event(api, await api.user("event_creator"))
    buyer = await api.user()
    outcome = {"worker": "tracing", "outcome": "ok"}
    ok_before = value(await scrape(api), "ticketing_worker_messages_total", **outcome)
    async with worker_on("inventory.hold.created", event_id) as handled:
        body = {"event_id": event_id, "seats": ["A-1-1"]}
        response = await api.client.post("/v1/tickets/reserve", headers=buyer["headers"], json=body)
        assert response.status_code == 201, response.text
        await asyncio.wait_for(handled.wait(), 20)

    root = server_span(memory, "/v1/tickets/reserve")
    needed = {"inventory.execute", "journal.append", "outbox.publish", "worker.tracing"}
    spans = await connected_trace(memory, tmp_path / "spans.jsonl", root.trace_id, needed)
    assert [s for s in spans if s.parent_id is None] == [root]  # one trace, one root
    by_name = {s.name: s for s in spans}
    actor = by_name["inventory.execute"]
    assert actor.parent_id == root.span_id  # the actor call continues the request
    assert by_name["journal.append"].parent_id == actor.span_id
    assert by_name["outbox.publish"].parent_id == actor.span_id
    # The actor's spans come from its own process (its pid is in its resource); the API's
    # and the worker's from this one (their provider may have been made by another test).
    assert actor.service == "ticketing-inventory" and actor.pid not in (-1, os.getpid())
    assert by_name["worker.tracing"].pid == root.pid != actor.pid
    assert value(await scrape(api), "ticketing_worker_messages_total", **outcome) > ok_before


async def test_a_checkout_is_one_trace_down_to_the_payments_worker(
    shop: Shop, memory: InMemorySpanExporter, tmp_path: Path
) -> None:
    """A client that traces (a browser, a mobile app) sends its context with each call:
    reserve and pay join its trace, and so does the worker that charges and confirms."""
    api = shop.api
    event_id = await on_sale_event(api, await api.user("event_creator"))
    buyer = await api.user()
    await shop.start_worker()
    with trace.get_tracer("client").start_as_current_span("checkout") as checkout:
        headers = dict(buyer["headers"])
        propagate.inject(headers)
        body = {"event_id": event_id, "seats": ["A-1-2"]}
        reserved = await api.client.post("/v1/tickets/reserve", headers=headers, json=body)
        assert reserved.status_code == 201, reserved.text
        payment_id = await shop.pay(headers, reserved.json()["reservation_id"], "pm_card_visa")
        await shop.wait_order(payment_id, "confirmed")
    trace_id = f"0x{checkout.get_span_context().trace_id:032x}"

    needed = {"checkout", "inventory.execute", "journal.append", "worker.payments"}
    spans = await connected_trace(memory, tmp_path / "spans.jsonl", trace_id, needed)
    assert [s.name for s in spans if s.parent_id is None] == ["checkout"]
    executes = [s for s in spans if s.name == "inventory.execute"]
    assert len(executes) >= 2  # the hold (from the API) and the confirm (from the worker)
    worker = next(s for s in spans if s.name == "worker.payments")
    ids = {s.span_id: s for s in spans}

    def ancestors(span: Span) -> set[str]:
        names = set()
        while span.parent_id is not None:
            span = ids[span.parent_id]
            names.add(span.name)
        return names

    # The confirm ran in the actor on behalf of the worker, below the payment request.
    assert any("worker.payments" in ancestors(s) for s in executes)
    assert "POST /v1/payments/process" in ancestors(worker) or any(
        "/v1/payments/process" in name for name in ancestors(worker)
    )
