"""Sessions: register, log in, rotate refresh tokens, log out.

Access tokens are short-lived JWTs nobody can revoke before they expire; the
session lives in the refresh token. Each refresh consumes the token it is given and
returns a new one of the same family; an already-consumed token coming back means
that two parties hold the chain (a stolen token), so the whole family is revoked.
"""

from __future__ import annotations

import secrets
import uuid

from contexts.auth.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidRefreshToken,
    RefreshTokenReused,
)
from contexts.auth.passwords import PasswordHasher
from contexts.auth.refresh_tokens_store import RefreshTokensStore
from contexts.auth.schemas import TokenPair
from contexts.auth.tokens import TokenService
from contexts.auth.user_schemas import UserCreate, UserPublic
from contexts.auth.users_store import EmailAlreadyUsed, UserRecord, UsersStore
from contexts.shared.settings import Settings

DEFAULT_ROLES = ["user"]


def public(user: UserRecord) -> UserPublic:
    return UserPublic(
        id=user.id,
        email=user.email,
        name=user.name,
        roles=user.roles,  # type: ignore[arg-type]  # stored roles are validated roles
        created_at=user.created_at,
    )


class AuthService:
    """Credentials in, token pairs out."""

    def __init__(
        self,
        users: UsersStore,
        refresh_tokens: RefreshTokensStore,
        passwords: PasswordHasher,
        tokens: TokenService,
        settings: Settings,
    ) -> None:
        self.users = users
        self.refresh_tokens = refresh_tokens
        self.passwords = passwords
        self.tokens = tokens
        self.settings = settings

    async def register(self, body: UserCreate) -> UserPublic:
        password_hash = await self.passwords.hash_async(body.password)
        try:
            user = await self.users.create(body.email, body.name, password_hash, DEFAULT_ROLES)
        except EmailAlreadyUsed as exc:
            raise EmailTaken("An account with this email already exists.") from exc
        return public(user)

    async def login(self, email: str, password: str) -> TokenPair:
        user = await self.users.by_email(email)
        if user is None:
            # Same cost as a wrong password, and the same error: no user enumeration.
            await self.passwords.burn_async(password)
            raise InvalidCredentials()
        ok, new_hash = await self.passwords.verify_async(password, user.password_hash)
        if not ok:
            raise InvalidCredentials()
        if new_hash is not None:  # bcrypt or weaker argon2: upgraded now we know the password
            await self.users.upgrade_hash(user.id, user.password_hash, new_hash)
        return await self._pair(user, family=uuid.uuid4().hex)

    async def refresh(self, token: str) -> TokenPair:
        record = await self.refresh_tokens.consume(token)
        if record is None:
            known = await self.refresh_tokens.find(token)
            if known is not None and known.used:
                await self.refresh_tokens.revoke_family(known.family)
                raise RefreshTokenReused()
            raise InvalidRefreshToken()
        # Roles are read again here: a role change reaches the caller at the next refresh.
        user = await self.users.by_id(record.user_id)
        if user is None:
            await self.refresh_tokens.revoke_family(record.family)
            raise InvalidRefreshToken()
        return await self._pair(user, family=record.family)

    async def logout(self, token: str) -> None:
        """Revoke the token's session (its family). Unknown tokens are ignored: logging out
        twice is not an error, and the answer says nothing about which tokens exist."""
        known = await self.refresh_tokens.find(token)
        if known is not None:
            await self.refresh_tokens.revoke_family(known.family)

    async def _pair(self, user: UserRecord, family: str) -> TokenPair:
        access, expires_in = self.tokens.issue_access(user.id, user.roles)
        refresh = secrets.token_urlsafe(32)
        await self.refresh_tokens.add(refresh, family, user.id, self.settings.refresh_token_ttl_s)
        return TokenPair(access_token=access, refresh_token=refresh, expires_in=expires_in)
