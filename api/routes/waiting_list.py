"""Waiting lists of sold-out events: join, see your place, leave."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import CurrentUser, WaitingList
from api.openapi import Responses
from contexts.waiting_room.waiting_list_schemas import WaitingListEntry, WaitingListJoin

router = APIRouter(prefix="/v1/events/{event_id}/waiting-list", tags=["waiting list"])
MINE: Responses = {401: {"description": "Not signed in"}, 404: {"description": "Not on this list"}}


@router.post(
    "",
    status_code=201,
    operation_id="waiting_list_join",
    responses={
        401: {"description": "Not signed in"},
        404: {"description": "No such event"},
        409: {"description": "Places on sale (`seats_available`), already waiting, not on sale"},
        422: {"description": "Invalid, over the per-customer limit, or no such area/section"},
    },
)
async def join_waiting_list(
    event_id: str, body: WaitingListJoin, user: CurrentUser, waiting: WaitingList
) -> WaitingListEntry:
    """Join a sold-out event's waiting list. When places come back, the next in line gets
    them as a hold in their name, announced by email: pay before it expires, or it
    passes on to the next."""
    return await waiting.join(user, event_id, body)


@router.get("/me", operation_id="waiting_list_mine", responses=MINE)
async def my_place(event_id: str, user: CurrentUser, waiting: WaitingList) -> WaitingListEntry:
    """Your place (position while waiting), or the offer made to you."""
    return await waiting.mine(user, event_id)


@router.delete("/me", status_code=204, operation_id="waiting_list_leave", responses=MINE)
async def leave_waiting_list(event_id: str, user: CurrentUser, waiting: WaitingList) -> Response:
    """Leave the waiting list."""
    await waiting.leave(user, event_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
