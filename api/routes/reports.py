"""Organiser reports of an event: sales, check-in progress, and the tickets as CSV."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.deps import CurrentUser, Reports
from api.openapi import Responses
from contexts.tickets.report_schemas import CheckInReport, SalesReport

router = APIRouter(prefix="/v1/events/{event_id}/reports", tags=["reports"])
REFUSALS: Responses = {
    401: {"description": "Not signed in"},
    403: {"description": "No `view_reports` permission on this event"},
    404: {"description": "No such event (or a draft that is not yours)"},
}


@router.get("/sales", operation_id="reports_sales", responses=REFUSALS)
async def sales(event_id: str, user: CurrentUser, reports: Reports) -> SalesReport:
    """Confirmed sales: totals, per UTC day, per price tier, per promo code; refunds apart."""
    return await reports.sales(user, event_id)


@router.get("/check-ins", operation_id="reports_check_ins", responses=REFUSALS)
async def check_ins(event_id: str, user: CurrentUser, reports: Reports) -> CheckInReport:
    """Checked-in tickets out of those issued, in total and per price tier."""
    return await reports.check_ins(user, event_id)


@router.get(
    "/tickets.csv",
    operation_id="reports_tickets_csv",
    response_class=StreamingResponse,
    responses={**REFUSALS, 200: {"content": {"text/csv": {}}, "description": "One row a ticket"}},
)
async def tickets_csv(event_id: str, user: CurrentUser, reports: Reports) -> StreamingResponse:
    """Every ticket of the event's confirmed orders, one CSV row each, streamed as the
    orders are read (large events never sit in memory whole)."""
    chunks = await reports.tickets_csv(user, event_id)
    disposition = f'attachment; filename="tickets-{event_id}.csv"'
    return StreamingResponse(
        chunks, media_type="text/csv", headers={"Content-Disposition": disposition}
    )
