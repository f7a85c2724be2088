"""The wire codec of the bus: JSON bodies in persistent AMQP messages, and the error
that dead-letters a message no retry can fix.

The lowest layer that speaks AMQP: the core (``contexts``) reads and writes messages
through it, and ``workers.bus`` (the topology and the consumer loop) imports
``PermanentError`` and the exchange names from here, never the other way round.
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

log = logging.getLogger(__name__)

EVENTS_EXCHANGE = "ticketing.events"  # application messages: payment.*, order.*, ticket.*, ...
INVENTORY_EXCHANGE = "ticketing.inventory"  # the inventory actors' outbox (actors.facts)


class PermanentError(Exception):
    """A message that can never succeed (malformed, unknown reference): dead-letter it."""


class MalformedMessage(PermanentError):
    """A body that does not match its message's contract (a field missing or of the
    wrong type): retrying cannot fix it, so it is dead-lettered."""


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
        raise MalformedMessage(f"not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise MalformedMessage("the body is not a JSON object")
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
        raise MalformedMessage(str(exc)) from exc
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
