"""Organiser accounts and their team: requests and responses of ``/v1/organisers``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contexts.auth.schemas import Email, Name
from contexts.shared.pagination import Page
from contexts.shared.schemas import RequestModel

# What a member may do for the organiser. The owner (the creator) gets them all.
Permission = Literal["manage_events", "view_reports", "refund", "manage_team", "check_in"]
PERMISSIONS: tuple[Permission, ...] = (
    "manage_events",
    "view_reports",
    "refund",
    "manage_team",
    "check_in",
)
Permissions = list[Permission]


class OrganiserCreate(RequestModel):
    """A new organiser account; its creator becomes its owner with every permission."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Live"}]})

    name: Name


class MemberCreate(RequestModel):
    """Add an existing account to the team, by its email."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "sam@example.com", "permissions": ["manage_events"]}]
        },
    )

    email: Email
    permissions: Permissions = Field(max_length=len(PERMISSIONS))


class MemberUpdate(RequestModel):
    """Replace a member's permissions."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"permissions": ["check_in"]}]})

    permissions: Permissions = Field(max_length=len(PERMISSIONS))


class MemberPublic(BaseModel):
    user_id: str
    email: str
    permissions: Permissions
    added_at: datetime


class OrganiserPublic(BaseModel):
    """An organiser and its team (shown to its members and admins)."""

    id: str
    name: str
    members: list[MemberPublic]
    created_by: str
    created_at: datetime


OrganiserPage = Page[OrganiserPublic]
