"""The outbox relay against the real RabbitMQ on 127.0.0.1:5672.

Each test uses its own exchange and an exclusive queue bound to ``inventory.#``; the
collector unpacks each message's facts (``actors.facts``) and dedups them by fact id
(``stream:seq``) as the real consumers do. Outages are simulated
without touching the shared broker: connections are closed from the server side with
``rabbitmqctl close_connection``, and the relay is pointed at a local TCP proxy to
5672 that the test stops (refused and cut connections), restarts, or pauses (a broker
that accepts bytes but never confirms).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage

from actors import facts
from actors.journal.base import EncodedEvent, JournalUnavailableError
from actors.journal.memory import MemoryJournal
from actors.journal.sqlite import SqliteJournal
from actors.outbox import OutboxRelay, declare_topology, routing_key
from engine.events import (
    HoldConfirmed,
    HoldExpired,
    HoldReleased,
    SaleReturned,
    SeatsHeld,
    event_to_dict,
)
from tests.waiting import eventually

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
BROKER_PORT = 5672
FAST = {"poll_interval": 0.2, "backoff": (0.05, 0.5), "connect_timeout": 1.0}


def make_events(first: int, count: int) -> list[EncodedEvent]:
    """Consecutive encoded events cycling through every event type."""
    events: list[EncodedEvent] = []
    for seq in range(first, first + count):
        kind = seq % 5
        if kind == 1:
            event: Any = SeatsHeld(seq, 1e9, seq, "cus_1", (seq, seq + 1), -1, 2, 1e9 + 600, 9000)
        elif kind == 2:
            event = HoldConfirmed(seq, 1e9, seq - 1, f"pi_{seq}")
        elif kind == 3:
            event = HoldReleased(seq, 1e9, seq - 2)
        elif kind == 4:
            event = HoldExpired(seq, 1e9, seq - 3)
        else:
            event = SaleReturned(seq, 1e9, seq - 4)
        events.append(event_to_dict(event))
    return events


class Appender:
    """Appends consecutive batches to streams and remembers how many it wrote."""

    def __init__(self, journal: Any, relays: dict[str, OutboxRelay]) -> None:
        self.journal, self.relays = journal, relays
        self.last: dict[str, int] = dict.fromkeys(relays, 0)

    async def append(
        self, stream: str, count: int, notify: bool = True, hand_over: bool = False
    ) -> None:
        """``hand_over``: notify with the batch's events, as the inventory actor does."""
        events = make_events(self.last[stream] + 1, count)
        await self.journal.append(stream, events)
        self.last[stream] += count
        if notify:
            self.relays[stream].notify(self.last[stream], events if hand_over else ())

    async def keep_appending(self, stop: asyncio.Event, count: int = 25) -> None:
        while not stop.is_set():
            for stream in self.relays:
                await self.append(stream, count)
            await asyncio.sleep(0.01)


