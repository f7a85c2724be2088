"""Confirm and availability, and `transact`: one transaction on a pooled connection,
retried on serialization failures and deadlocks, then refused as `busy` (503)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

from psycopg import AsyncConnection
from psycopg.errors import DeadlockDetected, SerializationFailure
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from bench.baseline.reserve import FREE, Hold, Refused

RETRIES = 3


async def transact[T](
    pool: AsyncConnectionPool, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any
) -> T:
    """Run `fn(conn, *args, **kwargs)` in one transaction (committed unless it raises)."""
    for attempt in range(RETRIES + 1):
        try:
            async with pool.connection() as conn:
                conn.row_factory = dict_row
                return await fn(conn, *args, **kwargs)
        except (SerializationFailure, DeadlockDetected):
            if attempt == RETRIES:
                break
            await asyncio.sleep(random.uniform(0.001, 0.01 * (attempt + 1)))
        except PoolTimeout:
            break
    raise Refused(503, "busy", "The database is busy; retry shortly.", {"retry_after": 1})


async def confirm(conn: AsyncConnection, hold_id: str, customer: str, payment_ref: str) -> Hold:
    """Mark a live hold of `customer` sold (idempotent for the same `payment_ref`)."""
    if not hold_id.isdigit() or len(hold_id) > 18:
        raise Refused(404, "hold_not_found", "No such reservation.")
    cur = await conn.execute(
        "SELECT h.event_id, h.status, h.seats, h.amount, h.expires_at, h.payment_ref,"
        " h.expires_at > now() AS live, e.currency"
        " FROM baseline.holds h JOIN baseline.events e USING (event_id)"
        " WHERE h.id = %s AND h.customer = %s FOR UPDATE OF h",
        (int(hold_id), customer),
    )
    row = await cur.fetchone()
    if row is None:
        raise Refused(404, "hold_not_found", "No such reservation.")
    hold = Hold(hold_id, row["seats"], row["expires_at"], row["amount"], row["currency"], "sold")
    if row["status"] == "sold":
        if row["payment_ref"] == payment_ref:
            return hold
        raise Refused(409, "hold_already_sold", "This reservation is already paid.")
    if not row["live"]:
        raise Refused(409, "hold_expired", "This reservation has expired.")
    cur = await conn.execute(
        "UPDATE baseline.seats SET status = 'sold', held_until = NULL"
        " WHERE event_id = %s AND seat_id = ANY(%s) AND hold_id = %s AND status = 'held'",
        (row["event_id"], row["seats"], int(hold_id)),
    )
    if cur.rowcount != len(row["seats"]):  # taken over after expiry: roll back
        raise Refused(409, "hold_expired", "This reservation has expired.")
    await conn.execute(
        "UPDATE baseline.holds SET status = 'sold', payment_ref = %s WHERE id = %s",
        (payment_ref, int(hold_id)),
    )
    return hold


async def availability(conn: AsyncConnection, event_id: str) -> dict[str, Any]:
    """Counts for the event and per section / area; expired holds count as available."""
    cur = await conn.execute(
        "SELECT section, kind, count(*) AS capacity,"
        f" count(*) FILTER (WHERE {FREE}) AS available,"
        " count(*) FILTER (WHERE status = 'held' AND held_until >= now()) AS held,"
        " count(*) FILTER (WHERE status = 'sold') AS sold"
        " FROM baseline.seats WHERE event_id = %s GROUP BY section, kind ORDER BY section",
        (event_id,),
    )
    rows = await cur.fetchall()
    if not rows:
        raise Refused(404, "not_found", f"No event {event_id!r}.")
    keys = ("capacity", "available", "held", "sold")
    out: dict[str, Any] = {k: sum(r[k] for r in rows) for k in keys}
    out["event_id"] = event_id
    for kind, group in (("seat", "sections"), ("ga", "areas")):
        out[group] = {r["section"]: {k: r[k] for k in keys} for r in rows if r["kind"] == kind}
    return out
