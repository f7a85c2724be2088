"""The payments worker's handler of ``payment.requested``: charge through Stripe, settle.

Exactly one charge per order, whatever the redeliveries: the PaymentIntent is created
unconfirmed, recorded in the order, and only then confirmed; a redelivered message
finds the recorded intent and retrieves it instead of creating another (localstripe
ignores Stripe idempotency keys, and an intent created but never recorded was never
confirmed, so never charged). The outcome goes through ``Settlement``, the same code
the Stripe webhook runs; the consumer acks after this handler returns.

Few things per order (counted by tests/integration/test_purchase_ops.py): one read of
the order, one write recording the intent, one write for the outcome (status,
tickets, Stripe's answer and ``announced`` together), and the audit entry; two Stripe
calls (create, confirm). A redelivery needs no durable dedup of its own: every effect
is idempotent by the order's status and its ``announced`` outcomes.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import stripe
from aio_pika.abc import AbstractIncomingMessage

from contexts.orders.settlement import Settlement
from contexts.orders.store import OrdersStore, entry, parse_id
from contexts.orders.stripe_gateway import Charge, StripeGateway
from contexts.shared.bus_codec import PermanentError
from contexts.shared.errors import Conflict
from contexts.shared.messages import EventCancelled, PaymentRequested, read

log = logging.getLogger(__name__)

# Fault injection for tests: exit the process right after Stripe answered a charge,
# before any effect is recorded and before the ack (the crash the design must survive).
CRASH_AFTER_STRIPE = "PAYMENTS_CRASH_AFTER_STRIPE"


class StillProcessing(Exception):
    """Stripe has not decided yet (``processing``, ``requires_action``): retry later."""


class PaymentsHandler:
    """Handles one ``payment.requested`` message end to end, and refunds every paid order
    of an event on ``event.cancelled``."""

    def __init__(self, orders: OrdersStore, stripe: StripeGateway, settlement: Settlement) -> None:
        self.orders, self.stripe, self.settlement = orders, stripe, settlement
        self.crash_after_stripe = os.environ.get(CRASH_AFTER_STRIPE) == "1"

    async def __call__(self, message: AbstractIncomingMessage) -> None:
        # A body that does not match its message is dead-lettered (MalformedMessage).
        request, message_id = read(message)
        if isinstance(request, EventCancelled):
            await self.refund_event(request.event_id)
            return
        if not isinstance(request, PaymentRequested):
            raise PermanentError(f"unexpected message type {request.KIND!r}")
        order_id = parse_id(request.order_id)
        order = await self.orders.get(order_id) if order_id else None
        if order is None or order_id is None:
            # The API writes the order before publishing, so this is another deployment's
            # (sharing the exchange, with its own database): not ours to keep or retry.
            log.warning("payment for an unknown order dropped", extra={"id": message_id})
            return
        if message_id in order.get("processed_message_ids", []):
            return  # orders of earlier versions recorded their handled messages
        if order["status"] == "pending":
            await self.charge_and_settle(order)
        else:  # settled by the webhook, or by an earlier delivery that crashed after it
            await self.settlement.resume(order)

    async def refund_event(self, event_id: str) -> None:
        """Refund each confirmed order of a cancelled event (and finish interrupted
        refunds). Idempotent: a redelivery finds the refunded ones gone from the query,
        and one Stripe failure raises, so the message is retried for the rest."""
        if not event_id:
            raise PermanentError("event.cancelled without an event_id")
        for order_id in await self.orders.ids_of_event(event_id, ("confirmed", "refunding")):
            try:
                await self.settlement.refund(order_id, "event_cancelled")
            except Conflict:  # refunded meanwhile (by the organiser): nothing left to do
                continue
        log.info("cancelled event refunded", extra={"event": event_id})

    async def charge_and_settle(self, order: dict[str, Any]) -> None:
        order_id = order["_id"]
        try:
            charge, order = await self._charge(order)
        except (stripe.InvalidRequestError, stripe.CardError) as exc:
            # Stripe refused the request itself (unknown or unusable payment method):
            # no retry will change that, so the payment failed.
            reason = getattr(exc, "code", None) or "invalid_payment_method"
            note = entry("stripe_refused", str(exc.user_message or exc))
            await self.settlement.failed(order_id, reason, [note])
            return
        if charge is None:  # the order left "pending" while we created an intent
            await self.settlement.resume(order)  # as just read back
            return
        if self.crash_after_stripe:
            log.warning("fault injection: exiting after Stripe answered", extra={"order": order_id})
            os._exit(9)
        note = entry(f"stripe_{charge.status}", charge.error)
        if charge.succeeded:
            await self.settlement.succeeded(order, charge.intent_id, [note])
        elif charge.failed:
            await self.settlement.failed(order, charge.error or "payment_failed", [note])
        else:
            await self.orders.add_note(order_id, note["status"], note["detail"])
            raise StillProcessing(f"intent {charge.intent_id} is {charge.status}")

    async def _charge(self, order: dict[str, Any]) -> tuple[Charge | None, dict[str, Any]]:
        """Create-record-confirm, or retrieve-confirm for an intent already recorded;
        Stripe's answer and the order as it now stands (recorded intent included)."""
        order_id = order["_id"]
        intent_id = order["payment"].get("intent_id")
        if intent_id is not None:  # a redelivery: never a second intent
            return await self.stripe.charge(intent_id), order
        created = await self.stripe.create_intent(
            str(order_id),
            order.get("original_reservation_id") or order["reservation_id"],
            order["amount"],
            order["currency"],
            order["payment"]["method"],
        )
        if not await self.orders.claim_intent(order_id, created):
            # Another delivery recorded its intent first (or settled): use that one.
            order = await self._reload(order_id)
            recorded = order["payment"].get("intent_id")
            if recorded is None or order["status"] != "pending":
                return None, order
            return await self.stripe.charge(recorded), order
        # What the write recorded, without reading it back.
        payment = {**order["payment"], "intent_id": created, "status": "created"}
        order = {**order, "payment": payment}
        return await self.stripe.confirm(created), order

    async def _reload(self, order_id: Any) -> dict[str, Any]:
        order = await self.orders.get(order_id)
        assert order is not None  # orders are never deleted
        return order
