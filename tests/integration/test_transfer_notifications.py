"""``ticket.transferred`` through the real notifications worker (RabbitMQ, MongoDB,
SMTP): the sender and the recipient each get their email."""

from __future__ import annotations

from contexts.shared.messages import TICKET_TRANSFERRED
from tests.integration.test_notifications import BASE_URL, Notify, notify

__all__ = ["notify"]


async def test_a_transfer_emails_the_sender_and_the_recipient(notify: Notify) -> None:
    sender, recipient = await notify.container.user("Ann"), await notify.container.user("Bo")
    body = {
        "ticket_id": "6a1f0c0ffee0000000000abc-1",
        "event_id": "ev1",
        "event_title": "Night Concert",
        "from": sender["id"],
        "to": recipient["id"],
        "to_email": recipient["email"],
        "version": 1,
        "at": "2026-12-02T05:00:00+00:00",
    }
    await notify.bus.publish(TICKET_TRANSFERRED, body)
    [out] = await notify.smtp.wait_for(sender["email"])
    [into] = await notify.smtp.wait_for(recipient["email"])
    assert out["Subject"] == "Your ticket for Night Concert was transferred"
    assert recipient["email"] in out.get_body(preferencelist=("plain",)).get_content()
    assert into["Subject"] == "A ticket for Night Concert is yours"
    link = f"{BASE_URL}/web/tickets.html?ticket={body['ticket_id']}"
    assert link in into.get_body(preferencelist=("plain",)).get_content()
