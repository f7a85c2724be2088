"""The audit log's port: what services that change things (or move money) write to.

Every organiser or admin action and every money movement becomes one append-only
entry: who (``actor_id``: a user id, or ``system:<worker>`` for the payments
worker and the Stripe webhook), what (``action``), when (``created_at``), on what
(``target_type``/``target_id``), and the state ``before`` and ``after``. The port
is a ``Protocol`` owned here, by its users; ``contexts.organisers.audit_store`` implements
it on the ``<prefix>_audit`` database. It has no update or delete on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from contexts.organisers.audit_schemas import AuditEntryPublic, AuditPage
from contexts.shared.principal import Principal

PAYMENTS = "system:payments"  # the actor of outcomes the worker and the webhook settle


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One thing that happened; ``before``/``after`` hold only what it changed."""

    actor_id: str
    action: str  # "<target type>.<verb>": event.update, member.add, refund.succeeded
    target_type: str
    target_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    actor_roles: tuple[str, ...] = ()
    organiser_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def by(cls, who: Principal, action: str, target: tuple[str, str], **rest: Any) -> AuditEntry:
        """An entry of an action a signed-in caller took."""
        return cls(who.id, action, *target, actor_roles=tuple(sorted(who.roles)), **rest)


class AuditLog(Protocol):
    """Where entries go. ``append`` returns once the entry is stored."""

    async def append(self, entry: AuditEntry) -> None: ...


class NoAudit:
    """An audit log that keeps nothing: the default of services built without one
    (unit tests, tools), so a service never has to ask whether it has a log."""

    async def append(self, entry: AuditEntry) -> None:
        return None


NO_AUDIT = NoAudit()


class AuditReader(Protocol):
    """The read side (admins): filtered, newest-first keyset pages."""

    async def page(
        self, query: dict[str, Any], limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]: ...


class AuditService:
    """Admins read the log; filters are exact matches on indexed fields."""

    def __init__(self, reader: AuditReader) -> None:
        self.reader = reader

    async def page(
        self,
        *,
        actor: str | None,
        target: str | None,
        action: str | None,
        limit: int,
        cursor: str | None,
    ) -> AuditPage:
        wanted = {"actor_id": actor, "target_id": target, "action": action}
        query = {k: v for k, v in wanted.items() if v is not None}
        docs, next_cursor = await self.reader.page(query, limit, cursor)
        return AuditPage(items=[present(d) for d in docs], next_cursor=next_cursor)


def present(doc: dict[str, Any]) -> AuditEntryPublic:
    fields: dict[str, Any] = {k: doc.get(k) for k in AuditEntryPublic.model_fields if k != "id"}
    return AuditEntryPublic(id=str(doc["_id"]), **fields)
