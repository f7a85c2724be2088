"""Everyone who holds a ticket is told when it becomes void, through the real
notifications worker (RabbitMQ, MongoDB, SMTP): a cancelled event tells each buyer and
each holder of a transferred ticket; a refunded order tells its buyer (in words, not a
reason code) and the holders of tickets transferred out of it."""

from __future__ import annotations

import uuid
from typing import Any

from bson import ObjectId

from contexts.shared.messages import EVENT_CANCELLED, ORDER_REFUNDED
from tests.integration.notify_support import eventually
from tests.integration.test_notifications import BASE_URL, Notify, notify, text_and_html

__all__ = ["notify"]


def order(user: dict[str, str], event_id: str, *tickets: dict[str, Any], **extra: Any) -> dict:
    return {
        "_id": ObjectId(),
        "event_id": event_id,
        "user_id": user["id"],
        "status": "confirmed",
        "tickets": list(tickets),
        **extra,
    }


def ticket(seat: str, owner: dict[str, str] | None = None) -> dict[str, Any]:
    line: dict[str, Any] = {"ticket_id": f"t{uuid.uuid4().hex[:10]}", "seat": seat, "area": None}
    if owner is not None:
        line["owner_id"] = owner["id"]  # transferred to them
    return line


async def test_a_cancelled_event_tells_the_holders_of_transferred_tickets(notify: Notify) -> None:
    ann, bo, cy, dee = [await notify.container.user(n) for n in ("Ann", "Bo", "Cy", "Dee")]
    event_id = f"ev{uuid.uuid4().hex[:8]}"
    kept, given = ticket("A-1-1"), ticket("A-1-2", owner=bo)
    refunded_before = {"status": "refunded", "refund": {"reason": "organiser"}}
    refunded_for_it = {"status": "refunded", "refund": {"reason": "event_cancelled"}}
    await notify.container.db("orders")["orders"].insert_many(
        [
            order(ann, event_id, kept, given),
            order(cy, event_id, ticket("A-2-1"), **refunded_before),  # told back then
            order(dee, event_id, ticket("A-2-2"), **refunded_for_it),  # the refund won the race
        ]
    )
    message_id = await notify.bus.publish(
        EVENT_CANCELLED, {"event_id": event_id, "event_title": "Gala"}
    )
    [to_bo] = await notify.smtp.wait_for(bo["email"])
    text, html = text_and_html(to_bo)
    assert to_bo["Subject"] == "Gala is cancelled"
    assert "A-1-2" in text and "A-1-1" not in text and "void" in text
    link = f"{BASE_URL}/web/tickets.html?ticket={given['ticket_id']}"
    assert link in text and f'href="{link}"' in html
    assert "refund goes to the person who bought" in text
    for buyer in (ann, dee):
        [mail] = await notify.smtp.wait_for(buyer["email"])
        assert "Your order will be refunded" in text_and_html(mail)[0]

    async def all_sent() -> list[dict[str, Any]]:
        records = await notify.records.for_message(message_id)
        return records if len(records) == 3 else []

    records = await eventually(all_sent)
    assert sorted((r["user_id"], r["template"]) for r in records) == sorted(
        [(ann["id"], "event_cancelled"), (dee["id"], "event_cancelled"),
         (bo["id"], "event_cancelled_holder")]
    )  # fmt: skip
    assert notify.smtp.to(cy["email"]) == []


async def test_a_refund_says_why_in_words_and_tells_the_transferee(notify: Notify) -> None:
    ann, bo = await notify.container.user("Ann"), await notify.container.user("Bo")
    event_id = f"ev{uuid.uuid4().hex[:8]}"
    given = ticket("A-1-2", owner=bo)
    doc = order(ann, event_id, ticket("A-1-1"), given, status="refunded")
    await notify.container.db("orders")["orders"].insert_one(doc)
    body = {
        "order_id": str(doc["_id"]), "user_id": ann["id"], "event_id": event_id,
        "event_title": "Gala", "amount": 10000, "currency": "EUR", "reason": "admin",
    }  # fmt: skip
    await notify.bus.publish(ORDER_REFUNDED, body)
    [to_ann] = await notify.smtp.wait_for(ann["email"])
    text, html = text_and_html(to_ann)
    assert "(admin)" not in text and "(admin)" not in html
    assert "100.00 EUR (refunded by our support team)" in text
    [to_bo] = await notify.smtp.wait_for(bo["email"])
    assert to_bo["Subject"] == "Your ticket for Gala is no longer valid"
    text = text_and_html(to_bo)[0]
    assert "A-1-2" in text and "A-1-1" not in text and "support team" in text

    # The refunds of a cancelled event: the buyer is emailed; the holder was already told.
    again = order(ann, event_id, ticket("A-3-1", owner=bo), status="refunded")
    await notify.container.db("orders")["orders"].insert_one(again)
    cancelled = {**body, "order_id": str(again["_id"]), "reason": "event_cancelled"}
    message_id = await notify.bus.publish(ORDER_REFUNDED, cancelled)

    async def handled() -> bool:  # acknowledged: every notice of it was sent
        return message_id in notify.worker.consumer._seen

    await eventually(handled)
    records = await notify.records.for_message(message_id)
    assert [(r["user_id"], r["template"]) for r in records] == [(ann["id"], "order_refunded")]
