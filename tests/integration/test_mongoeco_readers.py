"""The embedded server's pooled reader connections (actors/mongoeco_readers.py): a
reused connection reads a fresh snapshot, cursors over several batches and more
cursors than the pool holds still read what they should."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from actors.mongo_embedded import EmbeddedMongo
from actors.mongoeco_readers import POOL_SIZE, _Pool


def test_the_server_pools_reader_connections(embedded_mongo: EmbeddedMongo) -> None:
    assert "reader connections pooled" in embedded_mongo.log_path.read_text()


def test_a_reused_reader_sees_every_write_before_it(embedded_mongo: EmbeddedMongo) -> None:
    """Each find (a cursor: find_one reads on the shared connection) after a write
    sees it: a pooled connection never keeps the snapshot of its last cursor."""
    client: MongoClient[dict[str, Any]] = MongoClient(embedded_mongo.url)
    coll = client[f"readers_{uuid.uuid4().hex[:8]}"]["docs"]
    try:
        for i in range(30):
            coll.insert_one({"_id": i, "kind": "a"})
            assert [d["_id"] for d in coll.find({"kind": "a"})] == [i]
            coll.update_one({"_id": i}, {"$set": {"kind": "b"}})
            assert [d["_id"] for d in coll.find({"kind": "a"})] == []
            assert len(coll.find({"kind": "b"}).to_list()) == i + 1
    finally:
        client.close()


def test_cursors_over_batches_beyond_the_pool_read_their_documents(
    embedded_mongo: EmbeddedMongo,
) -> None:
    """More open cursors than ``POOL_SIZE``, each read in small batches, interleaved with
    writes: each reads every document once (its own snapshot, from its first batch)."""
    client: MongoClient[dict[str, Any]] = MongoClient(embedded_mongo.url)
    coll = client[f"readers_{uuid.uuid4().hex[:8]}"]["docs"]
    try:
        coll.insert_many([{"_id": i, "n": i} for i in range(20)])
        cursors = [coll.find({"n": {"$gte": 0}}, batch_size=3) for _ in range(POOL_SIZE + 3)]
        seen: list[list[int]] = [[] for _ in cursors]
        for step in range(20):
            for got, cursor in zip(seen, cursors, strict=True):
                got.append(next(cursor)["_id"])
            coll.insert_one({"_id": 100 + step, "n": 100 + step})  # after the cursors began
        for got, cursor in zip(seen, cursors, strict=True):
            got.extend(d["_id"] for d in cursor)
            assert sorted(got) == list(range(20)), got
        assert len(coll.find({}).to_list()) == 40
    finally:
        client.close()


def test_the_pool_keeps_only_idle_connections(tmp_path: Path) -> None:
    """A connection comes back out of its transaction; a full pool refuses it."""
    path = tmp_path / "db.sqlite"
    pool = _Pool(1)

    class Conn(sqlite3.Connection):
        index_catalogs: dict[Any, Any]
        _catalog_data_version: int | None

    first = sqlite3.connect(path, factory=Conn)
    first.index_catalogs, first._catalog_data_version = {("db", "c"): (1, [])}, 3
    first.execute("CREATE TABLE t (x)")
    first.commit()
    first.execute("BEGIN")
    first.execute("SELECT * FROM t").fetchall()
    assert first.in_transaction
    assert pool.give_back(first)
    assert not first.in_transaction and first.index_catalogs == {}
    second = sqlite3.connect(path, factory=Conn)
    second.index_catalogs, second._catalog_data_version = {}, None
    assert not pool.give_back(second)  # full: the caller closes it
    assert pool.take() is first and pool.take() is None
    first.close()
    second.close()
