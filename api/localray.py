"""The one local Ray head `python -m api` starts, recorded where the CLI finds it.

``make run`` with no ``RAY_ADDRESS`` starts a single-node Ray with ``actors.local_ray``
(explicit free ports, since Redis holds 6379; a temp dir of its own; token auth on)
in ``DATA_DIR/ray``. Its ``cluster.json`` (address, token path, process ids and the
owning ``python -m api``'s pid) and ``auth_token`` are readable by this user only, so
``ticketing cluster status`` finds that Ray and its token by default (cluster.connect).

Every API process is a driver of this head: the environment ``driver_env`` returns is
set before the processes start, so each joins with the token. A guard process
(``python -m api.localray --parent PID --dir DIR``, in a session of its own) stops
the head when the owner dies without stopping it (kill -9): Ray's processes do not
share the fate of the process that started them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from actors import local_ray
from actors.local_ray import LocalRayError

log = logging.getLogger("localray")

STATE = "cluster.json"


def _owner_alive(state: dict[str, Any]) -> bool:
    pid = state.get("owner_pid")
    if not pid:
        return any(local_ray.group_alive(g) for g in state.get("pids", []))
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_state(directory: Path) -> dict[str, Any] | None:
    """The recorded head of ``directory``, or None."""
    try:
        return json.loads((directory / STATE).read_text())
    except (OSError, ValueError):
        return None


class LocalRay:
    """Starts the head (``start``), stops it (``stop``); a guard covers a killed owner."""

    def __init__(self, directory: Path, cpus: int) -> None:
        self.directory = directory.resolve()
        self.cpus = cpus
        self.state: dict[str, Any] | None = None
        self._guard: subprocess.Popen[bytes] | None = None

    def start(self) -> dict[str, str]:
        """Start the head; the environment drivers need (RAY_ADDRESS, token)."""
        previous = read_state(self.directory)
        if previous is not None:
            if _owner_alive(previous):
                raise LocalRayError(
                    f"{self.directory / STATE}: another `python -m api` (pid "
                    f"{previous.get('owner_pid')}) runs a Ray here; stop it or set DATA_DIR"
                )
            local_ray.stop(self.directory, grace_s=5.0)  # a killed run's leftovers
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        state = local_ray.start(self.directory, nodes=1, cpus=self.cpus)
        state["owner_pid"] = os.getpid()
        path = self.directory / STATE
        path.write_text(json.dumps(state, indent=2))
        path.chmod(0o600)  # names the token file; the token itself is 0600 too
        self.state = state
        # What to stop is passed, not re-read: the record may be gone by then.
        guard = ["-m", "api.localray", "--parent", str(os.getpid()), "--dir", str(self.directory)]
        guard += ["--temp-dir", state["temp_dir"], *[f"--group={g}" for g in state["pids"]]]
        self._guard = subprocess.Popen(
            [sys.executable, *guard],
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a terminal's Ctrl-C is the owner's to handle
            env={**os.environ, "PYTHONPATH": _python_path()},
        )
        log.info(
            "ray head started",
            extra={"address": state["address"], "state": str(path), "token": state["token_path"]},
        )
        return local_ray.driver_env(state)

    def stop(self) -> None:
        if self.state is not None:
            # From memory, not the record: DATA_DIR may have been cleaned meanwhile.
            _stop(self.state["pids"], Path(self.state["temp_dir"]))
            _forget(self.directory, os.getpid())
            self.state = None
            log.info("ray head stopped")
        guard, self._guard = self._guard, None
        if guard is not None and guard.poll() is None:
            guard.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                guard.wait(5)


def _python_path() -> str:
    root = str(Path(__file__).resolve().parents[1])  # `-m api.localray` from any cwd
    return os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))


def _guard(parent: int, directory: Path, groups: list[int], temp_dir: Path) -> None:
    """Wait for ``parent`` to die, then stop the Ray processes it started."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # the owner stopped it itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            break
        time.sleep(0.5)
    _stop(groups, temp_dir)
    _forget(directory, parent)


def _stop(groups: list[int], temp_dir: Path, grace_s: float = 10.0) -> None:
    """SIGTERM the head's process groups, SIGKILL what is left after ``grace_s``."""
    alive = [g for g in groups if local_ray.signal_group(g, signal.SIGTERM)]
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(local_ray.group_alive(g) for g in alive):
        time.sleep(0.25)
    for group in alive:
        local_ray.signal_group(group, signal.SIGKILL)  # whatever ignored the graceful stop
    shutil.rmtree(temp_dir, ignore_errors=True)


def _forget(directory: Path, owner: int) -> None:
    """Remove the record if it is still this owner's."""
    state = read_state(directory)
    if state is not None and state.get("owner_pid") == owner:
        with contextlib.suppress(OSError):
            (directory / STATE).unlink()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="stop make run's Ray when its owner dies")
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--temp-dir", type=Path, required=True)
    parser.add_argument("--group", type=int, action="append", default=[])
    args = parser.parse_args()
    _guard(args.parent, args.dir, args.group, args.temp_dir)
