"""``api.localstripe_store.DebouncedStore``: a save is a forked child's snapshot of the
store as it stood at the fork; the parent's later changes wait for the next save."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

from api.localstripe_store import DebouncedStore


def saved(state: Path) -> dict:
    with state.open("rb") as f:
        return pickle.load(f)


def test_a_save_is_the_store_at_the_fork_and_written_by_a_child(tmp_path: Path) -> None:
    state = tmp_path / "state.pickle"
    saver = DebouncedStore(state, interval=0.01)
    store = {f"customer:cus_{i}": {"n": i} for i in range(1000)}
    saver.mark(store)
    assert saver.start_save(store)
    child = saver._child
    assert child is not None and child != os.getpid()
    store["customer:late"] = {"n": -1}  # after the fork: not in this snapshot
    saver.mark(store)
    assert not saver.start_save(store)  # one save at a time
    saver.wait()
    assert not saver.saving and saver.dumps == 1
    assert saved(state) == {k: v for k, v in store.items() if k != "customer:late"}
    assert saver.dirty  # the late change still has to reach the disk
    saver.flush(store)  # as at shutdown: in-process, everything
    assert saved(state) == store and saver.dumps == 2 and not saver.dirty


def test_nothing_is_saved_when_nothing_changed(tmp_path: Path) -> None:
    state = tmp_path / "state.pickle"
    saver = DebouncedStore(state, interval=0.01)
    assert not saver.start_save({"a": 1})
    saver.flush({"a": 1})
    assert not state.exists() and saver.dumps == 0


def test_a_failed_save_leaves_the_store_dirty(tmp_path: Path) -> None:
    state = tmp_path / "missing-dir" / "state.pickle"  # the child cannot write there
    saver = DebouncedStore(state, interval=0.01)
    saver.mark({"a": 1})
    assert saver.start_save({"a": 1})
    saver.wait()
    assert saver.dumps == 0 and saver.dirty
