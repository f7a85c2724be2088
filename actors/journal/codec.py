"""Byte encodings of event batches and snapshots for stores without native documents.

JSON, so a journal file can be read with the sqlite3 shell and `jq`; the snapshot's
seat-state bytes travel as base64.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from actors.journal.base import EncodedEvent


def dump_events(events: Sequence[EncodedEvent]) -> str:
    return json.dumps(list(events), separators=(",", ":"))


def load_events(text: str) -> list[EncodedEvent]:
    return json.loads(text)


CHUNK = 2_000  # list items per json.dumps call (see dump_snapshot)


def dump_snapshot(data: dict[str, Any]) -> bytes:
    """The snapshot as JSON bytes, the same as ``json.dumps`` with compact separators.

    Long lists (an event's holds, keys) are encoded ``CHUNK`` items at a time: one
    json.dumps call never lets go of the GIL, and a 2.4 MB snapshot encoded in one
    call held it for 35-50 ms, while the actor's loop (encoding runs on a thread)
    waited for it.
    """
    # Only an inventory's snapshot has seat-state bytes; a quota ledger's or a waiting
    # room's is plain JSON already.
    encoded = dict(data)
    if isinstance(data.get("states"), bytes | bytearray):
        encoded["states"] = base64.b64encode(data["states"]).decode("ascii")
    parts = [f"{_dumps(key)}:{_dump_value(value)}" for key, value in encoded.items()]
    return ("{" + ",".join(parts) + "}").encode()


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _dump_value(value: Any) -> str:
    if not isinstance(value, list) or len(value) <= CHUNK:
        return _dumps(value)
    chunks = (_dumps(value[i : i + CHUNK])[1:-1] for i in range(0, len(value), CHUNK))
    return "[" + ",".join(chunks) + "]"


def load_snapshot(blob: bytes) -> dict[str, Any]:
    data = json.loads(blob)
    if isinstance(data.get("states"), str):
        data["states"] = base64.b64decode(data["states"])
    return data
