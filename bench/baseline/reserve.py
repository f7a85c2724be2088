"""The baseline's hold: one PostgreSQL transaction per `POST /v1/tickets/reserve`.

Overselling is prevented by row locks only (READ COMMITTED): explicit seats are locked
with `FOR UPDATE` in `seat_id` order (one global order, so no deadlock between two
buyers), quantities take the first free rows with `FOR UPDATE SKIP LOCKED` (concurrent
buyers never queue on each other's rows). The per-customer limit is made exact by a
transaction-scoped advisory lock on (event, customer), taken first: two requests of one
customer run one after the other, so the count of their held and sold places is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

FREE = "(status = 'available' OR (status = 'held' AND held_until < now()))"


class Refused(Exception):
    """A refusal: rendered as a problem with this status, code, detail and extra members."""

    def __init__(
        self, status: int, code: str, detail: str, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra or {}


@dataclass
class Hold:
    """A reservation as the API returns it."""

    reservation_id: str
    seats: list[str]
    expires_at: datetime
    amount: int
    currency: str
    status: str = "held"


async def _event(conn: AsyncConnection, event_id: str, customer: str) -> dict[str, Any]:
    """The event's terms, after taking the customer's lock (if it has a limit)."""
    row = await (
        await conn.execute(
            "SELECT currency, hold_ttl_s, max_per_customer,"
            " CASE WHEN max_per_customer IS NOT NULL THEN pg_advisory_xact_lock("
            "  hashtextextended(event_id || '/' || %s, 0)) END AS locked"
            " FROM baseline.events WHERE event_id = %s",
            (customer, event_id),
        )
    ).fetchone()
    if row is None:
        raise Refused(404, "not_found", f"No event {event_id!r}.")
    return row


async def _check_limit(
    conn: AsyncConnection, ev: dict[str, Any], event_id: str, customer: str, n: int
) -> None:
    """409 if `n` more places would take the customer over the event's limit."""
    limit = ev["max_per_customer"]
    if limit is None:
        return
    cur = await conn.execute(
        "SELECT coalesce(sum(cardinality(seats)), 0) AS n FROM baseline.holds"
        " WHERE event_id = %s AND customer = %s"
        " AND (status = 'sold' OR (status = 'held' AND expires_at > now()))",
        (event_id, customer),
    )
    used = (await cur.fetchone())["n"]
    if used + n > limit:
        raise Refused(
            409, "limit_exceeded", f"At most {limit} places per customer.", {"limit": limit}
        )


async def _pick(conn: AsyncConnection, event_id: str, kind: str, zone: str, qty: int) -> list[Any]:
    """Up to `qty` free places of a section or area, locked, skipping rows others hold."""
    sql = (
        "SELECT seat_id, price FROM baseline.seats WHERE event_id = %s AND section = %s"
        " AND kind = %s AND {cond} {order} LIMIT %s FOR UPDATE SKIP LOCKED"
    )
    args = (event_id, zone, kind)
    free = "status = 'available'"
    rows = await (
        await conn.execute(sql.format(cond=free, order="ORDER BY seat_id"), (*args, qty))
    ).fetchall()
    if len(rows) < qty:  # expired holds count as free: take them over
        expired = "status = 'held' AND held_until < now()"
        more = await conn.execute(sql.format(cond=expired, order=""), (*args, qty - len(rows)))
        rows += await more.fetchall()
    return rows


async def reserve(
    conn: AsyncConnection,
    event_id: str,
    customer: str,
    *,
    seats: list[str] | None = None,
    zone: tuple[str, str, int] | None = None,
) -> Hold:
    """Hold explicit `seats`, or `zone` = (kind, name, quantity); one transaction."""
    ev = await _event(conn, event_id, customer)
    if seats is not None:
        await _check_limit(conn, ev, event_id, customer, len(seats))
        rows = await (
            await conn.execute(
                f"SELECT seat_id, price, {FREE} AS free FROM baseline.seats"
                " WHERE event_id = %s AND seat_id = ANY(%s) AND kind = 'seat'"
                " ORDER BY seat_id FOR UPDATE",
                (event_id, seats),
            )
        ).fetchall()
        if len(rows) != len(seats):
            unknown = sorted(set(seats) - {r["seat_id"] for r in rows})
            raise Refused(422, "invalid_seat", "Unknown seats.", {"seats": unknown})
        taken = [r["seat_id"] for r in rows if not r["free"]]
        if taken:
            raise Refused(409, "seat_unavailable", "Seats are not available.", {"seats": taken})
    else:
        assert zone is not None
        kind, name, qty = zone
        await _check_limit(conn, ev, event_id, customer, qty)
        rows = await _pick(conn, event_id, kind, name, qty)
        if len(rows) < qty:
            exists = await conn.execute(
                "SELECT 1 FROM baseline.seats WHERE event_id = %s AND section = %s AND kind = %s"
                " LIMIT 1",
                (event_id, name, kind),
            )
            if await exists.fetchone() is None:
                raise Refused(
                    422, "invalid_area", f"No {'section' if kind == 'seat' else 'area'} {name!r}."
                )
            raise Refused(409, "sold_out", "Not enough places left.", {"available": len(rows)})
    ids = [r["seat_id"] for r in rows]
    amount = sum(r["price"] for r in rows)
    held = await (
        await conn.execute(
            "WITH h AS (INSERT INTO baseline.holds"
            " (event_id, customer, status, expires_at, amount, seats)"
            " VALUES (%(e)s, %(c)s, 'held', now() + make_interval(secs => %(ttl)s), %(a)s, %(s)s)"
            " RETURNING id, expires_at)"
            " UPDATE baseline.seats SET status = 'held', hold_id = h.id, held_until = h.expires_at"
            " FROM h WHERE event_id = %(e)s AND seat_id = ANY(%(s)s)"
            " RETURNING h.id, h.expires_at",
            {"e": event_id, "c": customer, "ttl": ev["hold_ttl_s"], "a": amount, "s": ids},
        )
    ).fetchone()
    return Hold(str(held["id"]), ids, held["expires_at"], amount, ev["currency"])
