"""Accounts: one's own profile and purchase history, role grants by admins, the first
admin (created, never promoted from an existing account).

Also the auth context's startup (``start_accounts``): indexes, the password hasher
and the bootstrap admin from ``BOOTSTRAP_ADMIN_EMAIL`` / ``BOOTSTRAP_ADMIN_PASSWORD``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pydantic import BaseModel, ValidationError

from contexts.auth.errors import InvalidCurrentPassword
from contexts.auth.passwords import PasswordHasher
from contexts.auth.refresh_tokens_store import RefreshTokensStore
from contexts.auth.schemas import Email, Password
from contexts.auth.sessions import public
from contexts.auth.user_schemas import OrderPage, OrderSummary, UserPage, UserPublic, UserUpdate
from contexts.auth.users_store import EmailAlreadyUsed, UsersStore
from contexts.orders.history import OrderHistory
from contexts.organisers.audit import NO_AUDIT, AuditEntry, AuditLog
from contexts.shared.errors import NotFound
from contexts.shared.principal import Principal

log = logging.getLogger(__name__)


class AccountService:
    """What a signed-in user can do to their account, and what an admin can do to any."""

    def __init__(
        self,
        users: UsersStore,
        refresh_tokens: RefreshTokensStore,
        passwords: PasswordHasher,
        history: OrderHistory,
        audit: AuditLog = NO_AUDIT,
    ) -> None:
        self.users = users
        self.refresh_tokens = refresh_tokens
        self.passwords = passwords
        self.history = history
        self.audit = audit

    async def me(self, caller: Principal) -> UserPublic:
        user = await self.users.by_id(caller.id)
        if user is None:
            raise NotFound("This account no longer exists.")
        return public(user)

    async def update_me(self, caller: Principal, body: UserUpdate) -> UserPublic:
        user = await self.users.by_id(caller.id)
        if user is None:
            raise NotFound("This account no longer exists.")
        new_hash = None
        if body.password is not None:
            ok, _ = await self.passwords.verify_async(
                body.current_password or "", user.password_hash
            )
            if not ok:
                raise InvalidCurrentPassword("The current password is wrong.")
            new_hash = await self.passwords.hash_async(body.password)
        updated = await self.users.update(user.id, name=body.name, password_hash=new_hash)
        if updated is None:
            raise NotFound("This account no longer exists.")
        if new_hash is not None:
            # A new password ends every session: whoever knew the old one is logged out.
            await self.refresh_tokens.revoke_user(user.id)
        return public(updated)

    async def orders(self, caller: Principal, limit: int, cursor: str | None) -> OrderPage:
        items, next_cursor = await self.history.page(caller.id, limit, cursor)
        return OrderPage(
            items=[OrderSummary.model_validate(i) for i in items], next_cursor=next_cursor
        )

    async def set_roles(
        self, user_id: str, roles: list[str], admin: Principal | None = None
    ) -> UserPublic:
        """Takes effect at the user's next refresh (access tokens carry their roles).
        With ``admin`` (the caller), the change is audited with the roles before."""
        before = await self.users.by_id(user_id) if admin is not None else None
        user = await self.users.set_roles(user_id, roles)
        if user is None:
            raise NotFound(f"No user {user_id}.")
        if admin is not None:
            old = {"roles": before.roles if before else None}
            entry = AuditEntry.by(
                admin, "user.roles", ("user", user_id), before=old, after={"roles": user.roles}
            )
            await self.audit.append(entry)
        return public(user)

    async def list_users(self, limit: int, cursor: str | None) -> UserPage:
        users, next_cursor = await self.users.page(limit, cursor)
        return UserPage(items=[public(u) for u in users], next_cursor=next_cursor)


class AdminCredentials(BaseModel):
    """What makes an admin account acceptable: the same rules as registration."""

    email: Email
    password: Password


def describe(exc: ValidationError) -> str:
    """What is wrong, field by field, without echoing the input (it may be a password)."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


class AdminEmailTaken(RuntimeError):
    """The admin's email belongs to an account without the admin role: it is not
    promoted (registration does not verify emails, so anyone may have taken it)."""


async def ensure_admin(
    users: UsersStore,
    passwords: PasswordHasher,
    email: str,
    password: str,
    promote_existing: bool = False,
) -> tuple[UserPublic, bool]:
    """Create the admin account; ``(user, created)``. An account that already has the
    role is left as it is (a restart). One without it raises ``AdminEmailTaken``, unless
    an operator asked to ``promote_existing`` (the CLI's explicit flag; its password is
    left alone). ``ValidationError`` for a bad email or password."""
    creds = AdminCredentials(email=email, password=password)
    existing = await users.by_email(creds.email)
    if existing is None:
        password_hash = await passwords.hash_async(creds.password)
        try:
            user = await users.create(
                creds.email, "Administrator", password_hash, ["admin", "user"]
            )
            return public(user), True
        except EmailAlreadyUsed:  # another replica created it meanwhile
            existing = await users.by_email(creds.email)
    if existing is None:  # deleted between two reads: nothing sane to do but say so
        raise RuntimeError(f"the account {creds.email} vanished while being made admin")
    if "admin" in existing.roles:
        return public(existing), False
    if not promote_existing:
        raise AdminEmailTaken(
            f"{creds.email} already belongs to an account without the admin role; it is "
            "not promoted (anyone may have registered that email): choose another admin "
            "email, or promote that account deliberately with "
            "`python -m cluster.admin create-admin --promote-existing`"
        )
    promoted = await users.set_roles(existing.id, ["admin", *existing.roles])
    if promoted is None:
        raise RuntimeError(f"the account {creds.email} vanished while being made admin")
    return public(promoted), False


async def start_accounts(
    users: UsersStore,
    passwords: PasswordHasher,
    refresh_tokens: RefreshTokensStore,
    history: OrderHistory,
    settings: Any,
) -> None:
    """Startup of the auth context (the composition root calls it once): indexes, the
    hasher's timing-equalisation hash computed now (not on the first login) and the
    bootstrap admin. A bad bootstrap email or password stops the start, loudly."""
    await users.ensure_indexes()
    await refresh_tokens.ensure_indexes()
    await history.ensure_indexes()
    await asyncio.to_thread(lambda: passwords.dummy_hash)
    if not (settings.bootstrap_admin_email and settings.bootstrap_admin_password):
        return
    try:
        user, created = await ensure_admin(
            users, passwords, settings.bootstrap_admin_email, settings.bootstrap_admin_password
        )
    except ValidationError as exc:
        raise ValueError(f"BOOTSTRAP_ADMIN_EMAIL/PASSWORD: {describe(exc)}") from None
    except AdminEmailTaken as exc:
        raise ValueError(f"BOOTSTRAP_ADMIN_EMAIL: {exc}") from None
    log.info("bootstrap admin", extra={"email": user.email, "newly_created": created})
