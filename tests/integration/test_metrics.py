"""``/metrics`` shows the reservation path and the inventory actors, and the numbers move:
a reservation and its release, through the real app, Ray actors and MongoDB."""

from __future__ import annotations

import asyncio
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.api_support import Api, api
from tests.integration.ray_support import ray_local
from tests.integration.test_reservations_api import on_sale_event

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(api: Api) -> Samples:
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample of ``name`` with these labels (others ignored); 0 if there is none."""
    wanted = set(labels.items())
    found = [v for (n, ls), v in samples.items() if n == name and wanted <= ls]
    assert len(found) <= 1, f"{name}{labels}: {found}"
    return found[0] if found else 0.0


def has(samples: Samples, name: str, **labels: str) -> bool:
    wanted = set(labels.items())
    return any(n == name and wanted <= ls for n, ls in samples)


async def test_metrics_move_after_a_reservation_and_its_release(api: Api) -> None:
    event_id = await on_sale_event(api, await api.user("event_creator"))
    buyer = await api.user()
    before = await scrape(api)
    assert value(before, "ticketing_inventory_up", stream=event_id) == 1
    assert value(before, "ticketing_inventory_events_total", event_id=event_id, type="held") == 0

    body = {"event_id": event_id, "seats": ["A-1-1", "A-1-2"]}
    reserved = await api.client.post("/v1/tickets/reserve", headers=buyer["headers"], json=body)
    assert reserved.status_code == 201, reserved.text
    taken = await api.client.post("/v1/tickets/reserve", headers=buyer["headers"], json=body)
    assert taken.status_code == 409
    reservation = reserved.json()["reservation_id"]
    released = await api.client.delete(f"/v1/reservations/{reservation}", headers=buyer["headers"])
    assert released.status_code == 204, released.text

    deadline = time.monotonic() + 10
    while True:  # the outbox publishes on its own time: wait until it caught up
        after = await scrape(api)
        lag = value(after, "ticketing_outbox_lag_events", stream=event_id)
        if lag == 0 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert lag == 0 and has(after, "ticketing_outbox_lag_events", stream=event_id)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("ticketing_reserve_duration_seconds_count", outcome="held") == 1
    assert moved("ticketing_reserve_duration_seconds_count", outcome="refused") == 1
    route = "/v1/tickets/reserve"
    assert moved("http_requests_total", route=route, status="201") == 1
    assert moved("http_requests_total", route=route, status="409") == 1
    for kind in ("held", "released"):
        assert value(after, "ticketing_inventory_events_total", event_id=event_id, type=kind) == 1
    assert (
        value(after, "ticketing_inventory_events_total", event_id=event_id, type="confirmed") == 0
    )
    assert moved("ticketing_journal_batch_size_count", stream=event_id) == 2  # hold, release
    assert moved("ticketing_journal_batch_size_sum", stream=event_id) == 2
    assert moved("ticketing_journal_write_seconds_count", stream=event_id) == 2
    assert value(after, "ticketing_journal_write_seconds_sum", stream=event_id) > 0
    bucket = value(after, "ticketing_journal_batch_size_bucket", stream=event_id, le="1.0")
    assert bucket == value(after, "ticketing_journal_batch_size_count", stream=event_id)
    # Queue depths are back to zero once every request was answered.
    for name in ("ticketing_inventory_inflight_commands", "ticketing_journal_pending_events"):
        assert has(after, name, stream=event_id) and value(after, name, stream=event_id) == 0
    assert has(after, "ticketing_router_pending_commands")
    assert value(after, "ticketing_router_pending_commands") == 0
