"""One's own account: profile, password, purchase history."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Accounts, CurrentUser
from api.openapi import Responses
from api.pagination import Cursor, Limit
from contexts.auth.user_schemas import OrderPage, UserPublic, UserUpdate

router = APIRouter(prefix="/v1/users", tags=["users"])
ANONYMOUS: Responses = {401: {"description": "No valid access token"}}


@router.get("/me", operation_id="users_me", responses=ANONYMOUS)
async def me(user: CurrentUser, accounts: Accounts) -> UserPublic:
    """The caller's account."""
    return await accounts.me(user)


@router.patch(
    "/me",
    operation_id="users_me_update",
    responses={
        **ANONYMOUS,
        403: {"description": "Wrong `current_password` (`invalid_current_password`)"},
        422: {"description": "Invalid fields, or fields that cannot be changed (roles)"},
    },
)
async def update_me(body: UserUpdate, user: CurrentUser, accounts: Accounts) -> UserPublic:
    """Change one's name or password (with `current_password`). A new password ends every
    other session (refresh tokens); roles are granted by admins only."""
    return await accounts.update_me(user, body)


@router.get("/me/orders", operation_id="users_me_orders", responses=ANONYMOUS)
async def my_orders(
    user: CurrentUser, accounts: Accounts, limit: Limit = 20, cursor: Cursor = None
) -> OrderPage:
    """The caller's purchase history, newest first."""
    return await accounts.orders(user, limit, cursor)
