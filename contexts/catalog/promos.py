"""Promo codes: organisers define them per event; reservations resolve them.

Definitions (discount, window, disabled, presale, hidden tiers unlocked) are checked
here, against the catalog; the usage limit is not: it travels with the hold to the
inventory actor, which counts uses and refuses the one over the limit, so it holds
under any concurrency (see engine/promos.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from actors.errors import InventoryNotFoundError, InventoryUnavailableError
from contexts.catalog.promo_ports import ManagedEvents, PromoDefinitions, UseCounts
from contexts.catalog.promo_schemas import PromoCreate, PromoPublic, PromoUpdate
from contexts.catalog.promos_store import PromoExists, PromosStore
from contexts.catalog.rules import now_ms, to_ms
from contexts.organisers.audit import NO_AUDIT, AuditEntry
from contexts.shared.errors import Conflict, Invalid, NotFound
from contexts.shared.pagination import Page, decode_cursor, encode_cursor
from contexts.shared.principal import Principal
from engine import Promo


class PromoUnknown(Invalid):
    code = "promo_unknown"


class PromoExpired(Invalid):
    code = "promo_expired"


class PromoNotYetValid(Invalid):
    code = "promo_not_yet_valid"


class PromoUnsupported(Invalid):
    code = "promo_unsupported"


class PromoDisabled(Conflict):
    code = "promo_disabled"


class PromoCodeExists(Conflict):
    code = "promo_code_exists"


def engine_promo(doc: dict[str, Any]) -> Promo:
    """The engine's view of a stored code: what the inventory actor needs to decide."""
    kind, value = doc["discount_type"], doc["discount_value"]
    return Promo(
        doc["code"],
        doc.get("max_uses"),
        percent=value if kind == "percentage" else 0,
        amount_off=value if kind == "fixed" else 0,
        unlocks=tuple(doc.get("unlocks_tiers", ())),
    )


def check_window(doc: dict[str, Any], now: datetime) -> None:
    """Refuse a disabled code (409) or one outside its validity window (422)."""
    code = doc["code"]
    if doc.get("disabled"):
        raise PromoDisabled(f"The code {code} is disabled.")
    if doc.get("valid_from") is not None and now < doc["valid_from"]:
        raise PromoNotYetValid(f"The code {code} is not valid yet.")
    if doc.get("valid_until") is not None and now >= doc["valid_until"]:
        raise PromoExpired(f"The code {code} has expired.")


def present(doc: dict[str, Any], uses: dict[str, int] | None) -> PromoPublic:
    """A stored code as the API shows it; ``uses`` per code, None before the event opens."""
    count = None if uses is None else uses.get(doc["code"], 0)
    return PromoPublic.model_validate({**doc, "uses": count})


