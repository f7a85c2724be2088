"""Who is calling: the identity and roles carried by a verified access token."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "event_creator", "user")


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller. Roles come from the token (short-lived), not the DB."""

    id: str
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))
