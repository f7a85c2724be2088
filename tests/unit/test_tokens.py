"""TokenService: what it issues verifies, and every forged, stale or foreign token is a 401."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from api.problems import refusal_headers
from contexts.auth.errors import InvalidToken, TokenExpired
from contexts.auth.tokens import REQUIRED_CLAIMS, TokenService
from contexts.shared.errors import Unauthorized
from contexts.shared.settings import Settings

SECRET = "unit-test-secret-0123456789-abcdefghij"


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"jwt_secret": SECRET, "access_token_ttl_s": 900, **overrides}
    return Settings(**values)


@pytest.fixture
def service() -> TokenService:
    return TokenService(settings())


def b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": "ticketing",
        "aud": "ticketing-api",
        "iat": now,
        "exp": now + 60,
        "sub": "66f0c0ffee0000000000abcd",
        "roles": ["user"],
        "jti": "j1",
    }
    return {**base, **overrides}


def refused(service: TokenService, token: str, code: str = "invalid_token") -> Unauthorized:
    with pytest.raises(Unauthorized) as info:
        service.principal(token)
    assert info.value.code == code and info.value.kind == "unauthorized"
    # The status and the WWW-Authenticate challenge are api.problems' (per kind).
    assert refusal_headers(info.value) == {"WWW-Authenticate": "Bearer"}
    return info.value


def test_issued_token_round_trips(service: TokenService) -> None:
    token, expires_in = service.issue_access("u1", ["user", "admin", "user"])
    assert expires_in == 900
    principal = service.principal(token)
    assert principal.id == "u1" and principal.roles == {"user", "admin"}
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256"
    body = jwt.decode(token, options={"verify_signature": False})
    assert set(REQUIRED_CLAIMS) <= set(body) and body["exp"] - body["iat"] == 900


def test_each_token_has_its_own_jti(service: TokenService) -> None:
    first, _ = service.issue_access("u1", ["user"])
    second, _ = service.issue_access("u1", ["user"])
    jtis = {jwt.decode(t, options={"verify_signature": False})["jti"] for t in (first, second)}
    assert len(jtis) == 2


def test_expired_token(service: TokenService) -> None:
    past = TokenService(settings(), clock=lambda: time.time() - 3600)
    token, _ = past.issue_access("u1", ["user"])
    assert isinstance(refused(service, token, "token_expired"), TokenExpired)


def test_wrong_signature(service: TokenService) -> None:
    token = jwt.encode(claims(), "another-secret-of-sufficient-length-xyz", algorithm="HS256")
    assert isinstance(refused(service, token), InvalidToken)


def test_alg_none_is_refused(service: TokenService) -> None:
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims(roles=['admin']))}."
    refused(service, unsigned)


def test_rs256_token_is_refused() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    service = TokenService(settings())
    refused(service, jwt.encode(claims(), key, algorithm="RS256"))
    # HS/RS confusion: a token that claims RS256 but is HMAC-signed with a key the
    # attacker knows (the public key) must not be checked as HMAC with that key.
    header = b64({"alg": "RS256", "typ": "JWT"})
    payload = b64(claims(roles=["admin"]))
    for secret in (public_pem, SECRET.encode()):
        signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        refused(service, f"{header}.{payload}.{b64(signature)}")


def test_wrong_audience_and_issuer(service: TokenService) -> None:
    refused(service, jwt.encode(claims(aud="other-api"), SECRET, algorithm="HS256"))
    refused(service, jwt.encode(claims(iss="someone-else"), SECRET, algorithm="HS256"))
    foreign = TokenService(settings(jwt_audience="other-api"))
    refused(service, foreign.issue_access("u1", ["user"])[0])


def test_tampered_roles_claim(service: TokenService) -> None:
    token, _ = service.issue_access("u1", ["user"])
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["roles"] = ["admin"]
    refused(service, f"{header}.{b64(body)}.{signature}")


@pytest.mark.parametrize("missing", [*REQUIRED_CLAIMS, "roles"])
def test_missing_claims(service: TokenService, missing: str) -> None:
    body = claims()
    del body[missing]
    refused(service, jwt.encode(body, SECRET, algorithm="HS256"))


@pytest.mark.parametrize(
    "bad",
    [{"roles": "admin"}, {"roles": ["root"]}, {"roles": [{"$ne": 1}]}, {"sub": 42}, {"sub": ""}],
)
def test_malformed_claims(service: TokenService, bad: dict[str, Any]) -> None:
    refused(service, jwt.encode(claims(**bad), SECRET, algorithm="HS256"))


@pytest.mark.parametrize(
    "token", ["", "abc", "a.b.c", "x" * 10_000, "é.é.é", f"{b64(b'{')}.{b64(b'[]')}.sig"]
)
def test_garbage(service: TokenService, token: str) -> None:
    refused(service, token)
