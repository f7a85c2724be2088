"""Now, as the stores keep it: an aware UTC datetime at BSON's millisecond precision."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """MongoDB keeps milliseconds: truncated, what we hold equals what we read back."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
