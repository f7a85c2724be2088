"""The embedded MongoDB's insert-scan shim (actors/mongoeco_shims.py): duplicates are
still refused over the wire, an insert no longer reads the whole collection unless its
``_id`` holds a number, and the shim refuses to patch another mongoeco version."""

from __future__ import annotations

import importlib.metadata
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from bson import Decimal128, Int64, ObjectId
from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer
from pymongo import AsyncMongoClient, MongoClient, ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from actors import mongoeco_shims
from actors.mongo_embedded import EmbeddedMongo


@pytest.fixture
def coll(embedded_mongo: EmbeddedMongo) -> Iterator[Any]:
    """A fresh collection on the embedded server (our entry point: shim applied)."""
    client: MongoClient[dict[str, Any]] = MongoClient(embedded_mongo.url)
    yield client[f"shim_{uuid.uuid4().hex[:8]}"]["docs"]
    client.close()


def test_the_server_runs_with_the_shim(embedded_mongo: EmbeddedMongo) -> None:
    assert "shim: logically-equal _id scan only for ids holding a number" in (
        embedded_mongo.log_path.read_text()
    )


@pytest.mark.parametrize("doc_id", ["order-1", ObjectId(), {"event": "e1", "n": "x"}])
def test_a_duplicate_non_numeric_id_is_refused(coll: Any, doc_id: object) -> None:
    coll.insert_one({"_id": doc_id, "v": 1})
    with pytest.raises(DuplicateKeyError):
        coll.insert_one({"_id": doc_id, "v": 2})
    with pytest.raises(BulkWriteError, match="E11000"):
        coll.insert_many([{"_id": doc_id, "v": 3}])
    assert [d["v"] for d in coll.find({})] == [1]


@pytest.mark.parametrize(
    ("first", "second"),
    [(1, 1.0), (1.0, 1), (1, Int64(1)), ({"n": 2}, {"n": 2.0})],
)
def test_a_logically_equal_numeric_id_is_refused(coll: Any, first: Any, second: Any) -> None:
    coll.insert_one({"_id": first})
    with pytest.raises(DuplicateKeyError):
        coll.insert_one({"_id": second})
    assert coll.count_documents({}) == 1


def test_an_upsert_and_a_replace_keep_numeric_ids_unique(coll: Any) -> None:
    coll.insert_one({"_id": 7, "v": "int"})
    coll.replace_one({"_id": 7.0}, {"v": "replaced"}, upsert=True)
    assert list(coll.find({}, {"_id": 0})) == [{"v": "replaced"}]
    assert coll.count_documents({}) == 1


def test_a_unique_secondary_index_still_refuses_duplicates(coll: Any) -> None:
    coll.create_index("code", unique=True)
    coll.insert_one({"code": "A1"})
    coll.insert_one({"code": 5})
    with pytest.raises(DuplicateKeyError):
        coll.insert_one({"code": "A1"})
    with pytest.raises(DuplicateKeyError):
        coll.insert_one({"code": 5.0})
    with pytest.raises(DuplicateKeyError):
        coll.update_one({"code": 5}, {"$set": {"code": "A1"}})
    assert coll.count_documents({}) == 2


@pytest.fixture
async def counted(tmp_path: Any) -> AsyncIterator[tuple[Any, list[str]]]:
    """A wire server in this process (shim applied), counting full-collection loads."""
    mongoeco_shims.apply_insert_scan_shim()
    engine = SQLiteEngine(str(tmp_path / "count.sqlite"), executor_workers=1)
    loads: list[str] = []
    load_documents = engine._load_documents

    def counting(db_name: str, coll_name: str, *args: Any, **kwargs: Any) -> Any:
        loads.append(coll_name)
        return load_documents(db_name, coll_name, *args, **kwargs)

    engine._load_documents = counting  # type: ignore[method-assign]
    async with AsyncMongoEcoProxyServer(engine=engine, host="127.0.0.1", port=0) as server:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(server.address.uri)
        try:
            collection = client["count"]["docs"]
            await collection.insert_many([{"n": i} for i in range(50)])
            yield collection, loads
        finally:
            await client.close()


async def test_an_insert_reads_the_collection_only_for_a_numeric_id(
    counted: tuple[Any, list[str]],
) -> None:
    collection, loads = counted
    loads.clear()
    await collection.insert_one({"_id": ObjectId()})
    await collection.insert_one({"_id": "a-string-id"})
    await collection.replace_one({"_id": "upserted"}, {"v": 1}, upsert=True)
    assert loads == []  # before the shim: one full load per write
    await collection.insert_one({"_id": 3})
    assert loads == ["docs"]  # 3 must be checked against 3.0, Int64(3), ...


