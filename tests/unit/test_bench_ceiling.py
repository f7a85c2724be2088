"""The bare ceiling app does the work it stands for: a verified JWT and a validated body."""

from __future__ import annotations

import httpx

from bench.ceiling import create_app
from cluster.loadtest.setup import mint_tokens
from contexts.shared.settings import DEV_SECRET


async def _post(headers: dict[str, str], body: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://ceiling") as http:
        return await http.post("/v1/tickets/reserve", json=body, headers=headers)


async def test_a_valid_token_and_body_get_a_201() -> None:
    token = mint_tokens(DEV_SECRET, 1)[0]
    response = await _post(
        {"Authorization": f"Bearer {token}"}, {"event_id": "e1", "seats": ["S1-1-1"]}
    )
    assert response.status_code == 201
    assert response.json()["seats"] == ["S1-1-1"] and response.json()["customer"].startswith(
        "loadtest-"
    )


async def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = mint_tokens("another-secret-of-at-least-32-bytes!!", 1)[0]
    response = await _post({"Authorization": f"Bearer {token}"}, {"event_id": "e1", "quantity": 2})
    assert response.status_code == 401


async def test_a_body_that_is_not_a_reserve_is_refused() -> None:
    token = mint_tokens(DEV_SECRET, 1)[0]
    response = await _post({"Authorization": f"Bearer {token}"}, {"event_id": "e 1", "extra": 1})
    assert response.status_code == 422
