"""Payments: pay for a reservation, follow the payment, and Stripe's webhook."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, status

from api.deps import CurrentUser, Payments
from api.routes.reservations import IdempotencyKey
from contexts.orders.payment_schemas import PaymentCreate, PaymentPublic, WebhookReceipt

router = APIRouter(prefix="/v1/payments", tags=["payments"])


@router.post(
    "/process",
    status_code=status.HTTP_202_ACCEPTED,
    operation_id="payments_process",
    responses={
        401: {"description": "No valid access token"},
        404: {"description": "No such reservation (or not yours)"},
        409: {"description": "The reservation is no longer held (`reservation_not_held`)"},
        422: {"description": "Invalid reservation id or payment method (`pm_...`)"},
        503: {"description": "Payments unavailable (broker down): retry after `Retry-After`"},
    },
)
async def process_payment(
    body: PaymentCreate, user: CurrentUser, payments: Payments, key: IdempotencyKey = None
) -> PaymentPublic:
    """Pay for a held reservation with a Stripe PaymentMethod id (`pm_...`; card numbers
    never reach this API). Answers at once with `status: processing`: the payment worker
    charges the card, then confirms the seats and issues tickets (or releases the seats
    if the card is declined). Follow it at `GET /v1/payments/{payment_id}`. One payment
    per reservation: a retry (with or without the same `Idempotency-Key`) returns it."""
    return await payments.process(user, body, key)


@router.get(
    "/{payment_id}",
    operation_id="payments_get",
    responses={404: {"description": "Not found (or not yours)"}},
)
async def get_payment(payment_id: str, user: CurrentUser, payments: Payments) -> PaymentPublic:
    """A payment's state and history (its payer, or an admin)."""
    return await payments.get(user, payment_id)


@router.post(
    "/webhook",
    operation_id="payments_webhook",
    responses={400: {"description": "Bad or missing `Stripe-Signature` (`invalid_signature`)"}},
)
async def stripe_webhook(
    request: Request,
    payments: Payments,
    signature: Annotated[str | None, Header(alias="Stripe-Signature", max_length=2000)] = None,
) -> WebhookReceipt:
    """Stripe's webhook (`payment_intent.succeeded`, `payment_intent.payment_failed`),
    signature verified; reconciled exactly like the payment worker, so a replayed or
    duplicate event has no second effect."""
    return await payments.webhook(await request.body(), signature)
