"""Attacks on authentication over HTTP, against the real app (mongoeco, Ray).

Forged access tokens (``alg: none``, HS/RS confusion with the public key the API itself
publishes, an attacker's RS256 key, expired, foreign audience or issuer, edited roles)
aimed at a signed-in and an admin-only endpoint: each must be a 401 problem, where the
same user's genuine token gets 200 and 403 (so an escalation would show). The unit
tests (tests/unit/test_tokens.py) cover the token service; this covers the wire.

Refresh tokens replayed concurrently (a thief racing the owner) and brute force on
login (rate limited per IP, unknown email and wrong password indistinguishable, a real
hash verified for unknown emails too) complete it; tests/integration/test_auth.py keeps
the single-request versions of those.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric import rsa

from actors.mongo_embedded import EmbeddedMongo
from tests.abuse.abuse_support import assert_problem, client_from, recorded, running_api
from tests.integration.api_support import Api

pytestmark = [pytest.mark.usefixtures("ray_local"), pytest.mark.asyncio(loop_scope="module")]

PROTECTED = ("/v1/users/me", "/v1/admin/users")  # signed in; admin only


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def app_api(
    tmp_path_factory: pytest.TempPathFactory, embedded_mongo: EmbeddedMongo, ray_local: None
) -> AsyncIterator[Api]:
    """One app for the module (limits off until a test turns one on)."""
    path: Path = tmp_path_factory.mktemp("abuse-auth")
    async with running_api(path, embedded_mongo) as api:
        yield api


def b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64(part: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def hmac_token(header: dict[str, Any], claims: dict[str, Any], key: bytes) -> str:
    """A JWT signed with HMAC-SHA256 whatever its header claims (confusion attacks)."""
    signing_input = f"{b64(header)}.{b64(claims)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


# Each attack builds its tokens from (app, victim's genuine token, admin-wanting claims).
type Forge = Callable[[Api, str, dict[str, Any], str], list[str]]


def forge_alg_none(api: Api, genuine: str, claims: dict[str, Any], pem: str) -> list[str]:
    return [
        f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims)}.{tail}"
        for alg in ("none", "None", "NONE", "nOnE")
        for tail in ("", b64(b"x"))
    ]


def forge_hs_rs_confusion(api: Api, genuine: str, claims: dict[str, Any], pem: str) -> list[str]:
    # The API publishes a public key (tickets' Ed25519 PEM): an attacker HMAC-signs with its
    # text, under HS256 and under the asymmetric names a confused verifier would follow.
    keys = {pem.encode(), pem.strip().encode(), pem.encode() + b"\n"}
    return [
        hmac_token({"alg": alg, "typ": "JWT"}, claims, key)
        for key in keys
        for alg in ("HS256", "RS256", "ES256", "EdDSA")
    ]


def forge_rs256(api: Api, genuine: str, claims: dict[str, Any], pem: str) -> list[str]:
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with warnings.catch_warnings():  # PyJWT warns that the secret is short for HS512: known
        warnings.simplefilter("ignore")
        hs512 = jwt.encode(claims, api.settings.jwt_secret, algorithm="HS512")
    # ...and tokens with the real secret but an algorithm other than the pinned one.
    return [
        jwt.encode(claims, attacker, algorithm="RS256"),
        hs512,
        hmac_token({"alg": "RS256", "typ": "JWT"}, claims, api.settings.jwt_secret.encode()),
    ]


def forge_expired(api: Api, genuine: str, claims: dict[str, Any], pem: str) -> list[str]:
    now = int(time.time())
    secret = api.settings.jwt_secret
    return [
        jwt.encode({**claims, "iat": now - 7200, "exp": now - 3600}, secret, algorithm="HS256"),
        jwt.encode({**claims, "iat": now - 120, "exp": now - 1}, secret, algorithm="HS256"),
    ]


def forge_audience(api: Api, genuine: str, claims: dict[str, Any], pem: str) -> list[str]:
    secret = api.settings.jwt_secret
    audiences: list[Any] = ["other-api", "", ["other-api"], None]
    return [jwt.encode({**claims, "aud": aud}, secret, algorithm="HS256") for aud in audiences]


def forge_issuer(api: Api, genuine: str, claims: dict[str, Any], pem: str) -> list[str]:
    secret = api.settings.jwt_secret
    return [
        jwt.encode({**claims, "iss": iss}, secret, algorithm="HS256")
        for iss in ("someone-else", "", "ticketing ", "TICKETING")
    ]


def forge_tampered(api: Api, genuine: str, claims: dict[str, Any], pem: str) -> list[str]:
    header, payload, signature = genuine.split(".")
    body = unb64(payload)
    edits = [
        {"roles": ["admin"]},
        {"roles": ["user", "admin"]},
        {"roles": ["admin"], "exp": body["exp"] + 86400},
        {"sub": claims["sub"]},  # someone else's id (the admin's), signature kept
    ]
    return [f"{header}.{b64({**body, **edit})}.{signature}" for edit in edits]


ATTACKS: dict[str, tuple[Forge, str, str]] = {
    # name: (forger, expected problem code, what the attack is)
    "alg none": (forge_alg_none, "invalid_token", "alg none/None/NONE, admin roles, no signature"),
    "HS/RS confusion": (
        forge_hs_rs_confusion,
        "invalid_token",
        "HMAC signed with the public key PEM the API serves, alg HS256/RS256/ES256/EdDSA",
    ),
    "foreign algorithm": (
        forge_rs256,
        "invalid_token",
        "RS256 with an attacker's key; HS512 and RS256-labelled HMAC with the real secret",
    ),
    "expired": (forge_expired, "token_expired", "real secret, exp 1 h and 1 s ago"),
    "wrong audience": (forge_audience, "invalid_token", "real secret, aud other/empty/list/null"),
    "wrong issuer": (forge_issuer, "invalid_token", "real secret, iss other/empty/near-miss"),
    "tampered claims": (
        forge_tampered,
        "invalid_token",
        "genuine token, payload edited (roles admin, exp +1 d, sub another user), signature kept",
    ),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_forged_access_tokens_are_refused_over_http(app_api: Api, attack: str) -> None:
    forge, code, fault = ATTACKS[attack]
    with recorded(
        f"JWT attack: {attack}",
        load=f"each token on {len(PROTECTED)} endpoints (signed-in, admin-only)",
        fault=fault,
        checked="401 problem with its code and WWW-Authenticate; the genuine token gets 200/403",
    ) as row:
        victim = await app_api.user()
        admin = await app_api.user("admin")
        genuine = victim["access_token"]
        me = await app_api.client.get(PROTECTED[0], headers=victim["headers"])
        assert me.status_code == 200
        forbidden = await app_api.client.get(PROTECTED[1], headers=victim["headers"])
        assert_problem(forbidden, 403)  # the escalation target, refused to the real token
        pem = (await app_api.client.get("/v1/tickets/public-key")).text
        assert "PUBLIC KEY" in pem
        claims = {**unb64(genuine.split(".")[1]), "roles": ["admin"], "sub": admin["id"]}
        tokens = forge(app_api, genuine, claims, pem)
        for token in tokens:
            for path in PROTECTED:
                response = await app_api.client.get(
                    path, headers={"Authorization": f"Bearer {token}"}
                )
                body = assert_problem(response, 401)
                assert body["code"] == code, (token, body)
                assert response.headers["www-authenticate"] == "Bearer"
        row.inputs = len(tokens) * len(PROTECTED)
        row.result = f"{row.inputs} forged requests, all 401 {code}"


async def test_concurrent_refresh_replay_revokes_the_family(app_api: Api) -> None:
    racers = 10
    with recorded(
        "Refresh token replayed concurrently",
        load=f"{racers} simultaneous refreshes of one token, then a stale replay",
        fault="stolen refresh token raced against its owner; old token replayed after rotation",
        checked="at most one rotation wins; the others 401; the whole family revoked after",
    ) as row:
        user = await app_api.user()
        other = await app_api.login(user["email"], user["password"])  # another session

        async def refresh(token: str) -> Any:
            return await app_api.client.post("/v1/auth/refresh", json={"refresh_token": token})

        answers = await asyncio.gather(*(refresh(user["refresh_token"]) for _ in range(racers)))
        winners = [a for a in answers if a.status_code == 200]
        assert len(winners) <= 1, [a.status_code for a in answers]
        for loser in (a for a in answers if a.status_code != 200):
            body = assert_problem(loser, 401)
            assert body["code"] in {"refresh_token_reused", "invalid_refresh_token"}, body
        for winner in winners:  # the family is revoked: what the winner got is dead too
            after = await refresh(winner.json()["refresh_token"])
            assert assert_problem(after, 401)["code"] == "invalid_refresh_token"
        stale = await refresh(user["refresh_token"])
        assert assert_problem(stale, 401)["code"] in {"refresh_token_reused"}
        # Another login of the same user is another family: untouched.
        assert (await refresh(other["refresh_token"])).status_code == 200
        row.inputs = racers + len(winners) + 2
        row.result = f"{len(winners)} winner of {racers}, family revoked"


async def test_login_brute_force_is_limited_and_tells_nothing(
    app_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = 12
    with recorded(
        "Login brute force",
        load=f"one IP, auth limit {limit}/min, alternating wrong passwords and unknown emails",
        fault="password guessing on a real account and email enumeration",
        checked=(
            "429 rate_limited + Retry-After past the limit (right password too); unknown email "
            "and wrong password: same status, body, headers; unknown emails verify the dummy hash"
        ),
    ) as row:
        user = await app_api.register()
        hasher = app_api.container.passwords
        verified: list[str] = []
        real_verify = hasher.verify

        def spy(password: str, hashed: str) -> Any:
            verified.append(hashed)
            return real_verify(password, hashed)

        monkeypatch.setattr(hasher, "verify", spy)
        monkeypatch.setattr(app_api.container.settings, "auth_rate_per_ip", limit)
        # The limiter's clock stands still: on a loaded machine the attempts (each a real
        # Argon2 check) take seconds, and a refilled token would make the count flaky.
        frozen = app_api.container.limiter.clock()
        monkeypatch.setattr(app_api.container.limiter, "clock", lambda: frozen)
        attempts: list[tuple[str, Any]] = []
        async with client_from(app_api.app, "198.51.100.7") as attacker:  # a fresh IP bucket
            for n in range(limit + 6):
                known = n % 2 == 0
                email = user["email"] if known else f"{uuid.uuid4().hex[:10]}@example.com"
                body = {"email": email, "password": f"guess-{n}-{uuid.uuid4().hex[:6]}"}
                response = await attacker.post("/v1/auth/login", json=body)
                attempts.append(("known" if known else "unknown", response))
            right = await attacker.post(
                "/v1/auth/login", json={"email": user["email"], "password": user["password"]}
            )
        before, after = attempts[:limit], attempts[limit:]

        def shape(response: Any) -> tuple[Any, ...]:
            body = {k: v for k, v in response.json().items() if k != "instance"}
            headers = {k: v for k, v in response.headers.items() if k != "x-request-id"}
            headers.pop("content-length", None)
            return (
                response.status_code,
                json.dumps(body, sort_keys=True),
                tuple(sorted(headers.items())),
            )

        shapes = {kind: {shape(r) for k, r in before if k == kind} for kind in ("known", "unknown")}
        assert shapes["known"] == shapes["unknown"] and len(shapes["known"]) == 1, shapes
        assert all(r.status_code == 401 for _, r in before)
        assert before[0][1].json()["code"] == "invalid_credentials"
        for response in [r for _, r in after] + [right]:
            assert assert_problem(response, 429)["code"] == "rate_limited"
            assert int(response.headers["retry-after"]) >= 1
        limited = {
            kind: {shape(r)[:2] for k, r in after if k == kind} for kind in ("known", "unknown")
        }
        assert limited["known"] == limited["unknown"], limited
        # Each unknown email paid a real verification, against the dummy hash.
        unknown = sum(1 for kind, _ in before if kind == "unknown")
        assert verified.count(hasher.dummy_hash) == unknown, (len(verified), unknown)
        assert len(verified) == limit  # known ones too; none after the limit
        row.inputs = len(attempts) + 1
        row.result = (
            f"{limit} x 401 identical for both kinds, then {len(after) + 1} x 429 "
            f"(Retry-After {right.headers['retry-after']} s); {unknown} dummy-hash checks"
        )
