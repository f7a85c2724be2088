"""Authentication: register, log in (JSON or the OAuth2 password form), refresh, log out.

Access tokens last ``ACCESS_TOKEN_TTL_S`` (15 minutes by default) and cannot be
revoked before then; logging out revokes the refresh token's session, so no new
access token can be obtained from it. Every route here is rate limited per client IP.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Response, status
from pydantic import BaseModel, ConfigDict

from api.deps import Auth, ClientIp, ContainerDep
from api.openapi import Responses
from contexts.auth.schemas import AnyPassword, LoginEmail, LoginRequest, RefreshRequest, TokenPair
from contexts.auth.user_schemas import UserCreate, UserPublic


async def auth_rate_limit(container: ContainerDep, ip: ClientIp) -> None:
    await container.limiter.check("auth", ip, container.settings.auth_rate_per_ip)


router = APIRouter(prefix="/v1/auth", tags=["auth"], dependencies=[Depends(auth_rate_limit)])

RATE_LIMITED: Responses = {
    429: {"description": "Too many attempts from this address (`Retry-After`)"}
}
BAD_CREDENTIALS: Responses = {
    401: {"description": "Wrong email or password (`invalid_credentials`)"}
}


class TokenForm(BaseModel):
    """The OAuth2 password grant (``username`` is the email), as sent by /docs."""

    # OAuth2 clients may add client_id, client_secret...: ignored, not refused.
    model_config = ConfigDict(extra="ignore")

    grant_type: Literal["password"] | None = None
    username: LoginEmail
    password: AnyPassword
    scope: str = ""


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    operation_id="auth_register",
    responses={409: {"description": "Email already registered (`email_taken`)"}, **RATE_LIMITED},
)
async def register(body: UserCreate, auth: Auth) -> UserPublic:
    """Create an account with the role `user`."""
    return await auth.register(body)


@router.post("/login", operation_id="auth_login", responses={**BAD_CREDENTIALS, **RATE_LIMITED})
async def login(body: LoginRequest, auth: Auth) -> TokenPair:
    """Exchange an email and password for an access token and a refresh token."""
    return await auth.login(body.email, body.password)


@router.post("/token", operation_id="auth_token", responses={**BAD_CREDENTIALS, **RATE_LIMITED})
async def token(form: Annotated[TokenForm, Form()], auth: Auth) -> TokenPair:
    """The same as `/login`, as an OAuth2 password form (what the /docs Authorize uses)."""
    return await auth.login(form.username, form.password)


@router.post(
    "/refresh",
    operation_id="auth_refresh",
    responses={
        401: {
            "description": "Unknown or expired token (`invalid_refresh_token`), or a reused "
            "one (`refresh_token_reused`: its whole session is revoked)"
        },
        **RATE_LIMITED,
    },
)
async def refresh(body: RefreshRequest, auth: Auth) -> TokenPair:
    """Rotate: the given refresh token is consumed and a new pair is returned."""
    return await auth.refresh(body.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, operation_id="auth_logout")
async def logout(body: RefreshRequest, auth: Auth) -> Response:
    """Revoke the refresh token's session. Access tokens already issued stay valid until
    they expire (minutes): drop them on the client."""
    await auth.logout(body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
