"""Responses of ``GET /v1/admin/audit``: audit entries, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from contexts.shared.pagination import Page


class AuditEntryPublic(BaseModel):
    """One recorded action or money movement. ``before``/``after`` carry the fields it
    changed (an update), or the state it left (a create, a payment)."""

    id: str
    created_at: datetime
    actor_id: str = Field(description="A user id, or `system:payments` for settlements.")
    actor_roles: list[str] = []
    action: str = Field(examples=["event.update", "member.add", "refund.succeeded"])
    target_type: str = Field(examples=["event", "venue", "user", "organiser", "order"])
    target_id: str
    organiser_id: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    detail: dict[str, Any] = {}


AuditPage = Page[AuditEntryPublic]
