"""Promo codes of an event: its organisers create, list, change and disable them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.deps import CurrentUser, Promos
from api.openapi import Responses
from api.pagination import Cursor, Limit
from contexts.catalog.promo_schemas import PromoCreate, PromoPublic, PromoUpdate
from contexts.shared.pagination import Page

router = APIRouter(prefix="/v1/events/{event_id}/promo-codes", tags=["promo codes"])


CodePath = Annotated[str, Path(min_length=1, max_length=64)]
MANAGE: Responses = {
    403: {"description": "Not one who manages this event"},
    404: {"description": "No such event (or code)"},
}


@router.post(
    "",
    operation_id="promo_codes_create",
    status_code=status.HTTP_201_CREATED,
    responses={**MANAGE, 409: {"description": "The event already has this code"}},
)
async def create_promo_code(
    event_id: str, body: PromoCreate, user: CurrentUser, promos: Promos
) -> PromoPublic:
    """A discount or access code for this event (its owner, team or an admin)."""
    return await promos.create(user, event_id, body)


@router.get("", operation_id="promo_codes_list", responses=MANAGE)
async def list_promo_codes(
    event_id: str, user: CurrentUser, promos: Promos, limit: Limit = 50, cursor: Cursor = None
) -> Page[PromoPublic]:
    """The event's codes, by code."""
    return await promos.page(user, event_id, limit, cursor)


@router.patch("/{code}", operation_id="promo_codes_update", responses=MANAGE)
async def update_promo_code(
    event_id: str, code: CodePath, body: PromoUpdate, user: CurrentUser, promos: Promos
) -> PromoPublic:
    """Disable (or re-enable) a code, or change its limit or window."""
    return await promos.update(user, event_id, code, body)
