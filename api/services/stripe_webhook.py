"""Stripe's webhook: verify the signature, then settle the payment like the worker does.

The order is found by the ``order_id`` we put in the PaymentIntent's metadata (or by
the intent id). Replays are dropped by the event id (recorded in the order once its
effects are done); and even a replay that races its first delivery has no second
effect, because settling is idempotent (see ``Settlement``).
"""

from __future__ import annotations

import logging

from api.errors import ApiError
from api.repositories.orders import OrdersRepository, parse_id
from api.schemas.payments import WebhookReceipt
from api.services.settlement import Settlement
from api.services.stripe_gateway import InvalidWebhook, StripeGateway

log = logging.getLogger(__name__)
SUCCEEDED, FAILED = "payment_intent.succeeded", "payment_intent.payment_failed"


class InvalidSignature(ApiError):
    status, code, title = 400, "invalid_signature", "Bad Request"


async def reconcile(
    orders: OrdersRepository,
    stripe: StripeGateway,
    settlement: Settlement,
    payload: bytes,
    signature: str | None,
) -> WebhookReceipt:
    """Apply one webhook delivery; ``InvalidSignature`` (400) changes nothing."""
    try:
        event = stripe.parse_webhook(payload, signature)
    except InvalidWebhook as exc:
        raise InvalidSignature(f"The webhook does not verify: {exc}") from exc
    if event.type not in (SUCCEEDED, FAILED):
        return WebhookReceipt(handled=False)
    try:
        intent = event.data.object.to_dict()
    except (AttributeError, KeyError, TypeError) as exc:  # signed, yet not an intent event
        raise InvalidSignature("The webhook is not a PaymentIntent event.") from exc
    intent_id = intent.get("id")
    order_id = parse_id(str((intent.get("metadata") or {}).get("order_id", "")))
    order = await orders.get(order_id) if order_id else None
    if order is None and isinstance(intent_id, str):
        order = await orders.by_intent(intent_id)
    if order is None or not isinstance(intent_id, str) or "payment" not in order:
        return WebhookReceipt(handled=False)  # not one of our payments
    dedup = f"stripe:{event.id}"
    if dedup in order.get("processed_message_ids", []):
        return WebhookReceipt(handled=True)  # a replay: its effects are done
    if order["payment"].get("intent_id") is None:  # the worker has not recorded it yet
        order = await orders.record_intent(order["_id"], intent_id) or order
    if order["payment"].get("intent_id") not in (None, intent_id):
        # Not the order's recorded intent: we never confirm such an intent, so this is
        # not a charge of ours to settle; an operator should look at it.
        log.warning("webhook for an intent the order does not use", extra={"intent": intent_id})
        return WebhookReceipt(handled=False)
    if event.type == SUCCEEDED:
        await settlement.succeeded(order["_id"], intent_id)
    else:
        error = intent.get("last_payment_error") or {}
        await settlement.failed(order["_id"], error.get("code") or "payment_failed")
    await orders.mark_processed(order["_id"], dedup)
    return WebhookReceipt(handled=True)
