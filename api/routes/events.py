"""Events: drafts, publication (which opens the inventory), search, live availability.

Public reads show published events only (on_sale and ended are derived from the
clock); a draft is visible to its owner and admins, 404 to anyone else.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from api.deps import CatalogService, CurrentUser, LiveFeeds, OptionalUser
from api.openapi import Responses
from api.pagination import Cursor, Limit
from contexts.catalog.schemas import Category, EventCreate, EventPublic, EventUpdate
from contexts.catalog.search import EventQuery
from contexts.catalog.view_schemas import AvailabilityPublic, SeatsPublic
from contexts.shared.pagination import Page

router = APIRouter(prefix="/v1/events", tags=["events"])
NOT_FOUND: Responses = {404: {"description": "No such event (or a draft that is not yours)"}}
MANAGE: Responses = {
    **NOT_FOUND,
    403: {"description": "May not manage it"},
    409: {"description": "State"},
}
LIVE: Responses = {**NOT_FOUND, 409: {"description": "Not published (not_on_sale)"}}


@router.post("", operation_id="events_create", status_code=status.HTTP_201_CREATED)
async def create_event(
    body: EventCreate,
    user: CurrentUser,
    catalog: CatalogService,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> EventPublic:
    """Create a draft event at a venue; the prices must cover each section and area once.
    With `organiser_id`, the organiser's (needs its manage_events permission); without,
    a personal event (needs the role event_creator)."""
    return await catalog.events.create(user, body, idempotency_key)


@router.get("", operation_id="events_search")
async def search_events(
    catalog: CatalogService,
    user: OptionalUser,
    q: Annotated[str | None, Query(max_length=200, description="Any of these words")] = None,
    category: Category | None = None,
    city: Annotated[str | None, Query(max_length=100, description="Any case")] = None,
    starts_from: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    starts_to: Annotated[AwareDatetime | None, Query(alias="to", description="Exclusive")] = None,
    mine: Annotated[bool, Query(description="Only your events, drafts included")] = False,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[EventPublic]:
    """Published events by start time (or, with mine=true, all of yours)."""
    query = EventQuery(q, category, city, starts_from, starts_to, mine)
    return await catalog.search.search(user, query, limit, cursor)


@router.get("/{event_id}", operation_id="events_get", responses=NOT_FOUND)
async def get_event(event_id: str, catalog: CatalogService, user: OptionalUser) -> EventPublic:
    return await catalog.events.get(user, event_id)


@router.patch("/{event_id}", operation_id="events_update", responses=MANAGE)
async def update_event(
    event_id: str, body: EventUpdate, user: CurrentUser, catalog: CatalogService
) -> EventPublic:
    """Edit an event (owner or admin). Venue, prices, currency and limits: drafts only."""
    return await catalog.events.update(user, event_id, body)


@router.post("/{event_id}/publish", operation_id="events_publish", responses=MANAGE)
async def publish_event(event_id: str, user: CurrentUser, catalog: CatalogService) -> EventPublic:
    """Publish a draft and open its inventory. Idempotent: 200 with the event again."""
    return await catalog.events.publish(user, event_id)


@router.post("/{event_id}/cancel", operation_id="events_cancel", responses=MANAGE)
async def cancel_event(event_id: str, user: CurrentUser, catalog: CatalogService) -> EventPublic:
    """Cancel an event (idempotent); it stops selling."""
    return await catalog.events.cancel(user, event_id)


@router.get("/{event_id}/availability", operation_id="events_availability", responses=LIVE)
async def event_availability(
    event_id: str, catalog: CatalogService, user: OptionalUser
) -> AvailabilityPublic:
    """Live counts: capacity, available, held, sold, per section and area."""
    return await catalog.views.availability(user, event_id)


@router.get(
    "/{event_id}/seats",
    operation_id="events_seats",
    response_class=Response,
    responses={200: {"model": SeatsPublic, "content": {"application/json": {}}}, **LIVE},
)
async def event_seats(event_id: str, catalog: CatalogService, user: OptionalUser) -> Response:
    """Seat states per row (A available, H held, S sold), up to about a second old."""
    body = await catalog.views.seats_json(user, event_id)
    return Response(body, media_type="application/json")


@router.get(
    "/{event_id}/stream",
    operation_id="events_stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **LIVE},
)
async def event_stream(
    event_id: str, catalog: CatalogService, user: OptionalUser, feeds: LiveFeeds
) -> StreamingResponse:
    """Server-sent events: `state` (counts and every row's seat states, as `/seats`), then
    `change` (counts and the rows that changed) at most every STREAM_INTERVAL_S. The
    stream ends after STREAM_MAX_S; browsers reconnect by themselves (`retry`)."""
    await catalog.views.check_live(user, event_id)
    return StreamingResponse(
        feeds.stream(event_id),
        media_type="text/event-stream",
        # no-transform and X-Accel-Buffering: proxies must pass each event on at once.
        headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"},
    )
