"""Reservations: hold seats or places, read a reservation, release it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from api.deps import ClientIp, CurrentUser, Reservations
from api.openapi import Responses
from api.routes.promos import Promos
from contexts.reservations.schemas import ReservationPublic, ReserveCreate

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
PROBLEMS: Responses = {
    403: {"description": "Waiting room token missing or not yours; hidden tier needs a code"},
    404: {"description": "No such event"},
    409: {
        "description": "Seats taken, sold out, not on sale, over the per-customer limit "
        "(`limit_exceeded`); promo code used up or disabled"
    },
    422: {"description": "Invalid seats, section, area, quantity or promo code"},
    429: {"description": "Rate limited (`rate_limited`, `Retry-After`)"},
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
    promos: Promos,
    key: IdempotencyKey = None,
    admission: AdmissionToken = None,
) -> ReservationPublic:
    """Hold seats (or places) for the caller until `expires_at`; pay to keep them.
    An event with a waiting room needs the admission token from its queue. A
    `promo_code` discounts the total (`subtotal`, `discount`, `total`), unlocks hidden
    tiers, or opens a presale before `sale_starts_at`."""
    return await reservations.reserve(user, ip, body, key, admission, promos)


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
