"""The outbox's directly framed message is byte for byte the aio-pika one."""

from __future__ import annotations

from pamqp.header import ContentHeader

from actors.amqp import event_message, outbox_message
from engine.events import HoldConfirmed, SeatsHeld, event_to_dict


def test_outbox_message_frames_exactly_as_the_aio_pika_message() -> None:
    events = [
        event_to_dict(SeatsHeld(7, 1e9, 3, "cus_1", (4, 5), -1, 2, 1e9 + 600, 9000)),
        event_to_dict(HoldConfirmed(8, 1e9, 3, "pi_1")),
    ]
    for event in events:
        framed = outbox_message("evt", "evt#2", event)
        reference = event_message("evt", "evt#2", event)
        assert framed.body == reference.body
        assert framed.message_id == reference.message_id == f"evt#2:{event['seq']}"
        size = len(reference.body)
        wire = ContentHeader(properties=framed.properties, body_size=size).marshal()
        assert wire == ContentHeader(properties=reference.properties, body_size=size).marshal()
        assert framed.to_message().body == reference.body


def test_every_inventory_fact_has_a_routing_key() -> None:
    # An event type without one stopped the outbox relay of its stream (HoldExtended).
    from typing import get_args

    from actors.amqp import routing_key
    from engine.events import DomainEvent

    for event_type in get_args(DomainEvent):
        assert routing_key(event_type.__name__).startswith("inventory.")
