"""The API skeleton: health probes and the RFC 9457 problem-details error layer."""

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings

PROBLEM = "application/problem+json"


@pytest.fixture
def app():
    return create_app(Settings())


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


def test_health_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"]


def test_ready(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_unknown_path_is_a_404_problem(client):
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == "not_found"
    assert body["status"] == 404
    assert body["instance"] == "/no/such/thing"
    assert {"type", "title", "status", "detail", "code", "instance"} <= body.keys()


def test_wrong_method_is_a_405_problem(client):
    response = client.post("/health")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == "method_not_allowed"
    assert "GET" in response.headers["allow"]


def test_validation_error_is_a_422_problem(app):
    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    with TestClient(app) as client:
        response = client.get("/items/not-a-number")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"][0]["loc"] == ["path", "item_id"]
    assert body["errors"][0]["msg"]


def test_unhandled_error_is_a_500_problem_without_traceback(app):
    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == "internal_error"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


def test_openapi_is_served(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Ticketing API"
    assert client.get("/docs").status_code == 200


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("PORT", "9123")
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("ENV", "production")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("DATA_DIR", "/tmp/ticketing")
    settings = Settings()
    assert (settings.port, settings.host, settings.env) == (9123, "0.0.0.0", "production")
    assert settings.log_level == "debug"
    assert str(settings.data_dir) == "/tmp/ticketing"
