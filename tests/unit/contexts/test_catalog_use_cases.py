"""Promo codes (``contexts.catalog.promos``) against in-memory fakes: who defines codes,
unique codes, windows, disabled codes, live uses, and the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contexts.catalog.promo_schemas import PromoCreate, PromoUpdate
from contexts.catalog.promos import (
    PromoCodeExists,
    PromoDisabled,
    PromoExpired,
    PromoNotYetValid,
    PromoService,
    PromoUnknown,
)
from contexts.shared.errors import Forbidden, Invalid, NotFound
from contexts.shared.principal import Principal
from tests.unit.fakes.catalog import FakeManagedEvents, FakePromoDefinitions, FakeUseCounts

OWNER = Principal("u-owner", frozenset({"organiser"}))
OTHER = Principal("u-other", frozenset({"organiser"}))
NOW = datetime.now(UTC)
EVENT = {
    "_id": "e1", "owner_id": OWNER.id, "status": "published", "published_at": NOW,
    "prices": [{"name": "Standard"}, {"name": "Backstage"}],
}  # fmt: skip
DRAFT = {"_id": "e2", "owner_id": OWNER.id, "status": "draft", "published_at": None}


@pytest.fixture
def parts() -> tuple[FakePromoDefinitions, FakeManagedEvents, FakeUseCounts]:
    return FakePromoDefinitions(), FakeManagedEvents(EVENT, DRAFT), FakeUseCounts()


@pytest.fixture
def service(parts: tuple[FakePromoDefinitions, FakeManagedEvents, FakeUseCounts]) -> PromoService:
    return PromoService(*parts)


def code(name: str = "early20", **kw: object) -> PromoCreate:
    return PromoCreate.model_validate(
        {"code": name, "discount_type": "percentage", "discount_value": 20, **kw}
    )


async def test_create_stores_an_upper_case_code_and_audits_it(
    service: PromoService, parts: tuple[FakePromoDefinitions, FakeManagedEvents, FakeUseCounts]
) -> None:
    made = await service.create(OWNER, "e1", code(max_uses=5))
    assert (made.code, made.max_uses, made.uses) == ("EARLY20", 5, None)  # not open: no uses
    assert await parts[0].get("e1", "EARLY20") is not None
    [entry] = parts[1].audit.entries
    assert (entry.action, entry.target_id, entry.actor_id) == (
        "promo_code.create", "e1/EARLY20", OWNER.id,
    )  # fmt: skip


async def test_a_code_is_unique_per_event(service: PromoService) -> None:
    await service.create(OWNER, "e1", code())
    with pytest.raises(PromoCodeExists):
        await service.create(OWNER, "e1", code("EARLY20"))
    assert (await service.create(OWNER, "e2", code())).event_id == "e2"  # another event


async def test_only_who_manages_the_event_defines_codes(service: PromoService) -> None:
    with pytest.raises(Forbidden):
        await service.create(OTHER, "e1", code())
    with pytest.raises(NotFound):  # a draft does not leak
        await service.create(OTHER, "e2", code())
    await service.create(OWNER, "e1", code())
    with pytest.raises(Forbidden):
        await service.update(OTHER, "e1", "EARLY20", PromoUpdate.model_validate({"disabled": True}))


async def test_an_unknown_tier_is_refused(service: PromoService) -> None:
    with pytest.raises(Invalid) as refused:
        crew = code("CREW", discount_type="none", discount_value=0, unlocks_tiers=["VIP"])
        await service.create(OWNER, "e1", crew)
    assert refused.value.code == "unknown_tier"


async def test_resolve_checks_existence_window_and_disabled(service: PromoService) -> None:
    soon, past = NOW + timedelta(days=1), NOW - timedelta(days=1)
    await service.create(OWNER, "e1", code("LATER", valid_from=soon))
    await service.create(OWNER, "e1", code("OVER", valid_from=past - timedelta(days=1),
                                           valid_until=past))  # fmt: skip
    await service.create(OWNER, "e1", code("OFF"))
    await service.update(OWNER, "e1", "off", PromoUpdate.model_validate({"disabled": True}))
    for name, refusal in (("NOPE", PromoUnknown), ("LATER", PromoNotYetValid),
                          ("OVER", PromoExpired), ("OFF", PromoDisabled)):  # fmt: skip
        with pytest.raises(refusal):
            await service.resolve("e1", name, NOW)
    with pytest.raises(PromoUnknown):  # codes are per event
        await service.resolve("e2", "OFF", NOW)


async def test_resolve_gives_the_engine_its_terms(service: PromoService) -> None:
    await service.create(OWNER, "e1", code(max_uses=3))
    crew = code("CREW", discount_type="none", discount_value=0, unlocks_tiers=["Backstage"],
                presale=True)  # fmt: skip
    await service.create(OWNER, "e1", crew)
    promo, presale = await service.resolve("e1", "  early20 ", NOW)  # as a buyer types it
    assert (promo.code, promo.limit, promo.percent, presale) == ("EARLY20", 3, 20, False)
    promo, presale = await service.resolve("e1", "crew", NOW)
    assert (promo.unlocks, presale) == (("Backstage",), True)


async def test_update_refuses_a_window_that_ends_before_it_starts(service: PromoService) -> None:
    await service.create(OWNER, "e1", code(valid_until=NOW + timedelta(days=2)))
    with pytest.raises(Invalid) as refused:
        await service.update(
            OWNER,
            "e1",
            "EARLY20",
            PromoUpdate.model_validate({"valid_from": NOW + timedelta(days=3)}),
        )
    assert refused.value.code == "invalid_window"
    with pytest.raises(NotFound):
        await service.update(OWNER, "e1", "NOPE", PromoUpdate.model_validate({"disabled": True}))


async def test_update_audits_only_what_changed(
    service: PromoService, parts: tuple[FakePromoDefinitions, FakeManagedEvents, FakeUseCounts]
) -> None:
    await service.create(OWNER, "e1", code(max_uses=5))
    changed = await service.update(
        OWNER, "e1", "early20", PromoUpdate.model_validate({"max_uses": None})
    )
    assert changed.max_uses is None
    entry = parts[1].audit.entries[-1]
    assert (entry.action, entry.before, set(entry.after or {})) == (
        "promo_code.update", {"max_uses": 5}, {"max_uses", "updated_at"},
    )  # fmt: skip
    await service.update(
        OWNER, "e1", "EARLY20", PromoUpdate.model_validate({})
    )  # nothing to change
    assert len(parts[1].audit.entries) == 2


async def test_uses_are_summed_over_the_shards_and_paged_by_code(
    service: PromoService, parts: tuple[FakePromoDefinitions, FakeManagedEvents, FakeUseCounts]
) -> None:
    for name in ("BBB", "AAA", "CCC"):
        await service.create(OWNER, "e1", code(name))
    counts = parts[2]
    counts.open("e1", shards=2)
    counts.uses["e1#0"], counts.uses["e1#1"] = {"AAA": 2, "CCC": 1}, {"AAA": 1}
    first = await service.page(OWNER, "e1", 2, None)
    assert [(p.code, p.uses) for p in first.items] == [("AAA", 3), ("BBB", 0)]
    rest = await service.page(OWNER, "e1", 2, first.next_cursor)
    assert [(p.code, p.uses) for p in rest.items] == [("CCC", 1)] and rest.next_cursor is None
