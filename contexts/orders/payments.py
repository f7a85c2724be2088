"""Payments, API side: accept a payment request, report its state, take Stripe webhooks.

``process`` only records the order (pending) and publishes ``payment.requested``:
the payments worker talks to Stripe, so a slow or failing Stripe never holds an HTTP
request. The order id is derived from the reservation id: one order per reservation,
whatever the retries (with or without the same ``Idempotency-Key``).
"""

from __future__ import annotations

import time
from typing import Any

from actors.errors import InventoryNotFoundError
from actors.refs import HoldRef
from actors.router import InventoryRouter
from contexts.orders.payment_schemas import PaymentCreate, PaymentPublic, WebhookReceipt
from contexts.orders.settlement import Settlement
from contexts.orders.store import OrdersStore, entry, now, order_id_for
from contexts.orders.stripe_gateway import StripeGateway
from contexts.orders.stripe_webhook import reconcile
from contexts.reservations.schemas import Money
from contexts.shared.errors import Conflict, NotFound
from contexts.shared.messages import PaymentRequested
from contexts.shared.principal import Principal
from contexts.shared.publisher import MessagePublisher, send
from engine import HoldNotFoundError

PAYMENT_STATUS = {"pending": "processing", "confirmed": "succeeded"}


def present(order: dict[str, Any]) -> PaymentPublic:
    status = order["status"]
    history = (order.get("payment") or {}).get("history") or []
    return PaymentPublic(
        payment_id=str(order["_id"]),
        status=PAYMENT_STATUS.get(status, status),
        reservation_id=order["reservation_id"],
        event_id=order["event_id"],
        total=Money(amount=order["amount"], currency=order["currency"]),
        order_status=status,
        failure_reason=order.get("failure_reason"),
        tickets=len(order.get("tickets") or []),
        created_at=order.get("created_at"),
        history=history,
    )


class PaymentService:
    """Start payments, read them, reconcile Stripe's webhooks."""

    def __init__(
        self,
        orders: OrdersStore,
        router: InventoryRouter,
        catalog: Any,
        publisher: MessagePublisher,
        stripe: StripeGateway,
        settlement: Settlement,
    ) -> None:
        self.orders, self.router, self.catalog = orders, router, catalog
        self.publisher, self.stripe, self.settlement = publisher, stripe, settlement

    async def process(self, user: Principal, body: PaymentCreate, key: str | None) -> PaymentPublic:
        order_id = order_id_for(body.reservation_id)
        order: dict[str, Any] | None
        try:
            # Built from the hold (the actor, not the database) and inserted at once: a
            # first request costs one write; a retry finds the order by its duplicate id.
            order, created = await self.orders.insert(await self._new_order(user, body, key))
            if created:  # accepted: the seats wait for the payment (bounded)
                await self.settlement.keep_hold(order)
        except (NotFound, Conflict) as refused:
            # Not held (any more): a retry of a payment that went on, or a refusal.
            order = await self.orders.get(order_id)
            if order is None or order["user_id"] != user.id:
                raise refused from None
        if order["user_id"] != user.id:
            raise NotFound(f"No reservation {body.reservation_id}.")
        if order["status"] == "failed":
            reason = order.get("failure_reason") or "payment_failed"
            raise Conflict(
                f"The payment of this reservation failed ({reason}) and its seats were "
                "released: reserve again to pay.",
                code="payment_failed",
            )
        if order["status"] == "pending":
            # Again on every retry: a request whose publish failed (503) is not lost, and
            # the worker drops the duplicates (the message id is the order id).
            message = PaymentRequested(
                order_id=str(order["_id"]),
                **{k: order[k] for k in ("reservation_id", "user_id", "event_id", "amount")},
                payment_method=order["payment"]["method"],
                currency=order["currency"],
            )
            await send(self.publisher, message, str(order["_id"]))
        return present(order)

    async def _new_order(
        self, user: Principal, body: PaymentCreate, key: str | None
    ) -> dict[str, Any]:
        """The pending order of a reservation the caller holds (404 / 409 otherwise)."""
        try:
            ref = HoldRef.parse(body.reservation_id)
            view = await self.router.hold_view(ref)
        except (InventoryNotFoundError, HoldNotFoundError):
            view = None
        if view is None or view["customer"] != user.id:
            raise NotFound(f"No reservation {body.reservation_id}.")
        if view["status"] != "held" or view["expires_at"] <= time.time():
            status = "expired" if view["status"] == "held" else view["status"]
            raise Conflict(f"This reservation is {status}, not held.", code="reservation_not_held")
        event = await self.catalog.get_for_sale(ref.event_id)
        amount, currency = view["amount"], view["currency"]
        return {
            "_id": order_id_for(body.reservation_id),
            "user_id": user.id,
            "event_id": ref.event_id,
            "event_title": event.title if event is not None else None,
            "reservation_id": body.reservation_id,
            "original_reservation_id": body.reservation_id,
            "seats": view["seats"],
            "area": view["area"],
            "quantity": view["quantity"],
            "amount": amount,
            "currency": currency,
            "promo_code": view.get("promo"),  # for the per-code sales report
            "status": "pending",
            "payment": {
                "method": body.payment_method,
                "intent_id": None,
                "status": "requested",
                "history": [entry("requested", body.payment_method)],
            },
            "tickets": [],
            "processed_message_ids": [],
            "announced": [],
            "idempotency_key": key,
            "created_at": now(),
        }

    async def get(self, user: Principal, payment_id: str) -> PaymentPublic:
        order = await self.orders.get(payment_id)
        if order is None or (order.get("user_id") != user.id and not user.is_admin):
            raise NotFound(f"No payment {payment_id}.")
        if "payment" not in order:  # an order not made by this context (imported, seeded)
            raise NotFound(f"No payment {payment_id}.")
        return present(order)

    async def webhook(self, payload: bytes, signature: str | None) -> WebhookReceipt:
        """Reconcile a verified Stripe event exactly like the worker would."""
        return await reconcile(self.orders, self.stripe, self.settlement, payload, signature)
