"""Administration of accounts: list them, grant and withdraw roles (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from api.deps import Accounts, AdminUser, AuditTrail, Placement
from api.openapi import Responses
from api.pagination import Cursor, Limit
from contexts.auth.user_schemas import RolesUpdate, UserPage, UserPublic
from contexts.catalog.placement_schemas import PlacementPage
from contexts.organisers.audit_schemas import AuditPage

router = APIRouter(prefix="/v1/admin", tags=["admin"])
ADMIN_ONLY: Responses = {
    401: {"description": "No valid access token"},
    403: {"description": "The caller is not an admin"},
}
UserId = Annotated[str, PathParam(min_length=1, max_length=64, description="The user's id.")]


@router.get("/users", operation_id="admin_users_list", responses=ADMIN_ONLY)
async def list_users(
    admin: AdminUser, accounts: Accounts, limit: Limit = 20, cursor: Cursor = None
) -> UserPage:
    """Every account, newest first."""
    return await accounts.list_users(limit, cursor)


@router.patch(
    "/users/{user_id}/roles",
    operation_id="admin_users_set_roles",
    responses={**ADMIN_ONLY, 404: {"description": "No such user"}},
)
async def set_roles(
    user_id: UserId, body: RolesUpdate, admin: AdminUser, accounts: Accounts
) -> UserPublic:
    """Replace a user's roles. They apply from the user's next token refresh (access
    tokens carry roles and live minutes)."""
    return await accounts.set_roles(user_id, list(body.roles), admin)


@router.get("/placement", operation_id="admin_placement", responses=ADMIN_ONLY)
async def placement(
    admin: AdminUser, view: Placement, limit: Limit = 20, cursor: Cursor = None
) -> PlacementPage:
    """The Ray nodes, and a page of published events with the node each of their
    inventory actors runs on (an event whose actors did not answer carries `error`)."""
    return await view.page(admin, limit, cursor)


@router.get("/audit", operation_id="admin_audit", responses=ADMIN_ONLY)
async def audit_log(
    admin: AdminUser,
    trail: AuditTrail,
    actor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    target: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    action: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> AuditPage:
    """The audit log, newest first: every organiser and admin action and every money
    movement (payments, refunds), with who, what, when, and the state before and after.
    Filters match exactly; the log is append-only."""
    return await trail.page(actor=actor, target=target, action=action, limit=limit, cursor=cursor)
