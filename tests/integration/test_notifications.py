"""The notifications worker against real RabbitMQ, a real SMTP server (aiosmtpd) and
MongoDB over the wire (mongoeco): messages in, emails out, every one recorded once."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from actors.mongo_embedded import EmbeddedMongo
from contexts.shared.messages import EVENT_CANCELLED, HOLD_EXPIRED, ORDER_CONFIRMED, ORDER_FAILED
from contexts.shared.settings import Settings
from engine import HoldSeats
from tests.integration.api_support import Api, api
from tests.integration.notify_support import (
    Publisher,
    SmtpSink,
    StubRouter,
    WorkerContainer,
    eventually,
    free_port,
)
from tests.integration.ray_support import make_router, ray_local, sqlite_url
from tests.unit.engine_helpers import terms_for, venue
from workers.bus import INVENTORY_EXCHANGE
from workers.notifications import NotificationsWorker, build, queue_spec
from workers.notifications.channels import EmailChannel, LoggingSms
from workers.notifications.records import InFlight, NotificationLog
from workers.notifications.worker import smtp_config

__all__ = ["api", "ray_local"]
BASE_URL = "http://tickets.test"
FAST_RETRIES = (0.3, 0.5, 1.0, 1.0, 2.0, 2.0, 3.0, 5.0)  # ~15 s: room on a loaded machine
STEP_TIMEOUT = 60.0  # fixture steps (worker start/stop): fail rather than stall the suite


@dataclass
class Notify:
    """One worker with its SMTP sink, container, publisher and SMS adapter."""

    worker: NotificationsWorker
    container: WorkerContainer
    smtp: SmtpSink
    bus: Publisher
    sms: LoggingSms

    @property
    def records(self) -> NotificationLog:
        return self.worker.notifier.records

    async def restart_worker(self) -> None:
        """A fresh worker on the same queue: no in-memory dedup, only the records."""
        async with asyncio.timeout(STEP_TIMEOUT):
            await self.worker.stop()
            self.worker = await self._build()
            await self.worker.start()

    async def _build(self) -> NotificationsWorker:
        channels = [EmailChannel(smtp_config(self.container.settings)), self.sms]
        return await build(self.container, self.worker.consumer.spec, channels)


@pytest.fixture
async def notify(
    embedded_mongo: EmbeddedMongo, request: pytest.FixtureRequest
) -> AsyncIterator[Notify]:
    retries = getattr(request, "param", None) or FAST_RETRIES
    smtp = SmtpSink()
    smtp.start()
    settings = Settings(
        mongodb_url=embedded_mongo.url,
        mongodb_db_prefix=f"n{uuid.uuid4().hex[:8]}",
        amqp_queue_prefix=f"test-{uuid.uuid4().hex[:8]}",
        smtp_port=smtp.port,
        public_base_url=BASE_URL,
        run_workers=False,
    )
    # timeoutMS: a stalled database fails the operation (and the test) instead of hanging.
    mongo = AsyncMongoClient(embedded_mongo.url, tz_aware=True, timeoutMS=30_000)
    container = WorkerContainer(settings, mongo)
    sms = LoggingSms()
    spec = queue_spec(settings, retry_delays_s=retries)
    bus = Publisher()
    try:
        async with asyncio.timeout(STEP_TIMEOUT):
            worker = await build(container, spec, [EmailChannel(smtp_config(settings)), sms])
            await worker.start()
            await bus.open()
        harness = Notify(worker, container, smtp, bus, sms)
        yield harness
        async with asyncio.timeout(STEP_TIMEOUT):
            await harness.worker.stop()
    finally:
        with contextlib.suppress(Exception):  # best effort: never mask the test's outcome
            await bus.close()
        cleaner = Publisher()  # a fresh connection: the test's may have been closed on it
        with contextlib.suppress(Exception):
            async with asyncio.timeout(STEP_TIMEOUT):
                await cleaner.open()
                await cleaner.delete_queues(spec)
        with contextlib.suppress(Exception):
            await cleaner.close()
        await mongo.close()
        smtp.stop()


def confirmed(user: dict[str, str], tickets: int = 2) -> dict[str, Any]:
    """An order.confirmed body as the payments worker publishes it."""
    return {
        "order_id": f"ord_{uuid.uuid4().hex[:8]}",
        "user_id": user["id"],
        "event_id": "ev1",
        "event_title": "Night Concert",
        "amount": 5000 * tickets,
        "currency": "EUR",
        "tickets": [
            {
                "ticket_id": f"tkt_{uuid.uuid4().hex[:8]}",
                "seat": f"A-1-{i + 1}",
                "area": None,
                "qr": f"QR{i}.payload.signature",
            }
            for i in range(tickets)
        ],
    }


def text_and_html(mail: Any) -> tuple[str, str]:
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    return text, html


async def test_order_confirmed_emails_the_tickets_and_records_it(notify: Notify) -> None:
    user = await notify.container.user("Ann")
    body = confirmed(user)
    message_id = await notify.bus.publish(ORDER_CONFIRMED, body)
    [mail] = await notify.smtp.wait_for(user["email"])
    assert mail["Subject"] == "Your tickets for Night Concert"
    text, html = text_and_html(mail)
    for ticket in body["tickets"]:
        # The web page (it signs a browser in), not the JSON API (a 401 when clicked).
        link = f"{BASE_URL}/web/tickets.html?ticket={ticket['ticket_id']}"
        assert link in text and f'href="{link}"' in html and "/v1/" not in text
        assert ticket["qr"] in text and ticket["seat"] in text
    assert "100.00 EUR" in text and "Ann" in text

    async def sent() -> list[dict[str, Any]]:
        records = await notify.records.for_message(message_id)
        return records if records and records[0]["status"] == "sent" else []

    [record] = await eventually(sent)
    assert (record["channel"], record["to"], record["attempts"]) == ("email", user["email"], 1)
    assert record["user_id"] == user["id"] and record["error"] is None


async def test_order_failed_sends_a_payment_failure_email(notify: Notify) -> None:
    user = await notify.container.user("Bob")
    body = {
        "order_id": "ord_f",
        "user_id": user["id"],
        "event_id": "ev1",
        "reason": "card declined",
    }
    await notify.bus.publish(ORDER_FAILED, {**body, "event_title": "Night Concert"})
    [mail] = await notify.smtp.wait_for(user["email"])
    assert mail["Subject"] == "Your payment for Night Concert did not go through"
    assert "card declined" in text_and_html(mail)[0]


async def test_a_redelivered_message_sends_one_email(notify: Notify) -> None:
    user = await notify.container.user("Cy")
    body, message_id = confirmed(user), f"order.confirmed:{uuid.uuid4().hex}"
    await notify.bus.publish(ORDER_CONFIRMED, body, message_id)
    await notify.smtp.wait_for(user["email"])
    await notify.bus.publish(ORDER_CONFIRMED, body, message_id)  # caught in memory
    await notify.restart_worker()  # a new process: only the durable record remembers
    await notify.bus.publish(ORDER_CONFIRMED, body, message_id)
    await eventually(lambda: _handled(notify, message_id))
    await eventually(lambda: _drained(notify), what="the worker queue drained")
    assert len(notify.smtp.to(user["email"])) == 1
    [record] = await notify.records.for_message(message_id)
    assert (record["status"], record["attempts"]) == ("sent", 1)


async def test_two_deliveries_at_once_send_one_email(notify: Notify) -> None:
    """The consumer runs messages concurrently: a redelivery may overlap the first
    delivery. The record's claim lets one send; the other retries later (InFlight)."""
    user = await notify.container.user("Cal")
    body, message_id = confirmed(user), f"order.confirmed:{uuid.uuid4().hex}"
    handle = notify.worker.notifier.handle
    outcomes = await asyncio.gather(
        *(handle(ORDER_CONFIRMED, body, message_id) for _ in range(3)), return_exceptions=True
    )
    assert sorted(o for o in outcomes if isinstance(o, int)) in ([0, 0, 1], [0, 1], [1])
    assert all(isinstance(o, int | InFlight) for o in outcomes), outcomes
    await notify.smtp.wait_for(user["email"])
    # A later retry of the refused ones finds the record sent: still one email.
    assert await handle(ORDER_CONFIRMED, body, message_id) == 0
    # Every delivery above was awaited (each sends, if at all, before returning) and none
    # went through the broker: nothing is left that could send another.
    assert len(notify.smtp.to(user["email"])) == 1
    [record] = await notify.records.for_message(message_id)
    assert (record["status"], record["attempts"], record["sending_until"]) == ("sent", 1, None)


