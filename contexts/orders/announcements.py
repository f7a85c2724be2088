"""Announcing an order's outcome: ``order.confirmed``, ``order.failed``, ``order.refunded``.

The message id is fixed per outcome (``<order id>:<status>``), and the order records
the outcome as announced only after RabbitMQ confirmed the publish. So a crash in
between publishes it again on the next attempt (never loses it), and consumers drop
the duplicate by its id.

Settlement announces a confirmation or a failure *before* the write that records
it (``publish_outcome`` on the outcome in hand, then one conditional update that sets
the status and ``announced`` together): one write per state change instead of two.
That is safe because the outcome is already decided when it is published (the actor
journaled the confirmation, or Stripe declined): a crash before the write settles the
same way again and re-publishes the same message id, which consumers drop.
"""

from __future__ import annotations

from typing import Any

from contexts.orders.store import OrdersStore
from contexts.shared.messages import (
    ORDER_CONFIRMED,
    ORDER_FAILED,
    ORDER_REFUNDED,
    Message,
    OrderConfirmed,
    OrderFailed,
    OrderRefunded,
    TicketLine,
)
from contexts.shared.publisher import MessagePublisher, send

ANNOUNCE = {"confirmed": ORDER_CONFIRMED, "failed": ORDER_FAILED, "refunded": ORDER_REFUNDED}


async def announce(orders: OrdersStore, publisher: MessagePublisher, order: dict[str, Any]) -> None:
    """Publish the order's outcome if it is final and not yet announced."""
    status = order["status"]
    kind = ANNOUNCE.get(status)
    if kind is None or kind in order.get("announced", ()):
        return
    await publish_outcome(publisher, order)
    await orders.mark_announced(order["_id"], kind)


async def publish_outcome(publisher: MessagePublisher, order: dict[str, Any]) -> str:
    """Publish ``order``'s (final) outcome, recorded or not yet; the message kind."""
    status = order["status"]
    kind = ANNOUNCE[status]
    await send(publisher, outcome(kind, order), f"{order['_id']}:{status}")
    return kind


def outcome(kind: str, order: dict[str, Any]) -> Message:
    """The ``order.*`` message of ``kind`` for ``order``."""
    base = {"order_id": str(order["_id"]), "user_id": order["user_id"]}
    base["event_id"] = order["event_id"]
    if kind == ORDER_FAILED:
        return OrderFailed(**base, reason=order.get("failure_reason") or "payment_failed")
    money = {"amount": order["amount"], "currency": order["currency"]}
    if kind == ORDER_REFUNDED:
        reason = (order.get("refund") or {}).get("reason", "refund")
        return OrderRefunded(**base, **money, reason=reason)
    tickets = tuple(
        TicketLine(t.get("ticket_id"), t.get("seat"), t.get("area"), t.get("qr"))
        for t in order["tickets"]
    )
    return OrderConfirmed(**base, event_title=order.get("event_title"), **money, tickets=tickets)
