"""Shared builders for engine tests: small venues and terms."""

from __future__ import annotations

from engine import Area, Inventory, PriceTier, Row, SaleTerms, Section, Venue


def venue(rows: dict[str, list[int]] | None = None, areas: dict[str, int] | None = None) -> Venue:
    """``rows`` maps a section name to its row sizes (rows labelled 1, 2, ...)."""
    rows = {"A": [4, 4]} if rows is None and areas is None else rows or {}
    return Venue(
        tuple(
            Section(name, tuple(Row(str(i + 1), n) for i, n in enumerate(sizes)))
            for name, sizes in rows.items()
        ),
        tuple(Area(name, cap) for name, cap in (areas or {}).items()),
    )


def terms_for(v: Venue, amount: int = 1000, limit: int = 6, ttl: float = 600.0) -> SaleTerms:
    return SaleTerms(
        "EUR",
        (
            PriceTier(
                "all", amount, tuple(s.name for s in v.sections), tuple(a.name for a in v.areas)
            ),
        ),
        max_per_customer=limit,
        hold_ttl_seconds=ttl,
    )


def inventory(
    rows: dict[str, list[int]] | None = None, areas: dict[str, int] | None = None, **kw: float
) -> Inventory:
    v = venue(rows, areas)
    return Inventory(v, terms_for(v, **kw))  # type: ignore[arg-type]
