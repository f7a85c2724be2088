"""Re-holding the seats of a payment that succeeded after its hold expired.

If the same seats (or as many places in the same area) are still free, the buyer
gets them: a new hold, recorded in the order before it is confirmed. If they were
taken meanwhile, the caller refunds the payment.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from actors.errors import InventoryNotFoundError
from actors.refs import HoldRef
from actors.router import InventoryRouter
from contexts.orders.store import OrdersStore, entry
from engine import HoldArea, HoldSeats, LimitExceededError, SeatUnavailableError, SoldOutError

# The seats are gone (or the buyer's limit is used up elsewhere, or the event is gone).
TAKEN = (SeatUnavailableError, SoldOutError, LimitExceededError, InventoryNotFoundError)


class Superseded(Exception):
    """The order left ``pending`` while we worked on it: another settlement won."""


async def rehold(
    router: InventoryRouter, orders: OrdersStore, order: dict[str, Any], expired: HoldRef
) -> HoldRef | None:
    """A new hold on the order's seats, recorded as its reservation; None if taken.

    The idempotency key names the hold being replaced: a retry after a crash gets the
    same new hold back, and if that one expired too, the next attempt makes a fresh one.
    """
    order_id, customer = order["_id"], order["user_id"]
    key = f"rehold:{order_id}:{expired.hold_id}"
    command: HoldSeats | HoldArea
    if order.get("seats"):
        command = HoldSeats(customer, tuple(order["seats"]), key)
    else:
        command = HoldArea(customer, order["area"], int(order["quantity"]), key)
    try:
        held = await router.hold(expired.event_id, command)
    except TAKEN as exc:
        await orders.add_note(order_id, "rehold_refused", getattr(exc, "code", "gone"))
        return None
    token = held.ref.token()
    # Recorded before confirming: after a crash, the next attempt confirms this hold.
    done = await orders.transition(
        order_id, {"pending"}, {"reservation_id": token}, entry("reheld", token)
    )
    if done is None:
        with suppress(Exception):  # best effort: it would expire anyway
            await router.release(held.ref, customer=customer)
        raise Superseded()
    return held.ref
