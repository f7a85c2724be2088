"""The tickets of an event as CSV, produced a chunk per order while orders stream in.

Nothing is accumulated: each order read from the cursor becomes one chunk of rows and
is dropped, so a 20,000-ticket export holds one batch of orders and one chunk at a
time. ``TierOf`` names a ticket's price tier from the event's prices.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from contexts.tickets.states import ticket_state

COLUMNS = (
    *("ticket_id", "order_id", "status", "tier", "seat", "area", "price", "currency"),
    *("buyer_id", "holder_id", "ordered_at", "checked_in_at", "transferred_at"),
)


class TierOf:
    """A ticket's tier name (``?`` if the prices no longer name its section or area)."""

    def __init__(self, event: dict[str, Any]) -> None:
        self.by_section: dict[str, str] = {}
        self.by_area: dict[str, str] = {}
        self.amounts: dict[str, int] = {}
        for price in event.get("prices") or []:
            self.amounts[price["name"]] = price["amount"]
            self.by_section.update(dict.fromkeys(price.get("sections") or [], price["name"]))
            self.by_area.update(dict.fromkeys(price.get("areas") or [], price["name"]))

    def __call__(self, ticket: dict[str, Any]) -> str:
        seat, area = ticket.get("seat"), ticket.get("area")
        if isinstance(seat, str):  # SECTION-ROW-NUMBER; a section name may hold "-"
            return self.by_section.get(seat.rsplit("-", 2)[0], "?")
        return self.by_area.get(area, "?") if isinstance(area, str) else "?"

    def amount(self, tier: str) -> int:
        return self.amounts.get(tier, 0)


def _cell(value: Any) -> str:
    """A text cell a spreadsheet will not run as a formula (names come from organisers)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _when(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def order_rows(
    order: dict[str, Any], tier_of: TierOf, currency: str, event_cancelled: bool = False
) -> str:
    """One order's tickets as CSV lines (``status`` is the ticket's one state)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for t in order.get("tickets") or []:
        tier = tier_of(t)
        writer.writerow(
            (
                t.get("ticket_id"),
                str(order["_id"]),
                ticket_state(order, t, event_cancelled=event_cancelled),
                _cell(tier),
                _cell(t.get("seat")),
                _cell(t.get("area")),
                tier_of.amount(tier),
                order.get("currency") or currency,
                order.get("user_id"),
                t.get("owner_id") or order.get("user_id"),
                _when(order.get("created_at")),
                _when(t.get("checked_in_at")),
                _when(t.get("transferred_at")),
            )
        )
    return out.getvalue()


async def csv_chunks(
    event: dict[str, Any], orders: AsyncIterator[dict[str, Any]], chunk_chars: int = 65_536
) -> AsyncIterator[str]:
    """The header line and the rows, in chunks of about ``chunk_chars``: small orders
    are gathered (not a network write per order), a large order is a chunk of its own."""
    tier_of, currency = TierOf(event), event.get("currency", "")
    cancelled = event.get("status") == "cancelled"
    pending, size = [",".join(COLUMNS) + "\n"], 0
    async for order in orders:
        rows = order_rows(order, tier_of, currency, cancelled)
        pending.append(rows)
        size += len(rows)
        if size >= chunk_chars:
            yield "".join(pending)
            pending, size = [], 0
    if pending:
        yield "".join(pending)
