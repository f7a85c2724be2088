"""The users collection of the auth context's database: accounts, roles, password hashes.

Emails are stored normalised (lower case) under a unique index, so two accounts can
never share one even when two registrations race. Ids leave here as ObjectId hex.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contexts.shared.keyset import NEWEST_FIRST, newest_first


class EmailAlreadyUsed(Exception):
    """Another account has this email (the unique index said so)."""


@dataclass(frozen=True, slots=True)
class UserRecord:
    """One stored account."""

    id: str
    email: str
    name: str
    roles: list[str]
    password_hash: str
    created_at: datetime


def now_ms() -> datetime:
    # BSON dates keep milliseconds: truncate so what we return is what a read returns.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def object_id(value: str) -> ObjectId | None:
    """The ObjectId of a hex id, or None for anything else (an unknown id, not an error)."""
    try:
        return ObjectId(value) if isinstance(value, str) and len(value) == 24 else None
    except InvalidId:
        return None


def _record(doc: dict[str, Any]) -> UserRecord:
    return UserRecord(
        id=str(doc["_id"]),
        email=doc["email"],
        name=doc["name"],
        roles=list(doc["roles"]),
        password_hash=doc["password_hash"],
        created_at=doc["created_at"],
    )


class UsersStore:
    """Accounts in ``<prefix>_auth.users``."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._users = db["users"]

    async def ensure_indexes(self) -> None:
        await self._users.create_index("email", unique=True)
        await self._users.create_index(NEWEST_FIRST)

    async def create(
        self, email: str, name: str, password_hash: str, roles: list[str]
    ) -> UserRecord:
        """Insert an account; ``EmailAlreadyUsed`` when the email is taken."""
        doc = {
            "_id": ObjectId(),
            "email": email,
            "name": name,
            "roles": sorted(set(roles)),
            "password_hash": password_hash,
            "created_at": now_ms(),
        }
        try:
            await self._users.insert_one(doc)
        except DuplicateKeyError as exc:
            raise EmailAlreadyUsed(email) from exc
        return _record(doc)

    async def by_id(self, user_id: str) -> UserRecord | None:
        oid = object_id(user_id)
        doc = await self._users.find_one({"_id": oid}) if oid else None
        return _record(doc) if doc else None

    async def by_email(self, email: str) -> UserRecord | None:
        doc = await self._users.find_one({"email": email})
        return _record(doc) if doc else None

    async def ids_by_email(self, emails: list[str]) -> dict[str, str]:
        """Normalised email -> user id, for those of ``emails`` that have an account: a
        query per thousand emails, not one per email (an access list may name many)."""
        found: dict[str, str] = {}
        for start in range(0, len(emails), 1000):  # bounded $in lists
            chunk = [e.lower() for e in emails[start : start + 1000]]
            cursor = self._users.find({"email": {"$in": chunk}}, {"email": 1})
            found.update({doc["email"]: str(doc["_id"]) async for doc in cursor})
        return found

    async def update(
        self, user_id: str, *, name: str | None = None, password_hash: str | None = None
    ) -> UserRecord | None:
        """Set the given fields; None when there is no such user."""
        changes = {
            k: v for k, v in {"name": name, "password_hash": password_hash}.items() if v is not None
        }
        return await self._set(user_id, changes)

    async def upgrade_hash(self, user_id: str, old_hash: str, new_hash: str) -> None:
        """Replace a hash only if it is still ``old_hash``: a password changed meanwhile
        must never be overwritten by a login's rehash of the old one."""
        oid = object_id(user_id)
        if oid:
            await self._users.update_one(
                {"_id": oid, "password_hash": old_hash}, {"$set": {"password_hash": new_hash}}
            )

    async def set_roles(self, user_id: str, roles: list[str]) -> UserRecord | None:
        return await self._set(user_id, {"roles": sorted(set(roles))})

    async def _set(self, user_id: str, changes: dict[str, Any]) -> UserRecord | None:
        oid = object_id(user_id)
        if oid is None:
            return None
        if not changes:
            return await self.by_id(user_id)
        doc = await self._users.find_one_and_update(
            {"_id": oid}, {"$set": changes}, return_document=ReturnDocument.AFTER
        )
        return _record(doc) if doc else None

    async def page(self, limit: int, cursor: str | None) -> tuple[list[UserRecord], str | None]:
        """All accounts, newest first (admin listing)."""
        docs, next_cursor = await newest_first(self._users, {}, limit, cursor)
        return [_record(d) for d in docs], next_cursor
