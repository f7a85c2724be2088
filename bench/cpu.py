"""CPU time per component while a load runs, from /proc/PID/stat (utime + stime).

``CpuSampler.start()`` takes a first reading, ``stop()`` a second one; the difference
per component, over the wall time between them, gives the cores used and, divided by
the answers served, the µs of CPU per request. A server's processes are its
descendants (parent links in /proc, so a child that started a session of its own,
such as ``ray start``, still counts) and whatever else shares its session
(``bench.servers`` starts each server in a session of its own):

- ``api``: the server process and its uvicorn workers (its direct children run by
  multiprocessing); ``actor``: ``ray::InventoryActor`` processes; ``mongo``: the
  embedded MongoDB; ``stripe``: the dev stack's localstripe (and its saving child, while
  it lives); ``ray``: the rest of the server's processes (Ray's GCS, raylet,
  dashboard, idle workers; helpers such as multiprocessing's resource tracker);
- ``broker``: RabbitMQ's ``beam.smp`` (shared by everything on this machine, so it
  includes whatever else uses the broker meanwhile);
- ``loadgen``: the load generator (wrk, or the Python fallback), this process's child;
- ``other``: the machine's busy CPU time (/proc/stat) less all of the above: whatever
  else runs on this machine meanwhile (on a shared machine, the noise in the figures).

A process that starts or ends between the readings counts only for the time seen.
"""

from __future__ import annotations

import os
import resource
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of ``pid`` (all its threads), None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # comm may hold spaces: split after it
    return (int(fields[11]) + int(fields[12])) / TICK  # fields 14 and 15 of stat(5)


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _pids() -> Iterable[int]:
    return (int(p) for p in os.listdir("/proc") if p.isdigit())


def classify(pid: int, ppid: int, server_pid: int, cmdline: str) -> str:
    worker = ppid == server_pid and "multiprocessing" in cmdline
    if pid == server_pid or (worker and "resource_tracker" not in cmdline):
        return "api"  # uvicorn's supervisor (or single process) and its spawned workers
    if cmdline.startswith("ray::InventoryActor"):
        return "actor"
    if "mongo_embedded" in cmdline:
        return "mongo"
    if "api.devservers localstripe" in cmdline:
        return "stripe"
    return "ray"


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, session id) of ``pid``, None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[3])  # fields 4 and 6 of stat(5)


def components(server_pids: Iterable[int]) -> dict[int, str]:
    """pid -> component for the servers' processes and the broker."""
    procs = {pid: st for pid in _pids() if (st := _stat(pid)) is not None}
    owner: dict[int, int] = {}  # pid -> the server it belongs to
    for server in server_pids:
        if server not in procs:
            continue
        sid = procs[server][1]
        owner |= {pid: server for pid, (_, s) in procs.items() if s == sid}
        owner[server] = server
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (ppid, _) in procs.items():
        children[ppid].append(pid)
    for server in list(set(owner.values())):
        stack = [server]
        while stack:  # every descendant, whatever its session
            for child in children[stack.pop()]:
                if child not in owner or owner[child] != server:
                    owner[child] = server
                    stack.append(child)
    found = {
        pid: classify(pid, procs[pid][0], server, _cmdline(pid)) for pid, server in owner.items()
    }
    for pid in procs.keys() - found.keys():
        if _cmdline(pid).split(" ")[0].endswith("beam.smp"):
            found[pid] = "broker"
    return found


@dataclass
class CpuSampler:
    """Two readings of the components' CPU time; ``cores`` and ``per_request_us``.

    The load generator runs as this process's child between ``start`` and ``stop``
    (wrk, or the fallback's worker processes): its CPU is the children's rusage delta,
    which counts it once it has exited and been reaped.
    """

    server_pids: list[int]
    seconds: dict[str, float] = field(default_factory=dict)
    processes: dict[str, int] = field(default_factory=dict)  # per component, at ``stop``
    wall_s: float = 0.0
    _before: dict[int, tuple[str, float]] = field(default_factory=dict)
    _children: float = 0.0
    _machine: float = 0.0
    _started: float = 0.0

    def start(self) -> None:
        self._before = self._read()
        self._children = _children_cpu()
        self._machine = machine_busy_seconds()
        self._started = time.monotonic()

    def stop(self) -> dict[str, float]:
        after = self._read()
        self.wall_s = time.monotonic() - self._started
        self.processes = dict(Counter(name for name, _ in after.values()))
        totals: dict[str, float] = defaultdict(float)
        for pid, (name, seconds) in after.items():
            totals[name] += seconds - self._before.get(pid, (name, 0.0))[1]
        totals["loadgen"] += _children_cpu() - self._children
        totals["other"] = max(0.0, machine_busy_seconds() - self._machine - sum(totals.values()))
        self.seconds = dict(totals)
        return self.seconds

    def _read(self) -> dict[int, tuple[str, float]]:
        readings = {}
        for pid, name in components(self.server_pids).items():
            seconds = cpu_seconds(pid)
            if seconds is not None:
                readings[pid] = (name, seconds)
        return readings

    def _read_seconds(self) -> dict[str, float]:
        """CPU seconds per component since ``start`` (a reading, without stopping)."""
        totals: dict[str, float] = defaultdict(float)
        for pid, (name, seconds) in self._read().items():
            totals[name] += seconds - self._before.get(pid, (name, 0.0))[1]
        return dict(totals)

    def cores(self) -> dict[str, float]:
        return {k: v / self.wall_s for k, v in self.seconds.items()} if self.wall_s else {}

    def per_request_us(self, requests: int) -> dict[str, float]:
        return {k: v / requests * 1e6 for k, v in self.seconds.items()} if requests else {}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (not idle, not waiting on I/O)."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / TICK  # user..steal less idle, iowait
