"""Newest-first keyset pages over ``(created_at, _id)``, with the shared pagination cursors.

The cursor carries the sort key of a page's last document; the next page is the
range strictly after it, so a page costs one indexed query however deep it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from contexts.shared.pagination import InvalidCursor, decode_cursor, encode_cursor

NEWEST_FIRST = [("created_at", DESCENDING), ("_id", DESCENDING)]


def cursor_after(doc: dict[str, Any]) -> str:
    """The cursor that resumes after ``doc``."""
    return encode_cursor({"t": doc["created_at"].isoformat(), "i": str(doc["_id"])})


def query_after(cursor: str) -> dict[str, Any]:
    """The filter for documents strictly older than the cursor's key (422 if not ours)."""
    key = decode_cursor(cursor, ("t", "i"))
    try:
        when, oid = datetime.fromisoformat(key["t"]), ObjectId(key["i"])
    except (TypeError, ValueError, InvalidId) as exc:
        raise InvalidCursor("The cursor is malformed.") from exc
    if when.tzinfo is None:  # ours always carry UTC; a naive date would compare wrongly
        raise InvalidCursor("The cursor is malformed.")
    return {"$or": [{"created_at": {"$lt": when}}, {"created_at": when, "_id": {"$lt": oid}}]}


async def newest_first(
    collection: AsyncCollection[dict[str, Any]],
    query: dict[str, Any],
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``query``'s documents, newest first, and the cursor of the next page."""
    if cursor:
        query = {"$and": [query, query_after(cursor)]} if query else query_after(cursor)
    docs = await collection.find(query).sort(NEWEST_FIRST).limit(limit + 1).to_list()
    if len(docs) <= limit:
        return docs, None
    docs = docs[:limit]
    return docs, cursor_after(docs[-1])
