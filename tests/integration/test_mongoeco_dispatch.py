"""The embedded MongoDB's coalesced change delivery (actors/mongoeco_dispatch.py): change
streams (in process: the wire server refuses them) still see every write, in commit
order, while delivery runs in batches on a thread of its own instead of on the wire
server's event loop after every write."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import mongoeco
import pytest
from mongoeco.engines.sqlite import SQLiteEngine
from pymongo import MongoClient
from pymongo.errors import OperationFailure

from actors.mongo_embedded import EmbeddedMongo
from actors.mongoeco_dispatch import CoalescedDispatcher
from actors.mongoeco_shims import apply_insert_scan_shim


def test_the_server_runs_with_coalesced_delivery(embedded_mongo: EmbeddedMongo) -> None:
    assert "change delivery coalesced off the event loop" in embedded_mongo.log_path.read_text()


def test_the_wire_server_opens_no_change_stream(embedded_mongo: EmbeddedMongo) -> None:
    """Why delivery can wait a few milliseconds: no client of the wire server can watch.
    If a mongoeco upgrade makes this fail, re-check the shim's latency trade-off."""
    client: MongoClient[dict[str, Any]] = MongoClient(embedded_mongo.url)
    try:
        with pytest.raises(OperationFailure, match="changeStream"):
            client["dispatch"]["docs"].watch(max_await_time_ms=100)
    finally:
        client.close()


async def test_an_in_process_change_stream_sees_every_write_in_order(tmp_path: Any) -> None:
    apply_insert_scan_shim()  # includes the coalesced delivery
    client = mongoeco.AsyncMongoClient(SQLiteEngine(str(tmp_path / "watch.sqlite")))
    async with client:
        coll = client["dispatch"]["docs"]
        stream = coll.watch(max_await_time_ms=200)
        for i in range(20):
            await coll.insert_one({"_id": f"d{i}", "n": i})
        await coll.update_one({"_id": "d3"}, {"$set": {"n": 30}})
        seen: list[tuple[str, str]] = []
        deadline = time.monotonic() + 20
        while len(seen) < 21:
            assert time.monotonic() < deadline, f"only {seen}"
            change = await stream.try_next()
            if change is not None:
                seen.append((change["operationType"], change["documentKey"]["_id"]))
        stream.close()
    assert seen == [("insert", f"d{i}") for i in range(20)] + [("update", "d3")]


def test_requests_are_delivered_in_batches_on_the_dispatch_thread() -> None:
    threads: list[str] = []
    delivered = threading.Event()
    hub = object()
    coordinator = SimpleNamespace(_collection=SimpleNamespace(_change_hub=hub))

    def dispatch(coord: Any, context: Any) -> None:
        assert coord is coordinator and context is None
        threads.append(threading.current_thread().name)
        delivered.set()

    dispatcher = CoalescedDispatcher(dispatch, window_s=0.05)
    for _ in range(100):  # well inside one window
        dispatcher.request(coordinator)
    assert delivered.wait(10)
    deadline = time.monotonic() + 10
    while dispatcher.batches < 1:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert set(threads) == {"mongoeco-dispatch"} and 1 <= len(threads) < 100
    delivered.clear()
    dispatcher.request(coordinator)  # a later write gets a round of its own
    assert delivered.wait(10)


def test_the_wire_server_records_no_change_for_nobody(embedded_mongo: EmbeddedMongo) -> None:
    """Writes over the wire append nothing to mongoeco's change outbox (no change stream
    can read it) and still behave: a duplicate is refused, an update applies."""
    import sqlite3

    from pymongo.errors import DuplicateKeyError

    assert "no change feed" in embedded_mongo.log_path.read_text()
    client: MongoClient[dict[str, Any]] = MongoClient(embedded_mongo.url)
    try:
        coll = client["nofeed"]["docs"]
        coll.insert_many([{"_id": f"n{i}", "n": i} for i in range(5)])
        coll.insert_one({"_id": "one", "n": 0})
        with pytest.raises(DuplicateKeyError):
            coll.insert_one({"_id": "one", "n": 1})
        coll.update_one({"_id": "one"}, {"$inc": {"n": 1}})
        coll.find_one_and_update({"_id": "n1"}, {"$set": {"n": 10}})
        coll.delete_one({"_id": "n2"})
        assert coll.find_one({"_id": "one"})["n"] == 1
        assert coll.count_documents({}) == 5
    finally:
        client.close()
    db = sqlite3.connect(embedded_mongo.data_dir / "mongo.sqlite")
    try:
        assert db.execute("SELECT COUNT(*) FROM change_outbox").fetchone() == (0,)
    finally:
        db.close()
