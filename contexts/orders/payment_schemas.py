"""Request and response shapes of ``/v1/payments``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from contexts.reservations.schemas import Money
from contexts.shared.schemas import RequestModel

# A Stripe PaymentMethod id (``pm_...``, e.g. ``pm_card_visa`` in test mode): card
# numbers never reach us, Stripe.js turns them into one of these in the browser. A
# card id (``card_...``) is accepted too, as Stripe's PaymentIntents accept it: it is
# what localstripe's Stripe.js stand-in makes (its createPaymentMethod does nothing).
PaymentMethodId = Annotated[str, StringConstraints(pattern=r"^(pm|card)_[A-Za-z0-9_]{1,200}$")]
# ``<event id>.<shard>.<hold id>.<grant id>`` (actors.refs.HoldRef.token).
RESERVATION_ID = r"^[A-Za-z0-9_-]{1,64}\.-?\d{1,6}\.\d{1,18}\.\d{1,18}$"
ReservationId = Annotated[str, StringConstraints(pattern=RESERVATION_ID)]
PaymentStatus = Literal["processing", "succeeded", "failed", "refunding", "refunded"]


class PaymentCreate(RequestModel):
    """Pay for a held reservation with a Stripe PaymentMethod."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reservation_id": "66f0c0ffee0000000000abcd.-1.17.0",
                    "payment_method": "pm_card_visa",
                }
            ]
        },
    )

    reservation_id: ReservationId
    payment_method: PaymentMethodId


class PaymentEvent(BaseModel):
    """One state change of the payment (the transaction's history)."""

    at: datetime
    status: str
    detail: str | None = None


class PaymentPublic(BaseModel):
    """A payment as its payer sees it; ``payment_id`` is also the order's id."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "payment_id": "6a1f0c0ffee0000000000abc",
                    "status": "processing",
                    "reservation_id": "66f0c0ffee0000000000abcd.-1.17.0",
                    "event_id": "66f0c0ffee0000000000abcd",
                    "total": {"amount": 10000, "currency": "EUR"},
                    "order_status": "pending",
                }
            ]
        }
    )

    payment_id: str
    status: PaymentStatus
    reservation_id: str
    event_id: str
    total: Money
    order_status: str
    failure_reason: str | None = None
    tickets: int = 0
    created_at: datetime | None = None
    history: list[PaymentEvent] = []


class WebhookReceipt(BaseModel):
    """What the webhook did with a Stripe event."""

    received: bool = True
    handled: bool
