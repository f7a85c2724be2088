"""A shim for the embedded MongoDB's wire server (mongoeco 4.11.0, pinned with
``actors.mongoeco_shims``): SQLite work runs on the server's event loop thread instead
of being handed to its one executor thread and back.

Why: the server already ran every SQLite job one at a time (``SQLiteEngine(...,
executor_workers=1)``; mongoeco's admission lets one job in per worker), so the thread
bought no parallelism, only costs: a hop there and back per job
(``call_soon_threadsafe`` waking the loop was ~7 % of the server's samples) and, worse,
a GIL convoy: the job releases the GIL in each ``sqlite3`` call and then waits for the
loop thread (busy decoding other connections' requests) to give it back, up to the
5 ms switch interval each time. Profiled during the purchase bench at 5,000 orders:
every command waited ~450 ms in that queue (server-side, p50) while the process used
half a core. Measured on 64 concurrent pymongo connections (insert, find, update,
findAndModify, insert; ``/tmp``-style scratch, shared 2-core machine): 743 -> 1,144
operations/s at the same CPU (switch interval 0.5 ms instead: 652/s, no better).

Same semantics: jobs still run one at a time, in the order the loop reaches them, with
the command's copied ``contextvars`` context as upstream does; a job that waits (a
lock, SQLite's busy timeout) now also stops the loop, which, with one executor
thread, already stopped every other command. The application opens no session or
transaction on MongoDB. Applied only by ``python -m actors.mongo_embedded``.
"""

from __future__ import annotations

import contextvars
import inspect
from functools import partial
from typing import Any

_APPLIED_FLAG = "_ticketing_inline_sqlite"


def apply_inline_execution_shim() -> None:
    """Patch ``SQLiteEngine._run_blocking`` (idempotent); raises on another shape."""
    from mongoeco.engines.sqlite import SQLiteEngine

    from actors.mongoeco_pin import ShimVersionError

    original = SQLiteEngine._run_blocking
    if getattr(original, _APPLIED_FLAG, False):
        return
    source = inspect.getsource(original)
    parameters = list(inspect.signature(original).parameters)
    if parameters != ["self", "func", "args", "kwargs"] or "executor.submit" not in source:
        raise ShimVersionError(f"SQLiteEngine._run_blocking changed ({parameters})")

    async def run_inline(self: Any, func: Any, /, *args: Any, **kwargs: Any) -> Any:
        # As upstream: the job sees a copy of the command's context (its clock).
        return contextvars.copy_context().run(partial(func, *args, **kwargs))

    setattr(run_inline, _APPLIED_FLAG, True)
    SQLiteEngine._run_blocking = run_inline  # type: ignore[method-assign]
