"""Settling a payment: the one code path the payments worker, the Stripe webhook and
organiser refunds share, so every route to an outcome has the same effects.

Every step is idempotent, so any of them may run twice, concurrently, or again after
a crash: the inventory confirms a hold once per payment reference, a re-hold carries
an idempotency key, the order moves on only by conditional updates, a refund is
created only if the intent has none, and the ``order.*`` message has a fixed id and
is re-published until the order records it as announced.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any

from bson import ObjectId

from actors.errors import InventoryNotFoundError
from actors.refs import HoldRef
from actors.router import GRANT_GRACE_S, InventoryRouter
from contexts.orders.announcements import announce, publish_outcome
from contexts.orders.rehold import Superseded, rehold
from contexts.orders.store import OrdersStore, entry, now
from contexts.orders.stripe_gateway import StripeGateway
from contexts.organisers.audit import NO_AUDIT, PAYMENTS, AuditEntry, AuditLog
from contexts.shared.errors import Conflict
from contexts.shared.publisher import MessagePublisher
from contexts.tickets.issue import issue_tickets
from contexts.tickets.signer import TicketSigner
from engine import HoldExpiredError, HoldNotFoundError

log = logging.getLogger(__name__)
GRANT_MARGIN_S = 60.0  # a sharded hold's extension ends this long before its grant
GONE = (HoldExpiredError, HoldNotFoundError)  # the hold cannot be confirmed any more
type Order = dict[str, Any] | ObjectId  # the document in hand, or its id to read it by


class Settlement:
    """Turns a payment outcome into seats, tickets, an order status and a message."""

    def __init__(
        self,
        orders: OrdersStore,
        router: InventoryRouter,
        stripe: StripeGateway,
        signer: TicketSigner,
        publisher: MessagePublisher,
        audit: AuditLog = NO_AUDIT,
        hold_extension_s: float = 0.0,
    ) -> None:
        self.orders, self.router, self.stripe = orders, router, stripe
        self.signer, self.publisher, self.audit = signer, publisher, audit
        self.hold_extension_s = hold_extension_s

    async def keep_hold(self, order: dict[str, Any]) -> float | None:
        """An accepted payment keeps its seats until it decides: extend the hold (once
        per acceptance, journaled by the actor, bounded by ``PAYMENT_HOLD_EXTENSION_S``
        past its TTL). The payment may wait behind Stripe's rate for minutes. The new
        deadline, or None if the hold could not be kept (then the late-payment path
        re-holds or refunds, as for any payment that outlives its hold)."""
        if self.hold_extension_s <= 0:
            return None
        ref = HoldRef.parse(order["reservation_id"])
        seconds = self.hold_extension_s
        if ref.grant_id:
            # A sharded event's hold has a quota grant that lapses GRANT_GRACE_S after
            # the TTL: the hold must end first, or its confirmation would find no grant.
            seconds = min(seconds, GRANT_GRACE_S - GRANT_MARGIN_S)
        try:
            extended = await self.router.extend(ref, seconds, order["user_id"])
        except Exception as exc:  # never refuse an accepted payment for this
            log.warning("hold not extended", extra={"order": str(order["_id"]), "error": repr(exc)})
            return None
        return float(extended.expires_at)

    async def succeeded(
        self, order: Order, intent_id: str, notes: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """The payment went through: confirm the seats (re-holding them if the hold
        expired meanwhile) and issue tickets, or refund if the seats are gone.
        ``order`` is the document in hand (or its id); ``notes`` are history lines
        that go with the state change (one write)."""
        order = await self._doc(order)
        if order["status"] == "pending":
            try:
                order = await self._confirm(order, intent_id, notes or [])
                await self._money("payment.succeeded", order, intent_id=intent_id)
            except Superseded:
                order = await self._get(order["_id"])
        return await self.resume(order)

    async def failed(
        self, order: Order, reason: str, notes: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """The payment failed: give the seats back and fail the order."""
        order = await self._doc(order)
        if order["status"] == "pending":
            # Already expired or released: the seats are back on sale either way.
            with suppress(*GONE, InventoryNotFoundError):
                ref = HoldRef.parse(order["reservation_id"])
                await self.router.release(ref, customer=order["user_id"])
            changes = {"status": "failed", "payment.status": "failed", "failure_reason": reason}
            done = await self._decided(order, changes, [*(notes or []), entry("failed", reason)])
            if done is not None:
                await self._money("payment.failed", done, reason=reason)
            order = done or await self._get(order["_id"])
        return await self.resume(order)

    async def refund(self, order_id: ObjectId, reason: str) -> dict[str, Any]:
        """An organiser's refund of a confirmed order: money back, seats back on sale."""
        order = await self._get(order_id)
        if order["status"] == "confirmed":
            claim = {"status": "refunding", "refund": {"reason": reason, "return_seats": True}}
            done = await self.orders.transition(
                order_id, {"confirmed"}, claim, entry("refund_requested", reason)
            )
            order = done or await self._get(order_id)
        if order["status"] not in ("refunding", "refunded"):
            detail = f"An order that is {order['status']} cannot be refunded."
            raise Conflict(detail, code="not_refundable")
        return await self.resume(order)

    async def resume(self, order: dict[str, Any]) -> dict[str, Any]:
        """Finish what an interrupted settlement left (a refund), announce the outcome."""
        if order["status"] == "refunding":
            order = await self._finish_refund(order)
        await announce(self.orders, self.publisher, order)
        return order

    async def _confirm(
        self, order: dict[str, Any], intent_id: str, notes: list[dict[str, Any]]
    ) -> dict[str, Any]:
        order_id, customer = order["_id"], order["user_id"]
        ref = HoldRef.parse(order["reservation_id"])
        try:
            await self.router.confirm(ref, payment_ref=intent_id, customer=customer)
        except GONE:
            new_ref = await rehold(self.router, self.orders, order, ref)
            if new_ref is None:  # paid too late, and the seats went to someone else
                refund = {"reason": "seats_unavailable", "return_seats": False}
                claim = {"status": "refunding", "refund": refund}
                lines = [*notes, entry("refund_requested", "seats_unavailable")]
                done = await self.orders.transition(order_id, {"pending"}, claim, lines)
                if done is None:
                    raise Superseded() from None
                return done
            ref = new_ref
            order = {**order, "reservation_id": ref.token()}
            await self.router.confirm(ref, payment_ref=intent_id, customer=customer)
        changes = {
            "status": "confirmed",
            "payment.status": "succeeded",
            "tickets": issue_tickets(order, self.signer),
            "confirmed_at": now(),
        }
        done = await self._decided(order, changes, [*notes, entry("confirmed")])
        if done is None:
            raise Superseded()
        return done

    async def _decided(
        self, order: dict[str, Any], changes: dict[str, Any], lines: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """Announce a decided outcome, then record it with ``announced`` in one write
        (see ``announcements``); the new document, or None if another settlement won."""
        after = {**order, **{k: v for k, v in changes.items() if "." not in k}}
        kind = await publish_outcome(self.publisher, after)
        return await self.orders.transition(order["_id"], {"pending"}, changes, lines, kind)

    async def _finish_refund(self, order: dict[str, Any]) -> dict[str, Any]:
        order_id, refund = order["_id"], order.get("refund") or {}
        intent_id = (order.get("payment") or {}).get("intent_id")
        refund_id = None  # no intent: nothing was charged through Stripe
        if intent_id:
            refund_id = await self.stripe.refund_once(intent_id, f"re:{order_id}")
        if refund.get("return_seats"):
            # Keyed: a retry after a crash does not fail on the seats already returned.
            ref = HoldRef.parse(order["reservation_id"])
            await self.router.refund(ref, key=f"return:{order_id}")
        changes = {
            "status": "refunded",
            "payment.status": "refunded",
            "payment.refund_id": refund_id,
            "refunded_at": now(),
        }
        done = await self.orders.transition(
            order_id, {"refunding"}, changes, entry("refunded", refund_id)
        )
        if done is not None:
            await self._money("refund.succeeded", done, refund_id=refund_id, **refund)
        return done or await self._get(order_id)

    async def _money(self, action: str, order: dict[str, Any], **detail: Any) -> None:
        """Audit a money movement, once: callers record only the transition they won.
        (A crash right after a transition loses its entry; the order keeps its history.)"""
        money = {"amount": order.get("amount"), "currency": order.get("currency")}
        entry = AuditEntry(
            PAYMENTS, action, "order", str(order["_id"]), before=None,
            after={"status": order["status"], **money}, detail=detail,
        )  # fmt: skip
        await self.audit.append(entry)

    async def _doc(self, order: Order) -> dict[str, Any]:
        return order if isinstance(order, dict) else await self._get(order)

    async def _get(self, order_id: ObjectId) -> dict[str, Any]:
        order = await self.orders.get(order_id)
        if order is None:
            raise LookupError(f"no order {order_id}")
        return order
