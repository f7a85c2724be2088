"""Stripe's webhook: verify the signature, then settle only what Stripe itself says.

A valid signature proves only that someone holds the webhook secret (the development
one is public), not that a payment happened. So the event is a hint: the order is
found by the ``order_id`` in the intent's metadata (or by the intent id), and before
anything is settled the PaymentIntent is retrieved from Stripe, whose answer must
name this order and reservation (the metadata we set when creating it), carry the
order's amount and currency, and be the order's recorded intent if it has one.
Stripe's status decides (succeeded or failed), not the event's type; anything else
is refused (logged, no settlement). Orders already decided need no look-up: the
worker settled them (Stripe sends this event for every payment), so a delivery then
costs one read. Replays have no second effect, because settling is idempotent.
"""

from __future__ import annotations

import logging
from typing import Any

import stripe as stripe_sdk

from contexts.orders.payment_schemas import WebhookReceipt
from contexts.orders.settlement import Settlement
from contexts.orders.store import OrdersStore, parse_id
from contexts.orders.stripe_gateway import Charge, InvalidWebhook, StripeGateway
from contexts.shared.errors import Malformed

log = logging.getLogger(__name__)
SUCCEEDED, FAILED = "payment_intent.succeeded", "payment_intent.payment_failed"


class InvalidSignature(Malformed):
    code = "invalid_signature"


async def reconcile(
    orders: OrdersStore,
    stripe: StripeGateway,
    settlement: Settlement,
    payload: bytes,
    signature: str | None,
) -> WebhookReceipt:
    """Apply one webhook delivery; ``InvalidSignature`` changes nothing."""
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
    if order["status"] != "pending":  # decided already: only finish what is left (refund)
        await settlement.resume(order)
        return WebhookReceipt(handled=True)
    recorded = order["payment"].get("intent_id")
    if recorded not in (None, intent_id):
        # Not the order's recorded intent: we never confirm such an intent, so this is
        # not a charge of ours to settle; an operator should look at it.
        log.warning("webhook for an intent the order does not use", extra={"intent": intent_id})
        return WebhookReceipt(handled=False)
    facts = await _at_stripe(stripe, intent_id)
    refusal = "no such intent at Stripe" if facts is None else mismatch(order, facts)
    if facts is None or refusal is not None:
        log.warning(
            "webhook refused: Stripe does not confirm it",
            extra={"intent": intent_id, "order": str(order["_id"]), "why": refusal},
        )
        return WebhookReceipt(handled=False)
    if not (facts.succeeded or facts.failed):
        return WebhookReceipt(handled=False)  # Stripe has not decided: the worker will see
    if recorded is None:  # the worker has not recorded it yet (it is ours: checked above)
        order = await orders.record_intent(order["_id"], intent_id) or await orders.get(
            order["_id"]
        )
        if order is None or order["payment"].get("intent_id") != intent_id:
            return WebhookReceipt(handled=False)
    if facts.succeeded:
        await settlement.succeeded(order, intent_id)
    else:
        await settlement.failed(order, facts.error or "payment_failed")
    await orders.mark_processed(order["_id"], dedup)
    return WebhookReceipt(handled=True)


async def _at_stripe(stripe: StripeGateway, intent_id: str) -> Charge | None:
    """The intent as Stripe has it; None if Stripe knows no such intent."""
    try:
        return await stripe.retrieve(intent_id)
    except stripe_sdk.InvalidRequestError:
        return None


def mismatch(order: dict[str, Any], facts: Charge) -> str | None:
    """Why Stripe's intent cannot pay for ``order``; None if it can."""
    reservation = order.get("original_reservation_id") or order["reservation_id"]
    if facts.metadata.get("order_id") != str(order["_id"]):
        return "the intent is not this order's"
    if facts.metadata.get("reservation_id") not in (reservation, order["reservation_id"]):
        return "the intent is not this reservation's"
    if facts.amount != order["amount"]:
        return f"amount {facts.amount} is not the order's {order['amount']}"
    if (facts.currency or "").lower() != str(order["currency"]).lower():
        return f"currency {facts.currency} is not the order's {order['currency']}"
    return None
