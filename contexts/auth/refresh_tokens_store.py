"""Refresh tokens of the auth context: stored as SHA-256 hashes, grouped in families.

A family is one login's chain of rotated tokens. Only the hash is stored, so a
leaked collection cannot be replayed; the token itself is 256 random bits, which
makes a fast unsalted hash enough (no password-style stretching needed).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class RefreshRecord:
    """One stored refresh token (by hash)."""

    family: str
    user_id: str
    expires_at: datetime
    used: bool
    revoked: bool


def _record(doc: dict[str, Any]) -> RefreshRecord:
    return RefreshRecord(
        family=doc["family"],
        user_id=doc["user_id"],
        expires_at=doc["expires_at"],
        used=doc["used"],
        revoked=doc["revoked"],
    )


class RefreshTokensStore:
    """Refresh tokens in ``<prefix>_auth.refresh_tokens``."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._tokens = db["refresh_tokens"]

    async def ensure_indexes(self) -> None:
        await self._tokens.create_index("token_hash", unique=True)
        await self._tokens.create_index("family")
        await self._tokens.create_index("user_id")
        # Expired tokens are useless (reuse of one is refused as expired anyway): a day
        # after expiry the store drops them, so the collection does not grow forever.
        await self._tokens.create_index("expires_at", expireAfterSeconds=24 * 3600)

    async def add(self, token: str, family: str, user_id: str, ttl_s: int) -> None:
        now = datetime.now(UTC)
        await self._tokens.insert_one(
            {
                "_id": ObjectId(),
                "token_hash": token_hash(token),
                "family": family,
                "user_id": user_id,
                "created_at": now,
                "expires_at": now + timedelta(seconds=ttl_s),
                "used": False,
                "revoked": False,
            }
        )

    async def consume(self, token: str) -> RefreshRecord | None:
        """Mark a live token used, atomically: of two concurrent refreshes with the same
        token, exactly one gets it. None when it is not live (see ``find``)."""
        doc = await self._tokens.find_one_and_update(
            {
                "token_hash": token_hash(token),
                "used": False,
                "revoked": False,
                "expires_at": {"$gt": datetime.now(UTC)},
            },
            {"$set": {"used": True, "used_at": datetime.now(UTC)}},
        )
        return _record(doc) if doc else None

    async def find(self, token: str) -> RefreshRecord | None:
        doc = await self._tokens.find_one({"token_hash": token_hash(token)})
        return _record(doc) if doc else None

    async def revoke_family(self, family: str) -> None:
        await self._tokens.update_many(
            {"family": family, "revoked": False}, {"$set": {"revoked": True}}
        )

    async def revoke_user(self, user_id: str) -> None:
        """Every session of a user (after a password change)."""
        await self._tokens.update_many(
            {"user_id": user_id, "revoked": False}, {"$set": {"revoked": True}}
        )
