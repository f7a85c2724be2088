"""Errors of the actor layer that callers may retry; they pickle across ``ray.get``.

Domain refusals are ``engine.InventoryError``; these say "not now" instead: the
journal could not make a batch durable, the actor is rebuilding or gone, or the
event has no inventory actor. Nothing was acknowledged when one is raised.
"""

from __future__ import annotations


class InventoryUnavailableError(Exception):
    """The inventory cannot answer right now (journal down, actor restarting); retry."""

    code = "inventory_unavailable"
    retryable = True

    def __init__(self, detail: str, retry_after: float = 1.0) -> None:
        super().__init__(detail, retry_after)
        self.detail = detail
        self.retry_after = retry_after


class InventoryNotFoundError(Exception):
    """No inventory actor exists for the event (not published, or wrong id)."""

    code = "inventory_not_found"
    retryable = False

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