async def test_a_crashed_senders_claim_expires(notify: Notify) -> None:
    """A delivery that died while sending leaves its claim: it lapses, then a retry sends."""
    log = NotificationLog(notify.container.db("notifications"), lease_s=0.3)
    assert (await log.begin("k1", {"message_id": "m1"})).attempt == 1  # then "crashes"
    with pytest.raises(InFlight):
        await log.begin("k1", {})

    async def claimed() -> int | None:  # the claim lapses at its lease's end, not before
        with contextlib.suppress(InFlight):
            return (await log.begin("k1", {})).attempt
        return None

    assert await eventually(claimed, timeout=10) == 2
    await log.sent("k1")
    assert not (await log.begin("k1", {})).send


async def _drained(notify: Notify) -> bool:
    """No message waits in the worker's queue (those being handled are not counted:
    ``_handled`` says when the last one was acknowledged, after its email was sent)."""
    queue = await notify.bus.channel.declare_queue(notify.worker.consumer.spec.name, passive=True)
    return queue.declaration_result.message_count == 0


async def _handled(notify: Notify, message_id: str) -> bool:
    """Whether the current worker acknowledged ``message_id`` (its recent-ids memory)."""
    return message_id in notify.worker.consumer._seen


async def test_smtp_outage_is_retried_then_sent(notify: Notify) -> None:
    user = await notify.container.user("Dee")
    notify.smtp.stop()
    message_id = await notify.bus.publish(ORDER_CONFIRMED, confirmed(user, tickets=1))

    async def failed_once() -> list[dict[str, Any]]:
        records = await notify.records.for_message(message_id)
        return records if records and records[0]["status"] == "failed" else []

    [record] = await eventually(failed_once)
    assert "SMTP" in record["error"] or "Connect" in record["error"]
    notify.smtp.start()
    await notify.smtp.wait_for(user["email"], timeout=30)
    [record] = await eventually(lambda: _sent(notify, message_id))
    assert record["attempts"] >= 2 and record["error"] is None


