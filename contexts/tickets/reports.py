"""Organiser reports of one event: sales, check-in progress, and the tickets as CSV.

Who may read them: whoever may ``view_reports`` on the event (``OrganiserAccess``:
its owner, its organiser's members with that permission, admins); a published
event's other readers get a 403, a draft's a 404. Sums are over confirmed orders;
tiers come from the event's prices (a seat's tier is its section's, a place's its
area's), counted while streaming the orders a batch at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from contexts.catalog.rules import can_manage
from contexts.shared.errors import Forbidden, NotFound
from contexts.shared.principal import Principal
from contexts.tickets.csv_export import TierOf, csv_chunks
from contexts.tickets.report_schemas import (
    CheckInReport,
    DaySales,
    PromoSales,
    SalesReport,
    TierCheckIns,
    TierSales,
)
from contexts.tickets.reports_store import ReportsStore


class ReportService:
    """Read-only reports over the orders context, for an event's organisers."""

    def __init__(self, reports: ReportsStore, events: Any, access: Any = None) -> None:
        # events: contexts.catalog.events_store.EventsStore; access: OrganiserAccess, if any
        self.reports, self.events, self.access = reports, events, access

    async def sales(self, user: Principal, event_id: str) -> SalesReport:
        event = await self._readable(user, event_id)
        days: dict[str, Counter[str]] = {}
        promos: dict[str | None, Counter[str]] = {}
        refunds: Counter[str] = Counter()
        for row in await self.reports.totals(event_id):
            key, figures = (
                row["_id"],
                Counter(orders=row["orders"], tickets=row["tickets"], revenue=row["amount"]),
            )
            if key["status"] != "confirmed":
                refunds.update(figures)
                continue
            days.setdefault(key["day"], Counter()).update(figures)
            promos.setdefault(key.get("promo"), Counter()).update(figures)
        tier_of, tiers = TierOf(event), Counter[str]()
        batch = await self.reports.batch_for(event_id)
        async for order in self.reports.confirmed_tickets(event_id, batch):
            tiers.update(tier_of(t) for t in order.get("tickets") or [])
        total = sum(days.values(), Counter[str]())
        return SalesReport(
            event_id=event_id,
            currency=event["currency"],
            orders=total["orders"],
            tickets=total["tickets"],
            revenue=total["revenue"],
            refunded_orders=refunds["orders"],
            refunded_amount=refunds["revenue"],
            per_day=[DaySales(day=d, **days[d]) for d in sorted(days)],
            per_tier=[
                TierSales(tier=t, tickets=n, face_value=n * tier_of.amount(t))
                for t, n in sorted(tiers.items())
            ],
            per_promo=[
                PromoSales(promo_code=p, **promos[p]) for p in sorted(promos, key=lambda p: p or "")
            ],
        )

    async def check_ins(self, user: Principal, event_id: str) -> CheckInReport:
        event = await self._readable(user, event_id)
        tier_of, issued, used = TierOf(event), Counter[str](), Counter[str]()
        batch = await self.reports.batch_for(event_id)
        async for order in self.reports.confirmed_tickets(event_id, batch):
            for ticket in order.get("tickets") or []:
                tier = tier_of(ticket)
                issued[tier] += 1
                used[tier] += ticket.get("checked_in_at") is not None
        per_tier = [
            TierCheckIns(tier=t, issued=issued[t], checked_in=used[t]) for t in sorted(issued)
        ]
        return CheckInReport(
            event_id=event_id,
            issued=issued.total(),
            checked_in=used.total(),
            per_tier=per_tier,
        )

    async def tickets_csv(self, user: Principal, event_id: str) -> AsyncIterator[str]:
        """The CSV export's chunks; the permission is checked now, before any byte is
        sent (a refusal is a problem, not a broken download)."""
        event = await self._readable(user, event_id)
        batch = await self.reports.batch_for(event_id)
        return csv_chunks(event, self.reports.confirmed_tickets(event_id, batch))

    async def _readable(self, user: Principal, event_id: str) -> dict[str, Any]:
        event = await self.events.get(event_id)
        if event is None:
            raise NotFound(f"No event {event_id}.")
        if self.access is not None:
            allowed = await self.access.can(user, event, "view_reports")
        else:  # before organisers: the owner and admins
            allowed = can_manage(event["owner_id"], user)
        if allowed:
            return event
        if event.get("published_at") is None:  # a draft is nobody else's business
            raise NotFound(f"No event {event_id}.")
        raise Forbidden("Reports need the view_reports permission on this event.")
