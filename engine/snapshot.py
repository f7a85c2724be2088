"""Snapshot and restore of an inventory, as plain data (dicts, lists, bytes).

A snapshot holds the venue, terms, sequence number, the seat-state bytes and the
records the counters cannot be derived from (holds, ended holds, idempotency
keys). Counters are recomputed on restore and the seat states cross-checked
against the holds, so a corrupt snapshot is refused rather than served.
"""

from __future__ import annotations

import copy
from heapq import heapify
from typing import Any

from engine.errors import InvalidConfigurationError
from engine.events import HoldConfirmed, SeatsHeld, astuple_shallow, event_from_dict, event_to_dict
from engine.inventory import Inventory
from engine.state import FREE, HELD, SOLD
from engine.venue import SaleTerms, Venue

FORMAT = 1


def snapshot(inv: Inventory) -> dict[str, Any]:
    """The whole state of ``inv`` as plain data; ``restore`` inverts it."""
    return {
        "format": FORMAT,
        "venue": inv.venue.to_dict(),
        "terms": inv.terms.to_dict(),
        "seq": inv.seq,
        "states": bytes(inv.states),
        # Rows of field values rather than event dicts: a third of the size.
        "holds": [
            [*astuple_shallow(h)[:4], list(h.seats), *astuple_shallow(h)[5:]]
            for h in inv.holds.values()
        ],
        "sales": [list(astuple_shallow(sale)) for sale in inv.sales.values()],
        "ended": [[hold_id, reason, customer] for hold_id, (reason, customer) in inv.ended.items()],
        "keys": [[key, fp, event_to_dict(event)] for key, (fp, event) in inv.keys.items()],
    }


def frozen(inv: Inventory) -> Inventory:
    """What ``snapshot`` reads of ``inv``, as of now, in a few milliseconds.

    The containers are copied, the records they hold are shared: the state replaces a
    record rather than changing it (``replace``), so ``snapshot(frozen(inv))`` may be
    built elsewhere (the actor: off its event loop) while ``inv`` goes on deciding.
    """
    view = copy.copy(inv)
    view.states = bytearray(inv.states)
    view.holds, view.sales = dict(inv.holds), dict(inv.sales)
    view.ended, view.keys = dict(inv.ended), dict(inv.keys)
    return view


def restore(data: dict[str, Any]) -> Inventory:
    """An inventory equal to the one ``data`` was taken from."""
    if data.get("format") != FORMAT:
        raise InvalidConfigurationError(f"unknown snapshot format {data.get('format')!r}")
    inv = Inventory(Venue.from_dict(data["venue"]), SaleTerms.from_dict(data["terms"]))
    inv.seq = data["seq"]
    for row in data["holds"]:
        hold = SeatsHeld(*[*row[:4], tuple(row[4]), *row[5:]])  # seats: list -> tuple
        inv.holds[hold.hold_id] = hold
    inv.sales = {row[2]: HoldConfirmed(*row) for row in data["sales"]}
    inv.ended = {hold_id: (reason, customer) for hold_id, reason, customer in data["ended"]}
    inv.keys = {key: (fp, event_from_dict(event)) for key, fp, event in data["keys"]}
    inv.states = bytearray(data["states"])
    recount(inv)
    return inv


def recount(inv: Inventory) -> None:
    """Rebuild every counter from the seat states and holds, checking they agree."""
    m = inv.map
    if len(inv.states) != m.seat_count:
        raise InvalidConfigurationError("snapshot seat states do not match the venue")
    expected = bytearray(m.seat_count)
    inv.area_held = [0] * len(m.area_names)
    inv.area_sold = [0] * len(m.area_names)
    inv.owned = {}
    inv.promo_uses = {}
    for hold in inv.holds.values():
        status = SOLD if hold.hold_id in inv.sales else HELD
        for seat in hold.seats:
            if expected[seat] != FREE:
                raise InvalidConfigurationError(f"seat {m.seat_id(seat)} is in two holds")
            expected[seat] = status
        if hold.area >= 0:
            counts = inv.area_held if status == HELD else inv.area_sold
            counts[hold.area] += hold.quantity
        inv.owned[hold.customer] = inv.owned.get(hold.customer, 0) + hold.quantity
        if hold.promo is not None:  # promo counters, like ``owned``, follow from the holds
            inv.promo_uses[hold.promo] = inv.promo_uses.get(hold.promo, 0) + 1
    if inv.sales.keys() - inv.holds.keys():
        raise InvalidConfigurationError("snapshot has sales without their holds")
    if expected != inv.states:
        raise InvalidConfigurationError("snapshot seat states disagree with its holds")
    states = inv.states
    inv.row_free = [states.count(FREE, start, start + n) for start, n in m.row_span]
    inv.section_free = [states.count(FREE, a, b) for a, b in m.section_span]
    inv.section_held = [states.count(HELD, a, b) for a, b in m.section_span]
    inv.section_sold = [states.count(SOLD, a, b) for a, b in m.section_span]
    inv.held = sum(inv.section_held) + sum(inv.area_held)
    inv.sold = sum(inv.section_sold) + sum(inv.area_sold)
    inv.deadlines = [
        (h.expires_at, h.hold_id) for h in inv.holds.values() if h.hold_id not in inv.sales
    ]
    heapify(inv.deadlines)
