"""Who may act on an event: one decision, ``OrganiserAccess.can``, for every context.

An event belongs to an organiser (``organiser_id``) or, created without one, to its
creator alone (``owner_id``: a personal event, as before organisers existed). For an
organiser's event, what a member may do is what their permissions say; for a
personal event the owner may do everything, which is exactly ``can_manage``, kept as
the fallback (and for callers that still use it). Admins may always act.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from contexts.catalog.rules import can_manage
from contexts.organisers.audit_store import AuditStore
from contexts.organisers.schemas import Permission
from contexts.organisers.store import OrganisersStore
from contexts.shared.errors import Forbidden, NotFound
from contexts.shared.principal import Principal


def _field(event: Any, name: str) -> Any:
    """A field of an event document (a dict) or of a cached ``EventForSale``."""
    return event.get(name) if isinstance(event, Mapping) else getattr(event, name, None)


class OrganiserAccess:
    """Membership look-ups (one indexed read, never cached: a removed member loses
    access at once) and the permission rules built on them."""

    def __init__(self, organisers: OrganisersStore) -> None:
        self.organisers = organisers

    async def can(
        self, principal: Principal | None, event: Any, permission: Permission | None
    ) -> bool:
        """May ``principal`` do ``permission`` on ``event`` (a document or an
        ``EventForSale``)? ``None`` asks for any membership: seeing its drafts."""
        if principal is None:
            return False
        if principal.is_admin:
            return True
        organiser_id = _field(event, "organiser_id")
        if organiser_id is None:  # a personal event: its owner does everything
            return can_manage(_field(event, "owner_id"), principal)
        member = await self.organisers.member(organiser_id, principal.id)
        return member is not None and (permission is None or permission in member["permissions"])

    async def organiser_ids(self, principal: Principal) -> list[str]:
        """The organisers ``principal`` is a member of (their events are also theirs)."""
        return await self.organisers.ids_of_member(principal.id)

    async def require(
        self, principal: Principal, organiser_id: str, permission: Permission
    ) -> dict[str, Any]:
        """The organiser, if ``principal`` may ``permission`` in it. Someone outside the
        team gets a 404 (an organiser's existence is its members' business); a member
        without the permission a 403."""
        doc = await self.organisers.get(organiser_id)
        member = next(
            (m for m in (doc or {}).get("members", []) if m.get("user_id") == principal.id), None
        )
        if doc is None or (member is None and not principal.is_admin):
            raise NotFound(f"No organiser {organiser_id}.")
        if not principal.is_admin and permission not in member["permissions"]:  # type: ignore[index]
            raise Forbidden(f"This needs the `{permission}` permission in this organiser.")
        return doc


async def start_audit(db: AsyncDatabase[dict[str, Any]]) -> AuditStore:
    """The audit log on its own context database, ``<prefix>_audit``."""
    audit = AuditStore(db)
    await audit.ensure_indexes()
    return audit


async def start_organisers(db: AsyncDatabase[dict[str, Any]]) -> OrganiserAccess:
    """The organisers context (``<prefix>_organisers``): its storage and indexes."""
    repo = OrganisersStore(db)
    await repo.ensure_indexes()
    return OrganiserAccess(repo)
