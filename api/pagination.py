"""The query parameters of every list endpoint; the cursors and the page envelope they
travel in are the core's (``contexts.shared.pagination``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

Limit = Annotated[int, Query(ge=1, le=100, description="Items per page.")]
Cursor = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
]