async def _sent(notify: Notify, message_id: str) -> list[dict[str, Any]]:
    records = await notify.records.for_message(message_id)
    return records if records and all(r["status"] == "sent" for r in records) else []


@pytest.mark.parametrize("notify", [(0.1, 0.1)], indirect=True)
async def test_retries_exhausted_dead_letters_and_records_the_failure(notify: Notify) -> None:
    user = await notify.container.user("Eve")
    notify.smtp.stop()
    message_id = await notify.bus.publish(
        ORDER_FAILED,
        {"order_id": "o", "user_id": user["id"], "event_id": "e", "reason": "declined"},
    )
    spec = notify.worker.consumer.spec

    async def dead() -> list[Any]:
        return [m for m in await notify.bus.dead_letters(spec) if m.message_id == message_id]

    await eventually(dead)
    [record] = await notify.records.for_message(message_id)
    assert record["status"] == "failed" and record["attempts"] == 3  # first try + 2 retries


async def test_a_malformed_message_is_dead_lettered_at_once(notify: Notify) -> None:
    message_id = await notify.bus.publish(ORDER_CONFIRMED, {"order_id": "o"})
    spec = notify.worker.consumer.spec

    async def dead() -> list[Any]:
        return [m for m in await notify.bus.dead_letters(spec) if m.message_id == message_id]

    [message] = await eventually(dead)
    assert "x-attempt" not in (message.headers or {})  # never retried
    assert await notify.records.for_message(message_id) == []


async def test_a_template_edited_in_mongodb_is_used(notify: Notify) -> None:
    user = await notify.container.user("Fay")
    templates = notify.container.db("notifications")["templates"]
    changed = await templates.update_one(
        {"name": "order_failed", "channel": "email"},
        {"$set": {"subject": "Oops {{ order_id }}", "html": "<b>{{ reason }}</b>"}},
    )
    assert changed.matched_count == 1  # seeded at start
    body = {"order_id": "ord_t", "user_id": user["id"], "event_id": "e", "reason": "<script>"}
    await notify.bus.publish(ORDER_FAILED, body)
    [mail] = await notify.smtp.wait_for(user["email"])
    assert mail["Subject"] == "Oops ord_t"
    text, html = text_and_html(mail)
    assert html.strip() == "<b>&lt;script&gt;</b>"  # autoescaped HTML
    assert "(<script>)" in text  # the plain-text part, from the shipped text template


async def test_users_with_a_phone_get_an_sms_through_the_logging_adapter(notify: Notify) -> None:
    user = await notify.container.user("Gus", phone="+33600000001")
    message_id = await notify.bus.publish(ORDER_CONFIRMED, confirmed(user, tickets=3))
    await notify.smtp.wait_for(user["email"])

    async def both_sent() -> list[dict[str, Any]]:
        records = await _sent(notify, message_id)
        return records if len(records) == 2 else []  # email first, then the SMS

    records = await eventually(both_sent)
    assert sorted(r["channel"] for r in records) == ["email", "sms"]
    [text] = [text for phone, text in notify.sms.sent if phone == "+33600000001"]
    assert "3 ticket(s) for Night Concert" in text


