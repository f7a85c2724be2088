"""Strict input over HTTP: a PATCH null clears or is a 422 (never a 500, never stored),
JSON types are not coerced (a boolean holds no place), and a 422 names each field."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api_support import Api, api
from tests.integration.ray_support import ray_local
from tests.integration.test_promo_codes import add_code, promo_event, reserve

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")


def fields(problem: dict[str, Any]) -> list[str]:
    return [e["field"] for e in problem["errors"]]


async def test_promo_patch_null_clears_or_is_a_422_and_nothing_bad_is_stored(api: Api) -> None:
    creator = await api.user("event_creator")
    event_id = await promo_event(api, creator)
    created = await add_code(
        api, creator, event_id, code="EARLY", discount_type="percentage", discount_value=10,
        max_uses=5, valid_from="2020-01-01T00:00:00Z", valid_until="2031-01-01T00:00:00Z",
    )  # fmt: skip
    assert created["uses"] == 0  # the list's number, not null
    url = f"/v1/events/{event_id}/promo-codes"
    issue = {"disabled": None, "valid_from": None, "valid_until": None, "max_uses": 592}
    refused = await api.client.patch(f"{url}/EARLY", headers=creator["headers"], json=issue)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "validation_error" and fields(problem) == ["disabled"]
    assert "disabled" in problem["detail"]
    listed = await api.client.get(url, headers=creator["headers"])
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"][0]["max_uses"] == 5  # the refused PATCH changed nothing

    del issue["disabled"]  # the nullable ones clear: no window, no limit
    cleared = await api.client.patch(f"{url}/EARLY", headers=creator["headers"], json=issue)
    assert cleared.status_code == 200, cleared.text
    body = cleared.json()
    assert (body["valid_from"], body["valid_until"], body["max_uses"]) == (None, None, 592)
    assert body["uses"] == 0 and body["disabled"] is False
    none = await api.client.patch(
        f"{url}/EARLY", headers=creator["headers"], json={"max_uses": None}
    )
    assert none.status_code == 200 and none.json()["max_uses"] is None
    held = await reserve(
        api, creator["headers"], event_id=event_id, area="FLOOR", quantity=1, promo_code="early"
    )
    assert held.status_code == 201, held.text
    listed = (await api.client.get(url, headers=creator["headers"])).json()["items"][0]
    assert listed["uses"] == 1 and listed["max_uses"] is None
    after = await api.client.patch(
        f"{url}/EARLY", headers=creator["headers"], json={"disabled": True}
    )
    assert after.json()["uses"] == 1  # PATCH answers the same count as the list


async def test_every_patch_route_refuses_null_on_a_required_field(api: Api) -> None:
    creator = await api.user("event_creator")
    event_id = await promo_event(api, creator)
    await add_code(api, creator, event_id, code="CREW")
    organiser = await api.client.post(
        "/v1/organisers", headers=creator["headers"], json={"name": "Crew"}
    )
    assert organiser.status_code == 201, organiser.text
    org = organiser.json()
    admin = await api.user("admin")
    cases = [
        (f"/v1/events/{event_id}", creator, {"title": None}, "title"),
        (f"/v1/events/{event_id}", creator, {"transfers": None}, "transfers"),
        (f"/v1/events/{event_id}/promo-codes/CREW", creator, {"disabled": None}, "disabled"),
        ("/v1/users/me", creator, {"name": None}, "name"),
        (f"/v1/admin/users/{creator['id']}/roles", admin, {"roles": None}, "roles"),
        (
            f"/v1/organisers/{org['id']}/members/{creator['id']}",
            creator, {"permissions": None}, "permissions",
        ),
    ]  # fmt: skip
    for path, who, body, field in cases:
        response = await api.client.patch(path, headers=who["headers"], json=body)
        assert response.status_code == 422, (path, response.text)
        assert fields(response.json()) == [field], (path, response.json())
    event = await api.client.patch(
        f"/v1/events/{event_id}", headers=creator["headers"], json={"ends_at": None}
    )
    assert event.status_code == 200 and event.json()["ends_at"] is None, event.text
    assert (await api.client.get(f"/v1/events/{event_id}")).status_code == 200


LAX_RESERVES = [
    ({"area": "FLOOR", "quantity": True}, "quantity"),
    ({"area": "FLOOR", "quantity": "2"}, "quantity"),
    ({"area": "FLOOR", "quantity": 1e300}, "quantity"),
    ({"area": "FLOOR", "quantity": 2, "promo_code": 7}, "promo_code"),
    ({"seats": "A-1-1"}, "seats"),
]


async def test_reserve_takes_json_types_as_they_are(api: Api) -> None:
    creator = await api.user("event_creator")
    event_id = await promo_event(api, creator)
    for body, field in LAX_RESERVES:
        response = await reserve(api, creator["headers"], event_id=event_id, **body)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "validation_error" and fields(problem) == [field], problem
        assert "parse" not in problem["detail"]
    view = (await api.client.get(f"/v1/events/{event_id}/availability")).json()
    assert view["held"] == 0


async def test_promo_fields_are_strict(api: Api) -> None:
    creator = await api.user("event_creator")
    event_id = await promo_event(api, creator)
    await add_code(api, creator, event_id, code="CREW")
    url = f"/v1/events/{event_id}/promo-codes/CREW"
    for body, field in (({"max_uses": True}, "max_uses"), ({"disabled": "yes"}, "disabled")):
        response = await api.client.patch(url, headers=creator["headers"], json=body)
        assert response.status_code == 422, response.text
        assert fields(response.json()) == [field]
    listed = await api.client.get(f"/v1/events/{event_id}/promo-codes", headers=creator["headers"])
    code = listed.json()["items"][0]
    assert (code["max_uses"], code["disabled"]) == (None, False)
