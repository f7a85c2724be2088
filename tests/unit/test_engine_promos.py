"""Promo codes in the engine: discounts, usage limits (returned on release, expiry
and refund), hidden tiers behind access codes, and counters across replay/restore."""

from __future__ import annotations

import pytest

from engine import (
    AccessCodeRequiredError,
    Area,
    ConfirmHold,
    ExpireHolds,
    HoldArea,
    HoldBestAvailable,
    HoldSeats,
    IdempotencyKeyReusedError,
    InvalidConfigurationError,
    Inventory,
    PriceTier,
    Promo,
    PromoExhaustedError,
    ReleaseHold,
    ReturnSale,
    Row,
    SaleTerms,
    Section,
    Venue,
    restore,
    snapshot,
)
from tests.unit.engine_helpers import inventory

NOW = 1_000.0


def test_percentage_and_fixed_discounts() -> None:
    inv = inventory(areas={"FLOOR": 100}, amount=3333, limit=10)
    held = inv.handle(HoldArea("a", "FLOOR", 3, promo=Promo("P10", percent=10)), NOW)[0]
    assert (held.amount, held.discount, held.promo) == (8999, 1000, "P10")  # 999.9 -> 1000
    held = inv.handle(HoldArea("b", "FLOOR", 2, promo=Promo("F5", amount_off=500)), NOW)[0]
    assert (held.amount, held.discount) == (5666, 1000)
    held = inv.handle(HoldArea("c", "FLOOR", 1, promo=Promo("BIG", amount_off=10**6)), NOW)[0]
    assert (held.amount, held.discount) == (0, 3333)  # never below zero
    plain = inv.handle(HoldArea("d", "FLOOR", 1), NOW)[0]
    assert (plain.amount, plain.discount, plain.promo) == (3333, 0, None)


def test_limit_counts_holds_and_uses_come_back() -> None:
    inv = inventory(areas={"FLOOR": 100}, limit=10, ttl=60)
    code = Promo("TWO", limit=2, percent=50)
    first = inv.handle(HoldArea("a", "FLOOR", 3, promo=code), NOW)[0]
    second = inv.handle(HoldArea("b", "FLOOR", 1, promo=code), NOW)[0]
    with pytest.raises(PromoExhaustedError) as refused:
        inv.handle(HoldArea("c", "FLOOR", 1, promo=code), NOW)
    assert refused.value.limit == 2 and refused.value.code == "promo_exhausted"
    assert inv.handle(HoldArea("c", "FLOOR", 1), NOW)[0].promo is None  # no code: fine
    inv.handle(ReleaseHold(first.hold_id), NOW)
    assert inv.promo_uses == {"TWO": 1}
    third = inv.handle(HoldArea("c", "FLOOR", 1, promo=code), NOW)[0]
    inv.handle(ConfirmHold(third.hold_id, "pi_1"), NOW)
    inv.handle(ExpireHolds(), NOW + 61)  # second expires; the sold third keeps its use
    assert inv.promo_uses == {"TWO": 1}
    inv.handle(ReturnSale(third.hold_id), NOW + 62)
    assert inv.promo_uses == {}
    assert second.hold_id not in inv.holds


def test_counters_survive_replay_and_restore() -> None:
    inv = inventory(areas={"FLOOR": 100}, limit=10)
    log = []
    for customer in "abc":
        log.extend(inv.handle(HoldArea(customer, "FLOOR", 1, promo=Promo("X", limit=3)), NOW)[1])
    restored = restore(snapshot(inv))
    assert restored.promo_uses == {"X": 3}
    with pytest.raises(PromoExhaustedError):
        restored.handle(HoldArea("d", "FLOOR", 1, promo=Promo("X", limit=3)), NOW)
    replayed = Inventory(inv.venue, inv.terms)
    for event in log:
        replayed.apply(event)
    assert replayed.promo_uses == {"X": 3} and snapshot(replayed) == snapshot(inv)


def test_idempotent_replay_and_key_reuse_with_another_code() -> None:
    inv = inventory(areas={"FLOOR": 100}, limit=10)
    cmd = HoldArea("a", "FLOOR", 1, "k", Promo("X", limit=1))
    first = inv.handle(cmd, NOW)[0]
    assert inv.handle(HoldArea("a", "FLOOR", 1, "k", Promo("X", limit=1)), NOW) == (first, ())
    # The organiser changed the code's terms meanwhile: still the same request.
    assert inv.handle(HoldArea("a", "FLOOR", 1, "k", Promo("X", 5, 10)), NOW) == (first, ())
    with pytest.raises(IdempotencyKeyReusedError):
        inv.handle(HoldArea("a", "FLOOR", 1, "k", Promo("Y")), NOW)


def _hidden_venue() -> Inventory:
    venue = Venue((Section("VIP", (Row("1", 10),)),), (Area("FLOOR", 50),))
    terms = SaleTerms(
        "EUR",
        (
            PriceTier("Backstage", 9000, ("VIP",), (), hidden=True),
            PriceTier("GA", 3000, (), ("FLOOR",)),
        ),
    )
    return Inventory(venue, terms)


def test_hidden_tier_needs_an_access_code() -> None:
    inv = _hidden_venue()
    for command in (HoldSeats("a", ("VIP-1-1",)), HoldBestAvailable("a", "VIP", 1)):
        with pytest.raises(AccessCodeRequiredError) as refused:
            inv.handle(command, NOW)
        assert refused.value.tiers == ("Backstage",)
    with pytest.raises(AccessCodeRequiredError):
        inv.handle(HoldSeats("a", ("VIP-1-1",), promo=Promo("OTHER", unlocks=("GA",))), NOW)
    assert inv.handle(HoldArea("a", "FLOOR", 1), NOW)[0].amount == 3000  # open tier
    key = Promo("CREW", unlocks=("Backstage",))
    held = inv.handle(HoldSeats("a", ("VIP-1-1", "VIP-1-2"), promo=key), NOW)[0]
    assert (held.amount, held.promo) == (18000, "CREW")
    assert restore(snapshot(inv)).terms.tiers[0].hidden


@pytest.mark.parametrize(
    "promo",
    [Promo(""), Promo("X", limit=-1), Promo("X", percent=101), Promo("X", amount_off=-5)],
)
def test_malformed_promo_is_refused_unchanged(promo: Promo) -> None:
    inv = inventory(areas={"FLOOR": 10})
    before = snapshot(inv)
    with pytest.raises(InvalidConfigurationError):
        inv.handle(HoldArea("a", "FLOOR", 1, promo=promo), NOW)
    assert snapshot(inv) == before
