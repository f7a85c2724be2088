"""Organiser reports of one event: sales and check-in progress (amounts in minor units
of the event's currency). Only confirmed orders count as sales; refunds are apart."""

from __future__ import annotations

from pydantic import BaseModel


class DaySales(BaseModel):
    """Confirmed orders placed on one UTC day."""

    day: str
    orders: int
    tickets: int
    revenue: int


class PromoSales(BaseModel):
    """Confirmed orders by the promo code they used (``null``: none)."""

    promo_code: str | None
    orders: int
    tickets: int
    revenue: int


class TierSales(BaseModel):
    """Tickets sold in one price tier, at the tier's face value."""

    tier: str
    tickets: int
    face_value: int


class SalesReport(BaseModel):
    """An event's sales: totals, per day, per price tier and per promo code."""

    event_id: str
    currency: str
    orders: int
    tickets: int
    revenue: int
    refunded_orders: int
    refunded_amount: int
    per_day: list[DaySales]
    per_tier: list[TierSales]
    per_promo: list[PromoSales]


class TierCheckIns(BaseModel):
    tier: str
    issued: int
    checked_in: int


class CheckInReport(BaseModel):
    """How many of the issued tickets (confirmed orders) have checked in."""

    event_id: str
    issued: int
    checked_in: int
    per_tier: list[TierCheckIns]
