"""Organiser accounts and their teams: members and their per-member permissions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status
from fastapi import Path as PathParam

from api.deps import CreatorUser, CurrentUser, Organisers
from api.openapi import Responses
from api.pagination import Cursor, Limit
from contexts.organisers.schemas import (
    MemberCreate,
    MemberUpdate,
    OrganiserCreate,
    OrganiserPage,
    OrganiserPublic,
)

router = APIRouter(prefix="/v1/organisers", tags=["organisers"])
OrganiserId = Annotated[str, PathParam(min_length=1, max_length=64)]
UserId = Annotated[str, PathParam(min_length=1, max_length=64, description="A member's id.")]
TEAM: Responses = {
    403: {"description": "A member without the manage_team permission"},
    404: {"description": "No such organiser (or not a member), or no such member"},
    409: {"description": "already_member, last_manager or concurrent_update"},
}


@router.post("", operation_id="organisers_create", status_code=status.HTTP_201_CREATED)
async def create_organiser(
    body: OrganiserCreate, user: CreatorUser, organisers: Organisers
) -> OrganiserPublic:
    """Create an organiser account (event creators, admins): you become its owner."""
    return await organisers.create(user, body)


@router.get("/mine", operation_id="organisers_mine")
async def my_organisers(
    user: CurrentUser, organisers: Organisers, limit: Limit = 20, cursor: Cursor = None
) -> OrganiserPage:
    """The organisers you are a member of, newest first."""
    return await organisers.mine(user, limit, cursor)


@router.get("/{organiser_id}", operation_id="organisers_get", responses={404: TEAM[404]})
async def get_organiser(
    organiser_id: OrganiserId, user: CurrentUser, organisers: Organisers
) -> OrganiserPublic:
    """An organiser and its team (members and admins only)."""
    return await organisers.get(user, organiser_id)


@router.post(
    "/{organiser_id}/members",
    operation_id="organisers_add_member",
    status_code=status.HTTP_201_CREATED,
    responses={**TEAM, 422: {"description": "No account with this email (unknown_account)"}},
)
async def add_member(
    organiser_id: OrganiserId, body: MemberCreate, user: CurrentUser, organisers: Organisers
) -> OrganiserPublic:
    """Add an existing account to the team with the given permissions."""
    return await organisers.add_member(user, organiser_id, body)


@router.patch(
    "/{organiser_id}/members/{user_id}", operation_id="organisers_update_member", responses=TEAM
)
async def update_member(
    organiser_id: OrganiserId,
    user_id: UserId,
    body: MemberUpdate,
    user: CurrentUser,
    organisers: Organisers,
) -> OrganiserPublic:
    """Replace a member's permissions."""
    return await organisers.update_member(user, organiser_id, user_id, body)


@router.delete(
    "/{organiser_id}/members/{user_id}",
    operation_id="organisers_remove_member",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=TEAM,
)
async def remove_member(
    organiser_id: OrganiserId, user_id: UserId, user: CurrentUser, organisers: Organisers
) -> Response:
    """Remove a member; they lose access to the organiser's events at once."""
    await organisers.remove_member(user, organiser_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
