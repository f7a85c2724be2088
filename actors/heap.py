"""The garbage collector in long-running server processes (API workers, actors).

CPython's full (generation 2) collection walks every tracked object. A served
process holds hundreds of thousands of them from start-up alone (FastAPI, pydantic,
Ray, the composition root; an actor's restored inventory), none of which will ever
be garbage, so each full collection paused the event loop for 100-250 ms under the
open-loop benchmark (docs/performance.md, "Tail latency"): every request in flight
waited for it. ``settle()`` collects once and then freezes what is left
(``gc.freeze``: moved to a permanent generation the collector no longer walks), so
later collections only walk objects made since. Nothing is lost: frozen objects are
still freed by reference counting; only cycles among them would never be collected,
and start-up state lives as long as the process anyway.
"""

from __future__ import annotations

import gc


def settle() -> int:
    """Collect, then freeze every surviving object; how many were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
