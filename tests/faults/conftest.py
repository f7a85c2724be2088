"""Fixtures of the fault suite: the integration suite's real components (mongoeco, Ray,
localstripe, RabbitMQ through the `shop` app), plus what every scenario needs to load
the app and audit it afterwards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.integration.conftest import embedded_mongo
from tests.integration.payments_support import Shop, localstripe, shop
from tests.integration.ray_support import ray_local
from tests.integration.test_reservations_api import bearer

__all__ = ["embedded_mongo", "localstripe", "ray_local", "shop"]

# What every scenario's audit asserts (tests/faults/audit.py), for the report.
CHECKED = (
    "acked holds and payments kept; no seat sold twice; available+held+sold = capacity; "
    "sold = tickets; one charged intent per hold, charged iff paid; one confirmation and one "
    "order.confirmed per paid order"
)


@dataclass
class Rig:
    """A scenario's handles: the shop (app, worker, captured messages) and helpers."""

    shop: Shop
    stripe: tuple[str, str]

    def token(self, user_id: str) -> dict[str, str]:
        return bearer(self.shop.api, user_id)

    def confirmed_messages(self) -> Callable[[str], int]:
        return lambda order_id: len(self.shop.of(order_id, "order.confirmed"))


@pytest.fixture
def rig(shop: Shop, localstripe: str) -> Rig:
    return Rig(shop, (localstripe, shop.api.settings.stripe_api_key))


def seat_pool(rows: int = 4, seats: int = 10) -> list[str]:
    """The seat ids of `on_sale_event`'s section A."""
    return [f"A-{r}-{n}" for r in range(1, rows + 1) for n in range(1, seats + 1)]
