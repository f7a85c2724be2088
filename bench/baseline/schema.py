"""The baseline's PostgreSQL schema (`baseline`) and `setup_event`, which loads one event.

Every place is a row of `seats`: reserved seats (`kind='seat'`, id `SECTION-ROW-N`)
and general-admission places too (`kind='ga'`, id `AREA-N`, no row). One row per GA
place is the classic choice: a quantity hold is then the same
`... LIMIT n FOR UPDATE SKIP LOCKED` as a best-available hold in a section, concurrent
buyers of one area lock different rows instead of queueing on one counter row, and a
place has its own hold and status like any seat. `held_until` copies the hold's expiry
onto its seats so an expired hold can be taken over without a join.
"""

from __future__ import annotations

from psycopg import AsyncConnection

SCHEMA = "baseline"
DDL = """
CREATE SCHEMA IF NOT EXISTS baseline;
CREATE TABLE IF NOT EXISTS baseline.events (
    event_id text PRIMARY KEY,
    currency text NOT NULL,
    hold_ttl_s integer NOT NULL,
    max_per_customer integer
);
CREATE TABLE IF NOT EXISTS baseline.seats (
    event_id text NOT NULL,
    seat_id text COLLATE "C" NOT NULL,
    kind text NOT NULL CHECK (kind IN ('seat', 'ga')),
    section text COLLATE "C" NOT NULL,
    row_label text,
    number integer NOT NULL,
    price integer NOT NULL,
    status text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'held', 'sold')),
    hold_id bigint,
    held_until timestamptz,
    PRIMARY KEY (event_id, seat_id)
);
CREATE INDEX IF NOT EXISTS seats_by_status
    ON baseline.seats (event_id, section, status, seat_id);
CREATE INDEX IF NOT EXISTS seats_held_until
    ON baseline.seats (event_id, section, held_until) WHERE status = 'held';
CREATE TABLE IF NOT EXISTS baseline.holds (
    id bigserial PRIMARY KEY,
    event_id text NOT NULL,
    customer text NOT NULL,
    status text NOT NULL CHECK (status IN ('held', 'sold')),
    expires_at timestamptz NOT NULL,
    amount integer NOT NULL,
    seats text[] NOT NULL,
    payment_ref text
);
CREATE INDEX IF NOT EXISTS holds_by_customer ON baseline.holds (event_id, customer);
"""


async def ensure_schema(conn: AsyncConnection, *, reset: bool = False) -> None:
    """Create the `baseline` schema if absent (drop it first when `reset`)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('baseline.schema'))")
        if reset:
            await conn.execute("DROP SCHEMA IF EXISTS baseline CASCADE")
        await conn.execute(DDL)


async def setup_event(
    conn: AsyncConnection,
    event_id: str,
    sections: dict[str, list[int]],
    areas: dict[str, int],
    limit: int | None,
    prices: dict[str, int],
    *,
    currency: str = "EUR",
    hold_ttl_s: int = 600,
    reset: bool = False,
) -> int:
    """(Re)create one event: `sections` maps a name to its row sizes (rows labelled 1..n),
    `areas` a GA area to its capacity, `prices` every section and area to an amount in
    cents; `limit` is the per-customer cap (None: none). Returns the capacity."""
    missing = (set(sections) | set(areas)) - set(prices)
    if missing:
        raise ValueError(f"no price for {sorted(missing)}")
    await ensure_schema(conn, reset=reset)
    async with conn.transaction():
        for table in ("seats", "holds", "events"):
            await conn.execute(f"DELETE FROM baseline.{table} WHERE event_id = %s", (event_id,))
        await conn.execute(
            "INSERT INTO baseline.events VALUES (%s, %s, %s, %s)",
            (event_id, currency, hold_ttl_s, limit),
        )
        columns = "event_id, seat_id, kind, section, row_label, number, price"
        capacity = 0
        sql = f"COPY baseline.seats ({columns}) FROM STDIN"
        async with conn.cursor() as cur, cur.copy(sql) as copy:
            for name, rows in sections.items():
                for label, size in enumerate(rows, start=1):
                    for n in range(1, size + 1):
                        row = (event_id, f"{name}-{label}-{n}", "seat", name, str(label), n)
                        await copy.write_row((*row, prices[name]))
                    capacity += size
            for name, size in areas.items():
                for n in range(1, size + 1):
                    await copy.write_row(
                        (event_id, f"{name}-{n}", "ga", name, None, n, prices[name])
                    )
                capacity += size
    async with conn.transaction():
        await conn.execute("ANALYZE baseline.seats")
    return capacity
