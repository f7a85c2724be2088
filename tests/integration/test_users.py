"""Profiles, purchase history, admin role grants and the create-admin CLI, over the real app."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bson import ObjectId

from tests.integration.api_support import api
from tests.integration.ray_support import ray_local

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")
ROOT = Path(__file__).resolve().parents[2]


async def test_me_needs_a_token(api) -> None:
    response = await api.client.get("/v1/users/me")
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_profile_update_cannot_touch_roles(api) -> None:
    user = await api.user()
    h = user["headers"]
    renamed = await api.client.patch("/v1/users/me", json={"name": "Ada King"}, headers=h)
    assert renamed.status_code == 200 and renamed.json()["name"] == "Ada King"
    for body in ({"roles": ["admin"]}, {"name": "X", "roles": ["admin"]}, {"email": "a@b.co"}):
        refused = await api.client.patch("/v1/users/me", json=body, headers=h)
        assert refused.status_code == 422, refused.text
    for body in ({"name": ""}, {"name": "\x00"}, {"name": "n" * 101}, {"name": {"$set": 1}}):
        assert (await api.client.patch("/v1/users/me", json=body, headers=h)).status_code == 422
    me = (await api.client.get("/v1/users/me", headers=h)).json()
    assert me["roles"] == ["user"] and me["name"] == "Ada King"


async def test_password_change_needs_the_current_password(api) -> None:
    user = await api.user()
    h, new = user["headers"], "a brand new passphrase"
    missing = await api.client.patch("/v1/users/me", json={"password": new}, headers=h)
    assert missing.status_code == 422
    wrong = await api.client.patch(
        "/v1/users/me", json={"password": new, "current_password": "not it at all"}, headers=h
    )
    assert wrong.status_code == 403 and wrong.json()["code"] == "invalid_current_password"
    short = {"password": "short", "current_password": user["password"]}
    assert (await api.client.patch("/v1/users/me", json=short, headers=h)).status_code == 422
    body = {"password": new, "current_password": user["password"]}
    assert (await api.client.patch("/v1/users/me", json=body, headers=h)).status_code == 200
    old = await api.client.post(
        "/v1/auth/login", json={"email": user["email"], "password": user["password"]}
    )
    assert old.status_code == 401
    await api.login(user["email"], new)
    # Sessions opened with the old password are over.
    stale = await api.client.post("/v1/auth/refresh", json={"refresh_token": user["refresh_token"]})
    assert stale.status_code == 401


async def test_purchase_history_pages_newest_first(api) -> None:
    user = await api.user()
    h = user["headers"]
    empty = await api.client.get("/v1/users/me/orders", headers=h)
    assert empty.status_code == 200 and empty.json() == {"items": [], "next_cursor": None}
    orders = api.container.db("orders")["orders"]
    base = datetime(2026, 3, 1, tzinfo=UTC)
    mine = [
        {"_id": ObjectId(), "user_id": user["id"], "created_at": base + timedelta(hours=i // 2)}
        for i in range(5)  # pairs share a timestamp: the _id breaks the tie
    ]
    mine[0] |= {"status": "paid", "amount": 5000, "currency": "EUR", "tickets": [{}]}
    theirs = {"_id": ObjectId(), "user_id": "someone-else", "created_at": base}
    await orders.insert_many([*mine, theirs])
    seen: list[str] = []
    cursor = None
    for expected in (2, 2, 1):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await api.client.get("/v1/users/me/orders", params=params, headers=h)).json()
        assert len(page["items"]) == expected
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert cursor is None
    newest_first = sorted(mine, key=lambda d: (d["created_at"], d["_id"]), reverse=True)
    assert seen == [str(d["_id"]) for d in newest_first]
    first = (await api.client.get("/v1/users/me/orders", headers=h)).json()["items"][-1]
    assert first["total"] == {"amount": 5000, "currency": "EUR"} and first["tickets"] == 1


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 101}, {"limit": "x"}, {"cursor": "!!"}, {"cursor": "e30"}]
)
async def test_history_refuses_bad_paging(api, params: dict[str, object]) -> None:
    user = await api.user()
    response = await api.client.get("/v1/users/me/orders", params=params, headers=user["headers"])
    assert response.status_code == 422, response.text


async def test_admin_grants_roles(api) -> None:
    admin, user = await api.user("admin"), await api.user()
    path = f"/v1/admin/users/{user['id']}/roles"
    body = {"roles": ["user", "event_creator"]}
    assert (await api.client.patch(path, json=body)).status_code == 401
    forbidden = await api.client.patch(path, json=body, headers=user["headers"])
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
    granted = await api.client.patch(path, json=body, headers=admin["headers"])
    assert granted.status_code == 200 and granted.json()["roles"] == ["event_creator", "user"]
    for bad in ({"roles": ["root"]}, {"roles": []}, {"roles": "admin"}, {}):
        response = await api.client.patch(path, json=bad, headers=admin["headers"])
        assert response.status_code == 422, bad
    for unknown in (str(ObjectId()), "not-an-id", "x" * 64):
        response = await api.client.patch(
            f"/v1/admin/users/{unknown}/roles", json=body, headers=admin["headers"]
        )
        assert response.status_code == 404 and response.json()["code"] == "not_found"


async def test_admin_lists_users_in_pages(api) -> None:
    admin = await api.user("admin")
    plain, other = await api.user(), await api.register()
    assert (await api.client.get("/v1/admin/users")).status_code == 401
    assert (await api.client.get("/v1/admin/users", headers=plain["headers"])).status_code == 403
    seen, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = await api.client.get("/v1/admin/users", params=params, headers=admin["headers"])
        assert page.status_code == 200
        seen += [u["id"] for u in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == [other["id"], plain["id"], admin["id"]]


def run_cli(api, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MONGODB_URL": api.settings.mongodb_url,
        "MONGODB_DB_PREFIX": api.settings.mongodb_db_prefix,
        "DATA_DIR": str(api.settings.data_dir),
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "cluster.admin", "create-admin", *args]
    return subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


async def test_cli_create_admin(api) -> None:
    short = await asyncio.to_thread(run_cli, api, "--email", "ops@example.com", "--password", "x")
    assert short.returncode != 0
    assert "password" in short.stderr and "at least 10 characters" in short.stderr
    assert "Traceback" not in short.stderr
    created = await asyncio.to_thread(
        run_cli, api, "--email", "Ops@Example.com", "--password", "operator pass 1"
    )
    assert created.returncode == 0, created.stderr
    assert "created" in created.stdout
    pair = await api.login("ops@example.com", "operator pass 1")
    assert api.container.tokens.principal(pair["access_token"]).is_admin
    # An existing account is not promoted unless the operator says so explicitly.
    user = await api.register()
    args = ("--email", user["email"], "--password", "ignored password")
    refused = await asyncio.to_thread(run_cli, api, *args)
    assert refused.returncode == 1 and "--promote-existing" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    pair = await api.login(user["email"], user["password"])
    assert api.container.tokens.principal(pair["access_token"]).roles == {"user"}
    # With the flag it is promoted, its password untouched.
    promoted = await asyncio.to_thread(run_cli, api, *args, "--promote-existing")
    assert promoted.returncode == 0, promoted.stderr
    pair = await api.login(user["email"], user["password"])
    assert api.container.tokens.principal(pair["access_token"]).roles == {"admin", "user"}
