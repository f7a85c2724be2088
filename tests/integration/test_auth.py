"""Auth over HTTP against the real app: real MongoDB (mongoeco wire server), real Ray."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid

import bcrypt
import pytest

import bootstrap as composition
from contexts.auth.refresh_tokens_store import RefreshTokensStore
from contexts.auth.tokens import TokenService
from tests.integration.api_support import api
from tests.integration.ray_support import ray_local

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")
PROBLEM = "application/problem+json"
PASSWORD = "correct horse 42"


def email() -> str:
    return f"{uuid.uuid4().hex[:10]}@example.com"


async def test_register_normalises_email_and_hides_the_hash(api) -> None:
    address = email()
    response = await api.client.post(
        "/v1/auth/register",
        json={"email": f"  {address.upper()} ", "password": PASSWORD, "name": " Ada "},
    )
    assert response.status_code == 201, response.text
    user = response.json()
    assert user["email"] == address and user["name"] == "Ada" and user["roles"] == ["user"]
    assert set(user) == {"id", "email", "name", "roles", "created_at"}
    again = await api.client.post(
        "/v1/auth/register", json={"email": address.title(), "password": PASSWORD, "name": "B"}
    )
    assert again.status_code == 409 and again.headers["content-type"].startswith(PROBLEM)
    assert again.json()["code"] == "email_taken"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": PASSWORD, "name": "A"},
        {"email": "a@example.com", "password": "x" * 9, "name": "A"},
        {"email": "a@example.com", "password": "x" * 129, "name": "A"},
        {"email": "a@example.com", "password": PASSWORD, "name": ""},
        {"email": "a@example.com", "password": PASSWORD, "name": "n" * 101},
        {"email": "a@example.com", "password": PASSWORD, "name": "bell\x07"},
        {"email": "a@example.com", "password": PASSWORD, "name": "A", "roles": ["admin"]},
        {"email": {"$ne": None}, "password": PASSWORD, "name": "A"},
        {"email": "a@example.com", "password": 1234567890123, "name": "A"},
        {"email": "x" * 100_000 + "@example.com", "password": PASSWORD, "name": "A"},
        {"email": "a@example.com", "password": "\ud800" * 12, "name": "A"},
        {"email": "a@example.com", "password": PASSWORD, "name": "\udfff"},
        {"email": "a@example.com", "password": PASSWORD},
        [],
    ],
)
async def test_register_refuses_bad_input_with_422(api, body: object) -> None:
    # json.dumps escapes lone surrogates as \udXXX (httpx's encoder would refuse them).
    response = await api.client.post(
        "/v1/auth/register", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


async def test_malformed_json_and_operator_objects_are_422(api) -> None:
    for content in (b"{", b'{"email": "a@b.co", "password": "x"', b"\xff\xfe", b"null"):
        response = await api.client.post(
            "/v1/auth/login", content=content, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422, (content, response.text)
    injected = {"email": {"$ne": None}, "password": {"$ne": None}}
    for path in ("/v1/auth/login", "/v1/auth/refresh", "/v1/auth/logout"):
        response = await api.client.post(path, json={**injected, "refresh_token": {"$gt": ""}})
        assert response.status_code == 422, (path, response.text)


async def test_login_gives_a_working_token_pair(api) -> None:
    user = await api.register(email=email())
    pair = await api.login(user["email"].upper(), user["password"])
    assert pair["token_type"] == "bearer" and pair["expires_in"] == api.settings.access_token_ttl_s
    me = await api.client.get(
        "/v1/users/me", headers={"Authorization": f"Bearer {pair['access_token']}"}
    )
    assert me.status_code == 200 and me.json()["id"] == user["id"]


async def test_oauth2_password_form(api) -> None:
    user = await api.register()
    form = {"grant_type": "password", "username": user["email"], "password": user["password"]}
    response = await api.client.post("/v1/auth/token", data={**form, "client_id": "docs"})
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"access_token", "refresh_token", "token_type", "expires_in"}
    wrong = await api.client.post("/v1/auth/token", data={**form, "password": "nope"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_credentials"
    missing = await api.client.post("/v1/auth/token", data={"username": user["email"]})
    assert missing.status_code == 422


async def test_unknown_email_and_wrong_password_look_the_same(api, monkeypatch) -> None:
    user = await api.register()
    hasher = api.container.passwords
    verified: list[str] = []
    real_verify = hasher.verify
    monkeypatch.setattr(
        hasher, "verify", lambda pw, hashed: verified.append(hashed) or real_verify(pw, hashed)
    )
    answers = []
    for address, password in ((user["email"], "wrong password"), (email(), user["password"])):
        started = time.perf_counter()
        response = await api.client.post(
            "/v1/auth/login", json={"email": address, "password": password}
        )
        answers.append((response, time.perf_counter() - started))
    (wrong, t_wrong), (unknown, t_unknown) = answers
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"] == "Bearer"
    strip = lambda r: {k: v for k, v in r.json().items() if k != "instance"}  # noqa: E731
    assert strip(wrong) == strip(unknown) and wrong.json()["code"] == "invalid_credentials"
    # The unknown email paid for a real hash verification too (the dummy hash).
    assert len(verified) == 2 and verified[1] == hasher.dummy_hash
    assert t_unknown > 0.25 * t_wrong, (t_unknown, t_wrong)


async def test_refresh_rotates_and_reuse_revokes_the_family(api) -> None:
    user = await api.register()
    first = await api.login(user["email"], user["password"])
    other_session = await api.login(user["email"], user["password"])

    async def refresh(token: str):
        return await api.client.post("/v1/auth/refresh", json={"refresh_token": token})

    second = await refresh(first["refresh_token"])
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["access_token"] != first["access_token"]
    reused = await refresh(first["refresh_token"])  # a thief replays the old token
    assert reused.status_code == 401 and reused.json()["code"] == "refresh_token_reused"
    revoked = await refresh(rotated["refresh_token"])  # ...so the legit one is dead too
    assert revoked.status_code == 401 and revoked.json()["code"] == "invalid_refresh_token"
    assert (await refresh(other_session["refresh_token"])).status_code == 200  # other family


async def test_refresh_tokens_are_stored_hashed(api) -> None:
    user = await api.register()
    pair = await api.login(user["email"], user["password"])
    tokens = api.container.db("auth")["refresh_tokens"]
    assert await tokens.find_one({"token_hash": pair["refresh_token"]}) is None
    digest = hashlib.sha256(pair["refresh_token"].encode()).hexdigest()
    stored = await tokens.find_one({"token_hash": digest})
    assert stored is not None and stored["user_id"] == user["id"] and stored["used"] is False
    assert pair["refresh_token"] not in str(stored)


async def test_unknown_and_expired_refresh_tokens(api) -> None:
    user = await api.register()
    unknown = await api.client.post(
        "/v1/auth/refresh", json={"refresh_token": secrets.token_urlsafe(32)}
    )
    assert unknown.status_code == 401 and unknown.json()["code"] == "invalid_refresh_token"
    expired = secrets.token_urlsafe(32)
    await RefreshTokensStore(api.container.db("auth")).add(expired, "f", user["id"], -1)
    response = await api.client.post("/v1/auth/refresh", json={"refresh_token": expired})
    assert response.status_code == 401 and response.json()["code"] == "invalid_refresh_token"


async def test_logout_revokes_the_session(api) -> None:
    user = await api.register()
    pair = await api.login(user["email"], user["password"])
    body = {"refresh_token": pair["refresh_token"]}
    assert (await api.client.post("/v1/auth/logout", json=body)).status_code == 204
    after = await api.client.post("/v1/auth/refresh", json=body)
    assert after.status_code == 401 and after.json()["code"] == "invalid_refresh_token"
    again = await api.client.post("/v1/auth/logout", json=body)  # idempotent
    assert again.status_code == 204
    unknown = {"refresh_token": secrets.token_urlsafe(32)}
    assert (await api.client.post("/v1/auth/logout", json=unknown)).status_code == 204


async def test_bcrypt_hash_is_upgraded_to_argon2_on_login(api) -> None:
    address = email()
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    created = await api.container.users.create(address, "Legacy", legacy, ["user"])
    wrong = await api.client.post("/v1/auth/login", json={"email": address, "password": "x"})
    assert wrong.status_code == 401
    assert (await api.container.users.by_id(created.id)).password_hash == legacy
    await api.login(address, PASSWORD)
    upgraded = (await api.container.users.by_id(created.id)).password_hash
    assert upgraded.startswith("$argon2id$")
    await api.login(address, PASSWORD)  # the new hash verifies the same password


async def test_access_token_errors_over_http(api) -> None:
    user = await api.register()
    stale = TokenService(api.settings, clock=lambda: time.time() - 7200)
    expired_token, _ = stale.issue_access(user["id"], ["user"])
    cases = {expired_token: "token_expired", "not-a-jwt": "invalid_token"}
    for token, code in cases.items():
        response = await api.client.get(
            "/v1/users/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401 and response.json()["code"] == code
        assert response.headers["www-authenticate"] == "Bearer"


async def test_refresh_picks_up_new_roles(api) -> None:
    user = await api.user()
    await api.container.users.set_roles(user["id"], ["user", "event_creator"])
    pair = await api.client.post("/v1/auth/refresh", json={"refresh_token": user["refresh_token"]})
    principal = api.container.tokens.principal(pair.json()["access_token"])
    assert principal.roles == {"user", "event_creator"}


@pytest.mark.parametrize("api", [{"auth_rate_per_ip": 3}], indirect=True)
async def test_auth_endpoints_are_rate_limited_per_ip(api) -> None:
    body = {"email": email(), "password": "wrong password"}
    for _ in range(3):
        assert (await api.client.post("/v1/auth/login", json=body)).status_code == 401
    limited = await api.client.post("/v1/auth/login", json=body)
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 1
    for path in ("/v1/auth/register", "/v1/auth/refresh", "/v1/auth/token"):
        assert (await api.client.post(path, json={})).status_code == 429


ADMIN = {"bootstrap_admin_email": "Root@Example.com", "bootstrap_admin_password": PASSWORD}


@pytest.mark.parametrize("api", [ADMIN], indirect=True)
async def test_bootstrap_admin_from_settings(api) -> None:
    pair = await api.login("root@example.com", PASSWORD)
    principal = api.container.tokens.principal(pair["access_token"])
    assert principal.roles == {"admin", "user"}
    listing = await api.client.get(
        "/v1/admin/users", headers={"Authorization": f"Bearer {pair['access_token']}"}
    )
    assert listing.status_code == 200 and listing.json()["items"][0]["email"] == "root@example.com"


async def test_bootstrap_admin_never_promotes_an_account_someone_registered(api) -> None:
    """Registration verifies no email: whoever registered the admin's address first
    must not become admin (with their password). The start is refused instead."""
    squatter = await api.register(email="boss@example.com", password="squatter pass 1")
    settings = api.settings.model_copy(
        update={"bootstrap_admin_email": "Boss@Example.com", "bootstrap_admin_password": PASSWORD}
    )
    with pytest.raises(ValueError, match=r"BOOTSTRAP_ADMIN_EMAIL: boss@example\.com already"):
        await composition.start(settings)
    user = await api.container.users.by_email("boss@example.com")
    assert user.roles == ["user"] and user.id == squatter["id"]
    # An account that is already admin is left alone (a restart starts).
    await api.container.users.set_roles(squatter["id"], ["admin", "user"])
    restarted = await composition.start(settings)
    await restarted.close()
    assert (await api.container.users.by_email("boss@example.com")).roles == ["admin", "user"]