class PromoService:
    """Create, list and change an event's codes; resolve a code for a reservation."""

    def __init__(self, repo: PromoDefinitions, events: ManagedEvents, router: UseCounts) -> None:
        self.repo = repo
        self.events = events  # the catalog's EventService: who may manage an event
        self.router = router

    async def create(self, user: Principal, event_id: str, body: PromoCreate) -> PromoPublic:
        event = await self.events._managed(user, event_id)
        tiers = {p["name"] for p in event.get("prices", ())}
        unknown = sorted(set(body.unlocks_tiers) - tiers)
        if unknown:
            raise Invalid(f"The event has no price tier {', '.join(unknown)}.", code="unknown_tier")
        doc = {
            **body.model_dump(),
            "event_id": event_id,
            "disabled": False,
            "created_at": now_ms(),
            "created_by": user.id,
        }
        for name in ("valid_from", "valid_until"):
            if doc[name] is not None:
                doc[name] = to_ms(doc[name])
        try:
            await self.repo.insert(doc)
        except PromoExists as exc:
            raise PromoCodeExists(f"The event already has a code {body.code}.") from exc
        after = {k: v for k, v in doc.items() if k not in ("event_id", "created_by")}
        await self._audit(user, "promo_code.create", event, body.code, None, after)
        return await self._present(doc)

    async def page(
        self, user: Principal, event_id: str, limit: int, cursor: str | None
    ) -> Page[PromoPublic]:
        await self.events._managed(user, event_id)
        after = decode_cursor(cursor, ("code",))["code"] if cursor else None
        if after is not None and not isinstance(after, str):
            raise Invalid("The cursor is malformed.", code="invalid_cursor")
        docs = await self.repo.page(event_id, after, limit + 1)
        more = len(docs) > limit
        uses = await self.uses(event_id)
        items = [present(d, uses) for d in docs[:limit]]
        return Page(
            items=items, next_cursor=encode_cursor({"code": items[-1].code}) if more else None
        )

    async def update(
        self, user: Principal, event_id: str, code: str, body: PromoUpdate
    ) -> PromoPublic:
        event = await self.events._managed(user, event_id)
        changes = body.changes()  # explicit nulls were refused, or clear a nullable field
        current = await self.repo.get(event_id, code.upper())
        if current is None:
            raise NotFound(f"No code {code} on this event.")
        for name in ("valid_from", "valid_until"):
            if changes.get(name) is not None:
                changes[name] = to_ms(changes[name])
        merged = {**current, **changes}
        start, end = merged.get("valid_from"), merged.get("valid_until")
        if start and end and end <= start:
            raise Invalid("`valid_until` must be after `valid_from`.", code="invalid_window")
        present(merged, None)  # nothing is stored that the read side could not show
        if changes:
            before = {k: current.get(k) for k in changes}
            changes["updated_at"] = now_ms()
            current = await self.repo.update(event_id, current["code"], changes) or current
            await self._audit(user, "promo_code.update", event, current["code"], before, changes)
        return await self._present(current)

    async def _present(self, doc: dict[str, Any]) -> PromoPublic:
        """One code with its live uses, as the list shows it."""
        return present(doc, await self.uses(doc["event_id"]))

    async def _audit(
        self,
        user: Principal,
        action: str,
        event: dict[str, Any],
        code: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        """Organiser actions go to the audit log (the events service's, where it has one)."""
        log = getattr(self.events, "audit", NO_AUDIT)
        target = ("promo_code", f"{event['_id']}/{code}")
        await log.append(
            AuditEntry.by(
                user, action, target, before=before, after=after,
                organiser_id=event.get("organiser_id"),
            )
        )  # fmt: skip

    async def uses(self, event_id: str) -> dict[str, int] | None:
        """Uses per code, summed over the event's inventories; None before it opens."""
        try:
            route = await self.router.route(event_id)
            total: dict[str, int] = {}
            for shard in range(len(route.maps)):
                counts = await self.router.call(route.stream(shard), "promo_uses")
                for code, n in counts.items():
                    total[code] = total.get(code, 0) + n
            return total
        except (InventoryNotFoundError, InventoryUnavailableError):
            return None  # a draft has no inventory; a busy one answers the next read

    async def resolve(self, event_id: str, code: str, now: datetime) -> tuple[Promo, bool]:
        """A buyer's code for a reservation: the engine's ``Promo`` and whether it opens
        the presale; 422 unknown or out of its window, 409 disabled."""
        doc = await self.repo.cached(event_id, code.strip().upper())
        if doc is None:
            raise PromoUnknown(f"No code {code} for this event.")
        check_window(doc, now)
        return engine_promo(doc), bool(doc.get("presale"))


async def start_promos(
    db: AsyncDatabase[dict[str, Any]], cache_s: float, events: ManagedEvents, router: UseCounts
) -> PromoService:
    """The process's promo service (one repository, so one cache), built once at start
    by the composition root; ``events`` is the catalog's ``EventService``."""
    repo = PromosStore(db, cache_s)
    await repo.ensure_indexes()
    return PromoService(repo, events, router)
