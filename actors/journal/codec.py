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


def dump_snapshot(data: dict[str, Any]) -> bytes:
    # Only an inventory's snapshot has seat-state bytes; a quota ledger's or a waiting
    # room's is plain JSON already.
    encoded = dict(data)
    if isinstance(data.get("states"), bytes | bytearray):
        encoded["states"] = base64.b64encode(data["states"]).decode("ascii")
    return json.dumps(encoded, separators=(",", ":")).encode()


def load_snapshot(blob: bytes) -> dict[str, Any]:
    data = json.loads(blob)
    if isinstance(data.get("states"), str):
        data["states"] = base64.b64decode(data["states"])
    return data
