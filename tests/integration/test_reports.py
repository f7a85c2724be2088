"""Organiser reports against the real app (Ray, MongoDB over the wire): sales per day,
tier and promo code and check-in progress match the orders they come from; the CSV
export has a row per ticket; strangers are refused."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.integration.api_support import Api, api
from tests.integration.orders_seed import seed_order
from tests.integration.ray_support import ray_local
from tests.integration.test_reservations_api import on_sale_event

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")


async def test_reports_match_the_orders(api: Api) -> None:
    creator, buyer, friend = await api.user("event_creator"), await api.user(), await api.user()
    event_id = await on_sale_event(api, creator, area=100)
    day1, day2 = datetime(2026, 3, 1, 10, tzinfo=UTC), datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    seeds = [
        dict(seats=["A-1-1", "A-1-2"], created_at=day1),  # 10,000
        dict(quantity=3, created_at=day1, promo_code="EARLY", amount=9000),  # 10,500 face
        dict(seats=["A-2-1"], created_at=day2, promo_code="EARLY", amount=4000),
        dict(quantity=1, created_at=day2),  # 3,500
        dict(seats=["A-3-1"], created_at=day2, status="refunded"),
        dict(quantity=2, created_at=day2, status="pending"),  # not a sale
    ]
    orders = [await seed_order(api, event_id, buyer["id"], **s) for s in seeds]
    other_event = await on_sale_event(api, creator)  # its orders never count here
    await seed_order(api, other_event, buyer["id"], seats=["A-1-1"], created_at=day1)

    sales = await api.client.get(f"/v1/events/{event_id}/reports/sales", headers=creator["headers"])
    assert sales.status_code == 200, sales.text
    report = sales.json()
    confirmed = [o for o in orders if o["status"] == "confirmed"]
    assert (report["orders"], report["tickets"], report["revenue"], report["currency"]) == (
        4,
        sum(len(o["tickets"]) for o in confirmed),
        sum(o["amount"] for o in confirmed),
        "EUR",
    )
    assert (report["refunded_orders"], report["refunded_amount"]) == (1, 5000)
    assert report["per_day"] == [
        {"day": "2026-03-01", "orders": 2, "tickets": 5, "revenue": 19000},
        {"day": "2026-03-02", "orders": 2, "tickets": 2, "revenue": 7500},
    ]
    assert report["per_tier"] == [
        {"tier": "Cat 1", "tickets": 3, "face_value": 15000},
        {"tier": "Floor", "tickets": 4, "face_value": 14000},
    ]
    assert report["per_promo"] == [
        {"promo_code": None, "orders": 2, "tickets": 3, "revenue": 13500},
        {"promo_code": "EARLY", "orders": 2, "tickets": 4, "revenue": 13000},
    ]

    # Check-ins at the door (one after a transfer), then the progress report.
    first = orders[0]["tickets"][0]
    moved = await api.client.post(
        f"/v1/tickets/{first['ticket_id']}/transfer",
        headers=buyer["headers"],
        json={"to_email": friend["email"]},
    )
    assert moved.status_code == 200, moved.text
    [new_qr] = [
        t["qr"]
        for t in (await api.client.get("/v1/tickets", headers=friend["headers"])).json()["items"]
    ]
    for ticket_id, qr in [(first["ticket_id"], new_qr), *[
        (t["ticket_id"], t["qr"]) for t in orders[1]["tickets"][:2]
    ]]:  # fmt: skip
        scan = await api.client.post(
            f"/v1/tickets/{ticket_id}/check-in", headers=creator["headers"], json={"qr": qr}
        )
        assert scan.status_code == 200, scan.text
    progress = await api.client.get(
        f"/v1/events/{event_id}/reports/check-ins", headers=creator["headers"]
    )
    assert progress.status_code == 200, progress.text
    assert progress.json() == {
        "event_id": event_id,
        "issued": 7,
        "checked_in": 3,
        "per_tier": [
            {"tier": "Cat 1", "issued": 3, "checked_in": 1},
            {"tier": "Floor", "issued": 4, "checked_in": 2},
        ],
    }

    export = await api.client.get(
        f"/v1/events/{event_id}/reports/tickets.csv", headers=creator["headers"]
    )
    assert export.status_code == 200, export.text
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert sorted(r["ticket_id"] for r in rows) == sorted(
        t["ticket_id"] for o in confirmed for t in o["tickets"]
    )
    assert Counter(r["status"] for r in rows) == {"valid": 4, "checked_in": 3}
    [row] = [r for r in rows if r["ticket_id"] == first["ticket_id"]]
    assert (row["holder_id"], row["buyer_id"], row["tier"], row["price"]) == (
        friend["id"],
        buyer["id"],
        "Cat 1",
        "5000",
    )
    assert row["transferred_at"] and row["checked_in_at"]


@pytest.mark.parametrize("path", ["sales", "check-ins", "tickets.csv"])
async def test_reports_are_the_organisers(api: Api, path: str) -> None:
    creator, other = await api.user("event_creator"), await api.user("event_creator")
    buyer, admin = await api.user(), await api.user("admin")
    event_id = await on_sale_event(api, creator)
    url = f"/v1/events/{event_id}/reports/{path}"
    outcomes: dict[str, Any] = {}
    for name, who in (("other", other), ("buyer", buyer), ("admin", admin)):
        response = await api.client.get(url, headers=who["headers"])
        outcomes[name] = (response.status_code, response.headers["content-type"].split(";")[0])
    anonymous = await api.client.get(url)
    assert outcomes == {
        "other": (403, "application/problem+json"),
        "buyer": (403, "application/problem+json"),
        "admin": (200, "text/csv" if path.endswith(".csv") else "application/json"),
    }
    assert anonymous.status_code == 401
    missing = await api.client.get(
        f"/v1/events/{'0' * 24}/reports/{path}", headers=admin["headers"]
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
