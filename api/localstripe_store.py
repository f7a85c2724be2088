"""Our localstripe's persistence: debounced, and pickled by a forked child, so a save
never stops localstripe's event loop for longer than a ``fork()``.

Upstream pickles the whole store after every POST/PUT/DELETE and on every item set
(``Store.__setitem__`` calls ``dump_to_disk``), so a request costs O(objects stored).
Debounced to once per ``interval`` (the previous step), the pickle still ran on the
event loop: profiled during a 5,000-order purchase bench it was 45 % of localstripe's
samples, and at 20,000 orders (~100,000 objects) each save stalls every in-flight
Stripe call for as long as it takes, once a second.

Now a save forks: the child holds a copy-on-write snapshot of the store as it stood
between two handlers (the fork happens on the event loop, so never half-way through a
handler's changes), pickles it to a temporary file, renames it over the state file
and exits; the parent only reaps it. The next save waits for the previous one and for
``SPACING`` times its duration (at least ``interval``): pickling, now on the other
core, uses at most ~1/``SPACING`` of it however large the store grows. A crash loses
the changes since the last finished save (test-mode state; ``interval`` plus a few
save durations); a clean stop (SIGTERM, parent gone) waits for the child and saves
everything in-process. Without ``os.fork`` (not POSIX) it saves in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import time
import warnings
from pathlib import Path
from typing import Any

SPACING = 4.0  # a save starts at least SPACING x the last one's duration after it
POLL_S = 0.05  # how often a running save is checked for completion


class DebouncedStore:
    """Marks the store dirty on every write; saves it at most once per ``interval``
    (in a forked child) and once more at shutdown (in-process)."""

    def __init__(self, state: Path, interval: float = 1.0) -> None:
        self.state = state
        self.interval = interval
        self.dirty = False  # changed since the last save started
        self.dumps = 0  # saves finished (on disk): exposed for tests and benchmarks
        self.last_save_s = 0.0  # the last finished save's duration
        self._child: int | None = None
        self._child_started = 0.0
        self._next_at = 0.0  # monotonic time before which no save starts

    @property
    def saving(self) -> bool:
        return self._child is not None

    def load(self, store: dict[str, Any]) -> None:
        try:
            with self.state.open("rb") as f:
                saved = pickle.load(f)  # our own file, written below: trusted
        except (FileNotFoundError, EOFError, pickle.UnpicklingError):
            return
        store.clear()
        store.update(saved)

    def mark(self, store: dict[str, Any]) -> None:
        self.dirty = True
        if self.interval <= 0:  # upstream's behaviour, kept only to measure it
            self.flush(store)

    def _write(self, store: dict[str, Any]) -> None:
        tmp = self.state.with_suffix(f".tmp{os.getpid()}")
        with tmp.open("wb") as f:
            pickle.dump(dict(store), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self.state)  # never a half-written state file

    def flush(self, store: dict[str, Any]) -> None:
        """Save now, in this process (shutdown, and ``interval <= 0``)."""
        self.wait()
        if not self.dirty:
            return
        self.dirty = False
        started = time.monotonic()
        self._write(store)
        self._finished(time.monotonic() - started)

    def _finished(self, duration: float) -> None:
        self.dumps += 1
        self.last_save_s = duration
        self._next_at = time.monotonic() + max(0.0, SPACING * duration - self.interval)

    def start_save(self, store: dict[str, Any]) -> bool:
        """Fork a child that saves the store as it is now; False if none was due."""
        if not self.dirty or self._child is not None or time.monotonic() < self._next_at:
            return False
        if not hasattr(os, "fork"):
            self.flush(store)
            return True
        with warnings.catch_warnings():
            # Python warns on fork with threads (ours: the parent watch, asleep). The
            # child runs no thread, takes no lock, and leaves by os._exit.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: the snapshot is its memory; never returns
            code = 1
            try:
                self._write(store)
                code = 0
            finally:
                os._exit(code)
        self.dirty = False
        self._child, self._child_started = pid, time.monotonic()
        return True

    def poll(self, block: bool = False) -> None:
        """Reap a finished save (or wait for it)."""
        if self._child is None:
            return
        pid, status = os.waitpid(self._child, 0 if block else os.WNOHANG)
        if pid == 0:
            return
        self._child = None
        if os.waitstatus_to_exitcode(status) == 0:
            self._finished(time.monotonic() - self._child_started)
        else:  # not on disk: save again at the next tick
            self.dirty = True

    def wait(self) -> None:
        self.poll(block=True)

    async def run(self, store: dict[str, Any]) -> None:
        try:
            while True:
                await asyncio.sleep(POLL_S if self.saving else max(self.interval, POLL_S))
                self.poll()
                self.start_save(store)
        finally:
            with contextlib.suppress(ChildProcessError):
                self.wait()
            self.flush(store)  # cancelled at shutdown: the last changes reach the disk