async def test_event_cancelled_tells_every_buyer_once(notify: Notify) -> None:
    ann, bob, cy = [await notify.container.user(name) for name in ("Ann", "Bob", "Cy")]
    event_id = f"ev{uuid.uuid4().hex[:8]}"
    orders = notify.container.db("orders")["orders"]
    await orders.insert_many(
        [{"event_id": event_id, "user_id": u["id"], "status": "confirmed"} for u in (ann, bob, ann)]
        + [{"event_id": event_id, "user_id": cy["id"], "status": "failed"}]  # not a buyer
        + [{"event_id": "other", "user_id": "nobody", "status": "confirmed"}]
    )
    message_id = await notify.bus.publish(
        EVENT_CANCELLED, {"event_id": event_id, "event_title": "Gala"}
    )
    for user in (ann, bob):
        [mail] = await notify.smtp.wait_for(user["email"])
        assert mail["Subject"] == "Gala is cancelled"
    records = await eventually(lambda: _sent(notify, message_id))
    assert sorted(r["user_id"] for r in records) == sorted([ann["id"], bob["id"]])
    assert notify.smtp.to(cy["email"]) == []


async def test_hold_expiry_emails_the_holds_customer(notify: Notify) -> None:
    user = await notify.container.user("Hal")
    router = notify.container.router
    assert isinstance(router, StubRouter)
    # Ids of this test only: other runs' workers see these messages too (shared exchange).
    known, unknown = f"ev{uuid.uuid4().hex[:8]}", f"ev{uuid.uuid4().hex[:8]}"
    router.holds[(f"{known}#2", 7)] = user["id"]
    body = {"event_id": known, "stream": f"{known}#2", "seq": 9, "hold_id": 7}
    await notify.bus.publish("HoldExpired", body, f"{known}#2:9", INVENTORY_EXCHANGE, HOLD_EXPIRED)
    # A hold nobody can be found for (another deployment's event) is skipped, not an error.
    other = {**body, "event_id": unknown, "stream": unknown}
    await notify.bus.publish("HoldExpired", other, f"{unknown}:9", INVENTORY_EXCHANGE, HOLD_EXPIRED)
    [mail] = await notify.smtp.wait_for(user["email"])
    assert mail["Subject"] == "Your reservation for your event expired"
    await eventually(lambda: _handled(notify, f"{known}#2:9"))
    await eventually(lambda: _handled(notify, f"{unknown}:9"))
    assert await notify.records.for_message(f"{unknown}:9") == []
    dead = await notify.bus.dead_letters(notify.worker.consumer.spec)  # others' may be there
    assert not {m.message_id for m in dead} & {f"{known}#2:9", f"{unknown}:9"}


@pytest.mark.usefixtures("ray_local")
async def test_hold_expiry_from_a_real_actor_reaches_its_customer(
    notify: Notify, tmp_path: Path
) -> None:
    """The whole path: actor timer -> journal -> outbox -> RabbitMQ -> worker -> SMTP."""
    user = await notify.container.user("Ida")
    router = make_router(
        sqlite_url(tmp_path), amqp_url=notify.container.amqp_url, expiry_interval_s=0.1
    )
    notify.container.router = router
    event_id = f"ev{uuid.uuid4().hex[:8]}"
    v = venue({"A": [4]})
    await router.open(event_id, v, terms_for(v, ttl=1))
    await router.execute(event_id, HoldSeats(user["id"], ("A-1-1", "A-1-2")))
    [mail] = await notify.smtp.wait_for(user["email"], timeout=30)
    assert "expired" in mail["Subject"]
    await router.close()


IN_API_PREFIX = f"test-api-{uuid.uuid4().hex[:8]}"
IN_API_SMTP = free_port()


@pytest.fixture
async def in_api_bus() -> AsyncIterator[Publisher]:
    """A publisher that deletes the in-API workers' queues once the API has stopped
    (requested before ``api``, so torn down after it: no consumer re-declares them)."""
    bus = Publisher()
    await bus.open()
    yield bus
    spec = queue_spec(Settings(amqp_queue_prefix=IN_API_PREFIX))
    for worker in ("notifications", "payments"):
        await bus.delete_queues(spec, f"{IN_API_PREFIX}.{worker}")
    await bus.close()


@pytest.mark.parametrize(
    "api",
    [
        {
            "amqp_queue_prefix": IN_API_PREFIX,
            "run_workers": True,
            "smtp_port": IN_API_SMTP,
            "public_base_url": BASE_URL,
        }
    ],
    indirect=True,
)
async def test_the_api_process_runs_the_worker(in_api_bus: Publisher, api: Api) -> None:
    """RUN_WORKERS (the default): the API's lifespan starts the worker and stops it."""
    smtp = SmtpSink(IN_API_SMTP)
    smtp.start()
    try:
        assert any("notifications" in getattr(s, "workers", {}) for s in api.container.services)
        user = await api.register(name="Joe")
        await in_api_bus.publish(ORDER_CONFIRMED, confirmed(user))
        [mail] = await smtp.wait_for(user["email"])
        assert f"{BASE_URL}/web/tickets.html?ticket=" in text_and_html(mail)[0]
    finally:
        smtp.stop()
