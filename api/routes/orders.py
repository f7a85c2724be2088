"""Orders, organiser side: refunds."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser, Orders
from contexts.orders.schemas import OrderPublic

router = APIRouter(prefix="/v1/orders", tags=["orders"])


@router.post(
    "/{order_id}/refund",
    operation_id="orders_refund",
    responses={
        403: {"description": "The buyer: refunds are made by the organiser or an admin"},
        404: {"description": "No such order (or not yours to see)"},
        409: {"description": "Not refundable in its state (`not_refundable`)"},
        503: {"description": "Stripe or the inventory unavailable: retry"},
    },
)
async def refund_order(order_id: str, user: CurrentUser, orders: Orders) -> OrderPublic:
    """Refund an order in full (the event's organiser or an admin): the money goes back
    through Stripe, the seats go back on sale, the buyer is told by email. Retrying is
    safe: a refunded order stays refunded."""
    return await orders.refund(user, order_id)
