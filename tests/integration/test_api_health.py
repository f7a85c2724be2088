"""The app's probes and its problem-details error layer, with real components behind it."""

from __future__ import annotations

import pytest

from tests.integration.api_support import api
from tests.integration.ray_support import ray_local

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")
PROBLEM = "application/problem+json"


async def test_health_and_ready(api) -> None:
    health = await api.client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    ready = await api.client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"ray": True, "mongodb": True, "rabbitmq": True}


async def test_request_id_is_echoed_or_made(api) -> None:
    given = await api.client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await api.client.get("/health")
    assert len(made.headers["x-request-id"]) == 32


async def test_metrics_count_requests(api) -> None:
    await api.client.get("/health")
    body = (await api.client.get("/metrics")).text
    assert 'http_requests_total{method="GET",route="/health",status="200"}' in body


async def test_unknown_path_and_wrong_method_are_problems(api) -> None:
    missing = await api.client.get("/no/such/thing")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(PROBLEM)
    assert missing.json()["code"] == "not_found"
    wrong = await api.client.post("/health")
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"


async def test_oversized_body_is_refused(api) -> None:
    response = await api.client.post(
        "/v1/auth/login", content=b"x" * 2_000_000, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_openapi_has_operation_ids(api) -> None:
    spec = (await api.client.get("/openapi.json")).json()
    ops = [op for path in spec["paths"].values() for op in path.values()]
    assert ops and all("operationId" in op for op in ops)
    assert len({op["operationId"] for op in ops}) == len(ops)
