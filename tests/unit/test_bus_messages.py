"""The contract of the ``ticketing.events`` exchange (``contexts.shared.messages``).

Every message survives a round trip through its JSON body; the bodies are byte for
byte what the publishers wrote before the contract was typed (messages queued at an
upgrade are still read); every routing key published or consumed has a dataclass;
a body that does not match is a permanent error (dead-lettered, never retried).
"""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from contexts.orders.announcements import outcome
from contexts.shared import messages as m
from contexts.shared.messages import MESSAGES, MalformedMessage, PermanentError, app_message
from contexts.tickets.check_in_notice import checked_in
from contexts.tickets.schemas import CheckInPublic
from workers.bus import EVENTS_EXCHANGE
from workers.bus import PermanentError as WorkersPermanentError

ROOT = Path(__file__).resolve().parents[2]
ORDER = "6a1f0c0ffee0000000000abc"
TICKET = {"ticket_id": f"{ORDER}-1", "seat": "A-1-1", "area": None, "qr": "QR.p.s"}

# One body per message, as its publisher wrote it before the contract was typed (keys
# in the publisher's order): the wire format the dataclasses must keep.
WIRE: dict[str, dict[str, Any]] = {
    "payment.requested": {
        "order_id": ORDER, "reservation_id": "ev1#0:7", "user_id": "u1", "event_id": "ev1",
        "amount": 5000, "payment_method": "pm_card_visa", "currency": "EUR",
    },
    "order.confirmed": {
        "order_id": ORDER, "user_id": "u1", "event_id": "ev1", "event_title": "Gala",
        "amount": 5000, "currency": "EUR", "tickets": [TICKET],
    },
    "order.failed": {"order_id": ORDER, "user_id": "u1", "event_id": "ev1", "reason": "declined"},
    "order.refunded": {
        "order_id": ORDER, "user_id": "u1", "event_id": "ev1", "amount": 5000,
        "currency": "EUR", "reason": "organiser",
    },
    "event.cancelled": {"event_id": "ev1", "event_title": "Gala"},
    "ticket.checked_in": {
        "ticket_id": f"{ORDER}-1", "order_id": ORDER, "event_id": "ev1", "seat": None,
        "area": "FLOOR", "checked_in_at": "2026-12-02T05:00:00+00:00",
    },
    "ticket.transferred": {
        "ticket_id": f"{ORDER}-1", "from": "u1", "to": "u2", "at": "2026-12-02T05:00:00+00:00",
        "event_id": "ev1", "event_title": "Gala", "to_email": "bo@example.com", "version": 2,
    },
    "waitlist.offered": {
        "entry_id": "e1", "user_id": "u1", "event_id": "ev1", "reservation_id": "ev1#0:9",
        "seats": ["A-1-2"], "area": None, "quantity": 1, "expires_at": "2026-12-08 20:00:00+00:00",
    },
}  # fmt: skip


def test_every_message_has_a_wire_sample_and_a_kind_matching_its_key() -> None:
    assert set(WIRE) == set(MESSAGES)
    assert all(kind == cls.KIND and cls.VERSION == 1 for kind, cls in MESSAGES.items())


@pytest.mark.parametrize("kind", sorted(WIRE))
def test_round_trip_keeps_the_bytes(kind: str) -> None:
    body = WIRE[kind]
    message = m.from_body(kind, body)
    assert type(message) is MESSAGES[kind]
    assert m.from_body(kind, message.to_body()) == message
    # The same JSON, key for key, as the publishers always sent.
    assert app_message(kind, message.to_body(), "id").body == app_message(kind, body, "id").body


def test_extra_keys_are_ignored_and_optional_fields_stay_off_the_wire() -> None:
    failed = m.from_body("order.failed", {**WIRE["order.failed"], "event_title": "Gala", "x": 1})
    assert isinstance(failed, m.OrderFailed) and failed.event_title == "Gala"
    assert "x" not in failed.to_body()
    assert "event_title" not in m.OrderFailed.from_body(WIRE["order.failed"]).to_body()


def _order(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "_id": ORDER, "user_id": "u1", "event_id": "ev1", "event_title": "Gala", "amount": 5000,
        "currency": "EUR", "status": status, "tickets": [{**TICKET, "holder": "u1"}], **extra,
    }  # fmt: skip


