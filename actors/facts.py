"""The inventory exchange's message format: what the outbox relay publishes, and the
one decoder every consumer of the exchange uses.

Format 2 (current): one message per journal batch and routing key. A relay publishes
its entries (DESIGN.md), an entry being one committed batch: the batch's facts are
grouped by routing key (one per fact type), each group is one message carrying its
facts in seq order (at most ``FACTS_PER_MESSAGE``; a larger group is split in seq
order). The grouping depends only on the batch, so a resend (after a failure, from
the journal after a restart or an overflow) carries the same facts in the same
messages.

- routing key: the facts' own, unchanged (``inventory.hold.created``, ...): a
  consumer still receives exactly the fact types it binds;
- ``content_type``: ``CONTENT_TYPE`` (names the format and its version);
  ``type``: the facts' type (``SeatsHeld``, ...); persistent; ``app_id``
  ``ticketing.outbox``; ``message_id``: ``<stream>:<first seq>..<last seq>``;
  headers: none (the trace context when tracing is on);
- body: JSON ``{"format": 2, "event_id", "stream", "type", "facts": [...]}``, each
  fact the journaled event (with its ``seq``).

Each fact keeps its own dedup key, ``<stream>:<seq>`` (``fact_id``), the v1 message
id: consumers handle and dedup every fact by it, so a redelivered or retried batch,
or one cut differently, is harmless.

Format 1 (one fact per message, ``application/json``, ``message_id``
``<stream>:<seq>``, body the event plus ``event_id`` and ``stream``) is still
decoded: messages queued before an upgrade are handled the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import aio_pika
from aiormq import spec

from actors.amqp import routing_key
from actors.journal.base import EncodedEvent

FORMAT = 2
CONTENT_TYPE = "application/vnd.ticketing.facts+json; format=2"
APP_ID = "ticketing.outbox"
FACTS_PER_MESSAGE = 1000  # bounds a message (~200 kB) when a batch is one huge group


def fact_id(stream: str, seq: int) -> str:
    """The dedup key of one journaled fact: unique per inventory stream and seq."""
    return f"{stream}:{seq}"


@dataclass(slots=True)
class OutboxMessage:
    """One message as body and wire properties, without building an ``aio_pika.Message``
    (its constructor and property conversion were half of the relay's CPU per message).
    The batched publisher frames it directly; ``to_message`` gives the aio-pika message
    the per-message path (tracing on) publishes, with a headers table to carry the
    trace context."""

    body: bytes
    properties: spec.Basic.Properties
    seqs: tuple[int, ...]  # the facts it carries, for spans and logs

    @property
    def message_id(self) -> str:
        return str(self.properties.message_id)

    def to_message(self) -> aio_pika.Message:
        p = self.properties
        return aio_pika.Message(
            body=self.body,
            content_type=p.content_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=p.message_id,
            type=p.message_type,
            app_id=p.app_id,
            headers={},
        )


def batch_messages(
    event_id: str, stream: str, batch: Sequence[EncodedEvent]
) -> list[tuple[OutboxMessage, str]]:
    """The (message, routing key) pairs of one journal batch, in the order their types
    first appear in it (per routing key, that is seq order)."""
    groups: dict[str, list[EncodedEvent]] = {}
    for event in batch:
        groups.setdefault(event["type"], []).append(event)
    made = []
    for kind, facts in groups.items():
        key = routing_key(kind)  # ValueError for an unknown type: the relay retries
        for start in range(0, len(facts), FACTS_PER_MESSAGE):
            part = facts[start : start + FACTS_PER_MESSAGE]
            made.append((_message(event_id, stream, kind, part), key))
    return made


def _message(event_id: str, stream: str, kind: str, facts: list[EncodedEvent]) -> OutboxMessage:
    first, last = facts[0]["seq"], facts[-1]["seq"]
    body = {"format": FORMAT, "event_id": event_id, "stream": stream, "type": kind, "facts": facts}
    properties = spec.Basic.Properties(
        content_type=CONTENT_TYPE,
        delivery_mode=2,  # persistent
        message_id=f"{stream}:{first}..{last}",
        message_type=kind,
        app_id=APP_ID,
    )
    encoded = json.dumps(body, separators=(",", ":")).encode()
    return OutboxMessage(encoded, properties, tuple(f["seq"] for f in facts))


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact of a message: its type, its body as format 1 carried it (the journaled
    event plus ``event_id`` and ``stream``) and its dedup key."""

    kind: str
    body: dict[str, Any]
    id: str


class Malformed(ValueError):
    """A message no retry can decode (consumers dead-letter it)."""


class Incoming(Protocol):
    """What the decoder reads of a message (aio-pika's incoming message has it)."""

    body: bytes
    content_type: str | None
    type: str | None
    message_id: str | None
    routing_key: str | None


def decode(message: Incoming) -> list[Fact]:
    """The facts of a message of either format, in seq order; ``Malformed`` if none can
    be read from it."""
    try:
        body = json.loads(message.body)
    except ValueError as exc:
        raise Malformed(f"not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise Malformed("the body is not a JSON object")
    if message.content_type != CONTENT_TYPE:
        return [_single(message, body)]
    if body.get("format") != FORMAT or not isinstance(body.get("facts"), list):
        raise Malformed(f"not a format {FORMAT} facts message: {str(body)[:200]}")
    event_id, stream, kind = body.get("event_id"), body.get("stream"), body.get("type")
    facts = []
    for event in body["facts"]:
        if not isinstance(event, dict) or not isinstance(event.get("seq"), int):
            raise Malformed(f"a fact without a seq in {message.message_id}")
        fact = {"event_id": event_id, "stream": stream, **event}
        kind_of = str(event.get("type") or kind)
        facts.append(Fact(kind_of, fact, fact_id(str(stream), event["seq"])))
    return facts


def _single(message: Incoming, body: dict[str, Any]) -> Fact:
    """A format 1 message (or any other JSON object): one fact. ``type`` first: a retried
    message comes back with the queue's name as routing key."""
    kind = message.type or message.routing_key or ""
    # Publishers always set message_id; a stable fallback keeps the dedup if one did not.
    found = message.message_id or hashlib.sha256(message.body).hexdigest()[:32]
    return Fact(kind, body, found)