class Collector:
    """A consumer of every inventory message on one exchange, deduping facts by id."""

    def __init__(self) -> None:
        self.raw: list[AbstractIncomingMessage] = []
        self.raw_facts: list[facts.Fact] = []  # every fact received, duplicates too
        self.unique: dict[str, facts.Fact] = {}  # by fact id: first arrival wins
        self.channel: Any = None  # the consuming channel and queue (the fixture sets them)
        self.queue_name = ""
        self.barriers: set[str] = set()

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        if message.headers.get("barrier"):  # see wait_for
            self.barriers.add(str(message.headers["barrier"]))
            await message.ack()
            return
        self.raw.append(message)
        assert message.message_id is not None
        for fact in facts.decode(message):
            self.raw_facts.append(fact)
            self.unique.setdefault(fact.id, fact)
        await message.ack()

    def seqs(self, stream: str) -> list[Any]:
        """The deduped seqs of ``stream``, sorted, once checked that each routing key's
        facts first arrived in seq order (a consumer binds routing keys: the order it
        sees; facts of different keys travel in different messages)."""
        by_key: dict[str, list[int]] = {}
        for fact in self.unique.values():
            if fact.body["stream"] == stream:
                by_key.setdefault(routing_key(fact.kind), []).append(fact.body["seq"])
        for key, seqs in by_key.items():
            assert seqs == sorted(seqs), f"{key} out of order"
        return sorted(seq for seqs in by_key.values() for seq in seqs)

    def shapes(self) -> list[tuple[str, str, list[int]]]:
        """(routing key, message id, fact seqs) of every message received."""
        return [
            (str(m.routing_key), str(m.message_id), [f.body["seq"] for f in facts.decode(m)])
            for m in self.raw
        ]

    async def wait_for(self, counts: dict[str, int], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while any(len(self.seqs(s)) < n for s, n in counts.items()):
                await asyncio.sleep(0.02)
        await self.drained(timeout)

    async def drained(self, timeout: float = 10.0) -> None:
        """Every message the queue held before now has been received (stray duplicates
        too, which must be deduped): a barrier sent to the queue itself arrives after them,
        the queue delivering in order to its one consumer."""
        barrier = uuid.uuid4().hex
        message = aio_pika.Message(b"", message_id=barrier, headers={"barrier": barrier})
        await self.channel.default_exchange.publish(message, routing_key=self.queue_name)
        await eventually(lambda: barrier in self.barriers, timeout, "the queue drained")


async def flowing(relays: dict[str, OutboxRelay], appender: Appender) -> None:
    """Wait until each relay published events journaled after now: it is at work."""
    marks = dict(appender.last)
    await eventually(
        lambda: all(r.published_seq > marks[s] for s, r in relays.items()), 15, "publishing"
    )


class TcpProxy:
    """A local TCP forwarder to the broker that a test stops, restarts and pauses."""

    def __init__(self, target_port: int = BROKER_PORT) -> None:
        self.target_port = target_port
        with socket.socket() as sock:  # reserve a free port, refused until start()
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.flowing = asyncio.Event()
        self.flowing.set()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def stop(self) -> None:
        """The outage: refuse new connections and cut the open ones."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        pair = {writer, up_writer}
        self._writers |= pair
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self._writers -= pair

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self.flowing.wait()  # paused: bytes are accepted but go nowhere
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.transport.abort()  # one side gone: cut the other too


async def rabbitmqctl(*args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        "rabbitmqctl", "-q", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def close_connections_named(name: str) -> int:
    """Close, from the broker's side, every connection whose connection_name is ``name``."""
    # The plain listing, not JSON: close_connection wants the pid as this format prints it.
    listing = await rabbitmqctl(
        "list_connections", "--no-table-headers", "pid", "client_properties"
    )
    pids = [
        line.split("\t", 1)[0]
        for line in listing.splitlines()
        if f'{{"connection_name","{name}"}}' in line
    ]
    for pid in pids:
        await rabbitmqctl("close_connection", pid, "outbox test: simulated outage")
    return len(pids)


@pytest.fixture
async def exchange() -> AsyncIterator[tuple[str, Collector]]:
    name = f"test.outbox.{uuid.uuid4().hex[:12]}"
    collector = Collector()
    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel()
    await declare_topology(channel, name)
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(name, "inventory.#")
    await queue.consume(collector.on_message)
    collector.channel, collector.queue_name = channel, queue.name
    yield name, collector
    await channel.exchange_delete(name)
    await connection.close()


def test_routing_keys() -> None:
    assert routing_key("SeatsHeld") == "inventory.hold.created"
    assert routing_key("HoldConfirmed") == "inventory.hold.confirmed"
    assert routing_key("HoldReleased") == "inventory.hold.released"
    assert routing_key("HoldExpired") == "inventory.hold.expired"
    assert routing_key("SaleReturned") == "inventory.sale.returned"
    with pytest.raises(ValueError):
        routing_key("SeatsStolen")


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_publishes_in_order_exactly_once(
    kind: str, tmp_path: Path, exchange: tuple[str, Collector]
) -> None:
    name, collector = exchange
    journal = MemoryJournal() if kind == "memory" else SqliteJournal(tmp_path / "journal.db")
    await journal.append("evt_a", make_events(1, 1200))  # journaled before the relay starts
    options = {**FAST, "poll_interval": 1.0}
    relay = OutboxRelay(journal, "evt_a", "evt_a", AMQP_URL, name, batch_size=500, **options)
    appender = Appender(journal, {"evt_a": relay})
    appender.last["evt_a"] = 1200
    relay.start()
    try:
        await relay.wait_published(1200, timeout=10)
        await appender.append("evt_a", 7)  # notified: published well before the next poll
        await relay.wait_published(1207, timeout=0.5)
        await appender.append("evt_a", 3, notify=False)  # found by the periodic poll
        await relay.wait_published(1210, timeout=3)
        await collector.wait_for({"evt_a": 1210})
    finally:
        await relay.stop()
    assert collector.seqs("evt_a") == list(range(1, 1211))
    assert len(collector.raw_facts) == 1210  # no failure, so not even a duplicate
    assert await journal.unpublished("evt_a", 10) == []
    assert relay.published_seq == 1210 and relay.lag == 0
    # One message per journal batch and routing key: the 1,200 (a batch larger than the
    # relay's batch_size goes whole), the 7, the 3; each with its facts in seq order.
    keys = [routing_key(k) for k in ("SeatsHeld", "HoldConfirmed", "HoldReleased")]
    keys += [routing_key(k) for k in ("HoldExpired", "SaleReturned")]
    shapes = collector.shapes()
    assert [key for key, _, _ in shapes] == keys + keys + keys[2:]
    for key, _, seqs in shapes[:5]:
        assert seqs == list(range(1 + keys.index(key), 1201, 5))
    assert [seqs for _, _, seqs in shapes[5:]] == [[1201, 1206], [1202, 1207]] + [
        [s] for s in (1203, 1204, 1205, 1208, 1209, 1210)
    ]
    first = collector.raw[0]
    assert first.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert first.message_id == "evt_a:1..1196" and first.content_type == facts.CONTENT_TYPE
    assert first.type == "SeatsHeld" and first.app_id == "ticketing.outbox"
    body = json.loads(first.body)
    assert (body["format"], body["event_id"], body["stream"]) == (2, "evt_a", "evt_a")
    assert body["facts"][0]["seq"] == 1 and body["facts"][0]["seats"] == [1, 2]
    fact = collector.unique["evt_a:1"]
    assert fact.kind == "SeatsHeld" and fact.body["event_id"] == "evt_a"
    await journal.close()


@pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="needs rabbitmqctl")
async def test_server_closes_connections_while_events_keep_coming(
    tmp_path: Path, exchange: tuple[str, Collector]
) -> None:
    name, collector = exchange
    journal = SqliteJournal(tmp_path / "journal.db")
    conn_name = f"outbox-test-{uuid.uuid4().hex[:8]}"
    relays = {
        stream: OutboxRelay(
            journal, stream, "evt_b", AMQP_URL, name, 100, connection_name=conn_name, **FAST
        )
        for stream in ("evt_b", "evt_b#2")  # the event and one of its shards
    }
    appender = Appender(journal, relays)
    stop = asyncio.Event()
    for relay in relays.values():
        relay.start()
    feeding = asyncio.create_task(appender.keep_appending(stop, count=10))
    try:
        for _ in range(2):  # two outages, each while events keep being journaled
            await flowing(relays, appender)
            assert await close_connections_named(conn_name) >= 1
        await flowing(relays, appender)  # back at work after the second
        stop.set()
        await feeding
        for stream, relay in relays.items():
            await relay.wait_published(appender.last[stream], timeout=10)
        await collector.wait_for(appender.last)
    finally:
        stop.set()
        for relay in relays.values():
            await relay.stop()
        await journal.close()
    for stream, relay in relays.items():
        assert collector.seqs(stream) == list(range(1, appender.last[stream] + 1))
        assert relay.publisher.connections >= 2  # it did reconnect
    assert sum(relay.publisher.connections for relay in relays.values()) >= 4