def test_the_publishers_build_the_wire_bodies() -> None:
    assert outcome("order.confirmed", _order("confirmed")).to_body() == WIRE["order.confirmed"]
    failed = _order("failed", failure_reason="declined")
    assert outcome("order.failed", failed).to_body() == WIRE["order.failed"]
    refunded = _order("refunded", refund={"reason": "organiser"})
    assert outcome("order.refunded", refunded).to_body() == WIRE["order.refunded"]
    at = datetime(2026, 12, 2, 5, tzinfo=UTC)
    scan = CheckInPublic(ticket_id=f"{ORDER}-1", event_id="ev1", area="FLOOR", checked_in_at=at)
    assert checked_in(scan).to_body() == WIRE["ticket.checked_in"]
    # A waiting-list offer's expiry is the database's datetime, written as str() writes it.
    expires = str(datetime(2026, 12, 8, 20, tzinfo=UTC))
    assert expires == WIRE["waitlist.offered"]["expires_at"]


def _calls(package: str) -> list[tuple[Path, ast.Call]]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                found.append((path, node))
    return found


def test_application_messages_are_published_only_as_message_objects() -> None:
    """A ``publish(kind, body, message_id)`` outside the publisher would put a body on
    the wire that no dataclass checked: every publisher goes through ``send``."""
    raw = [
        f"{path.relative_to(ROOT)}:{call.lineno}"
        for package in ("contexts", "workers", "api")
        for path, call in _calls(package)
        if isinstance(call.func, ast.Attribute)
        and call.func.attr == "publish"
        and len(call.args) == 3
        and path != ROOT / "contexts/shared/publisher.py"
    ]
    assert raw == []
    sent = [c for p in ("contexts", "workers") for _, c in _calls(p)]
    sent = [c for c in sent if isinstance(c.func, ast.Name) and c.func.id == "send"]
    assert len(sent) >= 6  # payments, announcements, cancellation, check-in, transfers, offers


def test_every_consumed_routing_key_has_a_dataclass() -> None:
    from workers.notifications.worker import queue_spec as notifications
    from workers.payments.worker import queue_spec as payments
    from workers.webhooks.worker import queue_spec as webhooks

    settings = SimpleNamespace()
    keys = {
        key
        for spec in (notifications(settings), payments(settings), webhooks(settings))
        for exchange, key in spec.bindings
        if exchange == EVENTS_EXCHANGE
    }
    assert keys and keys <= set(MESSAGES)


BAD = [
    ("order.confirmed", {k: v for k, v in WIRE["order.confirmed"].items() if k != "user_id"}),
    ("order.confirmed", {**WIRE["order.confirmed"], "amount": "5000"}),
    ("order.confirmed", {**WIRE["order.confirmed"], "amount": True}),
    ("order.confirmed", {**WIRE["order.confirmed"], "tickets": [{"ticket_id": "t"}]}),
    ("order.confirmed", {**WIRE["order.confirmed"], "tickets": "t1"}),
    ("payment.requested", {**WIRE["payment.requested"], "order_id": ""}),
    ("ticket.transferred", {**WIRE["ticket.transferred"], "to": None}),
    ("waitlist.offered", {**WIRE["waitlist.offered"], "seats": [1]}),
    ("event.cancelled", ["ev1"]),
    ("order.shipped", WIRE["order.failed"]),
]


@pytest.mark.parametrize(("kind", "body"), BAD)
def test_a_malformed_body_is_a_permanent_error(kind: str, body: Any) -> None:
    with pytest.raises(MalformedMessage, match=r"malformed|no message") as caught:
        m.from_body(kind, body)
    # What the consumer loop dead-letters (workers.bus re-imports the same class).
    assert isinstance(caught.value, PermanentError) and WorkersPermanentError is PermanentError


def test_read_dead_letters_what_is_not_json() -> None:
    def incoming(body: bytes, kind: str) -> Any:
        return SimpleNamespace(body=body, type=kind, routing_key=kind, message_id="m1")

    message, message_id = m.read(
        incoming(json.dumps(WIRE["event.cancelled"]).encode(), "event.cancelled")
    )
    assert message == m.EventCancelled("ev1", "Gala") and message_id == "m1"
    with pytest.raises(PermanentError, match="not JSON"):
        m.read(incoming(b"{", "event.cancelled"))
