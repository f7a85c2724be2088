"""Shims for the embedded MongoDB (mongoeco), applied only by its server entry point.

mongoeco 4.11.0 validates every single-document write (insert, replace, upsert, merge)
by loading and decoding *every document of the collection*, looking for an existing
``_id`` logically equal to the new one (``insert_document_record`` in
``mongoeco/engines/_sqlite_write_ops.py`` passes ``scan_payload_id=True`` to
``SQLiteEngine._validate_document_against_unique_indexes``, which then walks
``_load_documents``). An insert thus costs O(documents stored): 143 inserts/s at 1,000
documents, 45 at 3,000. The full write-up is docs/upstream/mongoeco-insert-scan.md.

The scan is needed only when the ``_id`` contains a number: MongoDB treats ``1``,
``1.0`` and ``Int64(1)`` as the same ``_id`` while mongoeco's storage key keeps their
types apart. For every other ``_id`` (a string, an ObjectId, a document of those) the
storage key is canonical, and the indexed storage-key lookup that runs just before the
scan already refuses a duplicate. So the shim keeps the scan for ids holding a number
and drops it otherwise; mongoeco's own batch insert (``_batch_id_equality_keys``) makes
exactly that choice already.

Guarded: the shim applies to the one version it was written against (``MONGOECO_VERSION``,
pinned in pyproject.toml) and checks the method it wraps still takes ``scan_payload_id``;
on anything else it raises, so an upgrade cannot silently run with a stale patch. Only
the embedded default uses it: a real MongoDB (``MONGODB_URL``) never sees this code.
"""

from __future__ import annotations

import functools
import importlib.metadata
import inspect
from typing import Any

from actors.mongoeco_pin import MONGOECO_VERSION, ShimVersionError

_APPLIED_FLAG = "_ticketing_numeric_id_scan_only"


def apply_insert_scan_shim() -> str:
    """Patch ``SQLiteEngine`` (idempotent); a one-line description of what was applied."""
    installed = importlib.metadata.version("mongoeco")
    if installed != MONGOECO_VERSION:
        raise ShimVersionError(
            f"mongoeco {installed} is installed but actors/mongoeco_shims.py was written for "
            f"mongoeco {MONGOECO_VERSION}: re-check the insert-scan defect "
            "(docs/upstream/mongoeco-insert-scan.md) in the new version, then update or "
            "remove the shim and the pin in pyproject.toml"
        )
    from mongoeco.core.identity import id_contains_numeric_value
    from mongoeco.engines.sqlite import SQLiteEngine

    original = SQLiteEngine._validate_document_against_unique_indexes
    if getattr(original, _APPLIED_FLAG, False):
        return _DESCRIPTION
    parameters = inspect.signature(original).parameters
    if "scan_payload_id" not in parameters or "exclude_storage_key" not in parameters:
        raise ShimVersionError(
            "mongoeco's SQLiteEngine._validate_document_against_unique_indexes no longer "
            f"takes scan_payload_id/exclude_storage_key ({list(parameters)}): shim not applied"
        )

    @functools.wraps(original)
    def validate(
        self: Any, db_name: str, coll_name: str, document: dict[str, Any], **flags: Any
    ) -> None:
        # Only the forced scan is dropped: mongoeco still scans on its own for an _id
        # holding a number (its `id_contains_numeric_value` branch), and every unique
        # secondary index check below the scan runs unchanged.
        if flags.get("scan_payload_id") and not id_contains_numeric_value(document.get("_id")):
            flags["scan_payload_id"] = False
        return original(self, db_name, coll_name, document, **flags)

    setattr(validate, _APPLIED_FLAG, True)
    SQLiteEngine._validate_document_against_unique_indexes = validate  # type: ignore[method-assign]
    _apply_pinned_id_update_shim(SQLiteEngine, id_contains_numeric_value)
    from actors.mongoeco_dispatch import apply_coalesced_dispatch_shim

    apply_coalesced_dispatch_shim()
    return _DESCRIPTION


def _pinned_id(plan: Any, numeric: Any) -> Any:
    """The ``_id == v`` clause of an ``$and`` plan, ``v`` a string or an ObjectId."""
    from bson import ObjectId
    from mongoeco.core.query_plan import AndCondition, EqualsCondition

    if not isinstance(plan, AndCondition):
        return None
    for clause in plan.clauses:
        if (
            isinstance(clause, EqualsCondition)
            and clause.field == "_id"
            and isinstance(clause.value, str | ObjectId)
            and not numeric(clause.value)
        ):
            return clause
    return None


def _apply_pinned_id_update_shim(engine_class: Any, numeric: Any) -> None:
    """An update or findAndModify on ``{_id: v, <more>}`` reads the one document ``v``
    names and matches the rest in Python, instead of compiling the filter to SQL.

    Why: mongoeco's planner first asks, for each field of the filter, whether any
    document of the collection holds a Decimal128 there (a full-table ``json_extract``
    probe), and caches the answers per collection, but every write clears that cache.
    A read-modify-write loop (the purchase path's conditional status transitions,
    ``{_id, status: {$in: [...]}}``) therefore pays several full scans per update. With
    the ``_id`` pinned to a string or ObjectId there is at most one candidate: its
    storage-key lookup (mongoeco's own fast path for ``{_id: v}``) then the full filter
    on it is the same answer.
    """
    from mongoeco.compat import MONGODB_DIALECT_70
    from mongoeco.core.filtering import QueryEngine

    original = engine_class._select_first_document_for_plan
    parameters = inspect.signature(original).parameters
    if list(parameters)[:4] != ["self", "db_name", "coll_name", "plan"] or "hint" not in parameters:
        raise ShimVersionError(
            f"SQLiteEngine._select_first_document_for_plan changed ({list(parameters)})"
        )

    @functools.wraps(original)
    def select_first(
        self: Any, db_name: str, coll_name: str, plan: Any, *, hint: Any = None, **kw: Any
    ) -> Any:
        pinned = _pinned_id(plan, numeric) if hint is None else None
        if pinned is None:
            return original(self, db_name, coll_name, plan, hint=hint, **kw)
        found = original(self, db_name, coll_name, pinned, hint=None, **kw)
        # The dialect mongoeco's own `_id` fast path matches with.
        if found is None or not QueryEngine.match_plan(found[1], plan, dialect=MONGODB_DIALECT_70):
            return None
        return found

    engine_class._select_first_document_for_plan = select_first


_DESCRIPTION = (
    f"mongoeco {MONGOECO_VERSION} shim: logically-equal _id scan only for ids holding a number; "
    "updates on {_id, ...} read the one document; change delivery coalesced off the event loop"
)
