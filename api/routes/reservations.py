"""Reservations: hold seats or places, read a reservation, release it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from api.deps import ClientIp, CurrentUser, Reservations
from api.schemas.reservations import ReservationPublic, ReserveCreate

router = APIRouter(prefix="/v1", tags=["reservations"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Same key and body: the same reservation, never a second one.",
    ),
]
AdmissionToken = Annotated[
    str | None,
    Header(
        alias="X-Admission-Token",
        max_length=4096,
        description="The waiting room's admission token (events with a waiting room).",
    ),
]
PROBLEMS = {
    403: {"description": "Waiting room: admission token missing, expired or not yours"},
    404: {"description": "No such event"},
    409: {"description": "Seats taken, sold out, or the event is not on sale"},
    422: {"description": "Invalid seats, section, area or quantity"},
    429: {"description": "Over the per-customer limit, or rate limited"},
    503: {"description": "Inventory busy or restarting: retry after `Retry-After`"},
}


@router.post(
    "/tickets/reserve",
    status_code=status.HTTP_201_CREATED,
    operation_id="tickets_reserve",
    responses=PROBLEMS,
)
async def reserve(
    body: ReserveCreate,
    user: CurrentUser,
    ip: ClientIp,
    reservations: Reservations,
    key: IdempotencyKey = None,
    admission: AdmissionToken = None,
) -> ReservationPublic:
    """Hold seats (or places) for the caller until `expires_at`; pay to keep them.
    An event with a waiting room needs the admission token from its queue."""
    return await reservations.reserve(user, ip, body, key, admission)


@router.get(
    "/reservations/{reservation_id}",
    operation_id="reservations_get",
    responses={404: {"description": "Not found (or not yours)"}},
)
async def get_reservation(
    reservation_id: str, user: CurrentUser, reservations: Reservations
) -> ReservationPublic:
    """One of the caller's reservations (admins see any)."""
    return await reservations.get(user, reservation_id)


@router.delete(
    "/reservations/{reservation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="reservations_release",
    responses={
        404: {"description": "Not found (or not yours)"},
        409: {"description": "Already sold: ask for a refund instead"},
    },
)
async def release_reservation(
    reservation_id: str, user: CurrentUser, reservations: Reservations
) -> Response:
    """Give the held seats back before the hold expires."""
    await reservations.release(user, reservation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
