"""ExtendHold: a hold whose payment is in flight outlives its TTL, by a bounded amount."""

from __future__ import annotations

import pytest

from engine import (
    ConfirmHold,
    ExpireHolds,
    ExtendHold,
    HoldExpiredError,
    HoldExtended,
    HoldNotFoundError,
    HoldSeats,
    InvalidQuantityError,
    Inventory,
    restore,
    snapshot,
)
from tests.unit.engine_helpers import terms_for, venue

TTL = 600.0


def _held() -> tuple[Inventory, int]:
    inv = Inventory(venue({"A": [4]}), terms_for(venue({"A": [4]}), ttl=TTL))
    held, _ = inv.handle(HoldSeats("ann", ("A-1-1",)), 0.0)
    return inv, held.hold_id  # type: ignore[union-attr]


def test_an_extended_hold_survives_its_first_deadline_then_expires() -> None:
    inv, hold_id = _held()
    answer, events = inv.handle(ExtendHold(hold_id, 300, "ann"), 500.0)
    assert isinstance(answer, HoldExtended) and answer.expires_at == 800.0 and events
    assert inv.handle(ExpireHolds(), 700.0)[1] == ()  # past TTL, within the extension
    assert inv.handle(ConfirmHold(hold_id, "pi_1", "ann"), 750.0)[1]  # the payment decides
    assert inv.sold == 1 and inv.held == 0


def test_an_unpaid_extended_hold_still_expires_at_its_new_deadline() -> None:
    inv, hold_id = _held()
    inv.handle(ExtendHold(hold_id, 300), 500.0)
    [expired] = inv.handle(ExpireHolds(), 800.0)[1]
    assert expired.hold_id == hold_id and inv.available == 4


def test_asking_again_never_extends_past_ttl_plus_the_extension() -> None:
    inv, hold_id = _held()
    for now in (100.0, 400.0, 599.0, 850.0):
        inv.handle(ExtendHold(hold_id, 300), now)
    assert inv.holds[hold_id].expires_at == TTL + 300  # not 850 + 300
    again, events = inv.handle(ExtendHold(hold_id, 300), 890.0)
    assert events == () and again.expires_at == TTL + 300  # type: ignore[union-attr]
    assert snapshot(restore(snapshot(inv))) == snapshot(inv)


def test_refused_extensions_change_nothing() -> None:
    inv, hold_id = _held()
    before = snapshot(inv)
    with pytest.raises(InvalidQuantityError):
        inv.handle(ExtendHold(hold_id, 0), 1.0)
    with pytest.raises(HoldNotFoundError):
        inv.handle(ExtendHold(hold_id, 60, "bob"), 1.0)  # not bob's hold
    with pytest.raises(HoldExpiredError):
        inv.handle(ExtendHold(hold_id, 60), TTL)  # too late: it expired
    assert snapshot(inv) == before
    inv.handle(ConfirmHold(hold_id, "pi_1"), 10.0)
    sold, events = inv.handle(ExtendHold(hold_id, 60), 20.0)  # sold: nothing to keep
    assert events == () and sold.expires_at == TTL  # type: ignore[union-attr]
