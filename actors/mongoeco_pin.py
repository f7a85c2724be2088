"""The one mongoeco version the embedded MongoDB's shims were written against.

Every shim module (``mongoeco_shims``, ``mongoeco_dispatch``, ``mongoeco_inline``,
``mongoeco_readers``) raises ``ShimVersionError`` when what it patches is not the shape
it expects; the pin lives here, below them all, so none imports another for it.
"""

from __future__ import annotations

MONGOECO_VERSION = "4.11.0"  # pinned in pyproject.toml too


class ShimVersionError(RuntimeError):
    """The installed mongoeco is not the version the shim was written and tested against."""
