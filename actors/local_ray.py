"""A Ray cluster of N nodes on this one machine: ``make run``'s single-node head
(``api.localray``) and ``ticketing cluster start-local``'s trials of drain and rebalance.

``start`` runs one ``ray start --head --block`` and N-1 ``ray start --address
--block`` processes, each in a session of its own so that ``stop`` ends exactly
those (``ray stop`` would end every Ray on the machine, other people's too). Each
node gets explicit free ports (Redis holds 6379 here; two nodes on one machine
cannot share the dashboard agent's default port), a temp dir of its own (so other
drivers' address auto-detection never finds this cluster), and a custom resource
``local_node_<k>`` that names it.

Token authentication stays on: a token is generated into ``<dir>/auth_token``
(mode 0600) and every node and driver gets ``RAY_AUTH_MODE=token`` with
``RAY_AUTH_TOKEN_PATH`` pointing at it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

START_TIMEOUT_S = 90.0


class LocalRayError(Exception):
    """A local cluster that cannot start or stop: ``message`` is one line for an operator
    (the CLI prints it as its own errors), ``code`` the exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free right now (all bound at once, then released)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def driver_env(state: dict[str, Any]) -> dict[str, str]:
    """What a driver (the API, a worker, this CLI) needs to join the cluster."""
    return {
        "RAY_ADDRESS": state["address"],
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": state["token_path"],
    }


def _ray_start(args: list[str], env: dict[str, str], log: Path) -> int:
    ray = Path(sys.executable).with_name("ray")
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(ray), "start", "--block", "--disable-usage-stats", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop ends it and its children
        )
    return process.pid


def _started(pid: int, log: Path) -> bool:
    """Wait for ``ray start`` to report its node up (True) or to exit (False)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if "Ray runtime started" in log.read_text(errors="replace"):
            return True
        if not group_alive(pid):
            return False
        time.sleep(0.5)
    raise LocalRayError(f"a node did not start in {START_TIMEOUT_S:.0f} s (log: {log})")


def _start_node(
    args_of: Callable[[], list[str]], env: dict[str, str], log: Path, state: dict[str, Any]
) -> None:
    """One node; tried up to three times, as a loaded machine can miss Ray's registration
    deadline (30 s, fixed), which is also why nodes start one after the other. Each try
    gets fresh ports: a port picked free can be taken before Ray binds it (by another
    program, or by one of Ray's own components that pick theirs at random)."""
    for _attempt in range(3):
        pid = _ray_start(args_of(), env, log)
        state["pids"].append(pid)
        (Path(state["dir"]) / "cluster.json").write_text(json.dumps(state, indent=2))
        if _started(pid, log):
            return
        state["pids"].remove(pid)
    tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["?"]
    raise LocalRayError(f"a node failed to start: {tail[0]} (log: {log}; stop-local cleans up)")


def start(directory: Path, nodes: int, cpus: int) -> dict[str, Any]:
    """Start the cluster; its state (address, token path, process ids) is saved."""
    state_file = directory / "cluster.json"
    if state_file.exists():
        raise LocalRayError(
            f"a local cluster is already recorded in {state_file}: stop-local first"
        )
    directory.mkdir(parents=True, exist_ok=True)
    token_path = directory / "auth_token"
    token_path.write_text(secrets.token_hex(32))
    token_path.chmod(0o600)
    port = free_port()
    temp_dir = Path(f"/tmp/ticketing-ray-{port}")  # short: Ray's socket paths have a limit
    state: dict[str, Any] = {
        "address": f"127.0.0.1:{port}",
        "token_path": str(token_path),
        "temp_dir": str(temp_dir),
        "dir": str(directory),
        "pids": [],
    }
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token_path)}
    # Stopping a trial cluster needs no drain period (Ray's default waits up to 500 s).
    env["RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S"] = "1"
    env.pop("RAY_ADDRESS", None)
    common = [f"--num-cpus={cpus}", f"--temp-dir={temp_dir}"]

    def args_of(k: int) -> list[str]:
        agent, head, dashboard, client = free_ports(4)
        args = [*common, f"--dashboard-agent-listen-port={agent}"]
        args.append(f"--resources={json.dumps({f'local_node_{k}': 1})}")
        if k == 0:  # the head's address is the cluster's: it moves with a retry
            state["address"] = f"127.0.0.1:{head}"
            role = ["--head", f"--port={head}", f"--dashboard-port={dashboard}"]
            role.append(f"--ray-client-server-port={client}")
        else:
            role = [f"--address={state['address']}"]
        return [*role, "--node-ip-address=127.0.0.1", *args]

    for k in range(nodes):
        log = directory / f"node-{k}.log"
        _start_node(functools.partial(args_of, k), env, log, state)
    _wait_nodes(state, nodes)
    return state


_WAIT_NODES = """
import sys, time, ray
ray.init(address=sys.argv[1], log_to_driver=False, logging_level="ERROR")
deadline = time.monotonic() + float(sys.argv[3])
while sum(1 for n in ray.nodes() if n["Alive"]) < int(sys.argv[2]):
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.5)
"""


def _wait_nodes(state: dict[str, Any], count: int) -> None:
    """Return once ``count`` nodes are alive (workers register a few seconds late).

    Asked from a fresh process: this one imported Ray before it had the token in its
    environment, and Ray reads the authentication settings once."""
    env = {**os.environ, **driver_env(state), "RAY_BACKEND_LOG_LEVEL": "error"}
    args = [state["address"], str(count), str(START_TIMEOUT_S)]
    done = subprocess.run(
        [sys.executable, "-c", _WAIT_NODES, *args], env=env, capture_output=True, check=False
    )
    if done.returncode != 0:
        raise LocalRayError(f"the {count} nodes did not all join: see the logs in {state['dir']}")


def stop(directory: Path, grace_s: float = 20.0) -> int:
    """End the recorded cluster's processes; how many process groups were ended."""
    state_file = directory / "cluster.json"
    if not state_file.exists():
        raise LocalRayError(f"no local cluster recorded in {directory} (nothing to stop)")
    state = json.loads(state_file.read_text())
    groups = [pid for pid in state["pids"] if signal_group(pid, signal.SIGTERM)]
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(group_alive(g) for g in groups):
        time.sleep(0.25)
    for group in groups:
        signal_group(group, signal.SIGKILL)  # whatever ignored the graceful stop
    shutil.rmtree(state["temp_dir"], ignore_errors=True)
    state_file.unlink()
    return len(groups)


def group_alive(pgid: int) -> bool:
    """Whether the process group we started still has a process."""
    with contextlib.suppress(ChildProcessError):  # reap it if this process started it
        os.waitpid(pgid, os.WNOHANG)
    return signal_group(pgid, 0)


def signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to the process group we started; False if it is gone."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True
