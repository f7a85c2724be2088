"""Venues: seat maps that events are sold on. Creating one needs event_creator or admin;
reading is public."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, status

from api.deps import CatalogService, CreatorUser
from api.pagination import Cursor, Limit
from contexts.catalog.venue_schemas import VenueCreate, VenuePublic, VenueSummary
from contexts.shared.pagination import Page

router = APIRouter(prefix="/v1/venues", tags=["venues"])
IdempotencyKey = Annotated[
    str | None, Header(max_length=200, description="Same key and body: the same venue.")
]


@router.post(
    "",
    operation_id="venues_create",
    status_code=status.HTTP_201_CREATED,
    responses={403: {"description": "Not an event creator"}, 422: {"description": "Bad map"}},
)
async def create_venue(
    body: VenueCreate,
    user: CreatorUser,
    catalog: CatalogService,
    idempotency_key: IdempotencyKey = None,
) -> VenuePublic:
    """Create a venue with its seat map (seat ids are SECTION-ROW-NUMBER)."""
    return await catalog.venues.create(user, body, idempotency_key)


@router.get("", operation_id="venues_list")
async def list_venues(
    catalog: CatalogService, limit: Limit = 20, cursor: Cursor = None
) -> Page[VenueSummary]:
    """Venues in creation order, without their seat maps."""
    return await catalog.venues.page(limit, cursor)


@router.get("/{venue_id}", operation_id="venues_get", responses={404: {"description": "None"}})
async def get_venue(venue_id: str, catalog: CatalogService) -> VenuePublic:
    """A venue with its seat map."""
    return await catalog.venues.get(venue_id)