def test_conditional_updates_on_a_pinned_id_match_the_whole_filter(coll: Any) -> None:
    coll.insert_many([{"_id": "o1", "status": "pending", "n": 1}, {"_id": 5, "status": "x"}])
    coll.insert_one({"_id": ObjectId(), "status": "pending", "price": Decimal128("1.5")})
    moved = coll.find_one_and_update(
        {"_id": "o1", "status": {"$in": ["pending"]}},
        {"$set": {"status": "confirmed"}},
        return_document=ReturnDocument.AFTER,
    )
    assert moved is not None and moved["status"] == "confirmed"
    again = coll.find_one_and_update(  # confirmed once: the second transition finds nothing
        {"_id": "o1", "status": {"$in": ["pending"]}}, {"$set": {"status": "failed"}}
    )
    assert again is None
    assert coll.update_one({"_id": "o1", "n": {"$gt": 1}}, {"$set": {"n": 9}}).matched_count == 0
    assert coll.update_one({"_id": "nope", "n": 1}, {"$set": {"n": 9}}).matched_count == 0
    assert coll.update_one({"_id": 5.0, "status": "x"}, {"$set": {"y": 1}}).matched_count == 1
    assert coll.find_one({"_id": "o1"}) == {"_id": "o1", "status": "confirmed", "n": 1}


async def test_a_pinned_id_update_compiles_no_sql_plan(
    counted: tuple[Any, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    collection, _ = counted
    compiled: list[str] = []
    compile_plan = SQLiteEngine._compile_read_execution_plan

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        compiled.append(args[1])
        return compile_plan(self, *args, **kwargs)

    monkeypatch.setattr(SQLiteEngine, "_compile_read_execution_plan", counting)
    oid = (await collection.insert_one({"status": "pending"})).inserted_id
    changed = await collection.find_one_and_update(
        {"_id": oid, "status": {"$in": ["pending"]}}, {"$set": {"status": "confirmed"}}
    )
    assert changed is not None
    # Before the shim: a plan compiled, with a full-collection Decimal128 probe per field.
    assert compiled == []


def test_the_shim_refuses_another_mongoeco(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata,
        "version",
        lambda name: "4.12.0" if name == "mongoeco" else real(name),
    )
    with pytest.raises(mongoeco_shims.ShimVersionError, match=r"mongoeco 4\.12\.0 is installed"):
        mongoeco_shims.apply_insert_scan_shim()


def test_the_pin_matches_the_shim() -> None:
    assert importlib.metadata.version("mongoeco") == mongoeco_shims.MONGOECO_VERSION


def test_the_server_counts_commands_when_asked(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = tmp_path / "commands.json"
    monkeypatch.setenv("MONGOECO_COMMAND_COUNTS", str(counts))  # inherited by the server
    with EmbeddedMongo(tmp_path / "mongo") as server:
        client: MongoClient[dict[str, Any]] = MongoClient(server.url)
        try:
            client["shop"]["orders"].insert_one({"_id": "o1"})
            client["shop"]["orders"].find_one({"_id": "o1"})
            client["shop"]["orders"].find_one({"_id": "o2"})
        finally:
            client.close()
        deadline = time.monotonic() + 10
        while not (seen := _read(counts)).get("shop.orders find"):
            assert time.monotonic() < deadline, seen
            time.sleep(0.05)
    assert seen["shop.orders insert"] == 1
    assert seen["shop.orders find"] == 2


def _read(path: Any) -> dict[str, int]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}


def test_concurrent_clients_of_the_inline_server_each_win_once(
    embedded_mongo: EmbeddedMongo,
) -> None:
    """SQLite work runs on the server's loop (actors/mongoeco_inline.py): 8 clients
    racing to insert the same ids and to claim the same documents each win once."""
    from concurrent.futures import ThreadPoolExecutor

    assert "SQLite inline" in embedded_mongo.log_path.read_text()
    name = f"inline_{uuid.uuid4().hex[:8]}"

    def race(worker: int) -> tuple[int, int]:
        client: MongoClient[dict[str, Any]] = MongoClient(embedded_mongo.url)
        coll, inserted, claimed = client[name]["docs"], 0, 0
        try:
            for i in range(40):
                try:
                    coll.insert_one({"_id": f"d{i}", "by": worker, "claimed": None})
                    inserted += 1
                except DuplicateKeyError:
                    pass
                won = coll.find_one_and_update(
                    {"_id": f"d{i}", "claimed": None}, {"$set": {"claimed": worker}}
                )
                claimed += won is not None
            return inserted, claimed
        finally:
            client.close()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(race, range(8)))
    assert sum(r[0] for r in results) == 40 and sum(r[1] for r in results) == 40
    client: MongoClient[dict[str, Any]] = MongoClient(embedded_mongo.url)
    try:
        assert client[name]["docs"].count_documents({"claimed": None}) == 0
    finally:
        client.close()
