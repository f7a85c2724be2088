"""Queue and admission tokens: JWTs signed like access tokens (HS256, the app's
secret) but with audiences of their own, so none passes for another.

A queue token names a buyer's place (``sub``, ``evt``); it lets an ``EventSource``
(which cannot send an Authorization header) follow the queue. An admission token
says "this buyer may reserve for this event until ``exp``"; its ``exp`` is the
admission's deadline in the queue actor, so the token and the place lapse together.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt

from contexts.auth.tokens import ALGORITHM
from contexts.shared.settings import Settings
from contexts.waiting_room.errors import (
    AdmissionExpired,
    AdmissionInvalid,
    InvalidQueueToken,
)

QUEUE_AUDIENCE = "ticketing-queue"
ADMISSION_AUDIENCE = "ticketing-admission"
QUEUE_TOKEN_TTL_S = 24 * 3600
REQUIRED = ["iss", "aud", "exp", "iat", "sub", "evt", "jti"]


class WaitingRoomTokens:
    """Issues and verifies queue and admission tokens."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self._secret = settings.jwt_secret
        self._issuer = settings.jwt_issuer
        self._clock = clock  # issuance only; tests backdate tokens with it

    def _issue(self, audience: str, user_id: str, event_id: str, expires_at: float) -> str:
        claims = {
            "iss": self._issuer,
            "aud": audience,
            "iat": int(self._clock()),
            "exp": int(expires_at),
            "sub": user_id,
            "evt": event_id,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def _decode(self, token: str, audience: str) -> dict[str, Any]:
        return jwt.decode(
            token,
            self._secret,
            algorithms=[ALGORITHM],  # pinned: no "none", no HS/RS confusion
            audience=audience,
            issuer=self._issuer,
            options={"require": REQUIRED},
        )

    def issue_queue(self, user_id: str, event_id: str) -> str:
        return self._issue(QUEUE_AUDIENCE, user_id, event_id, self._clock() + QUEUE_TOKEN_TTL_S)

    def queue_subject(self, token: str, event_id: str) -> str:
        """The buyer a queue token stands for, if it is valid for ``event_id``."""
        try:
            claims = self._decode(token, QUEUE_AUDIENCE)
        except jwt.PyJWTError as exc:
            raise InvalidQueueToken() from exc
        if claims["evt"] != event_id or not isinstance(claims["sub"], str):
            raise InvalidQueueToken()
        return claims["sub"]

    def issue_admission(self, user_id: str, event_id: str, expires_at: float) -> str:
        return self._issue(ADMISSION_AUDIENCE, user_id, event_id, expires_at)

    def check_admission(self, token: str, user_id: str, event_id: str) -> None:
        """Raise unless ``token`` admits ``user_id`` to ``event_id`` now."""
        try:
            claims = self._decode(token, ADMISSION_AUDIENCE)
        except jwt.ExpiredSignatureError as exc:
            raise AdmissionExpired() from exc
        except jwt.PyJWTError as exc:
            raise AdmissionInvalid() from exc
        if claims["sub"] != user_id or claims["evt"] != event_id:
            raise AdmissionInvalid()
