"""Snapshots, event encoding, replay order and venue/terms validation."""

from __future__ import annotations

import json
import pickle

import pytest

from engine import (
    ConfirmHold,
    HoldArea,
    HoldSeats,
    InvalidConfigurationError,
    Inventory,
    PriceTier,
    SaleTerms,
    SequenceGapError,
    event_from_dict,
    event_to_dict,
    restore,
    snapshot,
)
from engine.views import availability, hold_view, seat_states
from tests.unit.engine_helpers import inventory, terms_for, venue

NOW = 50.0


def sold_some() -> Inventory:
    inv = inventory({"A": [3, 3], "B-2": [2]}, {"FLOOR": 10})
    held = inv.handle(HoldSeats("ann", ("A-1-1", "A-1-2"), "k1"), NOW)[0]
    inv.handle(ConfirmHold(held.hold_id, "pi_1"), NOW)
    inv.handle(HoldArea("bob", "FLOOR", 3), NOW)
    inv.handle(HoldSeats("bob", ("B-2-1-2",)), NOW)
    return inv


def test_restore_round_trips_and_keeps_working() -> None:
    inv = sold_some()
    copy = restore(snapshot(inv))
    assert snapshot(copy) == snapshot(inv)
    # The copy keeps deciding exactly like the original.
    for target in (inv, copy):
        target.handle(HoldSeats("cid", ("A-2-1",), "k2"), NOW + 1)
        target.handle(HoldSeats("ann", ("A-1-1", "A-1-2"), "k1"), NOW + 2)  # replayed by key
    assert snapshot(copy) == snapshot(inv)


def test_snapshot_survives_pickle_and_events_survive_json() -> None:
    inv = sold_some()
    assert snapshot(restore(pickle.loads(pickle.dumps(snapshot(inv))))) == snapshot(inv)
    log = []
    again = inventory({"A": [3, 3], "B-2": [2]}, {"FLOOR": 10})
    for command in (HoldSeats("ann", ("A-1-1",), "k"), HoldArea("bob", "FLOOR", 2)):
        log.extend(again.handle(command, NOW)[1])
    decoded = [event_from_dict(json.loads(json.dumps(event_to_dict(e)))) for e in log]
    assert decoded == log
    replayed = Inventory(again.venue, again.terms)
    for event in decoded:
        replayed.apply(event)
    assert snapshot(replayed) == snapshot(again)


def test_apply_refuses_gaps_and_repeats() -> None:
    inv = inventory()
    events = [inv.handle(HoldSeats("ann", (seat,)), NOW)[1][0] for seat in ("A-1-1", "A-1-2")]
    fresh = Inventory(inv.venue, inv.terms)
    with pytest.raises(SequenceGapError):
        fresh.apply(events[1])
    fresh.apply(events[0])
    with pytest.raises(SequenceGapError):
        fresh.apply(events[0])


def test_corrupt_snapshot_is_refused() -> None:
    data = snapshot(sold_some())
    data["states"] = bytes(len(data["states"]))  # every seat free, but holds say otherwise
    with pytest.raises(InvalidConfigurationError):
        restore(data)
    with pytest.raises(InvalidConfigurationError):
        restore({**snapshot(sold_some()), "format": 99})


def test_views() -> None:
    inv = sold_some()
    view = availability(inv)
    assert view["sections"]["A"] == {"capacity": 6, "available": 4, "held": 0, "sold": 2}
    assert view["areas"]["FLOOR"]["held"] == 3
    assert (view["capacity"], view["held"], view["sold"]) == (18, 4, 2)
    rows = seat_states(inv)["sections"]
    assert rows[0]["rows"][0] == {"label": "1", "states": "SSA"}
    assert rows[1]["rows"][0] == {"label": "1", "states": "AH"}
    shown = hold_view(inv, inv.holds[1])
    assert shown["seats"] == ["A-1-1", "A-1-2"] and shown["status"] == "sold"
    assert shown["amount"] == 2000 and shown["currency"] == "EUR"


@pytest.mark.parametrize(
    "change",
    [
        {"currency": "eur"},
        {"max_per_customer": 0},
        {"hold_ttl_seconds": 0},
        {"tiers": ()},
        {"tiers": (PriceTier("x", -1, ("A",)),)},
        {"tiers": (PriceTier("x", 1, ("A", "A")),)},
        {"tiers": (PriceTier("x", 1, ("A", "Q")),)},
    ],
)
def test_bad_terms_are_refused(change: dict) -> None:
    v = venue({"A": [2]})
    good = terms_for(v)
    bad = SaleTerms(**{"currency": good.currency, "tiers": good.tiers, **change})
    with pytest.raises(InvalidConfigurationError):
        Inventory(v, bad)


@pytest.mark.parametrize(
    "rows, areas",
    [
        ({}, {}),
        ({"A": []}, {}),
        ({"A": [0]}, {}),
        ({"": [1]}, {}),
        ({"A": [1]}, {"A": 3}),
        ({"A": [1]}, {"F": 0}),
        ({" A": [1]}, {}),
    ],
)
def test_bad_venues_are_refused(rows: dict, areas: dict) -> None:
    with pytest.raises(InvalidConfigurationError):
        venue(rows, areas)


def test_row_labels_may_not_contain_dashes() -> None:
    from engine import Row, Section, Venue

    with pytest.raises(InvalidConfigurationError):
        Venue((Section("A", (Row("1-2", 3),)),))


def test_a_frozen_copy_snapshots_the_state_it_was_taken_at() -> None:
    """The actor builds its snapshot from ``frozen`` off its loop while it goes on."""
    from engine.snapshot import frozen

    inv = sold_some()
    expected = json.dumps(snapshot(inv), default=list)
    view = frozen(inv)
    held = inv.handle(HoldSeats("cid", ("A-2-1",), "k2"), NOW)[0]
    inv.handle(ConfirmHold(held.hold_id, "pi_2"), NOW)
    inv.handle(HoldArea("dee", "FLOOR", 2), NOW)
    assert json.dumps(snapshot(view), default=list) == expected
    assert snapshot(inv)["seq"] > snapshot(view)["seq"]
