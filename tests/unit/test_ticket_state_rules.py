"""The one derivation of a ticket's state, and the texts people read (counts, reasons)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contexts.tickets.csv_export import TierOf, order_rows
from contexts.tickets.states import ticket_state
from engine import HoldArea, HoldBestAvailable, Promo, PromoExhaustedError, SoldOutError
from engine.errors import counted
from tests.unit.engine_helpers import inventory
from workers.notifications.notices import refund_reason, ticket_url

AT = datetime(2030, 6, 1, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "reason", "checked_in", "cancelled", "state"),
    [
        ("confirmed", None, False, False, "valid"),
        ("confirmed", None, True, False, "checked_in"),
        ("refunding", "organiser", False, False, "refunded"),
        ("refunded", "admin", True, False, "refunded"),
        ("refunded", "organiser", False, True, "refunded"),  # refunded before the cancel
        ("confirmed", None, False, True, "cancelled"),  # the refund has not landed yet
        ("confirmed", None, True, True, "cancelled"),
        ("refunded", "event_cancelled", False, True, "cancelled"),
        ("refunding", "event_cancelled", False, False, "cancelled"),  # event not read yet
    ],
)
def test_one_state_per_ticket(
    status: str, reason: str | None, checked_in: bool, cancelled: bool, state: str
) -> None:
    order = {"status": status, "refund": {"reason": reason} if reason else None}
    ticket = {"ticket_id": "x-1", "checked_in_at": AT if checked_in else None}
    assert ticket_state(order, ticket, event_cancelled=cancelled) == state


def test_counts_read_as_words() -> None:
    assert [counted(n, "time") for n in (0, 1, 2)] == ["0 times", "1 time", "2 times"]
    inv = inventory({"A": [1]}, {"FLOOR": 2}, limit=6)
    inv.handle(HoldArea("a", "FLOOR", 1, promo=Promo("ONCE", limit=1)), 0.0)
    with pytest.raises(PromoExhaustedError) as used:
        inv.handle(HoldArea("b", "FLOOR", 1, promo=Promo("ONCE", limit=1)), 0.0)
    assert used.value.detail == "code 'ONCE' was used 1 time"
    with pytest.raises(SoldOutError, match="has 1 place left"):
        inv.handle(HoldArea("b", "FLOOR", 2), 0.0)
    with pytest.raises(SoldOutError, match="has 1 seat left"):
        inv.handle(HoldBestAvailable("b", "A", 2), 0.0)


def test_emails_speak_to_people() -> None:
    assert refund_reason("admin") == "refunded by our support team"
    assert refund_reason("event_cancelled") == "the event was cancelled"
    assert refund_reason("some_new_code") == ""  # never a bare code
    assert (
        ticket_url("https://t.example", "abc-1")
        == "https://t.example/web/tickets.html?ticket=abc-1"
    )


def test_the_csv_export_lists_the_same_state() -> None:
    event = {"prices": [{"name": "Cat 1", "amount": 5000, "sections": ["A"], "areas": []}]}
    order = {
        "_id": "o1", "user_id": "u1", "status": "confirmed", "created_at": AT,
        "tickets": [{"ticket_id": "o1-1", "seat": "A-1-1", "checked_in_at": None}],
    }  # fmt: skip

    def status(cancelled: bool) -> str:
        return order_rows(order, TierOf(event), "EUR", cancelled).split(",")[2]

    assert (status(False), status(True)) == ("valid", "cancelled")
