"""The audit log's storage: ``<prefix>_audit.entries``, append-only.

This repository can insert and read, nothing else: there is deliberately no update
and no delete here (``tests/integration/test_audit.py`` checks that), so no code
path of the API can rewrite history. Reads are newest-first keyset pages behind
one index per filter (actor, target, action), each ending in ``(created_at, _id)``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from contexts.catalog.rules import now_ms
from contexts.organisers.audit import AuditEntry
from contexts.shared.keyset import newest_first

NEWEST = [("created_at", DESCENDING), ("_id", DESCENDING)]


class AuditStore:
    """Implements ``contexts.organisers.audit.AuditLog`` and ``AuditReader``."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._entries = db["entries"]

    async def ensure_indexes(self) -> None:
        await self._entries.create_index(NEWEST, name="newest")
        for name in ("actor_id", "target_id", "action"):
            await self._entries.create_index([(name, 1), *NEWEST], name=name)

    async def append(self, entry: AuditEntry) -> None:
        doc = asdict(entry)
        doc["actor_roles"] = list(entry.actor_roles)
        doc["created_at"] = now_ms()
        await self._entries.insert_one(doc)

    async def page(
        self, query: dict[str, Any], limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        return await newest_first(self._entries, query, limit, cursor)
