"""A shim for the embedded MongoDB (mongoeco 4.11.0, pinned with ``actors.mongoeco_shims``):
committed changes are delivered to change streams by one background thread, a batch
at a time, instead of synchronously on the wire server's event loop after every write.

Why: after each write outside a transaction, mongoeco calls
``CollectionRuntimeCoordinator._dispatch_engine_changes``, which runs
``SQLiteEngine.dispatch_committed_changes`` *on the event loop*: acquire a lease on the
change consumer (a SQLite commit), start a heartbeat thread, read the outbox,
checkpoint each change (a commit), compact the outbox (a commit), release the lease
(a commit) and join the heartbeat thread. Profiled during the purchase bench, that was a
quarter of the server's work, and while it runs no other connection is served: every
write stalls every client. Measured on one connection (insert_one of small documents,
loaded 2-core machine): ~400 inserts/s with it, ~800/s without.

What changes: the write's change is still appended to the SQLite outbox inside the
write's own transaction (durable, ordered, untouched); only its *delivery* to open
change streams moves to a daemon thread, which wakes when a write signals it, lets the
writes of a few milliseconds gather (``WINDOW_S``), and dispatches them with one lease,
in commit order, through mongoeco's own code (its locks make it safe off the loop: its
synchronous API calls it from any thread). A change stream therefore sees a change a
few milliseconds later than before; MongoDB's change streams are asynchronous too, and
the application opens none (the shim is for the embedded default only).
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from typing import Any

WINDOW_S = 0.005
_APPLIED_FLAG = "_ticketing_coalesced_dispatch"
log = logging.getLogger("mongoeco.dispatch")


class CoalescedDispatcher:
    """One daemon thread delivering the changes of every collection's change hub."""

    def __init__(self, dispatch: Any, window_s: float = WINDOW_S) -> None:
        self._dispatch = dispatch  # mongoeco's own _dispatch_engine_changes
        self._window_s = window_s
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._pending: dict[int, Any] = {}  # one coordinator per change hub suffices
        self.batches = 0  # dispatch rounds run (for tests)
        threading.Thread(target=self._run, name="mongoeco-dispatch", daemon=True).start()

    def request(self, coordinator: Any) -> None:
        hub = getattr(coordinator._collection, "_change_hub", None)
        with self._lock:
            self._pending.setdefault(id(hub), coordinator)
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self._window_s)  # let the next few writes share this round
            self._wake.clear()  # a write after this line wakes another round
            with self._lock:
                pending, self._pending = list(self._pending.values()), {}
            for coordinator in pending:
                try:
                    # Delivers every committed change not yet delivered, in order.
                    self._dispatch(coordinator, None)
                except Exception:  # mongoeco marks its hub failed itself; never die
                    log.exception("change dispatch failed")
            self.batches += 1


def apply_coalesced_dispatch_shim() -> CoalescedDispatcher:
    """Patch ``CollectionRuntimeCoordinator`` (idempotent); the dispatcher in use."""
    from mongoeco.api._async._collection_runtime import CollectionRuntimeCoordinator

    from actors.mongoeco_pin import ShimVersionError

    original = CollectionRuntimeCoordinator._dispatch_engine_changes
    applied = getattr(original, _APPLIED_FLAG, None)
    if applied is not None:
        return applied
    parameters = list(inspect.signature(original).parameters)
    if parameters != ["self", "operation_context"] or (
        "dispatch_committed_changes" not in inspect.getsource(original)
    ):
        raise ShimVersionError(
            f"CollectionRuntimeCoordinator._dispatch_engine_changes changed ({parameters})"
        )
    dispatcher = CoalescedDispatcher(original)

    def dispatch(self: Any, operation_context: Any = None) -> None:
        session = getattr(operation_context, "session", None)
        if session is not None and session.in_transaction:
            return  # as upstream: the transaction's commit hook dispatches
        dispatcher.request(self)

    setattr(dispatch, _APPLIED_FLAG, dispatcher)
    CollectionRuntimeCoordinator._dispatch_engine_changes = dispatch  # type: ignore[method-assign]
    return dispatcher


NO_FEED_FLAG = "_ticketing_no_change_feed"


def apply_no_change_feed_shim() -> None:
    """For the wire server only (``python -m actors.mongo_embedded``): writes record no
    change for change streams and deliver none.

    Why: no client of the wire server can open a change stream (it refuses
    ``$changeStream``: ``tests/integration/test_mongoeco_dispatch.py`` checks it), yet
    every write appended a change (or a "gap") row and its identity row to the SQLite
    outbox inside its transaction, and a delivery round then leased the consumer,
    checkpointed and compacted the outbox (four commits), for nobody. Profiled during a
    5,000-order purchase bench: ~17 % of the server's samples. Each public operation's
    context now says ``ChangePublicationPolicy.DISABLED`` (mongoeco's own "no change
    events" policy, which its outbox and its commit-sequence check already honour), and
    delivery is a no-op. In-process users of mongoeco (tests) keep change streams: they
    do not call this.
    """
    from mongoeco.api._async._collection_runtime import CollectionRuntimeCoordinator
    from mongoeco.api._async.collection import AsyncCollection
    from mongoeco.core.operation_context import ChangePublicationPolicy

    from actors.mongoeco_pin import ShimVersionError

    new_context = AsyncCollection._new_operation_context
    if getattr(new_context, NO_FEED_FLAG, False):
        return
    if "publication" not in inspect.signature(new_context).parameters:
        raise ShimVersionError("AsyncCollection._new_operation_context takes no publication")

    def disabled_context(self: Any, **kwargs: Any) -> Any:
        kwargs["publication"] = ChangePublicationPolicy.DISABLED
        return new_context(self, **kwargs)

    def no_delivery(self: Any, operation_context: Any = None) -> None:
        return None  # nothing was recorded, and nobody could watch

    setattr(disabled_context, NO_FEED_FLAG, True)
    AsyncCollection._new_operation_context = disabled_context  # type: ignore[method-assign]
    CollectionRuntimeCoordinator._dispatch_engine_changes = no_delivery  # type: ignore[method-assign]
