"""Access tokens: short-lived JWTs signed with HS256, verified with the algorithm pinned.

Only HS256 is ever accepted on decode, so a token whose header says ``none`` or an
asymmetric algorithm (the HS/RS confusion attack) is refused before any key is used.
Every claim we rely on is required; roles must be known roles.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import jwt

from contexts.auth.errors import InvalidToken, TokenExpired
from contexts.shared.principal import ROLES, Principal
from contexts.shared.settings import Settings

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "sub", "jti"]
VERIFIED_CACHE_SIZE = 100_000


class TokenService:
    """Issues and verifies access tokens with the keys and lifetimes of ``Settings``."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self._secret = settings.jwt_secret
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._ttl = settings.access_token_ttl_s
        self._clock = clock  # issuance only; tests backdate tokens with it
        self._verified: dict[str, tuple[Principal, float]] = {}

    def issue_access(self, user_id: str, roles: list[str]) -> tuple[str, int]:
        """A signed access token for ``user_id`` and its lifetime in seconds."""
        now = int(self._clock())
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "exp": now + self._ttl,
            "sub": user_id,
            "roles": sorted(set(roles)),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM), self._ttl

    def principal(self, token: str) -> Principal:
        """The caller a token stands for; ``TokenExpired`` or ``InvalidToken`` otherwise.

        Verified tokens are remembered until their expiry: a buyer in an on-sale sends
        the same token many times, and verifying it is a tenth of a reserve's CPU.
        """
        cached = self._verified.get(token)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        principal, expires = self._verify(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.clear()  # bounded memory; refilled by the next requests
        self._verified[token] = (principal, expires)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired("The access token has expired; refresh it.") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("The access token is invalid.") from exc
        subject, roles = claims.get("sub"), claims.get("roles")
        # Signed by us, so these hold unless the secret leaked; checked so a bad claim
        # can never become an odd Principal (a dict as id, a role we do not know).
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("The access token has no valid subject.")
        if not isinstance(roles, list) or not all(r in ROLES for r in roles):
            raise InvalidToken("The access token has invalid roles.")
        return Principal(id=subject, roles=frozenset(roles)), float(claims["exp"])
