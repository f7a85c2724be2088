"""A shim for the embedded MongoDB's wire server (mongoeco 4.11.0, pinned with
``actors.mongoeco_shims``): a read cursor's dedicated SQLite connection is reused
instead of opened and closed for every query.

Why: every ``find`` that is not a ``find_one`` (``limit != 1``: the webhooks worker's
subscriptions lookup, once per ``order.*`` message) gets a connection of its own, so
its batches read one snapshot (``BEGIN`` at open, until the cursor closes). mongoeco
opens it with ``sqlite3.connect`` and two ``PRAGMA`` statements and closes it at the
end, and the new connection starts with an empty index catalog. Profiled during the
purchase bench (2,000 orders), opening and closing those connections took ~7 % of the
server's event loop for one command out of seven.

Same semantics: a reused connection is handed out only after its read transaction was
rolled back (nothing else is ever run on it: readers only read), so the next cursor's
``BEGIN`` takes a fresh snapshot, and with its index catalog cleared, as a new
connection's (mongoeco's ``close`` clears it too). A
connection that fails to roll back, or finds the pool full (``POOL_SIZE``, more
concurrent cursors than usual), is really closed. Applied only by
``python -m actors.mongo_embedded``.
"""

from __future__ import annotations

import inspect
import sqlite3
import threading
from typing import Any

POOL_SIZE = 8  # idle reader connections kept; a wire server has a few cursors at once
_APPLIED_FLAG = "_ticketing_reader_pool"
_opening = threading.local()  # set while a scan reader opens: its connection is pooled


def apply_reader_pool_shim() -> None:
    """Patch ``SQLiteScanReader._open`` and ``SQLiteEngine._create_sqlite_connection``
    (idempotent); raises ``ShimVersionError`` on another shape of either."""
    from mongoeco.engines._sqlite_connection import SQLiteConnection
    from mongoeco.engines._sqlite_reader import SQLiteScanReader
    from mongoeco.engines.sqlite import SQLiteEngine

    from actors.mongoeco_pin import ShimVersionError

    open_reader, create = SQLiteScanReader._open, SQLiteEngine._create_sqlite_connection
    if getattr(open_reader, _APPLIED_FLAG, False):
        return
    opened = inspect.getsource(open_reader)
    created = inspect.getsource(create)
    if "engine._create_sqlite_connection()" not in opened or "owns_connection = True" not in (
        opened
    ):
        raise ShimVersionError("SQLiteScanReader._open changed: reader pool not applied")
    if "factory=SQLiteConnection" not in created or "journal_mode=WAL" not in created:
        raise ShimVersionError("SQLiteEngine._create_sqlite_connection changed")

    class PooledReaderConnection(SQLiteConnection):
        """A reader's connection: ``close()`` gives it back to its engine's pool."""

        pool: _Pool | None = None

        def close(self) -> None:
            if self.pool is None or not self.pool.give_back(self):
                super().close()

        def really_close(self) -> None:
            super().close()

    def create_connection(self: Any) -> sqlite3.Connection:
        if not getattr(_opening, "active", False):
            return create(self)
        pool = self.__dict__.get("_ticketing_reader_pool")
        if pool is None:
            pool = self.__dict__.setdefault("_ticketing_reader_pool", _Pool(POOL_SIZE))
        reused = pool.take()
        if reused is not None:
            return reused
        # As upstream (same pragmas, same checks), with the pooled connection class.
        connection = sqlite3.connect(
            self._path, check_same_thread=False, factory=PooledReaderConnection
        )
        try:
            if self._path != ":memory:":
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            connection.really_close()
            raise
        connection.pool = pool
        return connection

    def open_pooled(self: Any) -> None:
        _opening.active = True
        try:
            open_reader(self)
        finally:
            _opening.active = False

    setattr(open_pooled, _APPLIED_FLAG, True)
    SQLiteScanReader._open = open_pooled  # type: ignore[method-assign]
    SQLiteEngine._create_sqlite_connection = create_connection  # type: ignore[method-assign]


class _Pool:
    """Idle reader connections, out of any transaction (thread-safe: readers may close
    on another thread than the one that opened them)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.idle: list[Any] = []
        self.lock = threading.Lock()
        self.reused = 0  # for the tests

    def take(self) -> Any | None:
        with self.lock:
            if not self.idle:
                return None
            self.reused += 1
            return self.idle.pop()

    def give_back(self, connection: Any) -> bool:
        """Keep ``connection`` for the next reader; False if the caller must close it."""
        try:
            connection.rollback()  # end the reader's snapshot; it wrote nothing
        except sqlite3.Error:
            return False
        if connection.in_transaction:
            return False
        connection.index_catalogs.clear()  # as SQLiteConnection.close does: no stale plan
        connection._catalog_data_version = None
        with self.lock:
            if len(self.idle) >= self.size:
                return False
            self.idle.append(connection)
            return True


__all__ = ["POOL_SIZE", "apply_reader_pool_shim"]
