"""Organiser accounts in ``<prefix>_organisers.organisers``, each with its team inside.

A team is small and read with its organiser, so members live in the document.
Team changes replace the members list under an optimistic ``version`` check: two
concurrent edits cannot both land, and a rule over the whole team (someone keeps
``manage_team``) holds without a transaction.
"""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from contexts.catalog.docs import object_id
from contexts.catalog.rules import now_ms
from contexts.shared.keyset import NEWEST_FIRST, newest_first


class OrganisersStore:
    """Storage of organisers; lookups by id and by member."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["organisers"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("members.user_id", 1), *NEWEST_FIRST], name="member_newest"
        )

    async def insert(self, doc: dict[str, Any]) -> dict[str, Any]:
        result = await self.collection.insert_one(doc)
        return {**doc, "_id": result.inserted_id}

    async def get(self, organiser_id: str) -> dict[str, Any] | None:
        oid = object_id(organiser_id)
        return None if oid is None else await self.collection.find_one({"_id": oid})

    async def member(self, organiser_id: str, user_id: str) -> dict[str, Any] | None:
        """``user_id``'s membership of the organiser (None: not a member, or no such)."""
        oid = object_id(organiser_id)
        if oid is None:
            return None
        doc = await self.collection.find_one(
            {"_id": oid, "members.user_id": user_id}, {"members": 1}
        )
        members = (doc or {}).get("members") or []
        return next((m for m in members if m.get("user_id") == user_id), None)

    async def ids_of_member(self, user_id: str, cap: int = 500) -> list[str]:
        """The ids of the organisers ``user_id`` belongs to (at most ``cap``)."""
        found = self.collection.find({"members.user_id": user_id}, {"_id": 1}).limit(cap)
        return [str(doc["_id"]) for doc in await found.to_list()]

    async def of_member(
        self, user_id: str, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        return await newest_first(self.collection, {"members.user_id": user_id}, limit, cursor)

    async def replace_members(
        self, doc: dict[str, Any], members: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """The organiser with ``members``, if nobody changed it since ``doc`` was read."""
        return await self.collection.find_one_and_update(
            {"_id": doc["_id"], "version": doc["version"]},
            {"$set": {"members": members, "updated_at": now_ms()}, "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER,
        )
