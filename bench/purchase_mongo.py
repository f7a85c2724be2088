"""The embedded MongoDB at volume: cost per write with 1,000 documents stored vs 100,000.

A fresh mongoeco server (``actors.mongo_embedded``, so with our shims) over a temporary
SQLite file; a collection shaped like ``orders`` (same indexes, an ObjectId ``_id``, a
tickets array) filled with ``insert_many`` to each size, then timed for the purchase
path's single-document operations: ``insert_one``, ``find_one`` by ``_id``,
``find_one_and_update`` on ``{_id, status}``, ``update_one`` ``$push``, ``find_one`` by
``payment.intent_id`` (after reads only: see docs/upstream/mongoeco-insert-scan.md for
reads after writes), and ``insert_one`` into a collection with a unique secondary index
(that collection filled to at most ``UNIQUE_CAP``: its inserts stay O(n), so filling it
to 100,000 would take hours).

``python -m bench.purchase_mongo --sizes 1000 100000`` prints the rates;
``TICKETING_MONGOECO_SHIM=off`` in the environment measures mongoeco as shipped.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bson import ObjectId
from pymongo import MongoClient, ReturnDocument

from actors.mongo_embedded import EmbeddedMongo

OPS = 200  # timed operations of each kind per size (mongoeco answers ~1 ms each)
BATCH = 1_000
UNIQUE_CAP = 3_000


def order(i: int, oid: ObjectId | None = None) -> dict[str, Any]:
    return {
        "_id": oid or ObjectId(),
        "user_id": f"user-{i}",
        "event_id": "ev-1",
        "status": "pending",
        "created_at": i,
        "payment": {"intent_id": f"pi_{i:08d}", "status": "created", "history": []},
        "tickets": [{"id": f"t-{i}", "seat": f"S1-1-{i % 50}", "owner_id": f"user-{i}"}],
    }


def _fill(db: Any, size: int) -> None:
    orders, unique = db["orders"], db["unique"]
    have = orders.estimated_document_count()
    for start in range(have, size, BATCH):
        batch = [order(i) for i in range(start, min(size, start + BATCH))]
        orders.insert_many(batch, ordered=False)
        if start < UNIQUE_CAP:
            codes = [{"code": d["payment"]["intent_id"]} for d in batch]
            unique.insert_many(codes[: UNIQUE_CAP - start], ordered=False)


ROUNDS = 10  # each kind of operation alternates between the sizes, ROUNDS times


def _steps(db: Any, size: int, ops: int) -> dict[str, Callable[[int], object]]:
    """Each kind of single-document operation, as a step ``i`` in ``range(ops)``."""
    orders, unique = db["orders"], db["unique"]
    new = [order(size + 10_000_000 + i) for i in range(ops)]
    ids = [d["_id"] for d in new]
    return {
        "insert_one": lambda i: orders.insert_one(new[i]),
        "find_one_by_id": lambda i: orders.find_one({"_id": ids[i]}),
        "find_one_and_update": lambda i: orders.find_one_and_update(
            {"_id": ids[i], "status": {"$in": ["pending"]}},
            {"$set": {"status": "confirmed"}},
            return_document=ReturnDocument.AFTER,
        ),
        "update_one_push": lambda i: orders.update_one(
            {"_id": ids[i]}, {"$push": {"payment.history": i}}
        ),
        "find_one_by_intent": lambda i: orders.find_one(
            {"payment.intent_id": f"pi_{i * 7 % size:08d}"}
        ),
        "insert_one_unique_index": lambda i: unique.insert_one({"code": f"new-{size}-{i}"}),
    }


def compare(dbs: dict[int, Any], ops: int = OPS) -> dict[int, dict[str, float]]:
    """Operations per second at each size, measured side by side: each kind alternates
    between the sizes in ``ROUNDS`` slices, so a noisy neighbour slows every size alike
    (this machine is shared; a ratio within one run is what means something)."""
    steps = {size: _steps(db, size, ops) for size, db in dbs.items()}
    spent = {size: dict.fromkeys(steps[size], 0.0) for size in dbs}
    per = max(1, ops // ROUNDS)
    for kind in next(iter(steps.values())):
        for r in range(ROUNDS):
            for size in dbs:
                started = time.perf_counter()
                for i in range(r * per, (r + 1) * per):
                    steps[size][kind](i)
                spent[size][kind] += time.perf_counter() - started
    return {size: {k: per * ROUNDS / t for k, t in spent[size].items()} for size in dbs}


def run_sizes(sizes: list[int], ops: int = OPS) -> dict[int, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp, EmbeddedMongo(Path(tmp)) as server:
        client: MongoClient[dict[str, Any]] = MongoClient(server.url)
        try:
            dbs = {size: client[f"volume_{size}"] for size in sorted(sizes)}
            for size, db in dbs.items():
                db["orders"].create_index([("user_id", 1), ("created_at", -1)])
                db["orders"].create_index("payment.intent_id")
                db["orders"].create_index([("event_id", 1), ("status", 1)])
                db["orders"].create_index("tickets.owner_id")
                db["unique"].create_index("code", unique=True)
                _fill(db, size)
            return compare(dbs, ops)
        finally:
            client.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.purchase_mongo", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--ops", type=int, default=OPS)
    args = parser.parse_args()
    results = run_sizes(args.sizes, args.ops)
    names = list(next(iter(results.values())))
    print(f"{'documents':>10} " + " ".join(f"{n:>24}" for n in names))
    for size, rates in results.items():
        print(f"{size:>10,} " + " ".join(f"{rates[n]:>22,.0f}/s" for n in names))


if __name__ == "__main__":
    main()
