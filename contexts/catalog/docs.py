"""Helpers shared by the catalog's collections: ids, and creates made idempotent.

A create that carries an ``Idempotency-Key`` stores the key (scoped to its caller)
and a fingerprint of the request under a unique partial index: a retry finds the
first document instead of making a second one, and a different body under the same
key is refused, as the public contract asks.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from contexts.shared.errors import Invalid

IDEMPOTENCY_INDEX: dict[str, Any] = {  # create_index(**IDEMPOTENCY_INDEX)
    "keys": [("idempotency.key", 1)],
    "name": "idempotency_key",
    "unique": True,
    "partialFilterExpression": {"idempotency.key": {"$exists": True}},
}


class IdempotencyKeyReused(Invalid):
    code = "idempotency_key_reused"


def object_id(value: object) -> ObjectId | None:
    """The ObjectId of a 24-hex id, or None for anything else (unknown, never an error)."""
    if not isinstance(value, str) or len(value) != 24:
        return None
    try:
        return ObjectId(value)
    except InvalidId:
        return None


def fingerprint(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


async def insert_once(
    collection: AsyncCollection[dict[str, Any]],
    doc: dict[str, Any],
    owner_id: str,
    key: str | None,
    body: dict[str, Any],
) -> dict[str, Any]:
    """Insert ``doc``, or return the document an earlier request with ``key`` created."""
    doc.setdefault("_id", ObjectId())
    if key is None:
        await collection.insert_one(doc)
        return doc
    scoped = {"key": f"{owner_id}:{key}", "fingerprint": fingerprint(body)}
    try:
        await collection.insert_one({**doc, "idempotency": scoped})
        return doc
    except DuplicateKeyError:
        first = await collection.find_one({"idempotency.key": scoped["key"]})
        if first is None:  # pragma: no cover - the unique index just said it exists
            raise
        if first["idempotency"]["fingerprint"] != scoped["fingerprint"]:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used with a different request body."
            ) from None
        first.pop("idempotency")
        return first