async def test_unreachable_broker_then_cut_connections(exchange: tuple[str, Collector]) -> None:
    name, collector = exchange
    journal = MemoryJournal()
    proxy = TcpProxy()  # not started yet: connection refused
    relay = OutboxRelay(journal, "evt_c", "evt_c", proxy.url, name, batch_size=200, **FAST)
    appender = Appender(journal, {"evt_c": relay})
    relay.start()
    try:
        await appender.append("evt_c", 300)
        await eventually(lambda: "publish failed" in (relay.last_error or ""), 10)
        assert relay.published_seq == 0 and relay.lag == 300
        assert relay.last_error is not None and "publish failed" in relay.last_error
        await proxy.start()  # the broker comes back: the backlog drains
        await relay.wait_published(300, timeout=5)

        stop = asyncio.Event()
        feeding = asyncio.create_task(appender.keep_appending(stop, count=40))
        await flowing({"evt_c": relay}, appender)
        await proxy.stop()  # cut mid-stream, and refuse reconnects until the relay fails
        await eventually(lambda: relay.last_error is not None, 10, "the relay saw the cut")
        await proxy.start()
        await flowing({"evt_c": relay}, appender)
        stop.set()
        await feeding
        await relay.wait_published(appender.last["evt_c"], timeout=10)
        await collector.wait_for(appender.last)
    finally:
        await relay.stop()
        await proxy.stop()
    assert collector.seqs("evt_c") == list(range(1, appender.last["evt_c"] + 1))
    assert relay.publisher.connections >= 2


