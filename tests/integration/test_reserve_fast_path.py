"""The lean path of POST /v1/tickets/reserve (api.hotpath) answers as the FastAPI route does.

The route itself still serves every request the lean path hands over; a JSON
subtype (``application/merge-patch+json``) sends a valid request there, so both
paths can be compared on the same app: same answers, problems, idempotency and
metrics.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.hotpath import ReserveFastPath
from tests.integration.api_support import Api, api
from tests.integration.ray_support import ray_local
from tests.integration.test_reservations_api import bearer, on_sale_event

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")
FAST = {"Content-Type": "application/json"}
FRAMEWORK = {"Content-Type": "application/merge-patch+json"}


def fast_path(app: Any) -> ReserveFastPath:
    layer = app.middleware_stack
    while not isinstance(layer, ReserveFastPath):
        layer = layer.app
    return layer


def requests_counted(text: str, status: str) -> float:
    for line in text.splitlines():
        if (
            line.startswith("http_requests_total{")
            and 'route="/v1/tickets/reserve"' in line
            and f'status="{status}"' in line
        ):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def reserve(api: Api, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return await api.client.post("/v1/tickets/reserve", content=json.dumps(body), headers=headers)


async def test_both_paths_answer_alike(api: Api) -> None:
    creator = await api.user("event_creator")
    event_id = await on_sale_event(api, creator)
    buyer = bearer(api, "buyer-fast")
    metrics = (await api.client.get("/metrics")).text
    before = {s: requests_counted(metrics, s) for s in ("201", "409")}
    served = fast_path(api.app).served if api.app.middleware_stack else 0

    fast = await reserve(api, {**buyer, **FAST}, {"event_id": event_id, "seats": ["A-1-1"]})
    framework = await reserve(
        api, {**buyer, **FRAMEWORK}, {"event_id": event_id, "seats": ["A-1-2"]}
    )
    assert fast_path(api.app).served == served + 1  # one of them took the lean path
    for response in (fast, framework):
        assert response.status_code == 201, response.text
        assert response.headers["content-type"] == "application/json"
        assert len(response.headers["x-request-id"]) == 32
    a, b = fast.json(), framework.json()
    assert a.keys() == b.keys()
    assert (a["seats"], b["seats"]) == (["A-1-1"], ["A-1-2"])
    same = {k for k in a if k not in ("reservation_id", "seats", "expires_at")}
    assert {k: a[k] for k in same} == {k: b[k] for k in same}

    # The same refusal, as the same problem, whichever path.
    taken = {"event_id": event_id, "seats": ["A-1-1"]}
    refusals = [await reserve(api, {**buyer, **h}, taken) for h in (FAST, FRAMEWORK)]
    assert [r.status_code for r in refusals] == [409, 409]
    assert {r.headers["content-type"] for r in refusals} == {"application/problem+json"}
    assert refusals[0].json() == refusals[1].json()
    assert refusals[0].json()["code"] == "seat_unavailable"

    metrics = (await api.client.get("/metrics")).text
    assert requests_counted(metrics, "201") == before["201"] + 2
    assert requests_counted(metrics, "409") == before["409"] + 2


async def test_idempotency_key_is_one_reservation_across_paths(api: Api) -> None:
    creator = await api.user("event_creator")
    event_id = await on_sale_event(api, creator)
    buyer = {**bearer(api, "buyer-key"), "Idempotency-Key": "order-42"}
    body = {"event_id": event_id, "section": "A", "quantity": 2}
    answers = [await reserve(api, {**buyer, **h}, body) for h in (FAST, FAST, FRAMEWORK)]
    assert [r.status_code for r in answers] == [201, 201, 201]
    assert len({r.json()["reservation_id"] for r in answers}) == 1
    other = {**bearer(api, "buyer-key-2"), "Idempotency-Key": "order-42", **FAST}
    assert (await reserve(api, other, body)).json()["reservation_id"] != answers[0].json()[
        "reservation_id"
    ]  # keys are per caller


@pytest.mark.parametrize(
    ("headers", "body", "status", "code"),
    [
        ({}, {"seats": ["A-1-1"]}, 401, "unauthorized"),
        ({"Authorization": "Bearer not-a-token"}, {"seats": ["A-1-1"]}, 401, "invalid_token"),
        (None, {"seats": ["A-1-1"], "quantity": 2}, 422, "validation_error"),
        (None, {"seats": []}, 422, "validation_error"),
        ({"Idempotency-Key": "has space"}, {"seats": ["A-1-1"]}, 422, "validation_error"),
    ],
)
async def test_what_the_lean_path_does_not_take_the_framework_answers(
    api: Api, headers: dict[str, str] | None, body: dict[str, Any], status: int, code: str
) -> None:
    creator = await api.user("event_creator")
    event_id = await on_sale_event(api, creator)
    sent = {**FAST, **(bearer(api, "buyer-bad") if headers is None or headers else {})}
    sent.update(headers or {})
    response = await reserve(api, sent, {"event_id": event_id, **body})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
