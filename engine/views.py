"""Read models of an inventory: availability counts, seat states, a hold's details.

Plain dicts and strings, cheap to send across a process boundary and to render
as JSON. Seat states come one string per row, a character per seat, so the seat
map of a 100,000-seat venue is about 100 KB, not 100,000 objects.
"""

from __future__ import annotations

from typing import Any

from engine.events import SeatsHeld
from engine.inventory import Inventory

SEAT_CODES = bytes.maketrans(b"\x00\x01\x02", b"AHS")  # available, held, sold


def counts(capacity: int, held: int, sold: int) -> dict[str, int]:
    return {"capacity": capacity, "available": capacity - held - sold, "held": held, "sold": sold}


def availability(inv: Inventory) -> dict[str, Any]:
    """Capacity, available, held and sold overall and per section and area."""
    m = inv.map
    sections = {
        name: counts(end - start, inv.section_held[i], inv.section_sold[i])
        for i, (name, (start, end)) in enumerate(zip(m.section_names, m.section_span, strict=True))
    }
    areas = {
        name: counts(m.area_capacity[i], inv.area_held[i], inv.area_sold[i])
        for i, name in enumerate(m.area_names)
    }
    return {**counts(inv.capacity, inv.held, inv.sold), "sections": sections, "areas": areas}


def seat_states(inv: Inventory) -> dict[str, Any]:
    """Per section, per row, one character per seat: A available, H held, S sold."""
    m = inv.map
    sections = []
    for s_index, name in enumerate(m.section_names):
        rows = [
            {
                "label": m.row_label[r],
                "states": bytes(inv.states[m.row_span[r][0] : sum(m.row_span[r])])
                .translate(SEAT_CODES)
                .decode("ascii"),
            }
            for r in m.section_rows[s_index]
        ]
        sections.append({"name": name, "rows": rows})
    return {"seq": inv.seq, "sections": sections}


def hold_view(inv: Inventory, hold: SeatsHeld) -> dict[str, Any]:
    """A hold as the API shows it: seat ids or area and quantity, deadline, total."""
    sale = inv.sales.get(hold.hold_id)
    return {
        "hold_id": hold.hold_id,
        "customer": hold.customer,
        "seats": inv.map.seat_ids(hold.seats),
        "area": inv.map.area_names[hold.area] if hold.area >= 0 else None,
        "quantity": hold.quantity,
        "expires_at": hold.expires_at,
        "amount": hold.amount,
        "discount": hold.discount,
        "promo": hold.promo,
        "currency": inv.terms.currency,
        "status": "sold" if sale else "held",
        "payment_ref": sale.payment_ref if sale else None,
    }