async def test_stalled_broker_times_out_and_recovers(exchange: tuple[str, Collector]) -> None:
    name, collector = exchange
    journal = MemoryJournal()
    proxy = TcpProxy()
    await proxy.start()
    options = {**FAST, "confirm_timeout": 0.3, "connect_timeout": 0.3}
    relay = OutboxRelay(journal, "evt_d", "evt_d", proxy.url, name, batch_size=50, **options)
    appender = Appender(journal, {"evt_d": relay})
    relay.start()
    try:
        await appender.append("evt_d", 60)
        await relay.wait_published(60, timeout=5)
        proxy.flowing.clear()  # bytes accepted, nothing confirmed: a blocked broker
        await appender.append("evt_d", 120)
        await eventually(lambda: relay.last_error is not None, 10, "a confirm timed out")
        assert relay.published_seq == 60
        assert relay.last_error is not None
        proxy.flowing.set()
        await relay.wait_published(180, timeout=10)
        await collector.wait_for(appender.last)
    finally:
        await relay.stop()
        await proxy.stop()
    assert collector.seqs("evt_d") == list(range(1, 181))


async def test_nacked_batch_is_retried_not_skipped(exchange: tuple[str, Collector]) -> None:
    name, collector = exchange
    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel()
    # A full queue that rejects new publishes makes the broker nack what it routes there
    # (the 50 facts are 5 messages: one per fact type).
    full = await channel.declare_queue(
        exclusive=True, arguments={"x-max-length": 2, "x-overflow": "reject-publish"}
    )
    await full.bind(name, "inventory.#")
    journal = MemoryJournal()
    await journal.append("evt_f", make_events(1, 50))
    relay = OutboxRelay(journal, "evt_f", "evt_f", AMQP_URL, name, batch_size=50, **FAST)
    relay.start()
    try:
        await eventually(lambda: "DeliveryError" in (relay.last_error or ""), 10, "a nack")
        assert relay.published_seq == 0
        await full.delete(if_unused=False, if_empty=False)  # room again: the batch goes through
        await relay.wait_published(50, timeout=5)
        await collector.wait_for({"evt_f": 50})
    finally:
        await relay.stop()
        await connection.close()
    assert collector.seqs("evt_f") == list(range(1, 51))


class FlakyJournal(MemoryJournal):
    """A memory journal whose outbox reads and cursor writes fail a few times."""

    def __init__(self, read_failures: int, mark_failures: int) -> None:
        super().__init__()
        self.read_failures, self.mark_failures = read_failures, mark_failures

    async def unpublished(self, stream: str, limit: int) -> list[list[EncodedEvent]]:
        if self.read_failures:
            self.read_failures -= 1
            raise JournalUnavailableError("disk gone for a moment")
        return await super().unpublished(stream, limit)

    async def mark_published(self, stream: str, seq: int) -> None:
        if self.mark_failures:
            self.mark_failures -= 1
            raise JournalUnavailableError("read-only for a moment")
        await super().mark_published(stream, seq)


async def test_journal_failures_are_retried(exchange: tuple[str, Collector]) -> None:
    name, collector = exchange
    journal = FlakyJournal(read_failures=3, mark_failures=2)
    await journal.append("evt_e", make_events(1, 250))
    relay = OutboxRelay(journal, "evt_e", "evt_e", AMQP_URL, name, batch_size=100, **FAST)
    started = time.monotonic()
    relay.start()
    try:
        await relay.wait_published(250, timeout=10)
        await collector.wait_for({"evt_e": 250})
    finally:
        await relay.stop()
    assert journal.read_failures == 0 and journal.mark_failures == 0
    assert time.monotonic() - started > 0.1  # it did back off
    assert collector.seqs("evt_e") == list(range(1, 251))
    assert len(collector.raw_facts) > 250  # confirmed batches whose cursor failed: resent


