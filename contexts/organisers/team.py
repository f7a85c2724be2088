"""Organiser accounts and their teams: create, list one's own, read, add, change and
remove members. Every change is audited (``member.*``, ``organiser.create``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from contexts.catalog.errors import ConcurrentUpdate
from contexts.catalog.rules import now_ms
from contexts.organisers.access import OrganiserAccess
from contexts.organisers.audit import AuditEntry, AuditLog
from contexts.organisers.schemas import (
    PERMISSIONS,
    MemberCreate,
    MemberPublic,
    MemberUpdate,
    OrganiserCreate,
    OrganiserPage,
    OrganiserPublic,
)
from contexts.shared.errors import Conflict, Invalid, NotFound
from contexts.shared.principal import Principal

type Members = list[dict[str, Any]]


class Account(Protocol):
    """An account as a team sees it."""

    @property
    def id(self) -> str: ...
    @property
    def email(self) -> str: ...


class Accounts(Protocol):
    """The accounts a team is made of (the auth context's users store implements it)."""

    async def by_id(self, user_id: str) -> Account | None: ...
    async def by_email(self, email: str) -> Account | None: ...


def present(doc: dict[str, Any]) -> OrganiserPublic:
    members = [MemberPublic(**{k: m[k] for k in MemberPublic.model_fields}) for m in doc["members"]]
    return OrganiserPublic(
        id=str(doc["_id"]),
        name=doc["name"],
        members=members,
        created_by=doc["created_by"],
        created_at=doc["created_at"],
    )


def _ordered(permissions: list[str]) -> list[str]:
    return [p for p in PERMISSIONS if p in permissions]  # canonical order, no duplicates


class OrganiserService:
    """Team management needs ``manage_team`` in the organiser (or admin)."""

    def __init__(self, access: OrganiserAccess, users: Accounts, audit: AuditLog) -> None:
        self.access, self.repo, self.users, self.audit = access, access.organisers, users, audit

    async def create(self, user: Principal, body: OrganiserCreate) -> OrganiserPublic:
        account = await self.users.by_id(user.id)
        now = now_ms()
        owner = {"user_id": user.id, "email": account.email if account else "", "added_at": now}
        doc = {
            "name": body.name,
            "members": [{**owner, "permissions": list(PERMISSIONS)}],
            "created_by": user.id,
            "created_at": now,
            "updated_at": now,
            "version": 0,
        }
        doc = await self.repo.insert(doc)
        oid = str(doc["_id"])
        after = {"name": body.name, "owner": user.id}
        target = ("organiser", oid)
        await self.audit.append(
            AuditEntry.by(user, "organiser.create", target, after=after, organiser_id=oid)
        )
        return present(doc)

    async def mine(self, user: Principal, limit: int, cursor: str | None) -> OrganiserPage:
        docs, next_cursor = await self.repo.of_member(user.id, limit, cursor)
        return OrganiserPage(items=[present(d) for d in docs], next_cursor=next_cursor)

    async def get(self, user: Principal, organiser_id: str) -> OrganiserPublic:
        doc = await self.repo.get(organiser_id)
        members = {m["user_id"] for m in (doc or {}).get("members", [])}
        if doc is None or not (user.is_admin or user.id in members):
            raise NotFound(f"No organiser {organiser_id}.")
        return present(doc)

    async def add_member(
        self, user: Principal, organiser_id: str, body: MemberCreate
    ) -> OrganiserPublic:
        # Permission first: otherwise anyone could learn which emails have accounts
        # (a 422 unknown_account vs a 404/403), outside the login rate limit.
        await self.access.require(user, organiser_id, "manage_team")
        account = await self.users.by_email(str(body.email))
        if account is None:
            raise Invalid(f"No account uses {body.email}.", code="unknown_account")
        member = {
            "user_id": account.id,
            "email": account.email,
            "permissions": _ordered(list(body.permissions)),
            "added_at": now_ms(),
        }

        def change(members: Members) -> Members:
            if any(m["user_id"] == account.id for m in members):
                raise Conflict("This account is already a member.", code="already_member")
            return [*members, member]

        after = {"permissions": member["permissions"], "email": account.email}
        return await self._change(user, organiser_id, account.id, "member.add", change, after)

    async def update_member(
        self, user: Principal, organiser_id: str, user_id: str, body: MemberUpdate
    ) -> OrganiserPublic:
        permissions = _ordered(list(body.permissions))

        def change(members: Members) -> Members:
            return [{**m, "permissions": permissions} if m["user_id"] == user_id else m
                    for m in _existing(members, user_id)]  # fmt: skip

        after = {"permissions": permissions}
        return await self._change(user, organiser_id, user_id, "member.update", change, after)

    async def remove_member(self, user: Principal, organiser_id: str, user_id: str) -> None:
        def change(members: Members) -> Members:
            return [m for m in _existing(members, user_id) if m["user_id"] != user_id]

        await self._change(user, organiser_id, user_id, "member.remove", change, None)

    async def _change(
        self,
        user: Principal,
        organiser_id: str,
        member_id: str,
        action: str,
        change: Callable[[Members], Members],
        after: dict[str, Any] | None,
    ) -> OrganiserPublic:
        for _ in range(3):  # optimistic: re-read and re-apply when another edit won
            doc = await self.access.require(user, organiser_id, "manage_team")
            members = change(doc["members"])
            if not any("manage_team" in m["permissions"] for m in members):
                raise Conflict("Someone must keep the manage_team permission.", code="last_manager")
            updated = await self.repo.replace_members(doc, members)
            if updated is not None:
                old = next((m for m in doc["members"] if m["user_id"] == member_id), None)
                before = None if old is None else {"permissions": old["permissions"]}
                entry = AuditEntry.by(
                    user, action, ("user", member_id), before=before, after=after,
                    organiser_id=organiser_id,
                )  # fmt: skip
                await self.audit.append(entry)
                return present(updated)
        raise ConcurrentUpdate("The team changed meanwhile: read it again and retry.")


def _existing(members: Members, user_id: str) -> Members:
    if not any(m["user_id"] == user_id for m in members):
        raise NotFound(f"No member {user_id} in this organiser.")
    return members
