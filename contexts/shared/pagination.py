"""Keyset pagination shared by every list: opaque cursors and the page envelope.

A cursor is the sort key of the last item of a page, JSON in URL-safe base64, so
the next page is one indexed range query (no ``skip``: its cost grows with depth,
and items inserted meanwhile would shift a page and duplicate or drop one).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pydantic import BaseModel, Field

from contexts.shared.errors import Invalid


class InvalidCursor(Invalid):
    code = "invalid_cursor"


class Page[T](BaseModel):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next page."""

    items: list[T]
    next_cursor: str | None = Field(
        None, description="Opaque; absent (null) on the last page.", examples=[None]
    )


def encode_cursor(key: dict[str, Any]) -> str:
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, fields: tuple[str, ...]) -> dict[str, Any]:
    """The key inside ``cursor``; a 422 problem (never a 500) when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor("The cursor is malformed.") from exc
    if not isinstance(key, dict) or set(key) != set(fields):
        raise InvalidCursor("The cursor is malformed.")
    return key
