"""Every request body of the app is strict JSON, and every PATCH body says which of its
fields an explicit null clears: checked over the app's own routes, so a new route or
field cannot opt out by forgetting."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ValidationError

from api.main import create_app
from contexts.catalog.promo_schemas import PromoCreate, PromoUpdate
from contexts.catalog.schemas import EventUpdate
from contexts.reservations.schemas import ReserveCreate
from contexts.shared.schemas import PatchModel, RequestModel
from contexts.shared.settings import Settings

FORMS = {"/v1/auth/token"}  # an OAuth2 form: its values are text by nature


def _bodies() -> list[tuple[str, str, type[BaseModel]]]:
    app = create_app(Settings())
    found = []
    for route in iter_route_contexts(app.routes):
        field = getattr(route, "body_field", None)
        if field is not None and route.path not in FORMS:
            for method in sorted(route.methods):
                found.append((method, route.path, field.field_info.annotation))
    return found


BODIES = _bodies()
PATCHES = [(path, model) for method, path, model in BODIES if method == "PATCH"]


def test_the_app_has_json_bodies_and_patch_routes() -> None:
    assert len(BODIES) >= 20 and len(PATCHES) >= 5, (BODIES, PATCHES)


@pytest.mark.parametrize(("method", "path", "model"), BODIES, ids=lambda v: str(v))
def test_every_json_body_is_a_strict_request_model(
    method: str, path: str, model: type[BaseModel]
) -> None:
    assert issubclass(model, RequestModel), f"{method} {path}: {model.__name__}"
    assert model.model_config.get("strict") is True
    assert model.model_config.get("extra") == "forbid"
    if method == "PATCH" and set(model.model_fields) - {"roles", "permissions"}:
        assert issubclass(model, PatchModel), f"partial update {model.__name__}"


@pytest.mark.parametrize(("path", "model"), PATCHES, ids=lambda v: str(v))
def test_patch_null_is_refused_where_it_clears_nothing(path: str, model: type[BaseModel]) -> None:
    nullable = getattr(model, "nullable", frozenset())
    for name in model.model_fields:
        if name in nullable:
            continue
        with pytest.raises(ValidationError) as caught:
            model.model_validate({name: None})
        assert any(e["loc"] == (name,) for e in caught.value.errors()), (path, name)
    schema = model.model_json_schema()
    for name, prop in schema["properties"].items():
        says_null = "null" in str(prop.get("anyOf", prop.get("type")))
        assert says_null == (name in nullable), (path, name, prop)


def test_patch_null_clears_nullable_fields() -> None:
    body = PromoUpdate.model_validate({"valid_from": None, "valid_until": None, "max_uses": None})
    assert body.changes() == {"valid_from": None, "valid_until": None, "max_uses": None}
    assert EventUpdate.model_validate({"ends_at": None}).changes() == {"ends_at": None}
    assert PromoUpdate.model_validate({}).changes() == {}


def test_the_issue_s_promo_patch_names_the_one_bad_field() -> None:
    with pytest.raises(ValidationError) as caught:
        PromoUpdate.model_validate(
            {"disabled": None, "valid_from": None, "valid_until": None, "max_uses": 592}
        )
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [
        (("disabled",), "null_not_allowed")
    ]


EVENT = "66f0c0ffee0000000000abcd"
LAX: list[tuple[type[BaseModel], dict[str, Any], str]] = [
    (ReserveCreate, {"event_id": EVENT, "area": "FLOOR", "quantity": True}, "quantity"),
    (ReserveCreate, {"event_id": EVENT, "area": "FLOOR", "quantity": "2"}, "quantity"),
    (ReserveCreate, {"event_id": EVENT, "area": "FLOOR", "quantity": 1e300}, "quantity"),
    (ReserveCreate, {"event_id": EVENT, "area": "FLOOR", "quantity": 2.0}, "quantity"),
    (ReserveCreate, {"event_id": 12345, "area": "FLOOR", "quantity": 2}, "event_id"),
    (PromoUpdate, {"max_uses": True}, "max_uses"),
    (PromoUpdate, {"disabled": "yes"}, "disabled"),
    (PromoUpdate, {"disabled": 1}, "disabled"),
    (PromoUpdate, {"valid_until": 1_900_000_000}, "valid_until"),  # not read as Unix time
    (PromoCreate, {"code": "ABC", "presale": "true"}, "presale"),
    (EventUpdate, {"max_tickets_per_customer": "4"}, "max_tickets_per_customer"),
]


@pytest.mark.parametrize(("model", "body", "field"), LAX, ids=lambda v: str(v)[:60])
def test_json_types_are_strict(model: type[BaseModel], body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    assert [e["loc"][0] for e in caught.value.errors()] == [field]


def test_strings_still_carry_dates_and_enums() -> None:
    body = EventUpdate.model_validate({"starts_at": "2030-06-01T20:00:00Z", "category": "sport"})
    assert body.starts_at is not None and body.starts_at.year == 2030
    assert body.category == "sport"
    with pytest.raises(ValidationError):
        EventUpdate.model_validate({"starts_at": "2030-06-01T20:00:00"})  # no time zone
