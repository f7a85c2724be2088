"""Orders, organiser side: refunding an order puts its seats back on sale.

The refund itself is ``Settlement.refund`` (Stripe refund, seats returned to the
inventory, order refunded, ``order.refunded`` published for the buyer's email):
the same idempotent steps whether the request is retried, or a crash interrupted it.
"""

from __future__ import annotations

from typing import Any

from contexts.orders.schemas import OrderPublic
from contexts.orders.settlement import Settlement
from contexts.orders.store import OrdersStore
from contexts.organisers.access import OrganiserAccess
from contexts.organisers.audit import NO_AUDIT, AuditEntry, AuditLog
from contexts.reservations.schemas import Money
from contexts.shared.errors import Forbidden, NotFound
from contexts.shared.principal import Principal


def present(order: dict[str, Any]) -> OrderPublic:
    return OrderPublic(
        id=str(order["_id"]),
        user_id=order["user_id"],
        event_id=order["event_id"],
        status=order["status"],
        total=Money(amount=order["amount"], currency=order["currency"]),
        tickets=len(order.get("tickets") or []),
        created_at=order["created_at"],
        refunded_at=order.get("refunded_at"),
        refund_reason=(order.get("refund") or {}).get("reason"),
    )


class OrderService:
    """What an event's organiser (or an admin) may do with its orders."""

    def __init__(
        self,
        orders: OrdersStore,
        catalog: Any,
        settlement: Settlement,
        *,
        access: OrganiserAccess | None = None,
        audit: AuditLog = NO_AUDIT,
    ) -> None:
        self.orders, self.catalog, self.settlement = orders, catalog, settlement
        self.access, self.audit = access, audit

    async def refund(self, user: Principal, order_id: str) -> OrderPublic:
        order = await self.orders.get(order_id, light=True)
        if order is None or "payment" not in order:  # not an order this context made
            raise NotFound(f"No order {order_id}.")
        event = await self.catalog.get_for_sale(order["event_id"])
        organiser = event is not None and await self._may_refund(user, event)
        if not (user.is_admin or organiser):
            if order.get("user_id") == user.id:
                raise Forbidden("Refunds are made by the event's organiser or an admin.")
            raise NotFound(f"No order {order_id}.")
        reason = "organiser" if organiser and not user.is_admin else "admin"
        refunded = await self.settlement.refund(order["_id"], reason)
        if order["status"] != refunded["status"]:  # this request moved it (not a retry)
            before, after = {"status": order["status"]}, {"status": refunded["status"]}
            entry = AuditEntry.by(
                user, "order.refund", ("order", order_id), before=before, after=after,
                organiser_id=getattr(event, "organiser_id", None), detail={"reason": reason},
            )  # fmt: skip
            await self.audit.append(entry)
        return present(refunded)

    async def _may_refund(self, user: Principal, event: Any) -> bool:
        """The ``refund`` permission in the event's organiser (or a personal event's owner)."""
        if self.access is None:  # built without organisers (tools): owners only
            return bool(event.owner_id == user.id)
        return await self.access.can(user, event, "refund")
