"""The problem-details layer and settings, without starting the app's components.

``TestClient(app)`` outside a ``with`` block does not run the lifespan, so no
database, broker or Ray is touched here.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pymongo.errors import ServerSelectionTimeoutError

import contexts
from actors.errors import InventoryUnavailableError
from api.main import create_app
from api.problems import REFUSAL_STATUS
from contexts.auth.errors import EmailTaken, InvalidToken
from contexts.orders.stripe_webhook import InvalidSignature
from contexts.shared.errors import KINDS, NotFound, RateLimited, Refusal
from contexts.shared.publisher import BrokerUnavailable
from contexts.shared.settings import Settings
from contexts.waiting_room.errors import UnknownAccounts
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
        "token": InvalidToken("The access token is invalid."),
        "broker": BrokerUnavailable(),
        "signature": InvalidSignature("The webhook does not verify."),
        "missing": NotFound("No such order."),
        "taken_email": EmailTaken("This email is taken."),
        "accounts": UnknownAccounts("No account for x@example.com.", emails=["x@example.com"]),
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
        ("broker", 503, "broker_unavailable", "2"),
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


@pytest.mark.parametrize(
    "name, status, title, code, headers",
    [
        ("token", 401, "Unauthorized", "invalid_token", {"www-authenticate": "Bearer"}),
        ("broker", 503, "Service Unavailable", "broker_unavailable", {"retry-after": "2"}),
        ("slow", 429, "Too Many Requests", "rate_limited", {"retry-after": "7"}),
        ("signature", 400, "Bad Request", "invalid_signature", {}),
        ("missing", 404, "Not Found", "not_found", {}),
        ("taken_email", 409, "Conflict", "email_taken", {}),
        ("accounts", 422, "Unprocessable Content", "unknown_accounts", {}),
    ],
)
def test_refusals_map_by_kind_to_status_title_and_http_headers(
    app, name: str, status: int, title: str, code: str, headers: dict[str, str]
) -> None:
    """The core says what kind of refusal; only api.problems knows HTTP."""
    response = TestClient(app).get(f"/raise/{name}")
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert (body["status"], body["title"], body["code"]) == (status, title, code)
    assert body["instance"] == f"/raise/{name}" and body["type"] == "about:blank"
    extra = set(body) - {"type", "title", "status", "detail", "code", "instance"}
    assert extra == ({"emails"} if name == "accounts" else set())  # no retry_after_s
    http_only = {"www-authenticate", "retry-after"}
    assert {k: v for k, v in response.headers.items() if k in http_only} == headers


def _refusal_classes() -> set[type[Refusal]]:
    """Every refusal class the core defines (each module of contexts/ imported)."""
    for info in pkgutil.walk_packages(contexts.__path__, "contexts."):
        importlib.import_module(info.name)
    found: set[type[Refusal]] = set()
    todo: list[type[Refusal]] = [Refusal]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(sub for sub in cls.__subclasses__() if sub not in found)
    return found


def test_every_refusal_has_a_kind_that_api_problems_maps() -> None:
    assert set(REFUSAL_STATUS) == KINDS
    classes = _refusal_classes()
    assert len(classes) > 30
    for cls in classes:
        assert cls.kind in REFUSAL_STATUS, cls
        for klass in cls.__mro__[: cls.__mro__.index(Exception)]:
            # HTTP belongs to api/: no status, title or headers on a refusal.
            http = {"status", "status_code", "title", "headers"} & set(vars(klass))
            assert not http, (klass, http)


HTTP_ATTRIBUTES = {"status", "status_code", "headers"}


def test_no_module_of_the_core_speaks_http_status_or_headers() -> None:
    """Read off the syntax tree of contexts/: no class sets a status or headers (a
    schema's annotated ``status`` field is data), no raise passes them, and no string
    names an HTTP-only header."""
    root = Path(contexts.__file__).parent
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            where = (str(path.relative_to(root)), getattr(node, "lineno", 0))
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                said = node.value.lower()
                assert "www-authenticate" not in said and "retry-after" not in said, where
            elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                assert not {k.arg for k in node.exc.keywords} & HTTP_ATTRIBUTES, where
            elif isinstance(node, ast.ClassDef):
                for name, value in _class_assignments(node):
                    # ``status = 404`` or ``headers = {...}``; ``status = retrieve`` (an
                    # alias of a method) is no HTTP.
                    http = isinstance(value, ast.Dict) or (
                        isinstance(value, ast.Constant) and isinstance(value.value, int)
                    )
                    assert not (name in HTTP_ATTRIBUTES and http), (*where, node.name, name)


def _class_assignments(node: ast.ClassDef) -> list[tuple[str, ast.expr]]:
    """(name, value) of each class-level ``name = value``, tuples unpacked."""
    found = []
    for item in node.body:
        for target in item.targets if isinstance(item, ast.Assign) else ():
            if isinstance(target, ast.Tuple) and isinstance(item.value, ast.Tuple):
                pairs = zip(target.elts, item.value.elts, strict=False)
            else:
                pairs = zip([target], [item.value], strict=True)
            found += [(t.id, v) for t, v in pairs if isinstance(t, ast.Name)]
    return found


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
