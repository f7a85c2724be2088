"""The application events on the ``ticketing.events`` exchange: names and bodies.

One place for the contract between the API, the payments worker and the
notifications worker. Every message is JSON, persistent, with ``type`` set to its
routing key (handlers dispatch on ``type``: a retried message comes back through
the default exchange with the queue's name as routing key) and ``message_id`` set
to a key that is the same for every redelivery of the same fact.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from actors import facts
from workers.bus import PermanentError

log = logging.getLogger(__name__)

PAYMENT_REQUESTED = "payment.requested"
# body: {order_id, reservation_id, user_id, event_id, payment_method, amount, currency}
ORDER_CONFIRMED = "order.confirmed"
# body: {order_id, user_id, event_id, event_title, amount, currency,
#        tickets: [{ticket_id, seat (or null), area (or null), qr}]}
ORDER_FAILED = "order.failed"
# body: {order_id, user_id, event_id, reason}  (declined card, hold gone, ...)
ORDER_REFUNDED = "order.refunded"
# body: {order_id, user_id, event_id, amount, currency, reason}
EVENT_CANCELLED = "event.cancelled"
# body: {event_id, event_title}
TICKET_CHECKED_IN = "ticket.checked_in"
# body: {ticket_id, order_id, event_id, user_id, seat (or null), area (or null), checked_in_at}
WAITLIST_OFFERED = "waitlist.offered"
# body: {entry_id, user_id, event_id, reservation_id, seats, area, quantity, expires_at}
TICKET_TRANSFERRED = "ticket.transferred"
# body: {ticket_id, event_id, event_title, from, to, to_email, version, at}  (user ids)
HOLD_EXPIRED = "inventory.hold.expired"
# on the inventory exchange (the actors' outbox): the journaled HoldExpired event,
# {event_id, stream, seq, hold_id, at}; the customer is read from the inventory.
# The outbox sends several facts per message (actors.facts, format 2): consumers of
# the inventory exchange go through ``handle_facts``.


def app_message(kind: str, body: dict[str, Any], message_id: str | None = None) -> aio_pika.Message:
    """A persistent JSON message of ``kind``; ``message_id`` defaults to a fresh id."""
    return aio_pika.Message(
        body=json.dumps(body, separators=(",", ":"), default=str).encode(),
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message_id or uuid.uuid4().hex,
        type=kind,
        app_id="ticketing",
    )


def decode(message: AbstractIncomingMessage) -> tuple[str, dict[str, Any], str]:
    """(kind, body, message id) of a message; ``PermanentError`` if the body is not a
    JSON object (retrying cannot fix it: it is dead-lettered)."""
    try:
        body = json.loads(message.body)
    except ValueError as exc:
        raise PermanentError(f"not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise PermanentError("the body is not a JSON object")
    # ``type`` first: a retried message comes back with the queue's name as routing key.
    kind = message.type or message.routing_key or ""
    # Publishers always set message_id; a stable fallback keeps the dedup if one did not.
    message_id = message.message_id or hashlib.sha256(message.body).hexdigest()[:32]
    return kind, body, message_id


FactHandler = Callable[[str, dict[str, Any], str], Awaitable[object]]


async def handle_facts(message: AbstractIncomingMessage, handle: FactHandler) -> None:
    """Hand every fact of a message to ``handle(kind, body, fact id)``, in seq order.

    For the inventory exchange, whose messages carry several facts (``actors.facts``);
    any other message is one fact, as ``decode`` reads it. The message has one
    outcome: a fact failing for a reason a retry may fix fails the whole message, which
    is retried whole. That is safe because every handler is idempotent per fact id
    (the waiting list remembers the ids it acted on, notifications key each delivery
    by it): the facts already handled are skipped or redone harmlessly. A fact that can
    never succeed (``PermanentError``) does not keep the others from being handled
    first; then the message is dead-lettered (retried first if another fact failed
    transiently).
    """
    try:
        found = facts.decode(message)
    except facts.Malformed as exc:
        raise PermanentError(str(exc)) from exc
    transient: Exception | None = None
    final: PermanentError | None = None
    for fact in found:
        try:
            await handle(fact.kind, fact.body, fact.id)
        except PermanentError as exc:
            log.warning("fact not handled", extra={"id": fact.id, "error": repr(exc)})
            final = final or exc
        except Exception as exc:
            transient = transient or exc
    if transient is not None:
        raise transient
    if final is not None:
        raise final
