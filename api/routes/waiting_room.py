"""The on-sale waiting room: organisers set it up; buyers join, watch their place and,
when admitted, reserve with the admission token (``X-Admission-Token``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.deps import CurrentUser, OptionalUser, QueueCaller, QueuePlacesDep, WaitingRooms
from api.openapi import Responses
from contexts.waiting_room.schemas import (
    QueueJoinPublic,
    QueuePlacePublic,
    WaitingRoomCreate,
    WaitingRoomPublic,
)

router = APIRouter(prefix="/v1/events", tags=["waiting room"])
NOT_FOUND: Responses = {404: {"description": "No such event (or a draft that is not yours)"}}
MANAGE: Responses = {
    **NOT_FOUND,
    403: {"description": "Not the owner"},
    409: {"description": "Cancelled or ended event; or the room was turned off for good"},
    422: {"description": "Impossible settings, or access-list emails with no account"},
}
JOIN: Responses = {
    **NOT_FOUND,
    403: {"description": "Not on the access list (not_invited)"},
    409: {"description": "No waiting room, or the queue is closed (sold out)"},
}
PLACE: Responses = {404: {"description": "Not in this queue (not_in_queue)"}}
STREAM: Responses = {
    200: {"content": {"text/event-stream": {}}, "description": "`place` events (JSON)"},
    401: {"description": "Neither a bearer token nor a valid `token` (queue token)"},
    **PLACE,
}


@router.put("/{event_id}/waiting-room", operation_id="waiting_room_configure", responses=MANAGE)
async def configure_waiting_room(
    event_id: str, body: WaitingRoomCreate, user: CurrentUser, rooms: WaitingRooms
) -> WaitingRoomPublic:
    """Turn the waiting room on (or change it): its pace, admission time, access list.
    Whoever joins before `opens_at` gets a random place then; later joiners queue in order."""
    return await rooms.configure(user, event_id, body)


@router.get("/{event_id}/waiting-room", operation_id="waiting_room_get", responses=NOT_FOUND)
async def get_waiting_room(
    event_id: str, user: OptionalUser, rooms: WaitingRooms
) -> WaitingRoomPublic:
    """Whether the event has a waiting room, its settings and live counts."""
    return await rooms.view(user, event_id)


@router.post("/{event_id}/queue", operation_id="queue_join", responses=JOIN)
async def join_queue(event_id: str, user: CurrentUser, places: QueuePlacesDep) -> QueueJoinPublic:
    """Take a place in the queue (joining again gives the same place) and a queue token."""
    return await places.join(user, event_id)


@router.get("/{event_id}/queue/me", operation_id="queue_me", responses=PLACE)
async def my_place(event_id: str, user: CurrentUser, places: QueuePlacesDep) -> QueuePlacePublic:
    """Your place: position, people ahead, estimated wait; once admitted, the admission
    token `POST /v1/tickets/reserve` needs (header `X-Admission-Token`) and its expiry."""
    return places.present(user.id, event_id, await places.view(user.id, event_id))


@router.get(
    "/{event_id}/queue/stream",
    operation_id="queue_stream",
    response_class=StreamingResponse,
    responses=STREAM,
)
async def stream_place(
    event_id: str, caller: QueueCaller, places: QueuePlacesDep
) -> StreamingResponse:
    """Your place as server-sent events (`event: place`), on every change, until you are
    admitted or the queue closes. Authenticate with a bearer token or `?token=` (the
    queue token from joining), since an EventSource cannot send headers."""
    first = await places.view(caller, event_id)  # 404 before the stream starts
    return StreamingResponse(
        places.stream(caller, event_id, first),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
