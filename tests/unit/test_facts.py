"""The inventory exchange's message format (``actors.facts``) and its consumers' side:
batches grouped by routing key, framed as aio-pika would, decoded back fact by fact,
and handled per fact id so a redelivered or retried batch is harmless."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, get_args

import pytest
from pamqp.header import ContentHeader

from actors import facts
from actors.amqp import routing_key
from contexts.shared.messages import app_message, handle_facts
from engine.events import (
    DomainEvent,
    HoldConfirmed,
    HoldExpired,
    SeatsHeld,
    event_to_dict,
)
from workers.bus import PermanentError


@dataclass
class Incoming:
    """The parts of an incoming message the decoder reads."""

    body: bytes
    content_type: str | None
    type: str | None
    message_id: str | None
    routing_key: str | None


def delivered(message: facts.OutboxMessage, key: str) -> Incoming:
    properties = message.properties
    return Incoming(
        message.body, properties.content_type, properties.message_type, message.message_id, key
    )


def batch() -> list[dict[str, Any]]:
    return [
        event_to_dict(SeatsHeld(7, 1e9, 3, "cus_1", (4, 5), -1, 2, 1e9 + 600, 9000)),
        event_to_dict(HoldConfirmed(8, 1e9, 2, "pi_1")),
        event_to_dict(SeatsHeld(9, 1e9, 4, "cus_2", (6,), -1, 1, 1e9 + 600, 4500)),
        event_to_dict(HoldExpired(10, 1e9, 1)),
    ]


def test_a_batch_is_one_message_per_routing_key_with_its_facts_in_seq_order() -> None:
    made = facts.batch_messages("evt", "evt#2", batch())
    assert [key for _, key in made] == [
        "inventory.hold.created",
        "inventory.hold.confirmed",
        "inventory.hold.expired",
    ]
    assert [m.seqs for m, _ in made] == [(7, 9), (8,), (10,)]
    held = made[0][0]
    assert held.message_id == "evt#2:7..9"
    assert held.properties.content_type == facts.CONTENT_TYPE
    assert held.properties.message_type == "SeatsHeld"
    assert held.properties.delivery_mode == 2 and held.properties.headers is None
    body = json.loads(held.body)
    assert body == {
        "format": 2,
        "event_id": "evt",
        "stream": "evt#2",
        "type": "SeatsHeld",
        "facts": [batch()[0], batch()[2]],
    }


def test_a_huge_group_is_split_in_seq_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(facts, "FACTS_PER_MESSAGE", 2)
    events = [event_to_dict(HoldExpired(seq, 1e9, seq)) for seq in range(1, 6)]
    made = facts.batch_messages("evt", "evt", events)
    assert [m.seqs for m, _ in made] == [(1, 2), (3, 4), (5,)]


def test_the_per_message_path_sends_the_same_properties() -> None:
    # Tracing on publishes aio-pika messages (headers to carry the trace context).
    fields = ("content_type", "delivery_mode", "message_id", "message_type", "app_id")
    for message, _ in facts.batch_messages("evt", "evt#2", batch()):
        reference = message.to_message()
        assert reference.body == message.body
        for field in fields:
            assert getattr(reference.properties, field) == getattr(message.properties, field)
        # The directly framed header is a valid content header frame.
        ContentHeader(properties=message.properties, body_size=len(message.body)).marshal()


def test_decoding_gives_each_fact_its_own_id_and_format_1_body() -> None:
    decoded = [
        fact
        for message, key in facts.batch_messages("evt", "evt#2", batch())
        for fact in facts.decode(delivered(message, key))
    ]
    assert [f.id for f in decoded] == ["evt#2:7", "evt#2:9", "evt#2:8", "evt#2:10"]
    assert [f.kind for f in decoded] == ["SeatsHeld", "SeatsHeld", "HoldConfirmed", "HoldExpired"]
    assert decoded[0].body == {"event_id": "evt", "stream": "evt#2", **batch()[0]}


def test_format_1_and_other_json_messages_are_one_fact() -> None:
    body = {"event_id": "evt", "stream": "evt", "seq": 4, "hold_id": 1, "type": "HoldExpired"}
    message = app_message("HoldExpired", body, "evt:4")
    one = Incoming(message.body, message.content_type, message.type, "evt:4", "x")
    assert facts.decode(one) == [facts.Fact("HoldExpired", body, "evt:4")]
    for bad in (b"nope", b"[1]"):
        with pytest.raises(facts.Malformed):
            facts.decode(Incoming(bad, "application/json", "t", "m", "k"))
    broken = Incoming(b'{"format": 1}', facts.CONTENT_TYPE, "SeatsHeld", "m", "k")
    with pytest.raises(facts.Malformed):
        facts.decode(broken)


def test_every_inventory_fact_has_a_routing_key() -> None:
    # An event type without one stopped the outbox relay of its stream (HoldExtended).
    for event_type in get_args(DomainEvent):
        assert routing_key(event_type.__name__).startswith("inventory.")


class Idempotent:
    """A handler that applies each fact id once, and fails as told (a consumer's view)."""

    def __init__(self) -> None:
        self.applied: list[str] = []
        self.calls = 0
        self.fail: dict[str, Exception] = {}

    async def handle(self, kind: str, body: dict[str, Any], fact_id: str) -> int:
        self.calls += 1
        if fact_id in self.fail:
            raise self.fail.pop(fact_id)
        if fact_id in self.applied:
            return 0
        self.applied.append(fact_id)
        return 1


def held_message() -> Any:
    message, key = facts.batch_messages("evt", "s", batch())[0]
    return delivered(message, key)


def test_a_redelivered_batch_applies_each_fact_once() -> None:
    handler = Idempotent()
    message = held_message()
    asyncio.run(handle_facts(message, handler.handle))
    asyncio.run(handle_facts(message, handler.handle))  # redelivered
    assert handler.applied == ["s:7", "s:9"] and handler.calls == 4


def test_a_transient_failure_retries_the_whole_message_harmlessly() -> None:
    handler = Idempotent()
    handler.fail["s:7"] = ConnectionError("the inventory is away")
    message = held_message()
    with pytest.raises(ConnectionError):  # the consumer retries the message later
        asyncio.run(handle_facts(message, handler.handle))
    assert handler.applied == ["s:9"]  # the others were handled meanwhile
    asyncio.run(handle_facts(message, handler.handle))  # the retry
    assert handler.applied == ["s:9", "s:7"]


def test_a_permanent_failure_dead_letters_after_the_other_facts() -> None:
    handler = Idempotent()
    handler.fail["s:7"] = PermanentError("malformed")
    with pytest.raises(PermanentError):
        asyncio.run(handle_facts(held_message(), handler.handle))
    assert handler.applied == ["s:9"]
    with pytest.raises(PermanentError):
        asyncio.run(handle_facts(Incoming(b"x", None, "t", "m", "k"), handler.handle))