async def test_handed_over_events_are_published_without_reading_the_journal(
    tmp_path: Path, exchange: tuple[str, Collector]
) -> None:
    name, collector = exchange
    journal = SqliteJournal(tmp_path / "journal.db")
    await journal.append("evt_g", make_events(1, 40))  # a previous incarnation's backlog
    options = {**FAST, "poll_interval": 30.0}  # no idle poll during the test
    relay = OutboxRelay(journal, "evt_g", "evt_g", AMQP_URL, name, batch_size=100, **options)
    appender = Appender(journal, {"evt_g": relay})
    appender.last["evt_g"] = 40
    relay.start()
    try:
        await relay.wait_published(40, timeout=10)  # the backlog: read from the journal
        async with asyncio.timeout(5):
            while not relay.caught_up:  # until a read finds nothing left behind
                await asyncio.sleep(0.01)
        reads = relay.journal_reads
        for _ in range(10):
            await appender.append("evt_g", 25, hand_over=True)
        await relay.wait_published(290, timeout=10)
        await collector.wait_for({"evt_g": 290})
        assert relay.journal_reads == reads  # the hand-off alone: nothing read back
    finally:
        await relay.stop()
    assert collector.seqs("evt_g") == list(range(1, 291))
    assert len(collector.raw_facts) == 290
    assert await journal.unpublished("evt_g", 10) == []  # the cursor is in the journal
    await journal.close()


async def test_overflowed_hand_off_falls_back_to_the_journal(
    exchange: tuple[str, Collector],
) -> None:
    name, collector = exchange
    journal = MemoryJournal()
    proxy = TcpProxy()  # the broker is unreachable: handed-over events pile up
    relay = OutboxRelay(
        journal, "evt_h", "evt_h", proxy.url, name, batch_size=50, memory_limit=30, **FAST
    )
    appender = Appender(journal, {"evt_h": relay})
    relay.start()
    try:
        for _ in range(4):  # 20 fit in memory, the next 20 overflow, the rest are a gap
            await appender.append("evt_h", 20, hand_over=True)
        reads = relay.journal_reads
        await proxy.start()
        await relay.wait_published(80, timeout=10)
        await collector.wait_for({"evt_h": 80})
        assert relay.journal_reads > reads  # what memory dropped came from the journal
    finally:
        await relay.stop()
        await proxy.stop()
    assert collector.seqs("evt_h") == list(range(1, 81))


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_the_journal_fallback_publishes_the_same_messages_as_the_hand_off(
    kind: str, tmp_path: Path, exchange: tuple[str, Collector]
) -> None:
    """A restart (or an overflow) publishes from the journal: the same facts in the same
    messages as the in-memory hand-off, batch by batch and routing key by routing key."""
    name, collector = exchange
    sizes = [1, 7, 3, 25, 2, 40, 5]  # journal batches, some of several fact types
    shapes = []
    for stream, hand_over in (("evt_m", True), ("evt_j", False)):
        journal = MemoryJournal() if kind == "memory" else SqliteJournal(tmp_path / stream)
        options = {**FAST, "poll_interval": 30.0}  # no idle poll: one source each
        relay = OutboxRelay(journal, stream, stream, AMQP_URL, name, batch_size=10, **options)
        appender = Appender(journal, {stream: relay})
        if hand_over:  # caught up first, so memory is the source of everything after
            relay.start()
            await eventually(lambda r=relay: r.caught_up, 5, "caught up")
        for size in sizes:
            await appender.append(stream, size, notify=hand_over, hand_over=hand_over)
        if not hand_over:  # journaled by "a previous incarnation": read back at start
            relay.start()
        try:
            await relay.wait_published(sum(sizes), timeout=10)
            await collector.wait_for({stream: sum(sizes)})
        finally:
            await relay.stop()
            await journal.close()
        assert collector.seqs(stream) == list(range(1, sum(sizes) + 1))
        shapes.append(
            [(k, i.split(":", 1)[1], s) for k, i, s in collector.shapes() if i.startswith(stream)]
        )
        assert (relay.journal_reads == 1) if hand_over else (relay.journal_reads > 1)
    assert shapes[0] == shapes[1]
    assert len(shapes[0]) == 1 + 5 + 3 + 5 + 2 + 5 + 5  # per batch: its fact types
