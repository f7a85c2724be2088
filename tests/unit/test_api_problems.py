"""The problem-details layer and settings, without starting the app's components.

``TestClient(app)`` outside a ``with`` block does not run the lifespan, so no
database, broker or Ray is touched here.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pymongo.errors import ServerSelectionTimeoutError

from actors.errors import InventoryUnavailableError
from api.main import create_app
from contexts.shared.errors import RateLimited
from contexts.shared.settings import Settings
from engine import LimitExceededError, SeatUnavailableError, SoldOutError

PROBLEM = "application/problem+json"


@pytest.fixture
def app():
    app = create_app(Settings())

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    errors = {
        "taken": SeatUnavailableError("not available: A-1-1", ("A-1-1",)),
        "soldout": SoldOutError("none left", 0),
        "limit": LimitExceededError("at most 4", 4, 4),
        "busy": InventoryUnavailableError("journal down", 2.0),
        "slow": RateLimited("slow down", 7),
        "mongo": ServerSelectionTimeoutError("127.0.0.1:27017: connection refused"),
    }

    @app.get("/raise/{name}")
    async def raise_(name: str) -> None:
        raise errors[name]

    return app


def test_validation_error_is_a_422_problem(app) -> None:
    response = TestClient(app).get("/items/not-a-number")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"][0]["loc"] == ["path", "item_id"]


def test_unhandled_error_is_a_500_problem_without_traceback(app) -> None:
    response = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500 and response.json()["code"] == "internal_error"
    assert "secret internals" not in response.text and "Traceback" not in response.text


@pytest.mark.parametrize(
    "name, status, code, header",
    [
        ("taken", 409, "seat_unavailable", None),
        ("soldout", 409, "sold_out", None),
        ("limit", 409, "limit_exceeded", None),
        ("busy", 503, "inventory_unavailable", "2"),
        ("slow", 429, "rate_limited", "7"),
        ("mongo", 503, "store_unavailable", "2"),
    ],
)
def test_domain_errors_map_to_problems(
    app, name: str, status: int, code: str, header: str | None
) -> None:
    response = TestClient(app).get(f"/raise/{name}")
    assert response.status_code == status
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == code
    assert response.headers.get("retry-after") == header
    if name == "taken":
        assert response.json()["seats"] == ["A-1-1"]


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9123")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    settings = Settings()
    assert settings.port == 9123 and settings.log_level == "debug"
    assert settings.cors_origins == ["https://a.example", "https://b.example"]


# Production's refusals of settings: tests/unit/test_production_settings.py.


def test_the_openapi_document_declares_problem_details_for_every_error(app) -> None:
    """What clients generate code from matches what the handlers send."""
    client = TestClient(app)
    document = client.get("/openapi.json").json()
    errors = [
        (path, method, status, response)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if int(status) >= 400
    ]
    assert len(errors) > 50
    for path, method, status, response in errors:
        assert response["content"] == {
            PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}
        }, (
            path,
            method,
            status,
        )
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "code" in schemas["Problem"]["required"]
    # The 422 body that the document now promises is the one the handler sends.
    body = client.get("/items/not-a-number").json()
    assert set(schemas["Problem"]["required"]) <= set(body)
